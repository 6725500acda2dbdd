import Foundation
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
        let lanes = SendLanes(limits: ["g": 2, "h": 1])
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
        let lanes = SendLanes(limits: ["g": 1])
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
        let lanes = SendLanes(limits: ["g": 1])
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
}
