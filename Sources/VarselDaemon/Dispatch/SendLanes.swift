import Synchronization
import VarselGateways
import VarselStore

/// A send planned and rendered, kept as data until its attempt opens and its request goes out.
///
/// A class: it waits in a lane and comes back with its result through the curl thread and the
/// recorder's queue, and a reference moves where a copy of its three records would be moved, and
/// the recorder's queue would grow by, each time.
final class QueuedSend: Sendable {
    let send: PlannedSend
    let message: OutboundMessage
    let leased: LeasedMessage

    init(send: PlannedSend, message: OutboundMessage, leased: LeasedMessage) {
        self.send = send
        self.message = message
        self.leased = leased
    }

    var gateway: String { send.gateway }
    var messageID: String { send.lease.messageID }
}

/// At most a limit of sends of each gateway handed to the HTTP client at once: its `max_connections`,
/// or twice that when the run keeps a hand-over log (``HandOverLog``, `serve`), the client then keeping
/// the gateway's requests at `max_connections`. The others wait here, in arrival order, before their
/// attempt is opened: a send that waits here has not left, so a crash finds only the started ones
/// ambiguous (or, with the log, only those the client handed over), and a request's timeout never
/// runs while it queues.
///
/// One consumer (the dispatcher's starter) takes, with ``next()``, every waiting send that a free slot
/// lets go, each with its slot; a slot comes back with ``release(_:)`` when its request finished.
/// Waiting sends are data, not suspended tasks: a freed slot wakes the starter at most once for all
/// the slots freed while it was opening the attempts of the sends before.
final class SendLanes: Sendable {
    private struct Lane {
        var free: Int
        var waiting: [QueuedSend] = []
    }

    /// Sends that took their slots together, and when.
    struct Connected: Sendable {
        let sends: [QueuedSend]
        /// When they took their slots: the time each then holds a connection of its gateway before its
        /// request leaves (the commit that opens its attempt) counts from here.
        let at: ContinuousClock.Instant

        static let empty = Connected(sends: [], at: .now)
    }

    private struct State {
        var lanes: [String: Lane]
        var closed = false
        var consumer: CheckedContinuation<Connected, Never>?

        /// Takes every waiting send that has a free slot now, oldest first, with its slot.
        mutating func takeStartable(of gateways: some Sequence<String>) -> Connected {
            var ready: [QueuedSend] = []
            for gateway in gateways {
                guard var lane = lanes[gateway], lane.free > 0, !lane.waiting.isEmpty else { continue }
                let count = min(lane.free, lane.waiting.count)
                ready += lane.waiting.prefix(count)
                lane.waiting.removeFirst(count)
                lane.free -= count
                lanes[gateway] = lane
            }
            return ready.isEmpty ? .empty : Connected(sends: ready, at: .now)
        }

        /// When the consumer waits and `gateways` let sends go: the consumer, to be resumed with them.
        mutating func wakeConsumer(for gateways: some Sequence<String>) -> (CheckedContinuation<Connected, Never>, Connected)? {
            guard let consumer else { return nil }
            let ready = takeStartable(of: gateways)
            guard !ready.sends.isEmpty else { return nil }
            self.consumer = nil
            return (consumer, ready)
        }
    }

    private let state: Mutex<State>

    init(limits: [String: Int]) {
        state = Mutex(State(lanes: limits.mapValues { Lane(free: max(1, $0)) }))
    }

    /// Takes a free slot of `gateway` if there is one now, without waiting. A slot is free only
    /// when no send waits for one, so this never overtakes a waiting send.
    func tryAcquire(_ gateway: String) -> Bool {
        state.withLock { state in
            guard !state.closed else { return false }
            var lane = state.lanes[gateway] ?? Lane(free: 1)
            guard lane.free > 0, lane.waiting.isEmpty else { return false }
            lane.free -= 1
            state.lanes[gateway] = lane
            return true
        }
    }

    /// Queues sends to wait for a slot of their gateway. False once ``close()`` was called: they
    /// must not start.
    func wait(_ sends: [QueuedSend]) -> Bool {
        guard !sends.isEmpty else { return true }
        let wake = state.withLock { state -> ((CheckedContinuation<Connected, Never>, Connected)?, Bool) in
            guard !state.closed else { return (nil, false) }
            var gateways: Set<String> = []
            for send in sends {
                state.lanes[send.gateway, default: Lane(free: 1)].waiting.append(send)
                gateways.insert(send.gateway)
            }
            return (state.wakeConsumer(for: gateways), true)
        }
        if let (consumer, ready) = wake.0 { consumer.resume(returning: ready) }
        return wake.1
    }

    /// Gives a slot back: to the oldest send waiting for it, if any.
    func release(_ gateway: String) {
        let wake = state.withLock { state -> (CheckedContinuation<Connected, Never>, Connected)? in
            guard state.lanes[gateway] != nil else { return nil }
            state.lanes[gateway]!.free += 1
            return state.wakeConsumer(for: CollectionOfOne(gateway))
        }
        if let (consumer, ready) = wake { consumer.resume(returning: ready) }
    }

    /// The waiting sends that free slots let go now, each holding its slot, and when they took them;
    /// waits until there is one. Empty once closed. One consumer at a time.
    func next() async -> Connected {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Connected? in
                if state.closed { return .empty }
                let ready = state.takeStartable(of: Array(state.lanes.keys))
                if !ready.sends.isEmpty { return ready }
                state.consumer = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    var isClosed: Bool { state.withLock { $0.closed } }

    /// Refuses every later send and ends the consumer's wait (shutdown). Returns the sends still
    /// waiting: they stay unstarted.
    func close() -> [QueuedSend] {
        let (consumer, dropped) = state.withLock { state -> (CheckedContinuation<Connected, Never>?, [QueuedSend]) in
            state.closed = true
            var dropped: [QueuedSend] = []
            for gateway in state.lanes.keys {
                dropped += state.lanes[gateway]!.waiting
                state.lanes[gateway]!.waiting = []
            }
            defer { state.consumer = nil }
            return (state.consumer, dropped)
        }
        consumer?.resume(returning: .empty)
        return dropped
    }
}
