import Foundation
import Synchronization
import Testing
import VarselCore
@testable import VarselDaemon
import VarselGateways
import VarselStore

/// The send loop's hand-overs as data: the lanes where sends wait for a gateway's connection.
@Suite struct SendHandOffTests {
    static func queued(_ id: String, gateway: String = "g") -> QueuedSend {
        let lease = LeaseRef(messageID: id, token: "t-\(id)")
        let send = PlannedSend(
            lease: lease, locale: "nb", tone: .direct, content: StoreTests.content(), decisions: [], gateway: gateway, idempotencyKey: "\(id).sms")
        let request = StoreTests.request(id)
        return QueuedSend(
            send: send, message: OutboundMessage(messageID: id, idempotencyKey: "\(id).sms", recipient: request.recipient, content: send.content),
            leased: LeasedMessage(lease: lease, request: request, createdAt: Date(), previous: nil))
    }

    /// Waits, within a generous bound, for what `next()` hands over.
    static func next(_ lanes: SendLanes) async throws -> [String] {
        let task = Task { await lanes.next().sends.map(\.messageID) }
        try #require(await BoundedWait.wait(for: task, atMost: .seconds(60)), "the starter was not woken")
        return await task.value
    }

    @Test("sends beyond a gateway's connections wait in arrival order; a freed connection goes to the oldest, never to a send that came later; closing returns the ones still waiting")
    func lanesKeepOrder() async throws {
        let lanes = SendLanes(connections: ["g": 2, "h": 1], queuesAhead: false)
        #expect(lanes.tryAcquire("g") && lanes.tryAcquire("g"))
        #expect(!lanes.tryAcquire("g"), "both connections taken")
        #expect(lanes.wait([Self.queued("a"), Self.queued("b"), Self.queued("c")]))
        // Another gateway's free connection lets its send go at once, alone.
        #expect(lanes.wait([Self.queued("x", gateway: "h")]))
        #expect(try await Self.next(lanes) == ["x"])
        lanes.release("g")
        #expect(!lanes.tryAcquire("g"), "a freed connection is the oldest waiting send's, not a new one's")
        #expect(try await Self.next(lanes) == ["a"])
        lanes.release("g")
        lanes.release("g")
        #expect(try await Self.next(lanes) == ["b", "c"], "what was freed meanwhile goes in one hand-over")
        #expect(lanes.wait([Self.queued("d")]))
        #expect(lanes.close().map(\.messageID) == ["d"])
        #expect(!lanes.wait([Self.queued("e")]) && !lanes.tryAcquire("h"))
        #expect(try await Self.next(lanes).isEmpty, "closed: the starter ends")
    }

    @Test("a starter waiting for a connection is woken by the release that frees one")
    func releaseWakesTheStarter() async throws {
        let lanes = SendLanes(connections: ["g": 1], queuesAhead: false)
        #expect(lanes.tryAcquire("g"))
        #expect(lanes.wait([Self.queued("a")]))
        let waiting = Task { await lanes.next().sends.map(\.messageID) }
        // The starter may or may not be waiting yet; either way the release reaches it.
        lanes.release("g")
        try #require(await BoundedWait.wait(for: waiting, atMost: .seconds(60)))
        #expect(await waiting.value == ["a"])
    }

    @Test("sends let go by a freed connection carry when they took it, not when they were queued: the time they hold it before their requests leave counts from there")
    func connectedTimeIsTheRelease() async throws {
        let lanes = SendLanes(connections: ["g": 1], queuesAhead: false)
        #expect(lanes.tryAcquire("g"))
        #expect(lanes.wait([Self.queued("a")]))
        let released = ContinuousClock.now
        lanes.release("g")
        let task = Task { await lanes.next() }
        try #require(await BoundedWait.wait(for: task, atMost: .seconds(60)))
        let connected = await task.value
        #expect(connected.sends.map(\.messageID) == ["a"])
        #expect(connected.at >= released && connected.at <= ContinuousClock.now)
    }

    /// A clock the test moves.
    final class TestClock: Sendable {
        private let instant = Mutex(ContinuousClock.now)
        var now: ContinuousClock.Instant { instant.withLock { $0 } }
        func advance(_ by: Duration) { instant.withLock { $0 += by } }
    }

    /// Takes slots of `gateway` until none is free; how many.
    static func acquireAll(_ lanes: SendLanes, _ gateway: String = "g") -> Int {
        var taken = 0
        while taken < 10_000, lanes.tryAcquire(gateway) { taken += 1 }
        return taken
    }

    @Test("with a hand-over log, sends wait in the client's queue with their attempts open as many as the gateway answered in the last window: at least its connections again, at most three times them; without one, only its connections")
    func queueAheadFollowsThePace() async throws {
        let clock = TestClock()
        let lanes = SendLanes(connections: ["g": 4], queuesAhead: true, clock: { clock.now })
        // Nothing answered yet: one request more than the connections waiting for each.
        #expect(Self.acquireAll(lanes) == 8)
        // Eight answers in one window, read in the next: eight may wait beyond the connections.
        for _ in 0..<8 { lanes.release("g", answered: true) }
        clock.advance(AnswerPace.window)
        #expect(Self.acquireAll(lanes) == 4 + 8, "the connections and the eight answered in the last window")
        // A fast gateway: 100 answers a window, capped at three times the connections.
        for _ in 0..<12 { lanes.release("g", answered: true) }
        for _ in 0..<88 {
            #expect(lanes.tryAcquire("g"))
            lanes.release("g", answered: true)
        }
        clock.advance(AnswerPace.window)
        #expect(Self.acquireAll(lanes) == 4 + 3 * 4)
        // Sends that never went out give their slots back without counting as answers: a gateway that
        // answered nothing in the last window is back to one request more than its connections.
        for _ in 0..<16 { lanes.release("g") }
        clock.advance(AnswerPace.window)
        #expect(Self.acquireAll(lanes) == 8, "no answer in the last window")

        let plain = SendLanes(connections: ["g": 4], queuesAhead: false, clock: { clock.now })
        for _ in 0..<100 { #expect(plain.tryAcquire("g")); plain.release("g", answered: true) }
        clock.advance(AnswerPace.window)
        #expect(Self.acquireAll(plain) == 4, "without a hand-over log a gateway's connections are the limit, whatever its pace")
    }

    @Test("a waiting send is let go by the pace as well as by a freed slot: the limit read when the starter takes them")
    func waitingSendsFollowThePace() async throws {
        let clock = TestClock()
        let lanes = SendLanes(connections: ["g": 1], queuesAhead: true, clock: { clock.now })
        #expect(Self.acquireAll(lanes) == 2)
        #expect(lanes.wait((0..<5).map { Self.queued("w\($0)") }))
        // Three answers in a window free three slots and raise the limit by two.
        for _ in 0..<3 {
            lanes.release("g", answered: true)
            #expect(try await Self.next(lanes).count == 1, "each freed slot goes to the oldest waiting send")
        }
        clock.advance(AnswerPace.window)
        lanes.release("g", answered: true)
        #expect(try await Self.next(lanes) == ["w3", "w4"], "the freed slot and one more of the pace's")
    }
}
