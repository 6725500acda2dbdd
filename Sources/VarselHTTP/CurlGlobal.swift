import CCurl

/// Process-wide libcurl initialisation.
///
/// `curl_global_init(CURL_GLOBAL_ALL)` runs exactly once per process, the first time
/// ``ensureInitialized()`` is called (Swift initialises a static `let` lazily and thread-safely).
/// It is never undone: `curl_global_cleanup` is not safe while other code may still use libcurl.
enum CurlGlobal {
    private static let initCode: UInt32 = varsel_curl_global_init_all().rawValue

    /// Initialises libcurl if this process has not yet done so; stops the process if libcurl
    /// cannot be initialised (that only happens when memory or the TLS library is broken).
    static func ensureInitialized() {
        precondition(
            initCode == CURLE_OK.rawValue,
            "curl_global_init failed with CURLcode \(initCode)"
        )
    }
}
