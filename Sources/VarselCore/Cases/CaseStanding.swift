import Foundation

/// Whether a case takes demands for payment now, folded from its events in the order they were
/// recorded (the stores' order, not `recordedAt`, which two events may share): `paid`, `disputed` and `plan_agreed` stop it; `dispute_resolved` reopens a case a
/// dispute stopped; `reopened` reopens any; `partially_paid` changes only the amount.
public struct CaseStanding: Sendable, Hashable {
    /// The event that stops the case, nil while it is open.
    public private(set) var stoppedBy: CaseEvent?

    public init(events: [CaseEvent]) {
        for event in events { apply(event) }
    }

    public mutating func apply(_ event: CaseEvent) {
        switch event.type {
        case .paid, .disputed, .planAgreed: stoppedBy = event
        case .disputeResolved: if stoppedBy?.type == .disputed { stoppedBy = nil }
        case .reopened: stoppedBy = nil
        case .partiallyPaid: break
        }
    }

    public var isOpen: Bool { stoppedBy == nil }

    /// `open`, or the type of the event that stopped the case.
    public var name: String { stoppedBy?.type.rawValue ?? "open" }

    /// The reason a stopping event gives the messages it cancels.
    public static func cancelReason(_ event: CaseEvent) -> String {
        "case \(event.type.rawValue) (event \(event.id))"
    }

    /// Why a message of `kind` may not be queued or sent for this case, or nil when it may.
    public func refusal(kind: String, policy: CaseStopPolicy) -> String? {
        guard let event = stoppedBy, policy.stops(kind: kind) else { return nil }
        let reopen = event.type == .disputed ? "dispute_resolved or reopened" : "reopened"
        return "case \(event.caseRef) is stopped: \(event.type.rawValue) (event \(event.id), recorded \(RFC3339.format(event.recordedAt))); "
            + "no \(kind) is sent until a \(reopen) event"
    }
}

/// Which kinds a stopped case stops: every kind that demands payment. A receipt
/// (`payment_received`) or a plan's own confirmation (`payment_plan`) still goes out.
public struct CaseStopPolicy: Sendable, Hashable {
    /// Kinds that do not demand payment (`kinds.<name>.demands_payment: false`).
    public var exemptKinds: Set<String>

    public init(exemptKinds: Set<String>) {
        self.exemptKinds = exemptKinds
    }

    public init(kinds: [String: KindRule]) {
        exemptKinds = Set(kinds.values.filter { !$0.demandsPayment }.map(\.name))
    }

    public static let shipped = CaseStopPolicy(kinds: KindRule.shipped)

    public func stops(kind: String) -> Bool { !exemptKinds.contains(kind) }
}
