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

/// At most a limit of sends of each gateway handed to the HTTP client at once. The others wait here,
/// in arrival order, before their attempt is opened: a send that waits here has not left, so a crash
/// finds only the started ones ambiguous (or, with the log, only those the client handed over), and a
/// request's timeout never runs while it queues.
///
/// The limit is the gateway's `max_connections`; when the run keeps a hand-over log (``HandOverLog``,
/// `serve`) the client keeps the gateway's requests at `max_connections` and more sends may wait in
/// its queue with their attempts open: as many as the gateway answered in the last ``AnswerPace/window``,
/// at least as many as it has connections and at most three times as many. A fast gateway so takes
/// the sends a batch brings in the commit that plans them (not each group a freed connection lets go
/// in a transaction of its own), and they leave within about a window; a slow gateway, or one that
/// stopped answering (a window without an answer counts none), keeps one request waiting for each
/// connection, as twice the connections did before the pace. 30,000 SMS to nginx at 64
/// connections against twice the connections: rate +10 % and +13 %, CPU a message −7 % and −9 %
/// (medians of two sets of six interleaved pairs, 11 of the 12 above 1); mixed channels, whose
/// gateways are less often at their limits, +7 % (six pairs, within the noise), with a peak RSS
/// 2–4 MiB higher (the requests of the sends waiting in the client's queue are built). Seven times
/// the connections at most did no better than three.
///
/// One consumer (the dispatcher's starter) takes, with ``next()``, every waiting send that a free slot
/// lets go, each with its slot; a slot comes back with ``release(_:answered:)`` when its request
/// finished. Waiting sends are data, not suspended tasks: a freed slot wakes the starter at most once
/// for all the slots freed while it was opening the attempts of the sends before.
final class SendLanes: Sendable {
    private struct Lane {
        /// The gateway's `max_connections`.
        let connections: Int
        /// Whether sends may wait in the HTTP client's queue with their attempts open.
        let queuesAhead: Bool
        /// Slots taken: sends handed to the client, or whose attempts are being opened.
        var held = 0
        var waiting: [QueuedSend] = []
        var pace = AnswerPace()

        init(connections: Int, queuesAhead: Bool) {
            self.connections = max(1, connections)
            self.queuesAhead = queuesAhead
        }

        /// The lane of a gateway the lanes were not given: one send at a time.
        static var unconfigured: Lane { Lane(connections: 1, queuesAhead: false) }

        /// How many times its connections a gateway's sends may wait in the client's queue at most.
        static let aheadAtMost = 3

        /// Slots free at `now`.
        func free(at now: ContinuousClock.Instant) -> Int {
            guard queuesAhead else { return connections - held }
            return connections + min(max(pace.answered(at: now), connections), Self.aheadAtMost * connections) - held
        }
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
        mutating func takeStartable(of gateways: some Sequence<String>, at now: ContinuousClock.Instant) -> Connected {
            var ready: [QueuedSend] = []
            for gateway in gateways {
                guard var lane = lanes[gateway], !lane.waiting.isEmpty else { continue }
                let count = min(lane.free(at: now), lane.waiting.count)
                guard count > 0 else { continue }
                ready += lane.waiting.prefix(count)
                lane.waiting.removeFirst(count)
                lane.held += count
                lanes[gateway] = lane
            }
            return ready.isEmpty ? .empty : Connected(sends: ready, at: now)
        }

        /// When the consumer waits and `gateways` let sends go: the consumer, to be resumed with them.
        mutating func wakeConsumer(
            for gateways: some Sequence<String>, at now: ContinuousClock.Instant
        ) -> (CheckedContinuation<Connected, Never>, Connected)? {
            guard let consumer else { return nil }
            let ready = takeStartable(of: gateways, at: now)
            guard !ready.sends.isEmpty else { return nil }
            self.consumer = nil
            return (consumer, ready)
        }
    }

    private let state: Mutex<State>
    private let clock: @Sendable () -> ContinuousClock.Instant

