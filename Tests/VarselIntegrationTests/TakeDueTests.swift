import Foundation
import Testing
import VarselCore
@testable import VarselStore
import VarselTestSupport

/// `MessageStore.takeDue`, the dispatcher's read of its next batch: on SQLite the leases are taken by
/// the commit that records the batch's plan, each only if the message is still as it was read; on
/// PostgreSQL at once. What the dispatcher sees must be the same on both.
@Suite struct TakeDueTests {
    typealias Helpers = StoreTests

    static func deferral(_ lease: LeaseRef, until: Date) -> Preparation {
        .deferral(lease: lease, until: until, reason: "outside the contact window", decisions: ["outside the contact window"])
    }

    static func finish(_ lease: LeaseRef) -> Preparation {
        .finish(lease: lease, state: .failed, reason: "no usable channel", decisions: ["no usable channel"])
    }

    /// One message enqueued, taken by `owner` (a lease of 60 s) and planned as a send; its lease.
    static func sendTaken(by owner: String, _ store: any MessageStore, now: Date) async throws -> LeaseRef {
        _ = try await store.enqueue([Helpers.request("one")], now: now)
        let message = try #require(try await store.takeDue(owner: owner, limit: 1, now: now, leaseDuration: 60).first)
        #expect(try await store.prepare([Helpers.plannedSend(message.lease)], now: now) == [message.lease.messageID])
        return message.lease
    }

    @Test("a batch taken to plan: the plan's commit leases each send to its owner, defers and ends the others; nothing is handed out twice", arguments: StoreBackend.allCases)
    func planTakesTheLeases(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        let store = try await backend.makeStore(directory)
        let now = Date()
        _ = try await store.enqueue([Helpers.request("t1"), Helpers.request("t2"), Helpers.request("t3")], now: now)
        let batch = try await store.takeDue(owner: "w", limit: 10, now: now, leaseDuration: 60)
        #expect(batch.count == 3)
        let (send, deferred, ended) = (batch[0].lease, batch[1].lease, batch[2].lease)
        let later = now.addingTimeInterval(1)
        let prepared = try await store.prepare(
            [Helpers.plannedSend(send), Self.deferral(deferred, until: now.addingTimeInterval(3_600)), Self.finish(ended)],
            starting: [Helpers.start(send)], now: later)
        #expect(prepared.held == [send.messageID])
        let attempt = try #require(prepared.started[send.messageID]?.attemptID)

        let sending = try #require(try await store.status(id: send.messageID))
        #expect(sending.state == .sending && sending.attempts.map(\.outcome) == [.pending])
        let waiting = try #require(try await store.status(id: deferred.messageID))
        #expect(waiting.state == .queued && waiting.reason == "outside the contact window")
        #expect(try await store.status(id: ended.messageID)?.state == .failed)
        // Taken by nobody else, and nothing due is left for another take.
        #expect(try await store.takeDue(owner: "other", limit: 10, now: later, leaseDuration: 60).isEmpty)
        #expect(try await store.lease(owner: "other", limit: 10, now: later, leaseDuration: 60).isEmpty)
        // The send's lease holds for what follows, and is its owner's: the outcome is recorded under it.
        let held = try await store.complete([Completion(
            lease: send, attemptID: attempt, gateway: "g", outcome: .accepted, httpStatus: 202, providerID: "p-t1", latencyMs: 1, error: nil,
            state: .sent, reason: "accepted")], now: later)
        #expect(held == [send.messageID])
        #expect(try await store.status(id: send.messageID)?.state == .sent)
    }

    @Test("a send's lease, taken with its plan, is its owner's: a stopped owner's messages are reclaimed, another's are not", arguments: StoreBackend.allCases)
    func claimedLeaseNamesItsOwner(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        let store = try await backend.makeStore(directory)
        let now = Date()
        let lease = try await Self.sendTaken(by: "run-a", store, now: now)
        #expect(try await store.reclaim(owners: ["run-b"], now: now) == 0, "the lease is not run-b's and has not expired")
        #expect(try await store.reclaim(owners: ["run-a"], now: now) == 1)
        #expect(try await store.status(id: lease.messageID)?.state == .queued)
    }

    @Test("a lease taken with the plan expires after lease_seconds like any other", arguments: StoreBackend.allCases)
    func claimedLeaseExpires(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        let store = try await backend.makeStore(directory)
        let now = Date()
        _ = try await Self.sendTaken(by: "run-a", store, now: now)
        #expect(try await store.reclaim(owners: [], now: now.addingTimeInterval(30)) == 0)
        #expect(try await store.reclaim(owners: [], now: now.addingTimeInterval(61)) == 1)
    }

