import Foundation

/// Stops sending to a gateway after `threshold` consecutive transient failures, for `coolDown`;
/// then lets one probe through (half-open): success closes the circuit, failure opens it again.
public struct CircuitBreaker: Sendable, Hashable {
    public enum State: Sendable, Hashable {
        case closed(failures: Int)
        case open(until: Date)
        /// One probe is out; others wait for its result.
        case halfOpen

        public var isOpen: Bool {
            if case .closed = self { return false }
            return true
        }
    }

    public let threshold: Int
    public let coolDown: TimeInterval
    public private(set) var state: State = .closed(failures: 0)

    public init(threshold: Int, coolDown: TimeInterval) {
        self.threshold = max(1, threshold)
        self.coolDown = coolDown
    }

    /// Whether a request may go now. Moves an expired open circuit to half-open and lets that one
    /// request through as the probe.
    public mutating func allows(now: Date) -> Bool {
        switch state {
        case .closed: return true
        case .halfOpen: return false
        case .open(let until):
            guard now >= until else { return false }
            state = .halfOpen
            return true
        }
    }

    /// When a request may next go: nil now, else the time the circuit may half-open (or `now` plus a
    /// short wait while a probe is out).
    public func reopensAt(now: Date) -> Date? {
        switch state {
        case .closed: nil
        case .open(let until): until > now ? until : nil
        case .halfOpen: now.addingTimeInterval(min(coolDown, 5))
        }
    }

    /// Records a result. `failure` means transient or ambiguous: the gateway is not working.
    public mutating func record(failure: Bool, now: Date) {
        switch (state, failure) {
        case (_, false):
            state = .closed(failures: 0)
        case (.closed(let failures), true):
            state = failures + 1 >= threshold ? .open(until: now.addingTimeInterval(coolDown)) : .closed(failures: failures + 1)
        case (.halfOpen, true), (.open, true):
            state = .open(until: now.addingTimeInterval(coolDown))
        }
    }

    public var isOpen: Bool { state.isOpen }
}
