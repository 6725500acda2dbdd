import Foundation

/// One reminder as a producer enqueues it (docs/message.md), after validation.
///
/// - Important: Only `MessageValidator` creates these from outside input; every field here has been
///   checked, so the store and the planner may trust it.
public struct MessageRequest: Sendable, Hashable, Codable {
    public var idempotencyKey: String?
    public var kind: String
    public var caseRef: String?
    public var recipient: Recipient
    /// Template data, free-form; typed fields (amounts, dates) were checked by the validator.
    public var data: [String: JSONValue]
    public var sendAfter: Date?
    public var expiresAt: Date?
    /// The plan step that scheduled this message (`POST /v1/cases`); nil for a producer's own message.
    /// Never taken from outside input.
    public var planStep: PlanStepRef?

    public init(
        idempotencyKey: String? = nil, kind: String, caseRef: String? = nil, recipient: Recipient,
        data: [String: JSONValue], sendAfter: Date? = nil, expiresAt: Date? = nil
    ) {
        self.idempotencyKey = idempotencyKey
        self.kind = kind
        self.caseRef = caseRef
        self.recipient = recipient
        self.data = data
        self.sendAfter = sendAfter
        self.expiresAt = expiresAt
    }

    enum CodingKeys: String, CodingKey {
        case idempotencyKey = "idempotency_key"
        case kind
        case caseRef = "case_ref"
        case recipient, data
        case sendAfter = "send_after"
        case expiresAt = "expires_at"
        case planStep = "plan_step"
    }
}
