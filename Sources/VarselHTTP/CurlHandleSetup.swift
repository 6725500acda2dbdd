/// The options of an HTTP transfer that come from where it goes, not from the message it carries:
/// URL, method, timeouts, certificate authorities and credentials. A gateway's requests all share
/// one, so an easy handle given back keeps them set (``CurlEasyHandles``) and the next transfer
/// with the same setup sets only its own body, header lines and pointers.
///
/// The client's own configuration (TLS verification, user agent) is the same for every transfer of
/// a client and is not part of it. Mail transfers (SMTP) have none: their handles are reset.
struct CurlHandleSetup: Hashable {
    let url: String
    let method: String
    /// Whether the method sends a body (`POST`, `PUT`, `PATCH`, or any but `HEAD` with one).
    let sendsBody: Bool
    let connectTimeoutMilliseconds: Int
    let timeoutMilliseconds: Int
    let caFile: String?
    let basicAuth: HTTPBasicAuth?

    /// Nil for a mail transfer.
    init?(_ request: HTTPRequest) {
        guard request.mail == nil else { return nil }
        url = request.url
        method = request.method
        sendsBody = request.sendsBody
        connectTimeoutMilliseconds = request.connectTimeoutMilliseconds
        timeoutMilliseconds = request.timeoutMilliseconds
        caFile = request.caFile
        basicAuth = request.basicAuth
    }
}
