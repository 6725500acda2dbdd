/// Credentials for HTTP Basic authentication (RFC 7617).
///
/// Its `description` never shows the password.
public struct HTTPBasicAuth: Sendable, Hashable {
    /// The user name. It must not contain `:` (Basic authentication cannot carry it).
    public var user: String
    /// The password.
    public var password: String

    /// Creates Basic credentials.
    public init(user: String, password: String) {
        self.user = user
        self.password = password
    }
}

extension HTTPBasicAuth: CustomStringConvertible, CustomDebugStringConvertible {
    /// Redacted: shows neither the user nor the password.
    public var description: String { "HTTPBasicAuth(<redacted>)" }
    /// Redacted: shows neither the user nor the password.
    public var debugDescription: String { description }
}

/// The SMTP envelope of a mail transfer (``HTTPRequest/mail``).
public struct MailEnvelope: Sendable, Hashable {
    /// When to use TLS on an `smtp://` URL (an `smtps://` URL is TLS from the first byte).
    public enum TLS: String, Sendable, Hashable {
        /// STARTTLS, and the transfer fails when the server does not offer it.
        case required
        /// STARTTLS when offered, plain text otherwise.
        case optional
        /// Never STARTTLS.
        case never
    }

    /// `MAIL FROM` (an address without angle brackets).
    public var from: String
    /// `RCPT TO`, one per address.
    public var recipients: [String]
    public var tls: TLS

    public init(from: String, recipients: [String], tls: TLS = .required) {
        self.from = from
        self.recipients = recipients
        self.tls = tls
    }
}

/// One HTTP request (or, with ``mail``, one SMTP transfer) for ``CurlHTTPClient/execute(_:)``.
///
/// Contract:
/// - `method` is sent as given (`GET`, `POST`, `PUT`, ...); it must be an HTTP token.
///   A non-empty `body` is sent with any method; `POST`, `PUT` and `PATCH` always send
///   a body (possibly empty, with `Content-Length: 0`). `HEAD` never reads a response body.
/// - `url` must be an absolute `http` or `https` URL. Redirects are never followed.
/// - `headers` are sent in order. The client adds no `Content-Type` of its own, and it
///   disables `Expect: 100-continue` unless an `Expect` header is given. A header with an
///   empty value is sent as `Name:` with nothing after it.
/// - `basicAuth`, when set, adds `Authorization: Basic ...`.
/// - `connectTimeoutMilliseconds` bounds connection establishment (TCP and TLS).
/// - `timeoutMilliseconds` bounds the whole transfer, counted from the moment the request is
///   handed to libcurl — time spent waiting in the client's own per-pool queue is not counted.
/// - `poolKey` names the concurrency pool: requests with the same key share the client's
///   ``CurlHTTPClient/Configuration/maxConnectionsPerPool`` limit, or their own in
///   ``CurlHTTPClient/Configuration/poolLimits`` (typically one key per gateway).
///
/// - `mail`, when set, makes this an SMTP transfer: `url` is `smtp://host[:port]` or `smtps://…`,
///   `body` is the whole RFC 5322 message (CRLF lines), `basicAuth` the SMTP AUTH credentials,
///   `method` and `headers` are ignored. The response's `status` is the server's final reply code
///   (`250`); a refusal is an ``HTTPClientError`` with its ``HTTPClientError/responseCode``.
/// - `caFile`, when set, is a PEM file of certificate authorities trusted instead of the system's.
/// - `handOverMark`, when set, is given to the client's ``HandOverRecording`` before the request is
///   handed to libcurl (the dispatcher's attempt id).
///
/// `description` and `debugDescription` never show headers, body, credentials or the URL's
/// path and query, which may hold secrets or personal data.
public struct HTTPRequest: Sendable {
    /// The request method, e.g. `POST`.
    public var method: String
    /// The absolute `http` or `https` URL.
    public var url: String
    /// The request header fields, in sending order.
    public var headers: [HTTPHeader]
    /// The request body bytes (may be empty).
    public var body: [UInt8]
    /// Basic authentication credentials, if any.
    public var basicAuth: HTTPBasicAuth?
    /// Maximum time to establish the connection, in milliseconds. Default 5 000.
    public var connectTimeoutMilliseconds: Int
    /// Maximum time for the whole transfer once handed to libcurl, in milliseconds. Default 30 000.
    public var timeoutMilliseconds: Int
    /// The concurrency pool this request belongs to.
    public var poolKey: String
    /// Certificate authorities to trust instead of the system's (a PEM file path).
    public var caFile: String?
    /// The SMTP envelope, for a mail transfer.
    public var mail: MailEnvelope?
    /// Recorded by the client's ``CurlHTTPClient/Configuration/handOver`` before the request may leave.
    public var handOverMark: Int64?

    /// Creates a request. Only `method` and `url` are required.
    public init(
        method: String,
        url: String,
        headers: [HTTPHeader] = [],
        body: [UInt8] = [],
        basicAuth: HTTPBasicAuth? = nil,
        connectTimeoutMilliseconds: Int = 5_000,
        timeoutMilliseconds: Int = 30_000,
        poolKey: String = "default",
        caFile: String? = nil,
        mail: MailEnvelope? = nil,
        handOverMark: Int64? = nil
    ) {
        self.handOverMark = handOverMark
        self.caFile = caFile
        self.mail = mail
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.basicAuth = basicAuth
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.timeoutMilliseconds = timeoutMilliseconds
        self.poolKey = poolKey
    }
}

extension HTTPRequest: CustomStringConvertible, CustomDebugStringConvertible {
    /// Method, pool and sizes only: no URL, headers, body or credentials.
    public var description: String {
        "HTTPRequest(\(method), pool: \(poolKey), \(headers.count) headers, \(body.count) body bytes"
            + (basicAuth == nil ? ")" : ", basic auth)")
    }

    /// Same as `description`.
    public var debugDescription: String { description }
}

extension HTTPRequest {
    /// Whether a body goes out (see the contract above): any method but `HEAD` with one, and `POST`,
    /// `PUT` and `PATCH` always.
    var sendsBody: Bool {
        method != "HEAD" && (!body.isEmpty || method == "POST" || method == "PUT" || method == "PATCH")
    }

    /// The reason this request cannot be sent, or nil when it is well formed.
    /// Checks only what would otherwise let a caller inject header lines.
    func validationFailure() -> String? {
        if method.isEmpty || !method.utf8.allSatisfy(Self.isTokenByte) {
            return "the method is not an HTTP token"
        }
        if url.isEmpty || url.utf8.contains(where: Self.isControlByte) {
            return "the URL is empty or holds control characters"
        }
        if let mail {
            if mail.recipients.isEmpty { return "the mail has no recipient" }
            for address in [mail.from] + mail.recipients where address.utf8.contains(where: { Self.isControlByte($0) || $0 == 0x3C || $0 == 0x3E }) {
                return "a mail address holds control characters or angle brackets"
            }
        }
        for header in headers {
            if header.name.isEmpty || !header.name.utf8.allSatisfy(Self.isTokenByte) {
                return "a header name is not an HTTP token"
            }
            if header.value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }) {
                return "a header value holds CR, LF or NUL"
            }
        }
        if let auth = basicAuth {
            if auth.user.utf8.contains(0x3A) {
                return "the basic-auth user name holds ':'"
            }
            if (auth.user + auth.password).utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }) {
                return "the basic-auth credentials hold CR, LF or NUL"
            }
        }
        return nil
    }

    /// RFC 9110 `tchar`.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    static func isControlByte(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == 0x7F
    }
}
