import Foundation
import VarselCore
import VarselHTTP

/// One provider preset: how Varsel's message becomes the provider's request, what the provider's
/// answer means, and how its delivery callbacks are verified and read. Each preset is one file
/// (`Presets/<Name>Adapter.swift`) and one entry in ``GatewayConfiguration/Kind``.
public protocol GatewayAdapter: Sendable {
    /// The preset's type name, channels and configuration keys (docs/providers.md).
    static var preset: Preset { get }
    init(configuration: GatewayConfiguration)
    var configuration: GatewayConfiguration { get }
    /// The request for this message. HTTP presets carry `Idempotency-Key` (docs/gateway.md).
    func request(for message: OutboundMessage) throws(GatewayRequestError) -> HTTPRequest
    /// What a complete answer means: its outcome class, the provider's id, the provider's error text.
    func interpret(_ response: HTTPResponse) -> ProviderAnswer
    /// What a transport failure means when the protocol tells more than libcurl's code (an SMTP
    /// reply code); `nil` leaves it to the generic rule (ambiguous once bytes may have gone out).
    func interpret(_ error: HTTPClientError) -> ProviderAnswer?
    /// What is wrong with this gateway's keys beyond their presence (a value out of range, a key
    /// that does not parse), for `varsel config check`; `nil` when nothing is.
    var configurationProblem: String? { get }
    /// `nil` when the callback is genuine; checked before anything in it is believed.
    func verify(_ callback: ReceiptCallback, now: Date) -> ReceiptSignature.Failure?
    /// The delivery reports in a verified callback (a provider may batch several).
    func receipts(from callback: ReceiptCallback) throws(ReceiptError) -> [ParsedReceipt]
}

/// What a preset is and which keys it reads under `gateways.<name>`, beyond the common ones
/// (`type`, `url`, `from`, `timeout_ms`, `connect_timeout_ms`, `max_connections`, `rate_limit`,
/// `rate_burst`, `breaker_failures`, `breaker_cool_down`, `classify`, `receipts`).
public struct Preset: Sendable {
    /// One key of a preset.
    public struct Key: Sendable {
        public let name: String
        public let required: Bool
        /// One line for docs/providers.md and `varsel config check`.
        public let summary: String

        public init(_ name: String, required: Bool = false, _ summary: String) {
            self.name = name
            self.required = required
            self.summary = summary
        }
    }

    /// The `type` name.
    public let type: String
    public let channels: Set<Channel>
    public let summary: String
    /// The service's base URL when `url` is not given; `nil` makes `url` required.
    public let defaultURL: String?
    /// The URL schemes `url` may use.
    public let urlSchemes: [String]
    /// Plain keys (never secrets).
    public let options: [Key]
    /// Secrets, each read from `<name>_file` (relative to the credentials directory) or `<name>_env`.
    public let secrets: [Key]
    /// The names `receipts.signature` accepts; the first is the default. Every preset also accepts
    /// `basic` (a user and password the provider puts in the callback URL) and `none`.
    public let receiptSchemes: [String]
    /// `max_connections` when the key is absent (a provider's own concurrency limit).
    public let defaultMaxConnections: Int?

    public init(
        type: String, channels: Set<Channel>, summary: String, defaultURL: String?, urlSchemes: [String] = ["http", "https"],
        options: [Key] = [], secrets: [Key] = [], receiptSchemes: [String] = [], defaultMaxConnections: Int? = nil
    ) {
        self.type = type
        self.channels = channels
        self.summary = summary
        self.defaultURL = defaultURL
        self.urlSchemes = urlSchemes
        self.options = options
        self.secrets = secrets
        self.receiptSchemes = receiptSchemes
        self.defaultMaxConnections = defaultMaxConnections
    }
}

/// What one answer of a provider comes to.
public struct ProviderAnswer: Sendable, Equatable {
    public var outcome: OutcomeClass
    /// The provider's id for the accepted message.
    public var providerID: String?
    /// The ids of the parts the provider split the message into, when more than one and its delivery
    /// reports come per part (Vonage: one per SMS segment). The message is delivered when every part is.
    public var parts: [String]
    /// Why it was not accepted, in the provider's words (short; never secrets).
    public var error: String?

    public init(outcome: OutcomeClass, providerID: String? = nil, parts: [String] = [], error: String? = nil) {
        self.outcome = outcome
        self.providerID = providerID
        self.parts = parts
        self.error = error
    }
}

/// A delivery callback as received on `/v1/receipts/<gateway>`.
public struct ReceiptCallback: Sendable {
    public let method: String
    /// Header fields with lower-case names.
    public let headers: [String: String]
    public let body: [UInt8]
    /// The query string without `?` (GET callbacks carry their fields there).
    public let query: String

