import Foundation
import HTTPTypes
import Hummingbird
import Logging
import VarselDaemon
import NIOCore
import Synchronization

/// A loopback HTTP server for tests: records every request and answers with a given closure.
/// Stands in for providers whose shape the sandbox gateway does not speak (Twilio) and for faults.
public final class LoopbackServer: Sendable {
    public struct Recorded: Sendable {
        public let method: String
        public let path: String
        public let headers: [String: String]
        public let body: [UInt8]
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    public struct Reply: Sendable {
        public var status: Int
        public var body: String
        public var contentType: String
        public var headers: [String: String]

        public init(status: Int, body: String, contentType: String = "application/json", headers: [String: String] = [:]) {
            self.status = status
            self.body = body
            self.contentType = contentType
            self.headers = headers
        }
    }

    private let recorded = Mutex<[Recorded]>([])
    private let server: LoopbackHTTPServer = {
        var logger = Logger(label: "loopback")
        logger.logLevel = .critical
        return LoopbackHTTPServer(name: "loopback-test-server", logger: logger)
    }()
    private let respond: @Sendable (Recorded) async -> Reply

    public init(respond: @escaping @Sendable (Recorded) async -> Reply) {
        self.respond = respond
    }

    public var requests: [Recorded] { recorded.withLock { $0 } }
    public var baseURL: String { "http://127.0.0.1:\(server.port ?? 0)" }

    public func start() async throws {
        let router = Router()
        router.on("**", method: .post) { request, _ in try await self.handle(request) }
        router.on("**", method: .get) { request, _ in try await self.handle(request) }
        try await server.start(router, timeout: .seconds(60))
    }

    public func stop() async { await server.stop() }

    private func handle(_ request: Request) async throws -> Response {
        let buffer = try await request.body.collect(upTo: 8 * 1024 * 1024)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let entry = Recorded(method: request.method.rawValue, path: request.uri.path, headers: headers, body: Array(buffer.readableBytesView))
        recorded.withLock { $0.append(entry) }
        let reply = await respond(entry)
        var fields: HTTPFields = [.contentType: reply.contentType]
        for (name, value) in reply.headers { if let field = HTTPField.Name(name) { fields[field] = value } }
        return Response(
            status: HTTPResponse.Status(code: reply.status), headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: reply.body)))
    }
}

/// A TCP port on 127.0.0.1 that nothing listens on (bound, then closed).
public func closedLoopbackPort() -> Int {
    let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(socketFD) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketFD, $0, length) } }
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketFD, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}
