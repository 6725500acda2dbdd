/// A transport failure of ``CurlHTTPClient/execute(_:)``: no complete HTTP response was received.
///
/// Contract:
/// - `code` is a stable category to switch on; new codes may be added, so keep a default case.
/// - `curlCode` is libcurl's raw `CURLcode` when libcurl reported the failure, else nil.
/// - `curlMessage` is libcurl's error text (`CURLOPT_ERRORBUFFER`, or `curl_easy_strerror`
///   when the buffer is empty), or the client's own explanation.
/// - `requestMayHaveReachedServer` is false only when it is certain that no byte of the
///   request was written to a connection (for example connection refused, DNS failure, a
///   request still queued in the client). When it is true, the server may have received
///   and acted on the request, so a failed send is ambiguous and must not be blindly retried.
/// - `description` never contains request headers, bodies, credentials or the URL.
public struct HTTPClientError: Error, CustomStringConvertible, Sendable {
    /// A stable category of transport failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case couldNotConnect
            case timedOut
            case tls
            case sendFailed
            case receiveFailed
            case invalidURL
            case invalidRequest
            case responseTooLarge
            case shutDown
            case other
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// The host could not be resolved or the TCP connection could not be established.
        public static let couldNotConnect = Code(.couldNotConnect)
        /// The connect timeout or the total transfer timeout elapsed.
        public static let timedOut = Code(.timedOut)
        /// The TLS handshake or certificate verification failed.
        public static let tls = Code(.tls)
        /// Writing the request to the connection failed.
        public static let sendFailed = Code(.sendFailed)
        /// Reading the response failed, or the server closed the connection or sent garbage.
        public static let receiveFailed = Code(.receiveFailed)
        /// The URL is malformed or does not use `http` or `https`.
        public static let invalidURL = Code(.invalidURL)
        /// The request is malformed (bad method, header names or values with CR/LF, ...);
        /// it was never sent.
        public static let invalidRequest = Code(.invalidRequest)
        /// The response body exceeded ``CurlHTTPClient/Configuration/maxResponseBodyBytes``.
        public static let responseTooLarge = Code(.responseTooLarge)
        /// The client was shut down before the request completed.
        public static let shutDown = Code(.shutDown)
        /// Any other failure; see ``HTTPClientError/curlCode`` and ``HTTPClientError/curlMessage``.
        public static let other = Code(.other)

        /// The code's name, e.g. `timedOut`.
        public var description: String { base.rawValue }
    }

    /// The failure category.
    public let code: Code
    /// libcurl's `CURLcode`, when libcurl reported the failure.
    public let curlCode: Int?
    /// libcurl's error text, or the client's own explanation.
    public let curlMessage: String
    /// Whether any request bytes may have reached the server (see the type's contract).
    public let requestMayHaveReachedServer: Bool
    /// The last reply code the server sent before the failure (`CURLINFO_RESPONSE_CODE`), when it
    /// sent one: for SMTP the code that ended the session (`550` to `RCPT TO`, `354` before a drop
    /// in the data phase).
    public var responseCode: Int?

    /// Creates an error (useful for test doubles).
    public init(code: Code, curlCode: Int? = nil, curlMessage: String, requestMayHaveReachedServer: Bool, responseCode: Int? = nil) {
        self.code = code
        self.curlCode = curlCode
        self.curlMessage = curlMessage
        self.requestMayHaveReachedServer = requestMayHaveReachedServer
        self.responseCode = responseCode
    }

    /// Code, curl code, curl's message and the ambiguity flag; never request data.
    public var description: String {
        var text = "HTTPClientError(\(code)"
        if let curlCode {
            text += ", curl \(curlCode)"
        }
        if !curlMessage.isEmpty {
            text += ": \(curlMessage)"
        }
        text += requestMayHaveReachedServer ? "; request may have reached the server)" : "; request not sent)"
        return text
    }
}
