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

/// One HTTP request for ``CurlHTTPClient/execute(_:)``.
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
///   ``CurlHTTPClient/Configuration/maxConnectionsPerPool`` limit (typically one key per gateway).
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

    /// Creates a request. Only `method` and `url` are required.
    public init(
        method: String,
        url: String,
        headers: [HTTPHeader] = [],
        body: [UInt8] = [],
        basicAuth: HTTPBasicAuth? = nil,
        connectTimeoutMilliseconds: Int = 5_000,
        timeoutMilliseconds: Int = 30_000,
        poolKey: String = "default"
    ) {
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
    /// The reason this request cannot be sent, or nil when it is well formed.
    /// Checks only what would otherwise let a caller inject header lines.
    func validationFailure() -> String? {
        if method.isEmpty || !method.utf8.allSatisfy(Self.isTokenByte) {
            return "the method is not an HTTP token"
        }
        if url.isEmpty || url.utf8.contains(where: Self.isControlByte) {
            return "the URL is empty or holds control characters"
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
