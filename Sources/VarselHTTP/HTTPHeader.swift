/// One HTTP header field: a name and a value, in the order they were given or received.
///
/// Names are compared case-insensitively by the lookup helpers on ``HTTPResponse``;
/// the stored name keeps the spelling it was created or received with.
/// Neither part may contain CR, LF or NUL when used in an ``HTTPRequest``
/// (``CurlHTTPClient/execute(_:)`` rejects such a request with ``HTTPClientError/Code/invalidRequest``).
public struct HTTPHeader: Sendable, Hashable {
    /// The field name, e.g. `Content-Type`.
    public var name: String
    /// The field value, without surrounding whitespace.
    public var value: String

    /// Creates a header field.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    /// Creates a header field.
    public init(_ name: String, _ value: String) {
        self.init(name: name, value: value)
    }
}

extension HTTPHeader: CustomStringConvertible, CustomDebugStringConvertible {
    /// The name only: values may hold credentials or personal data.
    public var description: String { "HTTPHeader(\(name): <redacted>)" }
    /// Same as `description`.
    public var debugDescription: String { description }
}

extension HTTPHeader {
    /// True when `name` equals this header's name, ignoring ASCII case.
    func hasName(_ other: String) -> Bool {
        name.utf8.count == other.utf8.count
            && name.lowercased() == other.lowercased()
    }
}
