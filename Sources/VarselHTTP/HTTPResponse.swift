/// The final HTTP response to an ``HTTPRequest``.
///
/// Contract:
/// - Any status code is a response, not an error: a 500 from the server is returned here,
///   and only transport failures throw ``HTTPClientError``.
/// - `headers` are all header fields of the final response, in received order
///   (interim `1xx` responses and their fields are dropped). Names keep the server's spelling.
/// - `body` is the full response body as received (no content decoding is asked for).
/// - `totalTime` is libcurl's total time for the transfer (`CURLINFO_TOTAL_TIME_T`),
///   from being handed to libcurl until the response completed; queueing time is excluded.
public struct HTTPResponse: Sendable {
    /// The HTTP status code, e.g. 200.
    public var status: Int
    /// The header fields of the final response. A response from ``CurlHTTPClient`` keeps its header
    /// block as received and makes the fields from it each time they are read.
    public var headers: [HTTPHeader] {
        get {
            switch storedHeaders {
            case .fields(let fields): fields
            case .block(let block): ResponseHeaderCollector.fields(of: block)
            }
        }
        set { storedHeaders = .fields(newValue) }
    }
    /// The response body.
    public var body: [UInt8]
    /// The transfer's total time inside libcurl.
    public var totalTime: Duration

    /// The fields as given or set, or the final response's header lines as
    /// ``ResponseHeaderCollector`` keeps them.
    private enum StoredHeaders: Sendable {
        case fields([HTTPHeader])
        case block([UInt8])
    }

    private var storedHeaders: StoredHeaders

    /// Creates a response (useful for test doubles).
    public init(status: Int, headers: [HTTPHeader] = [], body: [UInt8] = [], totalTime: Duration = .zero) {
        self.status = status
        self.storedHeaders = .fields(headers)
        self.body = body
        self.totalTime = totalTime
    }

    /// A response whose fields are read from its header block only when asked for.
    init(status: Int, headerBlock: [UInt8], body: [UInt8], totalTime: Duration) {
        self.status = status
        self.storedHeaders = .block(headerBlock)
        self.body = body
        self.totalTime = totalTime
    }

    /// The value of the first header field called `name`, compared case-insensitively, or nil.
    public func header(named name: String) -> String? {
        headers.first { $0.hasName(name) }?.value
    }

    /// The values of every header field called `name`, compared case-insensitively, in order.
    public func headers(named name: String) -> [String] {
        headers.filter { $0.hasName(name) }.map(\.value)
    }

    /// The body decoded as UTF-8 (invalid sequences are replaced).
    public var bodyText: String {
        String(decoding: body, as: UTF8.self)
    }
}
