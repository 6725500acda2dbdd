import Foundation

/// A case created from a plan (`POST /v1/cases`): which plan, and the message each step became.
public struct CaseRecord: Sendable, Hashable {
    public struct Step: Sendable, Hashable, Codable {
        public let step: String
        public let kind: String
        public let sendAfter: Date
        public let messageID: String

        public init(step: String, kind: String, sendAfter: Date, messageID: String) {
            self.step = step
            self.kind = kind
            self.sendAfter = sendAfter
            self.messageID = messageID
        }

        enum CodingKeys: String, CodingKey {
            case step, kind
            case sendAfter = "send_after"
            case messageID = "message_id"
        }
    }

    public let caseRef: String
    public let plan: String
    /// Tells a repeated creation (same body) from a different one under the same `case_ref`.
    public let requestHash: String
    public let createdAt: Date
    public let steps: [Step]

    public init(caseRef: String, plan: String, requestHash: String, createdAt: Date, steps: [Step]) {
        self.caseRef = caseRef
        self.plan = plan
        self.requestHash = requestHash
        self.createdAt = createdAt
        self.steps = steps
    }

    /// The idempotency key of a plan step's message: one per case and step.
    public static func messageKey(caseRef: String, step: String) -> String { "case:\(caseRef):\(step)" }
}
