import Foundation

/// The status contract (docs/status.md): what `GET /v1/messages/{id}` and `varsel status --json` return.
/// Fields the contract shows as `null` are written as `null`, never left out.
public struct MessageStatus: Sendable, Hashable, Encodable {
    public struct TemplateRef: Sendable, Hashable, Encodable {
        public let id: String
        public let version: String

        public init(id: String, version: String) {
            self.id = id
            self.version = version
        }
    }

    public struct Decision: Sendable, Hashable, Encodable {
        public let at: Date
        public let text: String

        public init(at: Date, text: String) {
            self.at = at
            self.text = text
        }
    }

    public struct Attempt: Sendable, Hashable, Encodable {
        public let at: Date
        public let channel: Channel
        public let gateway: String
        public let httpStatus: Int?
        public let providerID: String?
        public let outcome: AttemptOutcome
        public let latencyMs: Int?
        public let error: String?
        public let idempotencyKey: String

        public init(
            at: Date, channel: Channel, gateway: String, httpStatus: Int?, providerID: String?, outcome: AttemptOutcome,
            latencyMs: Int?, error: String?, idempotencyKey: String
        ) {
            self.at = at
            self.channel = channel
            self.gateway = gateway
            self.httpStatus = httpStatus
            self.providerID = providerID
            self.outcome = outcome
            self.latencyMs = latencyMs
            self.error = error
            self.idempotencyKey = idempotencyKey
        }

        enum CodingKeys: String, CodingKey {
            case at, channel, gateway
            case httpStatus = "http_status"
            case providerID = "provider_id"
            case outcome
            case latencyMs = "latency_ms"
            case error
            case idempotencyKey = "idempotency_key"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(at, forKey: .at)
            try container.encode(channel, forKey: .channel)
            try container.encode(gateway, forKey: .gateway)
            try container.encode(httpStatus, forKey: .httpStatus)
            try container.encode(providerID, forKey: .providerID)
            try container.encode(outcome, forKey: .outcome)
            try container.encode(latencyMs, forKey: .latencyMs)
            try container.encodeIfPresent(error, forKey: .error)
            try container.encode(idempotencyKey, forKey: .idempotencyKey)
        }
    }

    public struct Receipt: Sendable, Hashable, Encodable {
        public let at: Date
        public let status: String
        public let source: String
        public let providerID: String?

        public init(at: Date, status: String, source: String, providerID: String?) {
            self.at = at
            self.status = status
            self.source = source
            self.providerID = providerID
        }

        enum CodingKeys: String, CodingKey {
            case at, status, source
            case providerID = "provider_id"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(at, forKey: .at)
            try container.encode(status, forKey: .status)
            try container.encode(source, forKey: .source)
            try container.encode(providerID, forKey: .providerID)
        }
    }

    public let id: String
    public let state: MessageState
    /// Why the message is in its state (always set for `failed`, `expired`, `cancelled`).
    public let reason: String?
    public let kind: String
    public let caseRef: String?
    public let channel: Channel?
    public let locale: String?
    public let tone: Tone?
    public let template: TemplateRef?
    /// The template experiment's variant the message was rendered with (`experiments`); only where one was.
    public var variant: String?
    public let sms: RenderedContent.SMSInfo?
    public let nextAttemptAt: Date?
    public let createdAt: Date
    public let decisions: [Decision]
    public let attempts: [Attempt]
    public let receipts: [Receipt]
    /// The rendered content, kept for this view until retention deletes it.
    public let content: RenderedContent?

    public init(
        id: String, state: MessageState, reason: String?, kind: String, caseRef: String?, channel: Channel?,
        locale: String?, tone: Tone?, template: TemplateRef?, sms: RenderedContent.SMSInfo?, nextAttemptAt: Date?,
        createdAt: Date, decisions: [Decision], attempts: [Attempt], receipts: [Receipt], content: RenderedContent?
    ) {
        self.id = id
        self.state = state
        self.reason = reason
        self.kind = kind
        self.caseRef = caseRef
        self.channel = channel
        self.locale = locale
        self.tone = tone
        self.template = template
        self.sms = sms
        self.nextAttemptAt = nextAttemptAt
        self.createdAt = createdAt
        self.decisions = decisions
        self.attempts = attempts
        self.receipts = receipts
        self.content = content
    }

    enum CodingKeys: String, CodingKey {
        case id, state, reason, kind
        case caseRef = "case_ref"
        case channel, locale, tone, template, variant, sms
        case nextAttemptAt = "next_attempt_at"
        case createdAt = "created_at"
        case decisions, attempts, receipts, content
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(state, forKey: .state)
        try container.encode(reason, forKey: .reason)
        try container.encode(kind, forKey: .kind)
        try container.encode(caseRef, forKey: .caseRef)
        try container.encode(channel, forKey: .channel)
        try container.encode(locale, forKey: .locale)
        try container.encode(tone, forKey: .tone)
        try container.encode(template, forKey: .template)
        try container.encodeIfPresent(variant, forKey: .variant)
        try container.encode(sms, forKey: .sms)
        try container.encode(nextAttemptAt, forKey: .nextAttemptAt)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(decisions, forKey: .decisions)
        try container.encode(attempts, forKey: .attempts)
        try container.encode(receipts, forKey: .receipts)
        try container.encode(content, forKey: .content)
    }
}
