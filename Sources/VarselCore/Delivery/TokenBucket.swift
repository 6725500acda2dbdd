import Foundation

/// A token bucket: `rate` requests per second on average, bursts of up to `burst`.
public struct TokenBucket: Sendable, Hashable {
    /// The configured rate and burst: the total over every daemon that shares the gateway.
    public let totalRate: Double
    public let totalBurst: Double
    /// This daemon's part of them (`share`).
    public private(set) var rate: Double
    public private(set) var burst: Double
    private var tokens: Double
    private var updated: Date?

    public init(rate: Double, burst: Double) {
        totalRate = rate
        totalBurst = burst
        self.rate = rate
        self.burst = max(1, burst)
        self.tokens = max(1, burst)
    }

    /// Takes `1/daemons` of the configured rate and burst, so that the daemons sharing a gateway
    /// together stay within its limit. Tokens beyond the new burst go.
    public mutating func share(among daemons: Int) {
        let count = Double(max(1, daemons))
        rate = totalRate / count
        burst = max(1, totalBurst / count)
        tokens = min(tokens, burst)
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