    @Test("a message cancelled after it was taken to plan is not sent: its plan is refused, no attempt opens", arguments: StoreBackend.allCases)
    func cancelledAfterTakeIsNotSent(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        let store = try await backend.makeStore(directory)
        let now = Date()
        _ = try await store.enqueue([Helpers.request("c1"), Helpers.request("c2")], now: now)
        let batch = try await store.takeDue(owner: "w", limit: 10, now: now, leaseDuration: 60)
        #expect(batch.count == 2)
        let (kept, cancelled) = (batch[0].lease, batch[1].lease)
        let outcome = try await store.cancel(ids: [cancelled.messageID], caseRef: nil, reason: "paid", now: now)
        #expect(outcome.cancelled == [cancelled.messageID])
        let prepared = try await store.prepare(
            [Helpers.plannedSend(kept), Helpers.plannedSend(cancelled)], starting: [Helpers.start(kept), Helpers.start(cancelled)], now: now)
        #expect(prepared.held == [kept.messageID])
        #expect(prepared.started.keys.sorted() == [kept.messageID])
        let status = try #require(try await store.status(id: cancelled.messageID))
        #expect(status.state == .cancelled && status.reason == "paid" && status.attempts.isEmpty)
        // Neither can a deferral or an end written under the dropped lease move it.
        _ = try await store.prepare([Self.deferral(cancelled, until: now)], now: now)
        _ = try await store.prepare([Self.finish(cancelled)], now: now)
        #expect(try await store.status(id: cancelled.messageID)?.state == .cancelled)
    }

    @Test("a plan's commit can read the batch after it: on SQLite the messages still due (none of the planned batch), each claimed by its own plan only if unchanged; PostgreSQL, which leases in takeDue, reads none", arguments: StoreBackend.allCases)
    func planReadsTheNextBatch(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        let store = try await backend.makeStore(directory)
        let now = Date()
        _ = try await store.enqueue((1...5).map { Helpers.request("n\($0)") }, now: now)
        let first = try await store.takeDue(owner: "w", limit: 2, now: now, leaseDuration: 60)
        #expect(first.count == 2)
        let later = now.addingTimeInterval(1)
        let prepared = try await store.prepare(
            first.map { Helpers.plannedSend($0.lease) }, starting: first.map { Helpers.start($0.lease) }, now: later,
            takingNext: DueQuery(owner: "w", limit: 2, leaseDuration: 60))
        #expect(prepared.held == Set(first.map(\.lease.messageID)))
        guard backend == .sqlite else {
            #expect(prepared.next == nil)
            return
        }
        // The two due after the planned batch, in due order, with leases still to be taken.
        let next = try #require(prepared.next)
        let all = try await store.takeDue(owner: "x", limit: 10, now: later, leaseDuration: 60)
        #expect(next.map(\.lease.messageID) == Array(all.prefix(2)).map(\.lease.messageID))
        #expect(Set(next.map(\.lease.messageID)).isDisjoint(with: first.map(\.lease.messageID)))
        #expect(next.allSatisfy { $0.lease.claim?.owner == "w" && $0.lease.claim?.expiresAt == later.addingTimeInterval(60) })
        #expect(try await store.countByState() == [.sending: 2, .queued: 3], "reading the next batch takes nothing")
        // One of them cancelled meanwhile: the next plan claims the other only.
        _ = try await store.cancel(ids: [next[1].lease.messageID], caseRef: nil, reason: "paid", now: later)
        let second = try await store.prepare(
            next.map { Helpers.plannedSend($0.lease) }, starting: next.map { Helpers.start($0.lease) }, now: later,
            takingNext: DueQuery(owner: "w", limit: 2, leaseDuration: 60))
        #expect(second.held == [next[0].lease.messageID])
        #expect(try await store.status(id: next[1].lease.messageID)?.state == .cancelled)
        #expect(second.next?.count == 1, "the last one due")
        // Nothing left after the last: the batch read is empty.
        let last = try #require(second.next)
        let third = try await store.prepare(
            last.map { Helpers.plannedSend($0.lease) }, starting: [], now: later, takingNext: DueQuery(owner: "w", limit: 2, leaseDuration: 60))
        #expect(third.held.count == 1 && third.next?.isEmpty == true)
    }

