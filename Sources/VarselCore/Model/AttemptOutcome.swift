/// What became of one request to a gateway, as recorded in the attempt.
public enum AttemptOutcome: String, Sendable, Codable, Hashable {
    /// Recorded before the request goes out; replaced by the result. One left behind by a crash
    /// becomes `ambiguous` when its lease is reclaimed.
    case pending
    /// A 2xx reply: the gateway took the message.
    case accepted
    /// Failed in a way worth retrying (no connection, 5xx, 429, 408, …).
    case transient
    /// Refused in a way retrying cannot fix (other 4xx, provider errors); the next channel may help.
    case permanent
    /// The request may have reached the gateway but no answer was recorded (timeout after sending,
    /// crash). A resend carries the same `Idempotency-Key`.
    case ambiguous

    public init(_ outcome: OutcomeClass) {
        switch outcome {
        case .accepted: self = .accepted
        case .transient: self = .transient
        case .permanent: self = .permanent
        case .ambiguous: self = .ambiguous
        }
    }
}
