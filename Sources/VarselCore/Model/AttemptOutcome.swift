/// What became of one request to a gateway.
public enum AttemptOutcome: String, Sendable, Codable, Hashable {
    /// Recorded before the request goes out; replaced by the result. One left behind by a crash
    /// becomes `ambiguous` when its lease is reclaimed.
    case pending
    /// A 2xx reply: the gateway took the message.
    case accepted
    /// The gateway refused it (a non-2xx reply).
    case rejected
    /// The request never reached the gateway (no connection, bad URL).
    case failed
    /// The request may have reached the gateway but no answer was recorded (timeout after sending,
    /// crash). A resend carries the same `Idempotency-Key`.
    case ambiguous
}
