import Foundation

/// A token bucket: `rate` requests per second on average, bursts of up to `burst`.
public struct TokenBucket: Sendable, Hashable {
    public let rate: Double
    public let burst: Double
    private var tokens: Double
    private var updated: Date?

    public init(rate: Double, burst: Double) {
        self.rate = rate
        self.burst = max(1, burst)
        self.tokens = max(1, burst)
    }

    /// Takes a token at `now`. Returns nil when one was taken; otherwise how long until one is free.
    public mutating func take(now: Date) -> TimeInterval? {
        if let updated { tokens = min(burst, tokens + max(0, now.timeIntervalSince(updated)) * rate) }
        updated = now
        if tokens >= 1 {
            tokens -= 1
            return nil
        }
        return (1 - tokens) / rate
    }
}
