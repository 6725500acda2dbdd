import Foundation
import Synchronization
import VarselCore
import VarselHTTP

/// What one send through a gateway came to.
public struct SendResult: Sendable {
    public let outcome: OutcomeClass
    public let httpStatus: Int?
    public let providerID: String?
    public let latencyMs: Int
    /// Why it was not accepted: never contains secrets; provider text is truncated.
    public let error: String?
    /// The gateway's `Retry-After`, in seconds, when it sent one.
    public var retryAfter: TimeInterval? = nil
    /// The ids of the parts the provider reports on separately (`ProviderAnswer.parts`).
    public var parts: [String] = []
}

/// A send's request as its gateway's adapter built it, ready to hand to the HTTP client.
public struct GatewayRequest: Sendable {
    /// A request built, or the result of a send whose request could not be.
    public enum Outcome: Sendable {
        case ready(GatewayRequest)
        case failed(SendResult)
    }

    public let gateway: String
    let adapter: any GatewayAdapter
    public let request: HTTPRequest
}

/// A request that went to the HTTP client and what came back: a response, or why none did.
/// A class: made on the curl thread and queued for whoever classifies it, as one reference.
public final class GatewayTransfer: Sendable {
    public let request: GatewayRequest
    public let result: Result<HTTPResponse, any Error>
    /// From the hand-over to the client until the result.
    public let latencyMs: Int

    init(request: GatewayRequest, result: Result<HTTPResponse, any Error>, latencyMs: Int) {
        self.request = request
        self.result = result
        self.latencyMs = latencyMs
    }
}

/// Sends messages through configured gateways over one shared libcurl client.
public final class GatewaySender: Sendable {
    public let adapters: [String: any GatewayAdapter]
    let client: CurlHTTPClient

    public init(gateways: [GatewayConfiguration], client: CurlHTTPClient) {
        var adapters: [String: any GatewayAdapter] = [:]
        for gateway in gateways { adapters[gateway.name] = gateway.makeAdapter() }
        self.adapters = adapters
        self.client = client
    }

    /// Sends one message and classifies the result. Never throws: every failure is a `SendResult`.
    /// `trace`, when given, receives the request and what came back (`varsel gateway test`).
    public func send(_ message: OutboundMessage, via gateway: String, trace: SendTrace? = nil) async -> SendResult {
        let prepared: GatewayRequest
        switch request(for: message, via: gateway) {
        case .ready(let ready): prepared = ready
        case .failed(let result): return result
        }
        trace?.record(request: prepared.request)
        let start = ContinuousClock.now
        let outcome: Result<HTTPResponse, any Error>
        do {
            outcome = .success(try await client.execute(prepared.request))
        } catch {
            outcome = .failure(error)
        }
        switch outcome {
        case .success(let response): trace?.record(response: response)
        case .failure(let error as HTTPClientError): trace?.record(error: error)
        case .failure: break
        }
        return result(of: GatewayTransfer(request: prepared, result: outcome, latencyMs: Self.milliseconds(ContinuousClock.now - start)))
    }

    /// The request that sends `message` through `gateway`, built by the gateway's adapter; or, when it
    /// cannot be built, the send's (permanent) result.
    public func request(for message: OutboundMessage, via gateway: String) -> GatewayRequest.Outcome {
        guard let adapter = adapters[gateway] else {
            return .failed(SendResult(outcome: .permanent, httpStatus: nil, providerID: nil, latencyMs: 0, error: "no gateway named \(gateway)"))
        }
        do {
            return .ready(GatewayRequest(gateway: gateway, adapter: adapter, request: try adapter.request(for: message)))
        } catch {
            return .failed(SendResult(outcome: .permanent, httpStatus: nil, providerID: nil, latencyMs: 0, error: error.description))
        }
    }