    public init(method: String = "POST", headers: [String: String] = [:], body: [UInt8], query: String = "") {
        self.method = method
        self.headers = headers
        self.body = body
        self.query = query
    }

    /// Form fields: the query's, then the body's when it is form-encoded; the first of a name wins.
    public var formFields: [String: String] {
        var fields: [String: String] = [:]
        var pairs = query.isEmpty ? [] : FormEncoding.decode(query)
        if !body.isEmpty, headers["content-type"].map({ $0.lowercased().hasPrefix("application/x-www-form-urlencoded") }) ?? true {
            pairs += FormEncoding.decode(String(decoding: body, as: UTF8.self))
        }
        for (name, value) in pairs where fields[name] == nil { fields[name] = value }
        return fields
    }

    /// The body as a JSON object or array, or nil.
    public var json: Any? {
        body.isEmpty ? nil : try? JSONSerialization.jsonObject(with: Data(body))
    }
}

extension GatewayAdapter {
    /// 2xx accepted, 408/425/429/5xx transient, other statuses permanent; the id at `id_field`.
    public func interpret(_ response: HTTPResponse) -> ProviderAnswer {
        let outcome = OutcomeClassifier.defaultClass(status: response.status)
        guard outcome == .accepted else {
            return ProviderAnswer(outcome: outcome, error: ProviderReply.message(response.body))
        }
        return ProviderAnswer(outcome: .accepted, providerID: ProviderReply.string(at: configuration.idField, in: response.body))
    }

    public func interpret(_ error: HTTPClientError) -> ProviderAnswer? { nil }

    public var configurationProblem: String? { nil }

    /// The generic schemes: `hmac-sha256`, `twilio`, `basic`, `none`.
    public func verify(_ callback: ReceiptCallback, now: Date) -> ReceiptSignature.Failure? {
        guard let settings = configuration.receipts else { return .invalid }
        return settings.signature.verify(headers: callback.headers, body: callback.body, now: now)
    }

    public func receipts(from callback: ReceiptCallback) throws(ReceiptError) -> [ParsedReceipt] {
        guard let format = configuration.receipts?.format else {
            throw ReceiptError(field: "", description: "gateway type \(Self.preset.type) reads no delivery callbacks")
        }
        return [try format.parse(body: callback.body)]
    }

    /// The base URL without a trailing `/`, joined with `path`.
    public func endpoint(_ path: String) -> String {
        let base = configuration.url.hasSuffix("/") ? String(configuration.url.dropLast()) : configuration.url
        return base + path
    }

    /// A required secret, or the error naming the keys that give it.
    public func secret(_ name: String) throws(GatewayRequestError) -> String {
        guard let value = configuration.secrets[name], !value.isEmpty else {
            throw GatewayRequestError("gateway \(configuration.name) has no \(name) (\(name)_file or \(name)_env)")
        }
        return value
    }

    /// The phone number, or the error for a message without one.
    public func phone(of message: OutboundMessage) throws(GatewayRequestError) -> String {
        guard message.channel == .sms else {
            throw GatewayRequestError("a \(Self.preset.type) gateway sends SMS only, not \(message.channel.rawValue)")
        }
        guard let phone = message.recipient.phone else { throw GatewayRequestError("no phone number") }
        return phone
    }

    /// The email address, or the error for a message without one.
    public func email(of message: OutboundMessage) throws(GatewayRequestError) -> String {
        guard message.channel == .email else {
            throw GatewayRequestError("a \(Self.preset.type) gateway sends email only, not \(message.channel.rawValue)")
        }
        guard let email = message.recipient.email else { throw GatewayRequestError("no email address") }
        return email
    }

    /// A JSON body from a dictionary (sorted keys, slashes unescaped).
    public func json(_ object: [String: Any]) throws(GatewayRequestError) -> [UInt8] {
        do {
            return Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
        } catch {
            throw GatewayRequestError("cannot encode the request: \(error)")
        }
    }
}

extension GatewayConfiguration {
    /// The adapter for this configuration's kind.
    public func makeAdapter() -> any GatewayAdapter {
        kind.adapterType.init(configuration: self)
    }

    /// A POST with `Content-Type`, `Accept: application/json` and `Idempotency-Key`, in this gateway's pool.
    public func baseRequest(url: String, contentType: String, body: [UInt8], idempotencyKey: String) -> HTTPRequest {
        HTTPRequest(
            method: "POST", url: url,
            headers: [
                HTTPHeader("Content-Type", contentType), HTTPHeader("Accept", "application/json"),
                HTTPHeader("Idempotency-Key", idempotencyKey),
            ],
            body: body, connectTimeoutMilliseconds: connectTimeoutMilliseconds, timeoutMilliseconds: timeoutMilliseconds,
            poolKey: name, caFile: caFile)
    }
}