    @Test("on SQLite a plan's commit reads the batch after those still held: what the loop read and has not claimed yet is not read again")
    func planReadsPastHeldMessages() async throws {
        let directory = TemporaryDirectory()
        let store = try SQLiteMessageStore(path: directory.file("q.db"))
        let now = Date()
        _ = try await store.enqueue((1...7).map { Helpers.request("h\($0)") }, now: now)
        let all = try await store.takeDue(owner: "w", limit: 10, now: now, leaseDuration: 60).map(\.lease.messageID)
        // The first planned; the second and third read with it and still held (being planned).
        let first = try await store.takeDue(owner: "w", limit: 1, now: now, leaseDuration: 60)
        let held = Array(all[1...2])
        let prepared = try await store.prepare(
            first.map { Helpers.plannedSend($0.lease) }, starting: [], now: now,
            takingNext: DueQuery(owner: "w", limit: 3, leaseDuration: 60, excluding: held))
        #expect(prepared.next?.map(\.lease.messageID) == Array(all[3...5]), "the three due after the held ones, in due order")
        // Past the end: only what is left, none held read twice.
        let rest = try await store.prepare(
            [], starting: [], now: now, takingNext: DueQuery(owner: "w", limit: 10, leaseDuration: 60, excluding: Array(all[1...5])))
        #expect(rest.next?.map(\.lease.messageID) == [all[6]])
        #expect(try await store.countByState() == [.sending: 1, .queued: 6], "reading takes nothing")
    }

    @Test("on SQLite taking a batch writes nothing: until its plan is recorded it is queued, and a batch never recorded is simply due again")
    func takeWritesNothing() async throws {
        let directory = TemporaryDirectory()
        let store = try SQLiteMessageStore(path: directory.file("q.db"))
        let now = Date()
        _ = try await store.enqueue([Helpers.request("w1"), Helpers.request("w2")], now: now)
        let first = try await store.takeDue(owner: "w", limit: 10, now: now, leaseDuration: 60)
        #expect(first.count == 2)
        #expect(try await store.countByState() == [.queued: 2])
        for message in first {
            let status = try #require(try await store.status(id: message.lease.messageID))
            #expect(status.state == .queued && status.attempts.isEmpty && status.decisions.isEmpty)
        }
        // The worker stopped before recording (a crash): nothing to reclaim, the same batch is due.
        #expect(try await store.reclaim(owners: ["w"], now: now) == 0)
        let again = try await store.takeDue(owner: "w2", limit: 10, now: now, leaseDuration: 60)
        #expect(again.map(\.lease.messageID) == first.map(\.lease.messageID))
        #expect(Set(again.map(\.lease.token)).isDisjoint(with: first.map(\.lease.token)), "each take has a token of its own")
    }

    @Test("on SQLite a message another worker leased and put back after it was read is not claimed: it is planned again from what it is now")
    func changedSinceReadIsNotClaimed() async throws {
        let directory = TemporaryDirectory()
        let store = try SQLiteMessageStore(path: directory.file("q.db"))
        let now = Date()
        _ = try await store.enqueue([Helpers.request("a1")], now: now)
        let read = try #require(try await store.takeDue(owner: "run-a", limit: 1, now: now, leaseDuration: 60).first)
        // Another worker leases it, finds it must wait, and puts it back: queued and due again, as read.
        let other = try #require(try await store.lease(owner: "run-b", limit: 1, now: now.addingTimeInterval(1), leaseDuration: 60).first)
        #expect(other.lease.messageID == read.lease.messageID)
        _ = try await store.prepare([Self.deferral(other.lease, until: now.addingTimeInterval(2))], now: now.addingTimeInterval(2))
        #expect(try await store.status(id: read.lease.messageID)?.state == .queued)

        let prepared = try await store.prepare([Helpers.plannedSend(read.lease)], starting: [Helpers.start(read.lease)], now: now.addingTimeInterval(3))
        #expect(prepared.held.isEmpty && prepared.started.isEmpty)
        let status = try #require(try await store.status(id: read.lease.messageID))
        #expect(status.state == .queued && status.reason == "outside the contact window" && status.attempts.isEmpty)
        // Read again, it is claimed.
        let fresh = try #require(try await store.takeDue(owner: "run-a", limit: 1, now: now.addingTimeInterval(4), leaseDuration: 60).first)
        #expect(try await store.prepare([Helpers.plannedSend(fresh.lease)], now: now.addingTimeInterval(4)) == [fresh.lease.messageID])
    }
}
