import Foundation
import Synchronization
import VarselCore
import VarselGateways

/// Picks the gateway for a channel: the first configured one whose circuit is closed (failover to
/// the next while it is open), within its rate limit. Messages that must wait go back to the queue.
final class GatewaySelector: Sendable {
    enum Choice: Sendable {
        case gateway(String, notes: [String])
        /// Nothing may send now: wait until then (no attempt is used).
        case wait(until: Date, reason: String)
        case none
    }

    private struct Health {
        var bucket: TokenBucket?
        var breaker: CircuitBreaker
    }

    private let health: Mutex<[String: Health]>
    private let channels: [Channel: [String]]

    init(channels: [Channel: [String]], gateways: [String: GatewayConfiguration]) {
        self.channels = channels
        var health: [String: Health] = [:]
        for (name, gateway) in gateways {
            health[name] = Health(
                bucket: gateway.rateLimit.map { TokenBucket(rate: $0, burst: gateway.rateBurst ?? $0) },
                breaker: CircuitBreaker(threshold: gateway.breakerFailures, coolDown: gateway.breakerCoolDown))
        }
        self.health = Mutex(health)
    }

    func choose(_ channel: Channel, now: Date) -> Choice {
        guard let names = channels[channel], !names.isEmpty else { return .none }
        return health.withLock { health in
            var notes: [String] = []
            var reopen: Date?
            for name in names {
                guard var entry = health[name] else { continue }
                if case .open(let until) = entry.breaker.state, until > now {
                    notes.append("\(name) skipped: circuit open until \(RFC3339.format(until))")
                    reopen = min(reopen ?? until, until)
                    continue
                }
                if case .halfOpen = entry.breaker.state {
                    notes.append("\(name) skipped: a probe is out after its circuit opened")
                    reopen = min(reopen ?? now.addingTimeInterval(5), now.addingTimeInterval(5))
                    continue
                }
                if entry.bucket != nil, let wait = entry.bucket!.take(now: now) {
                    health[name] = entry
                    return .wait(until: now.addingTimeInterval(wait), reason: "waiting for the rate limit of \(name) (\(Self.rate(entry.bucket!.rate))/s)")
                }
                let probing = entry.breaker.isOpen
                _ = entry.breaker.allows(now: now)
                health[name] = entry
                if probing { notes.append("\(name): circuit half-open, this send is the probe") }
                if name != names[0] { notes.append("failover to \(name)") }
                return .gateway(name, notes: notes)
            }
            let until = reopen ?? now.addingTimeInterval(5)
            return .wait(until: until, reason: "every \(channel.rawValue) gateway is unavailable (circuit open); waiting until \(RFC3339.format(until))")
        }
    }

    /// Feeds a send's outcome to the gateway's circuit breaker.
    func record(gateway: String, outcome: OutcomeClass, now: Date) -> CircuitBreaker.State? {
        health.withLock { health in
            guard var entry = health[gateway] else { return nil }
            entry.breaker.record(failure: outcome == .transient || outcome == .ambiguous, now: now)
            health[gateway] = entry
            return entry.breaker.state
        }
    }

    /// Each daemon sending through a gateway takes an equal share of its `rate_limit`.
    func shareRateLimits(among daemons: Int) {
        health.withLock { health in
            for name in health.keys { health[name]?.bucket?.share(among: daemons) }
        }
    }

    func isOpen(_ gateway: String) -> Bool { health.withLock { $0[gateway]?.breaker.isOpen ?? false } }

    private static func rate(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.2f", value)
    }
}
