import Foundation

/// Attempts: whether a leased message may still be sent, and what a send's result does to it.
extension MessageLifecycle {
    /// A message ended without sending, and why.
    public struct Ending: Sendable, Equatable {
        public let state: MessageState
        public let reason: String

        public init(state: MessageState, reason: String) {
            self.state = state
            self.reason = reason
        }
    }

    /// A message past its `expires_at` is never sent: it ends `expired`.
    public static func expiry(expiresAt: Date?, now: Date) -> Ending? {
        guard let expiresAt, expiresAt <= now else { return nil }
        return Ending(state: .expired, reason: "expired at \(RFC3339.format(expiresAt)) before it could be sent")
    }

    /// A send interrupted by a crash is repeated with its content, unless it used up
    /// `retry.max_attempts` already (its last outcome was never recorded): then it fails.
    public static func resendAfterInterruption(attempts: Int, maxAttempts: Int, lastReason: String?) -> Ending? {
        guard attempts >= maxAttempts else { return nil }
        let reason = "gave up after \(attempts) attempt\(attempts == 1 ? "" : "s") (retry.max_attempts)" + (lastReason.map { "; last: \($0)" } ?? "")
        return Ending(state: .failed, reason: reason)
    }

    /// What a gateway did with one attempt.
    public struct AttemptResult: Sendable {
        /// `accepted`, `transient`, `ambiguous` or `permanent` (a result is never `pending`; one is
        /// taken as `ambiguous`).
        public var outcome: AttemptOutcome
        public var channel: Channel
        public var gateway: String
        public var providerID: String?
        /// The failure, scrubbed of contact data.
        public var error: String?
        /// The gateway's `Retry-After`, in seconds.
        public var retryAfter: TimeInterval?

        public init(outcome: AttemptOutcome, channel: Channel, gateway: String, providerID: String?, error: String?, retryAfter: TimeInterval?) {
            self.outcome = outcome
            self.channel = channel
            self.gateway = gateway
            self.providerID = providerID
            self.error = error
            self.retryAfter = retryAfter
        }
    }

    /// The message's life around the attempt, and the rules that apply to it.
    public struct AttemptContext: Sendable {
        /// Attempts started before this one.
        public var attemptsBefore: Int
        public var createdAt: Date
        public var expiresAt: Date?
        public var retry: RetryPolicy
        /// `fallback.on_permanent_failure`.
        public var fallBackOnPermanentFailure: Bool

        public init(attemptsBefore: Int, createdAt: Date, expiresAt: Date?, retry: RetryPolicy, fallBackOnPermanentFailure: Bool) {
            self.attemptsBefore = attemptsBefore
            self.createdAt = createdAt
            self.expiresAt = expiresAt
            self.retry = retry
            self.fallBackOnPermanentFailure = fallBackOnPermanentFailure
        }
    }

    /// What an attempt's result does to its message.
    public struct OutcomeVerdict: Sendable, Equatable {
        /// `sent`; `queued` (a retry, or a fallback); `failed` or `expired`.
        public let state: MessageState
        public let reason: String
        /// For `queued`: when it is due again.
        public let readyAt: Date?
        /// A fallback: the channel to skip from now on (the content is planned again).
        public let excludeChannel: Channel?
        /// Lines for the decision trail.
        public let decisions: [String]

        public init(state: MessageState, reason: String, readyAt: Date?, excludeChannel: Channel?, decisions: [String]) {
            self.state = state
            self.reason = reason
            self.readyAt = readyAt
            self.excludeChannel = excludeChannel
            self.decisions = decisions
        }
    }

    /// Accepted → `sent` (waiting for receipts). Transient or ambiguous → a retry with backoff, with
    /// the same `Idempotency-Key`, while attempts, lifetime and `expires_at` allow; else `failed` or
    /// `expired`. Permanent → the next usable channel when `fallback.on_permanent_failure`, else
    /// `failed`. `unit` gives a random number in 0..<1 for the backoff's jitter, drawn only for a
    /// retry (an accepted send, nearly every one, costs no draw from the system's generator).
    public static func outcome(_ result: AttemptResult, _ context: AttemptContext, now: Date, unit: @autoclosure () -> Double) -> OutcomeVerdict {
        let what = result.error ?? "send failed"
        switch result.outcome {
        case .accepted:
            let reason = "accepted by \(result.gateway)" + (result.providerID.map { " as \($0)" } ?? "")
            return OutcomeVerdict(state: .sent, reason: reason, readyAt: nil, excludeChannel: nil, decisions: [])
        case .transient, .ambiguous, .pending:
            let outcome = result.outcome == .pending ? AttemptOutcome.ambiguous : result.outcome
            let attempts = context.attemptsBefore + 1
            switch context.retry.decide(
                attempts: attempts, createdAt: context.createdAt, expiresAt: context.expiresAt, now: now, retryAfter: result.retryAfter, unit: unit())
            {
            case .retry(let at):
                let after = result.retryAfter.map { " (Retry-After \(Int($0)) s honoured)" } ?? ""
                return OutcomeVerdict(
                    state: .queued, reason: "\(outcome.rawValue): \(what)", readyAt: at, excludeChannel: nil,
                    decisions: ["\(outcome.rawValue) failure on attempt \(attempts): \(what); retrying at \(RFC3339.format(at))\(after) with the same Idempotency-Key"])
            case .giveUp(let why, let expired):
                let reason = "\(why); last: \(what)"
                return OutcomeVerdict(state: expired ? .expired : .failed, reason: reason, readyAt: nil, excludeChannel: nil, decisions: [reason])
            }
        case .permanent:
            let reason = "permanent failure on \(result.channel.rawValue): \(what)"
            guard context.fallBackOnPermanentFailure else {
                return OutcomeVerdict(state: .failed, reason: reason, readyAt: nil, excludeChannel: nil, decisions: [reason])
            }
            return OutcomeVerdict(
                state: .queued, reason: reason, readyAt: now, excludeChannel: result.channel, decisions: ["\(reason); falling back to the next usable channel"])
        }
    }
}
