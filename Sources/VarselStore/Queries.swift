import Foundation
import VarselCore

/// One row of a message listing.
public struct MessageSummary: Sendable, Hashable, Encodable {
    public let id: String
    public let state: MessageState
    public let kind: String
    public let caseRef: String?
    public let channel: Channel?
    public let createdAt: Date
    public let updatedAt: Date

    public init(id: String, state: MessageState, kind: String, caseRef: String?, channel: Channel?, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.state = state
        self.kind = kind
        self.caseRef = caseRef
        self.channel = channel
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, state, kind
        case caseRef = "case_ref"
        case channel
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(state, forKey: .state)
        try container.encode(kind, forKey: .kind)
        try container.encode(caseRef, forKey: .caseRef)
        try container.encode(channel, forKey: .channel)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }
}

/// What a cancel did: which messages it stopped and which had already been handed to a gateway.
public struct CancelOutcome: Sendable, Hashable {
    /// Now `cancelled`; they will never be sent.
    public var cancelled: [String] = []
    /// Handed to a gateway already (sent, delivered, or a send in flight): cancel came too late.
    public var alreadySent: [String] = []
    /// Ended before the cancel for another reason (failed, expired, cancelled earlier).
    public var alreadyFinished: [String] = []

    public init() {}
}

/// An API token record (only the hash of the token is stored).
public struct StoredToken: Sendable, Hashable {
    public let id: String
    public let scopes: [String]
    public let label: String?
    public let createdAt: Date
    public let revokedAt: Date?

    public init(id: String, scopes: [String], label: String?, createdAt: Date, revokedAt: Date?) {
        self.id = id
        self.scopes = scopes
        self.label = label
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

/// What a batch's plan reads besides the batch (`MessageStore.planningReads`).
public struct PlanningReads: Sendable {
    /// Stored records, by recipient id.
    public var recipients: [String: Recipient]
    /// Each case's events, oldest first.
    public var caseEvents: [String: [CaseEvent]]
    /// Each case's accepted messages, in the order accepted.
    public var caseSteps: [String: [CaseStep]]

    public init(recipients: [String: Recipient] = [:], caseEvents: [String: [CaseEvent]] = [:], caseSteps: [String: [CaseStep]] = [:]) {
        self.recipients = recipients
        self.caseEvents = caseEvents
        self.caseSteps = caseSteps
    }
}
