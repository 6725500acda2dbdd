import Foundation
import Testing
import VarselCore
@testable import VarselStore
import VarselTestSupport

/// Case events on every store: a stopping event cancels what was not handed to a gateway, in one
/// transaction with the event, and refuses later enqueues until the case reopens.
@Suite struct CaseEventStoreTests {
    typealias Helpers = StoreTests

    static func message(_ key: String, case caseRef: String = "inv-1", kind: String = "reminder") -> MessageRequest {
        var request = Helpers.request(key)
        request.caseRef = caseRef
        request.kind = kind
        return request
    }

    static func event(_ type: CaseEventType, case caseRef: String = "inv-1", amount: String? = nil, key: String? = nil) -> CaseEventRequest {
        CaseEventRequest(caseRef: caseRef, type: type, amount: amount, idempotencyKey: key)
    }

    static func ids(_ outcomes: [EnqueueOutcome]) -> [String] {
        outcomes.compactMap { if case .created(let id) = $0 { id } else { nil } }
    }

    @Test("paid cancels the case's queued and leased-but-unstarted messages, reports the started one as already sent, spares other cases and receipts", arguments: StoreBackend.allCases)
    func paidCancels(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        let store = try await backend.makeStore(directory)
        let now = Date()
        let ids = Self.ids(try await store.enqueue(
            [Self.message("q1"), Self.message("q2"), Self.message("other", case: "inv-2"), Self.message("receipt", kind: "payment_received")], now: now))
        #expect(ids.count == 4)
        // q1 and q2 are leased; q1's request is handed to the gateway, q2's is not yet.
        let leased = try await store.lease(owner: "w", limit: 10, now: now, leaseDuration: 60).filter { [ids[0], ids[1]].contains($0.lease.messageID) }
        #expect(leased.count == 2)
        _ = try await store.prepare(leased.map { Helpers.plannedSend($0.lease) }, now: now)
        let first = try #require(leased.first { $0.lease.messageID == ids[0] })
        #expect(try await store.start([Helpers.start(first.lease)], now: now)[ids[0]]?.attemptID != nil)
        let second = try #require(leased.first { $0.lease.messageID == ids[1] })

        guard case .recorded(let event, let standing, let cancel) = try await store.recordCaseEvent(Self.event(.paid), caseStops: .shipped, now: now) else {
            Issue.record("not recorded")
            return
        }
        #expect(event.type == .paid && event.caseRef == "inv-1")
        #expect(standing.name == "paid")
        #expect(cancel.cancelled == [ids[1]])
        #expect(cancel.alreadySent == [ids[0]])
        // The worker holding q2's lease cannot open its attempt: the fence is gone.
        #expect(try await store.start([Helpers.start(second.lease)], now: now)[ids[1]] == nil)
        #expect(try await store.status(id: ids[1])?.state == .cancelled)
        #expect(try await store.status(id: ids[1])?.decisions.last?.text.contains("case paid (event \(event.id))") == true)
        #expect(try await store.status(id: ids[2])?.state != .cancelled, "another case is untouched")
        #expect(try await store.status(id: ids[3])?.state != .cancelled, "a receipt does not demand payment")
    }

    @Test("one enqueue of several messages answers each as if stored one by one: a key repeated in the batch, a refused line before a later one with its key", arguments: StoreBackend.allCases)
    func batchAnswersInOrder(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        let store = try await backend.makeStore(directory)
        let now = Date()
        _ = try await store.recordCaseEvent(Self.event(.paid, case: "inv-paid"), caseStops: .shipped, now: now)
        var other = Self.message("k1")
        other.data["creditor"] = .string("Another AS")
        let batch = [
            Self.message("k1"),  // stored
            Self.message("k1"),  // the same again: a duplicate of the first
            other,  // the key with another body: a conflict
            Self.message("k2", case: "inv-paid"),  // refused: its case is paid, and no k2 was stored before it
            Self.message("k2"),  // stored: the refused line before it stored nothing
            Helpers.request(),  // no key: stored
            Self.message("k3", case: "inv-paid"),  // refused
        ]
        let outcomes = try await store.enqueue(batch, now: now, caseStops: .shipped)
        #expect(outcomes.count == batch.count)
        guard case .created(let first)? = outcomes.first, case .created(let k2) = outcomes[4] else {
            Issue.record("not created: \(outcomes)")
            return
        }
        #expect(outcomes[1] == .duplicate(id: first))
        #expect(outcomes[2] == .conflict(existingID: first))
        if case .refused = outcomes[3] {} else { Issue.record("line 4 should be refused: \(outcomes[3])") }
        if case .created = outcomes[5] {} else { Issue.record("line 6 should be stored: \(outcomes[5])") }
        if case .refused = outcomes[6] {} else { Issue.record("line 7 should be refused: \(outcomes[6])") }
        // Again, in another enqueue: the stored keys answer as before, the paid case's k2 now finds its key.
        let again = try await store.enqueue([Self.message("k1"), Self.message("k2", case: "inv-paid")], now: now, caseStops: .shipped)
        #expect(again[0] == .duplicate(id: first))
        #expect(again[1] == .conflict(existingID: k2))
        #expect(try await store.countByState()[.queued] == 3)
    }

