import Foundation

/// The rules of a message's life, as pure functions from what a store knows to what happens next.
/// Stores read the facts, call these, and write the verdict; no lifecycle rule is written in SQL.
///
/// Here: leases, cancel, reclaim and erasure. Attempts (expiry, outcome, retry, fallback after a
/// permanent failure) are in `MessageLifecycle+Attempts`, receipts (and the receipt timeout) in
/// `MessageLifecycle+Receipts`. What stays in SQL is only which rows a rule applies to.
public enum MessageLifecycle {
    // MARK: Lease

    /// A lease on a message: its fence token and when it lapses.
    public struct LeaseGrant: Sendable, Equatable {
        public let token: String
        public let expiresAt: Date
        /// A leased message is `sending` while the lease holds.
        public let state: MessageState = .sending
    }

    /// A worker leases queued messages whose ready time has come (`ready_at <= now`), in due order
    /// (`ready_at`, then id). One grant covers a batch: every write about its messages is fenced by
    /// `token`, and after `expiresAt` any daemon may reclaim them.
    public static func lease(now: Date, duration: TimeInterval, token: String = UUID().uuidString.lowercased()) -> LeaseGrant {
        LeaseGrant(token: token, expiresAt: now.addingTimeInterval(duration))
    }

    // MARK: Cancel

    public enum CancelVerdict: Sendable, Equatable {
        /// Nothing of it can have reached a gateway: it is cancelled.
        case cancel
        /// A gateway has it, or may have it (an attempt started): it cannot be called back.
        case alreadySent
        /// It had already ended (failed, expired, cancelled).
        case alreadyFinished
    }

    /// A message can be cancelled while nothing of it can have reached a gateway: queued, or leased
    /// with no attempt started (`pending` or `accepted`).
    public static func cancel(state: MessageState, attemptStarted: Bool) -> CancelVerdict {
        switch state {
        case .queued: .cancel
        case .sending: attemptStarted ? .alreadySent : .cancel
        case .sent, .delivered: .alreadySent
        case .failed, .expired, .cancelled: .alreadyFinished
        }
    }

    // MARK: Reclaim

    public struct Reclaim: Sendable, Equatable {
        /// What the started attempt becomes (`ambiguous`), or nil when none was started.
        public let attemptOutcome: AttemptOutcome?
        public let attemptError: String?
        /// The message's new reason, or nil to keep the old one.
        public let stateReason: String?
        /// The line for the decision trail.
        public let decision: String
    }

    static let interruptedSend = "outcome unknown: the worker stopped before recording the reply; a resend carries the same Idempotency-Key"

    /// A lease taken back from a worker that stopped (or whose lease expired): the message is queued
    /// again. Only an attempt that was started can have reached the gateway: that one is ambiguous and
    /// the resend carries the same `Idempotency-Key`; a message whose request never left goes back
    /// without an attempt.
    public static func reclaim(hasPendingAttempt: Bool) -> Reclaim {
        hasPendingAttempt
            ? Reclaim(
                attemptOutcome: .ambiguous, attemptError: interruptedSend, stateReason: "ambiguous: " + interruptedSend,
                decision: "lease reclaimed after the worker stopped mid-send: attempt marked ambiguous, will resend with the same Idempotency-Key")
            : Reclaim(
                attemptOutcome: nil, attemptError: nil, stateReason: nil,
                decision: "lease reclaimed after the worker stopped before the request left: requeued without an attempt")
    }

    /// A reclaimed lease's pending attempts split by its run's hand-over log (`handedOver`, the ids it
    /// handed to the HTTP client; nil when none is read for that run): those not in it never left
    /// and are no attempt; the others may have left. Without a log every one may have.
    public static func pendingAttempts(_ pending: [Int64], handedOver: Set<Int64>?) -> (neverLeft: [Int64], mayHaveLeft: [Int64]) {
        guard let handedOver else { return ([], pending) }
        return (pending.filter { !handedOver.contains($0) }, pending.filter { handedOver.contains($0) })
    }

    // MARK: Erasure

    /// What erasing a recipient's personal data does to one of their messages.
    public enum EraseVerdict: Sendable, Equatable {
        /// Erased before: nothing left to delete.
        case unchanged
        /// Contact data, rendered content and raw receipts go; state, ids and hashes stay as proof.
        case scrub
        /// Not handed to a gateway yet: cancelled (a lease holder loses its fence), then scrubbed.
        case cancelAndScrub(reason: String)
    }

    public static let erasedDecision = "recipient's personal data erased (contact data and rendered content deleted)"

    /// `scrubbedBefore`: the stored request holds no contact data and the rendered content is gone.
    /// A message that may not reach a gateway any more is cancelled by the same rule as `cancel`.
    public static func erase(state: MessageState, attemptStarted: Bool, scrubbedBefore: Bool) -> EraseVerdict {
        if cancel(state: state, attemptStarted: attemptStarted) == .cancel { return .cancelAndScrub(reason: "recipient's personal data erased") }
        return scrubbedBefore ? .unchanged : .scrub
    }
}
