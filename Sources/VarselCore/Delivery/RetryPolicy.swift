import Foundation

/// When to try a message again after a transient or ambiguous outcome (`retry.*`): exponential
/// backoff with full jitter between `minBackoff` and `maxBackoff`, at most `maxAttempts` attempts and
/// `maxLifetime` from the enqueue. Waiting for a contact window or a rate limit is not an attempt.
public struct RetryPolicy: Sendable, Hashable {
    public var minBackoff: TimeInterval
    public var maxBackoff: TimeInterval
    public var maxAttempts: Int
    public var maxLifetime: TimeInterval

    public init(minBackoff: TimeInterval = 30, maxBackoff: TimeInterval = 3600, maxAttempts: Int = 10, maxLifetime: TimeInterval = 72 * 3600) {
        self.minBackoff = minBackoff
        self.maxBackoff = maxBackoff
        self.maxAttempts = maxAttempts
        self.maxLifetime = maxLifetime
    }

    /// What to do after a failed attempt.
    public enum Decision: Sendable, Hashable {
        case retry(at: Date)
        /// Out of attempts or lifetime (or past `expires_at`): the reason says which.
        case giveUp(reason: String, expired: Bool)
    }

    /// - Parameters:
    ///   - attempts: attempts made so far, this one included.
    ///   - retryAfter: the gateway's `Retry-After`, honoured when longer than the backoff.
    ///   - unit: a random number in 0..<1 (injected so tests are deterministic).
    public func decide(attempts: Int, createdAt: Date, expiresAt: Date?, now: Date, retryAfter: TimeInterval?, unit: Double) -> Decision {
        if attempts >= maxAttempts {
            return .giveUp(reason: "gave up after \(attempts) attempt\(attempts == 1 ? "" : "s") (retry.max_attempts)", expired: false)
        }
        var delay = backoff(attempt: attempts, unit: unit)
        if let retryAfter, retryAfter > delay { delay = retryAfter }
        let next = now.addingTimeInterval(delay)
        if let expiresAt, next >= expiresAt {
            return .giveUp(reason: "expired at \(RFC3339.format(expiresAt)) before the next attempt", expired: true)
        }
        if next.timeIntervalSince(createdAt) > maxLifetime {
            return .giveUp(reason: "gave up: the next attempt would be past retry.max_lifetime after \(attempts) attempt\(attempts == 1 ? "" : "s")", expired: false)
        }
        return .retry(at: next)
    }

    /// Full jitter: uniform in [minBackoff, min(maxBackoff, minBackoff · 2^(attempt-1))].
    public func backoff(attempt: Int, unit: Double) -> TimeInterval {
        let exponent = Double(max(0, min(attempt - 1, 30)))
        let ceiling = min(maxBackoff, minBackoff * pow(2, exponent))
        return minBackoff + (max(ceiling, minBackoff) - minBackoff) * min(max(unit, 0), 1)
    }
}

/// Durations written like `30s`, `15m`, `1h`, `72h`, `7d` (or plain seconds).
public enum DurationText {
    /// `604800` → `7d`, `3600` → `1h`, `90` → `90s`.
    public static func describe(_ seconds: TimeInterval) -> String {
        let whole = Int(seconds)
        if whole % 86_400 == 0, whole > 0 { return "\(whole / 86_400)d" }
        if whole % 3600 == 0, whole > 0 { return "\(whole / 3600)h" }
        if whole % 60 == 0, whole > 0 { return "\(whole / 60)m" }
        return "\(whole)s"
    }

    public static func seconds(_ text: String) -> TimeInterval? {
        let trimmed = text.trimmed
        guard let last = trimmed.last else { return nil }
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        if let unit = units[last], let value = Double(trimmed.dropLast()), value >= 0, value.isFinite { return value * unit }
        if let value = Double(trimmed), value >= 0, value.isFinite { return value }
        return nil
    }
}