    @Test("a stopped case refuses new demands but takes a retry of an accepted one and a receipt; dispute_resolved and reopened open it again", arguments: StoreBackend.allCases)
    func stoppedCaseRefusesEnqueues(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        let store = try await backend.makeStore(directory)
        let now = Date()
        let accepted = Self.ids(try await store.enqueue([Self.message("before")], now: now))
        _ = try await store.recordCaseEvent(Self.event(.disputed), caseStops: .shipped, now: now)
        let refused = try await store.enqueue([Self.message("during"), Self.message("elsewhere", case: "inv-2"), Self.message("thanks", kind: "payment_received")], now: now)
        guard case .refused(let reason) = refused[0] else {
            Issue.record("not refused: \(refused)")
            return
        }
        #expect(reason.contains("case inv-1 is stopped: disputed"))
        #expect(reason.contains("dispute_resolved"))
        if case .created = refused[1] {} else { Issue.record("another case was refused: \(refused[1])") }
        if case .created = refused[2] {} else { Issue.record("a receipt was refused: \(refused[2])") }
        #expect(try await store.enqueue([Self.message("before")], now: now) == [.duplicate(id: accepted[0])], "a retry names the message accepted before")
        #expect(try await store.list(caseRef: "inv-1", state: nil, limit: 10, after: nil).count == 2, "nothing stored for the refusal")

        _ = try await store.recordCaseEvent(Self.event(.disputeResolved), caseStops: .shipped, now: now)
        if case .created = try await store.enqueue([Self.message("after-dispute")], now: now)[0] {} else { Issue.record("still refused after dispute_resolved") }
        _ = try await store.recordCaseEvent(Self.event(.paid), caseStops: .shipped, now: now)
        _ = try await store.recordCaseEvent(Self.event(.disputeResolved), caseStops: .shipped, now: now)
        if case .refused = try await store.enqueue([Self.message("paid-then-resolved")], now: now)[0] {} else {
            Issue.record("dispute_resolved must not reopen a paid case")
        }
        _ = try await store.recordCaseEvent(Self.event(.reopened), caseStops: .shipped, now: now)
        if case .created = try await store.enqueue([Self.message("reopened")], now: now)[0] {} else { Issue.record("still refused after reopened") }
        let events = try await store.caseEvents(caseRefs: ["inv-1", "inv-9"])
        #expect(events["inv-1"]?.map(\.type) == [.disputed, .disputeResolved, .paid, .disputeResolved, .reopened])
        #expect(events["inv-9"] == nil)
    }

    @Test("a batch's cases' events are read together: each case's own, in the order recorded, over more cases than one statement asks for", arguments: StoreBackend.allCases)
    func eventsOfManyCases(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        let store = try await backend.makeStore(directory)
        let now = Date()
        // 150 cases (SQLite asks 64 at a time), each with its own sequence of events, recorded interleaved.
        let cases = (0..<150).map { "inv-\($0)" }
        let sequences: [[CaseEventType]] = [[.disputed, .disputeResolved], [.partiallyPaid, .planAgreed, .reopened], [.paid]]
        for round in 0..<3 {
            for (index, caseRef) in cases.enumerated() {
                let sequence = sequences[index % sequences.count]
                if round < sequence.count { _ = try await store.recordCaseEvent(Self.event(sequence[round], case: caseRef), caseStops: .shipped, now: now) }
            }
        }
        let events = try await store.caseEvents(caseRefs: Set(cases + ["inv-none"]))
        #expect(events.count == cases.count)
        for (index, caseRef) in cases.enumerated() {
            #expect(events[caseRef]?.map(\.type) == sequences[index % sequences.count], "\(caseRef)")
            #expect(events[caseRef]?.allSatisfy { $0.caseRef == caseRef } == true)
        }
        #expect(events["inv-none"] == nil)
        // A plan's reads give the same events, beside records and steps asked in the same read.
        let planning = try await store.planningReads(recipientIDs: ["nobody"], caseRefs: Set(cases + ["inv-none"]), stepCaseRefs: Set(cases))
        #expect(planning.caseEvents == events && planning.recipients.isEmpty && planning.caseSteps.isEmpty)
    }

    @Test("an event's idempotency key records it once; the same key for another event is a conflict", arguments: StoreBackend.allCases)
    func idempotentEvents(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        let store = try await backend.makeStore(directory)
        let now = Date()
        guard case .recorded(let first, _, _) = try await store.recordCaseEvent(
            Self.event(.partiallyPaid, amount: "400.00", key: "pay-1"), caseStops: .shipped, now: now)
        else {
            Issue.record("not recorded")
            return
        }
        guard case .duplicate(let again, _) = try await store.recordCaseEvent(
            Self.event(.partiallyPaid, amount: "400.00", key: "pay-1"), caseStops: .shipped, now: now.addingTimeInterval(5))
        else {
            Issue.record("a repeat was recorded again")
            return
        }
        #expect(again.id == first.id && again.amount == "400.00")
        #expect(try await store.recordCaseEvent(Self.event(.partiallyPaid, amount: "500.00", key: "pay-1"), caseStops: .shipped, now: now)
            == .conflict(existingID: first.id))
        #expect(try await store.caseEvents(caseRefs: ["inv-1"])["inv-1"]?.count == 1)
    }

    @Test("events racing enqueues of one case: no message is left queued behind a paid", arguments: StoreBackend.allCases)
    func eventRacingEnqueues(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        let store = try await backend.makeStore(directory)
        let now = Date()
        let outcomes = try await withThrowingTaskGroup(of: [EnqueueOutcome].self) { group in
            // A dozen racing enqueues: each waits for the case's lock while holding one of the pool's
            // four connections, so many more only measure how long a loaded machine takes to queue them.
            for index in 0..<12 { group.addTask { try await store.enqueue([Self.message("m\(index)")], now: now) } }
            group.addTask {
                _ = try await store.recordCaseEvent(Self.event(.paid), caseStops: .shipped, now: now)
                return []
            }
            var all: [EnqueueOutcome] = []
            for try await outcome in group { all += outcome }
            return all
        }
        #expect(outcomes.count == 12)
        let queued = try await store.list(caseRef: "inv-1", state: .queued, limit: 100, after: nil)
        #expect(queued.isEmpty, "queued behind the paid event: \(queued.map(\.id))")
    }
}
