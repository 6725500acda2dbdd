import Foundation

/// What a creditor's system tells Varsel about a case (DESIGN §10). Events are stored: they stop or
/// reopen a case now, and they are the outcomes reports measure later.
public enum CaseEventType: String, Sendable, Hashable, CaseIterable, Codable {
    /// Paid in full: the case stops.
    case paid
    /// Part of the debt was paid: later messages show what is left.
    case partiallyPaid = "partially_paid"
    /// The debtor objects to the claim: collection pauses until the dispute is resolved.
    case disputed
    /// The dispute is settled in the creditor's favour: a case stopped by `disputed` reopens.
    case disputeResolved = "dispute_resolved"
    /// A payment plan was agreed: reminders and notices stop; the plan's own messages continue.
    case planAgreed = "plan_agreed"
    /// The creditor reopens a stopped case (a payment reversed, a plan broken).
    case reopened

    /// Whether the event stops the case's demands for payment.
    public var stopsCase: Bool { self == .paid || self == .disputed || self == .planAgreed }
}

/// One recorded event of a case.
public struct CaseEvent: Sendable, Hashable {
    public let id: String
    public let caseRef: String
    public let type: CaseEventType
    /// For `paid` and `partially_paid`: the amount paid, as a decimal string.
    public let amount: String?
    /// The amount's currency (ISO 4217); nil when not given.
    public let currency: String?
    /// When it happened, as the creditor's system says (defaults to when Varsel heard of it).
    public let at: Date
    /// When Varsel recorded it: what orders events and decides which messages a payment reduces.
    public let recordedAt: Date
    public let note: String?
    public let idempotencyKey: String?

    public init(
        id: String, caseRef: String, type: CaseEventType, amount: String?, currency: String?, at: Date, recordedAt: Date,
        note: String? = nil, idempotencyKey: String? = nil
    ) {
        self.id = id
        self.caseRef = caseRef
        self.type = type
        self.amount = amount
        self.currency = currency
        self.at = at
        self.recordedAt = recordedAt
        self.note = note
        self.idempotencyKey = idempotencyKey
    }

    /// A new event id: `evt_` and a time-ordered suffix like message ids.
    public static func newID(now: Date) -> String { "evt_" + MessageID.generate(now: now).dropFirst(4) }
}

/// An event as a producer submits it, validated (`CaseEventRequest.parse`).
public struct CaseEventRequest: Sendable, Hashable {
    public var caseRef: String
    public var type: CaseEventType
    public var amount: String?
    public var currency: String?
    public var at: Date?
    public var note: String?
    public var idempotencyKey: String?

    public init(
        caseRef: String, type: CaseEventType, amount: String? = nil, currency: String? = nil, at: Date? = nil, note: String? = nil,
        idempotencyKey: String? = nil
    ) {
        self.caseRef = caseRef
        self.type = type
        self.amount = amount
        self.currency = currency
        self.at = at
        self.note = note
        self.idempotencyKey = idempotencyKey
    }

    /// The stored event, recorded at `now`.
    public func event(id: String, now: Date) -> CaseEvent {
        CaseEvent(
            id: id, caseRef: caseRef, type: type, amount: amount, currency: currency, at: at ?? now, recordedAt: now, note: note,
            idempotencyKey: idempotencyKey)
    }

    /// What makes two submissions with one idempotency key the same event.
    public var fingerprint: String {
        [caseRef, type.rawValue, amount ?? "", currency ?? "", at.map(RFC3339.format) ?? "", note ?? ""].joined(separator: "\u{1F}")
    }
}