    /// Hands a built request to the HTTP client without waiting: `onFinish` gets what came back
    /// (classify it with ``result(of:)``) exactly once, on the client's curl thread, and must not
    /// block (`CurlHTTPClient.start(_:onFinish:)`).
    ///
    /// `handOverMark` (the attempt's id) goes to the client's hand-over record before the request may leave.
    public func start(_ request: GatewayRequest, handOverMark: Int64? = nil, onFinish: @escaping @Sendable (GatewayTransfer) -> Void) {
        let start = ContinuousClock.now
        var http = request.request
        http.handOverMark = handOverMark
        client.start(http) { outcome in
            onFinish(GatewayTransfer(request: request, result: outcome, latencyMs: Self.milliseconds(ContinuousClock.now - start)))
        }
    }

    /// What a finished transfer means for the send: the provider's answer as its adapter and the
    /// gateway's classification rules read it, or what a transport failure leaves known.
    public func result(of transfer: GatewayTransfer) -> SendResult {
        let adapter = transfer.request.adapter
        let gateway = transfer.request.gateway
        let latency = transfer.latencyMs
        switch transfer.result {
        case .success(let response):
            var answer = adapter.interpret(response)
            let rules = OutcomeClassifier(rules: adapter.configuration.classification)
            if let ruled = rules.rule(status: response.status, field: { ProviderReply.string(at: $0, in: response.body) }) {
                answer.outcome = ruled
            }
            if answer.outcome == .accepted {
                return SendResult(
                    outcome: .accepted, httpStatus: response.status, providerID: answer.providerID ?? answer.parts.first,
                    latencyMs: latency, error: nil, parts: answer.parts)
            }
            let what = transfer.request.request.mail == nil ? "HTTP" : "SMTP"
            return SendResult(
                outcome: answer.outcome, httpStatus: response.status, providerID: nil, latencyMs: latency,
                error: "gateway \(gateway) answered \(what) \(response.status)" + (answer.error.map { ": " + String($0.prefix(200)) } ?? ""),
                retryAfter: response.header(named: "Retry-After").flatMap { RetryAfter.seconds($0, now: Date()) })
        case .failure(let error as HTTPClientError):
            if let answer = adapter.interpret(error) {
                return SendResult(
                    outcome: answer.outcome, httpStatus: error.responseCode, providerID: nil, latencyMs: latency,
                    error: answer.error ?? "gateway \(gateway): \(error.code) (\(error.curlMessage))")
            }
            if error.requestMayHaveReachedServer {
                return SendResult(
                    outcome: .ambiguous, httpStatus: nil, providerID: nil, latencyMs: latency,
                    error: "outcome unknown: \(error.code) after the request was sent (\(error.curlMessage))")
            }
            return SendResult(
                outcome: .transient, httpStatus: nil, providerID: nil, latencyMs: latency,
                error: "request did not reach gateway \(gateway): \(error.code) (\(error.curlMessage))")
        case .failure(let error):
            // Cancellation (shutdown): whether bytes went out is unknown.
            return SendResult(outcome: .ambiguous, httpStatus: nil, providerID: nil, latencyMs: 0, error: "\(error)")
        }
    }

    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }

}

/// The request of one send and what came back, for showing them (`varsel gateway test`).
public final class SendTrace: Sendable {
    private let state = Mutex<(request: HTTPRequest?, response: HTTPResponse?, error: HTTPClientError?)>((nil, nil, nil))

    public init() {}

    public var request: HTTPRequest? { state.withLock { $0.request } }
    public var response: HTTPResponse? { state.withLock { $0.response } }
    public var error: HTTPClientError? { state.withLock { $0.error } }

    func record(request: HTTPRequest) { state.withLock { $0.request = request } }
    func record(response: HTTPResponse) { state.withLock { $0.response = response } }
    func record(error: HTTPClientError) { state.withLock { $0.error = error } }
}

/// `Retry-After` in seconds from either form: delta-seconds or an HTTP date.
public enum RetryAfter {
    public static func seconds(_ value: String, now: Date) -> TimeInterval? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Int(text), seconds >= 0 { return TimeInterval(seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: text) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }
}