    /// `connections`: each gateway's `max_connections`; `queuesAhead`: whether the run keeps a
    /// hand-over log, so that sends may wait in the client's queue with their attempts open.
    init(connections: [String: Int], queuesAhead: Bool, clock: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        state = Mutex(State(lanes: connections.mapValues { Lane(connections: $0, queuesAhead: queuesAhead) }))
        self.clock = clock
    }

    /// Takes a free slot of `gateway` if there is one now, without waiting. A slot is free only
    /// when no send waits for one, so this never overtakes a waiting send.
    func tryAcquire(_ gateway: String) -> Bool {
        let now = clock()
        return state.withLock { state in
            guard !state.closed else { return false }
            var lane = state.lanes[gateway] ?? .unconfigured
            guard lane.free(at: now) > 0, lane.waiting.isEmpty else { return false }
            lane.held += 1
            state.lanes[gateway] = lane
            return true
        }
    }

    /// Queues sends to wait for a slot of their gateway. False once ``close()`` was called: they
    /// must not start.
    func wait(_ sends: [QueuedSend]) -> Bool {
        guard !sends.isEmpty else { return true }
        let now = clock()
        let wake = state.withLock { state -> ((CheckedContinuation<Connected, Never>, Connected)?, Bool) in
            guard !state.closed else { return (nil, false) }
            var gateways: Set<String> = []
            for send in sends {
                state.lanes[send.gateway, default: .unconfigured].waiting.append(send)
                gateways.insert(send.gateway)
            }
            return (state.wakeConsumer(for: gateways, at: now), true)
        }
        if let (consumer, ready) = wake.0 { consumer.resume(returning: ready) }
        return wake.1
    }

    /// Gives a slot back: to the oldest send waiting for it, if any. `answered`: the gateway answered
    /// its request (or the client gave up on it), which counts in the gateway's pace; false for a send
    /// that never went out.
    func release(_ gateway: String, answered: Bool = false) {
        let now = clock()
        let wake = state.withLock { state -> (CheckedContinuation<Connected, Never>, Connected)? in
            guard state.lanes[gateway] != nil else { return nil }
            state.lanes[gateway]!.held -= 1
            if answered { state.lanes[gateway]!.pace.count(at: now) }
            return state.wakeConsumer(for: CollectionOfOne(gateway), at: now)
        }
        if let (consumer, ready) = wake { consumer.resume(returning: ready) }
    }

    /// The waiting sends that free slots let go now, each holding its slot, and when they took them;
    /// waits until there is one. Empty once closed. One consumer at a time.
    func next() async -> Connected {
        let now = clock()
        return await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Connected? in
                if state.closed { return .empty }
                let ready = state.takeStartable(of: Array(state.lanes.keys), at: now)
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

/// How many requests a gateway answered in the last whole window of time: how many more sends its
/// lane lets wait in the HTTP client's queue with their attempts open (``SendLanes``).
struct AnswerPace {
    static let window: Duration = .milliseconds(50)

    private var windowStart: ContinuousClock.Instant?
    private var current = 0
    private var previous = 0

    /// Counts an answer at `now`.
    mutating func count(at now: ContinuousClock.Instant) {
        roll(to: now)
        current += 1
    }

    /// Answers in the last whole window before `now`: none when the gateway answered nothing in it.
    func answered(at now: ContinuousClock.Instant) -> Int {
        guard let windowStart else { return 0 }
        let age = now - windowStart
        if age < Self.window { return previous }
        return age < Self.window * 2 ? current : 0
    }

    private mutating func roll(to now: ContinuousClock.Instant) {
        guard let start = windowStart else {
            windowStart = now
            return
        }
        let age = now - start
        guard age >= Self.window else { return }
        // Whole windows passed: the one just ended becomes the previous one (none if more than one ended).
        previous = age < Self.window * 2 ? current : 0
        current = 0
        windowStart = start + Self.window * Int(age / Self.window)
    }
}
