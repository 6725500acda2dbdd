import CCurl
import Synchronization

/// The curl thread's idle easy handles: a transfer that ends hands its handle back, reset, for the
/// next one, as libcurl advises.
///
/// A handle created for every request and cleaned up after (`curl_easy_init`, `curl_easy_cleanup`)
/// was 1.4 % of a sending daemon's samples; a reset is 0.6 %. `curl_easy_reset` puts every option
/// back to its default (URL, method, headers, body, callbacks, credentials, timeouts and the private
/// pointer are all set again by the next transfer) and keeps the handle's buffers; connections
/// belong to the multi handle's cache either way. At most `limit` handles (the transfers that can
/// run at once) are kept idle; the rest are cleaned up.
///
/// Confined to the curl thread, except ``created``. `@unchecked Sendable` only so the client can
/// hand it to that thread at start.
final class CurlEasyHandles: @unchecked Sendable {
    private var idle: [UnsafeMutableRawPointer] = []
    private let limit: Int
    /// Handles created so far (read by tests from any thread).
    let created = Atomic<Int>(0)

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// An idle handle, or a new one; nil if libcurl cannot create one.
    func take() -> UnsafeMutableRawPointer? {
        if let easy = idle.popLast() { return easy }
        guard let easy = curl_easy_init() else { return nil }
        created.wrappingAdd(1, ordering: .relaxed)
        return easy
    }

    /// Takes back a handle no longer in the multi handle: reset and kept, or cleaned up.
    func giveBack(_ easy: UnsafeMutableRawPointer) {
        guard idle.count < limit else {
            curl_easy_cleanup(easy)
            return
        }
        curl_easy_reset(easy)
        idle.append(easy)
    }

    /// Cleans up every idle handle (at shutdown, after the last transfer gave its handle back).
    func cleanUp() {
        for easy in idle { curl_easy_cleanup(easy) }
        idle.removeAll()
    }
}
