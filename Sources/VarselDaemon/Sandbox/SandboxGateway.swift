import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization
import VarselCore

/// A loopback gateway that accepts the `http-json` shapes of docs/gateway.md for all three channels
/// (`POST /sms`, `/email`, `/letter`), answers `202 {"id": …}`, and remembers what it got. Behind
/// `varsel gateway-sim`, the demo, the benchmark and the end-to-end tests.
///
/// Like a well-behaved provider it honours `Idempotency-Key`: a repeated key gets the first reply's id.
public final class SandboxGateway: Sendable {
    /// One request as received.
    public struct Received: Sendable {
        public let channel: String
        /// Header names lower-cased.
        public let headers: [String: String]
        public let body: [UInt8]
        public let providerID: String
        /// Whether this Idempotency-Key had been seen before.
        public let repeatedKey: Bool
        /// When it arrived.
        public var at = Date()

        public var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] }
        public var idempotencyKey: String? { headers["idempotency-key"] }
    }

    /// How the sandbox answers.
    public struct Behaviour: Sendable {
        /// Held before answering, to make transfers overlap.
        public var delay: Duration
        /// Status for valid requests (2xx accepts).
        public var status: Int

        public init(delay: Duration = .zero, status: Int = 202) {
            self.delay = delay
            self.status = status
        }
    }

    private struct State {
        var received: [Received] = []
        var idsByKey: [String: String] = [:]
        var current = 0
        var maxConcurrent = 0
        var counter = 0
    }

    private let state = Mutex(State())
    private let server: LoopbackHTTPServer
    public let host: String
    let requestedPort: Int
    let behaviour: Mutex<Behaviour>
    let log: (@Sendable (String) -> Void)?
    let logger: Logger

    public init(host: String = "127.0.0.1", port: Int = 0, behaviour: Behaviour = .init(), log: (@Sendable (String) -> Void)? = nil) {
        self.host = host
        self.requestedPort = port
        self.behaviour = Mutex(behaviour)
        self.log = log
        var logger = Logger(label: "varsel.sandbox")
        logger.logLevel = .critical  // start() reports failures itself; shutdown noise is not news
        self.logger = logger
        self.server = LoopbackHTTPServer(host: host, port: port, name: "varsel-sandbox", logger: logger)
    }

    /// Everything received so far, in arrival order.
    public var received: [Received] { state.withLock { $0.received } }
    /// The most requests that were being handled at the same moment.
    public var maxConcurrent: Int { state.withLock { $0.maxConcurrent } }
    public var port: Int? { server.port }
    /// `http://127.0.0.1:PORT`
    public var baseURL: String { "http://\(host):\(port ?? requestedPort)" }

    public func setBehaviour(_ new: Behaviour) { behaviour.withLock { $0 = new } }

    /// Starts listening and returns the bound port once the server accepts connections.
    @discardableResult
    public func start(timeout: Duration = .seconds(60)) async throws -> Int {
        let router = Router()
        for channel in ["sms", "email", "letter"] {
            router.post(RouterPath(stringLiteral: channel)) { request, _ in try await self.handle(channel: channel, request: request) }
            router.post(RouterPath(stringLiteral: "v1/\(channel)")) { request, _ in try await self.handle(channel: channel, request: request) }
        }
        return try await server.start(router, timeout: timeout)
    }

    public func stop() async { await server.stop() }

    private func handle(channel: String, request: Request) async throws -> Response {
        state.withLock {
            $0.current += 1
            $0.maxConcurrent = max($0.maxConcurrent, $0.current)
        }
        defer { state.withLock { $0.current -= 1 } }
        let buffer = try await request.body.collect(upTo: 8 * 1024 * 1024)
        let body = Array(buffer.readableBytesView)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let current = behaviour.withLock { $0 }
        guard let key = headers["idempotency-key"], !key.isEmpty else {
            return Self.json(400, ["error": "missing Idempotency-Key header"])
        }
        if let problem = Self.shapeProblem(channel: channel, body: body) {
            log?("sandbox: rejected \(channel) request: \(problem)")
            return Self.json(400, ["error": problem])
        }
        // Recorded on arrival, before any delay: what reached the gateway is what counts.
        let (providerID, repeated) = state.withLock { state -> (String, Bool) in
            let known = state.idsByKey[key]
            let id: String
            if let known {
                id = known
            } else {
                state.counter += 1
                id = "sim-\(channel)-\(state.counter)"
                state.idsByKey[key] = id
            }
            state.received.append(Received(channel: channel, headers: headers, body: body, providerID: id, repeatedKey: known != nil))
            return (id, known != nil)
        }
        log?(Self.describe(channel: channel, body: body, providerID: providerID, key: key, repeated: repeated))
        if current.delay > .zero { try await Task.sleep(for: current.delay) }
        guard (200...299).contains(current.status) else {
            return Self.json(current.status, ["error": "sandbox configured to answer \(current.status)"])
        }
        return Self.json(current.status, ["id": providerID, "status": "accepted"])
    }

    static func json(_ status: Int, _ object: [String: String]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return Response(
            status: HTTPResponse.Status(code: status), headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// What is wrong with a request body for a channel's http-json shape, if anything.
    static func shapeProblem(channel: String, body: [UInt8]) -> String? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            return "body is not a JSON object"
        }
        let required: [String] = switch channel {
        case "sms": ["message_id", "to", "text"]
        case "email": ["message_id", "to", "subject", "text"]
        default: ["message_id", "address", "html"]
        }
        for field in required where !(object[field] is String || object[field] is [String: Any]) {
            return "missing field \(field)"
        }
        if channel == "letter" {
            guard let address = object["address"] as? [String: Any] else { return "address must be an object" }
            for field in ["name", "postal_code", "city", "country"] where (address[field] as? String ?? "").isEmpty {
                return "missing field address.\(field)"
            }
            if (address["lines"] as? [String] ?? []).isEmpty { return "missing field address.lines" }
        }
        return nil
    }

    static func describe(channel: String, body: [UInt8], providerID: String, key: String, repeated: Bool) -> String {
        let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
        let to: String
        switch channel {
        case "sms": to = Masking.phone(object["to"] as? String ?? "")
        case "email": to = Masking.email(object["to"] as? String ?? "")
        default:
            let address = object["address"] as? [String: Any]
            to = "[address in \(address?["country"] as? String ?? "?")]"
        }
        var line = "sandbox: \(channel) \(providerID) to \(to) key=\(key)" + (repeated ? " (repeated key: same id returned)" : "")
        if let subject = object["subject"] as? String { line += "\n  subject: \(subject)" }
        if channel == "sms", let text = object["text"] as? String {
            let encoding = SMSEncoding(text: text)
            line += "\n  \(encoding.scheme.rawValue), \(encoding.segments) segment(s): \(text)"
        }
        return line
    }
}

