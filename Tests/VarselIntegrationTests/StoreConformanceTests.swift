import Foundation
import Testing
import VarselCore
@testable import VarselStore
import VarselTestSupport

/// What every store must do under concurrency and over a message's whole life, run once per store:
/// idempotency decided by the database, cancel racing a lease, erasure, retention, tokens.
@Suite struct StoreConformanceTests {
    typealias Helpers = StoreTests

    @Test("concurrent enqueues with one idempotency key store one message; every caller gets its id (a different request gets a conflict)", arguments: StoreBackend.allCases)
    func concurrentIdempotentEnqueue(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        let store = try await backend.makeStore(directory)
        let now = Date()
        let outcomes = try await withThrowingTaskGroup(of: [EnqueueOutcome].self) { group in
            for _ in 0..<16 { group.addTask { try await store.enqueue([Helpers.request("same-key")], now: now) } }
            var all: [EnqueueOutcome] = []
            for try await outcome in group { all += outcome }
            return all
        }
        let created = outcomes.compactMap { outcome -> String? in if case .created(let id) = outcome { id } else { nil } }
        let duplicates = outcomes.compactMap { outcome -> String? in if case .duplicate(let id) = outcome { id } else { nil } }
        #expect(created.count == 1, "\(outcomes)")
        #expect(duplicates.count == 15)
        #expect(Set(duplicates) == Set(created))
        #expect(try await store.countByState() == [.queued: 1])
        var different = Helpers.request("same-key")
        different.data["creditor"] = .string("Another AS")
        #expect(try await store.enqueue([different], now: now) == [.conflict(existingID: created[0])])
        #expect(try await store.countByState() == [.queued: 1], "nothing stored for the conflict")
    }

    @Test("one enqueue of new keys, keys seen before, a key twice, a different message under a used key and no key: each row's own outcome, in order, and only the new ones counted", arguments: StoreBackend.allCases)
    func mixedOutcomesInOneEnqueue(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        let store = try await backend.makeStore(directory)
        let now = Date()
        guard case .created(let seen) = try await store.enqueue([Helpers.request("seen")], now: now).first else {
            Issue.record("the first message was not created")
            return
        }
        var different = Helpers.request("seen")
        different.data["creditor"] = .string("Another AS")
        let requests = [
            Helpers.request("new-a"), Helpers.request("seen"), Helpers.request("new-b"), different, Helpers.request("new-a"), Helpers.request(nil),
            Helpers.request("new-c"),
        ]
        let outcomes = try await store.enqueue(requests, now: now)
        #expect(outcomes.count == requests.count)
        guard outcomes.count == requests.count, case .created(let a) = outcomes[0], case .created(let b) = outcomes[2],
              case .created(let keyless) = outcomes[5], case .created(let c) = outcomes[6]
        else {
            Issue.record("\(outcomes)")
            return
        }
        #expect(outcomes[1] == .duplicate(id: seen))
        #expect(outcomes[3] == .conflict(existingID: seen))
        #expect(outcomes[4] == .duplicate(id: a))
        #expect(Set([seen, a, b, keyless, c]).count == 5)
        #expect(try await store.countByState() == [.queued: 5])
        // All new: every row created, and counted.
        let fresh = try await store.enqueue([Helpers.request("new-d"), Helpers.request(nil), Helpers.request("new-e")], now: now)
        #expect(fresh.allSatisfy { if case .created = $0 { true } else { false } }, "\(fresh)")
        #expect(try await store.countByState() == [.queued: 8])
    }

    @Test("concurrent leases never hand one message to two workers", arguments: StoreBackend.allCases)
    func concurrentLeases(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        let store = try await backend.makeStore(directory)
        let now = Date()
        _ = try await store.enqueue((0..<200).map { Helpers.request("l\($0)") }, now: now)
        let batches = try await withThrowingTaskGroup(of: [String].self) { group in
            for worker in 0..<8 {
                group.addTask { try await store.lease(owner: "w\(worker)", limit: 40, now: now, leaseDuration: 60).map(\.lease.messageID) }
            }
            var all: [[String]] = []
            for try await batch in group { all.append(batch) }
            return all
        }
        let leased = batches.flatMap { $0 }
        #expect(leased.count == 200)
        #expect(Set(leased).count == 200, "a message was leased twice")
    }

    @Test("cancel racing a lease: either the cancel wins and the worker's fence fails, or the attempt started first and the cancel reports already sent", arguments: StoreBackend.allCases)
    func cancelRacingLease(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        let store = try await backend.makeStore(directory)
        let now = Date()
        let count = 40
        _ = try await store.enqueue((0..<count).map { Helpers.request("race-\($0)") }, now: now)
        let leased = try await store.lease(owner: "w", limit: count, now: now, leaseDuration: 60)
        #expect(try await store.prepare(leased.map { Helpers.plannedSend($0.lease) }, now: now).count == count)
        // Each message's attempt start and its cancel run at the same time.
        let (started, cancelled, alreadySent) = try await withThrowingTaskGroup(of: (String, Bool?, Bool?).self) { group in
            for message in leased {
                group.addTask {
                    let outcome = try await store.start([Helpers.start(message.lease)], now: now)[message.lease.messageID]
                    return (message.lease.messageID, outcome?.attemptID != nil, nil)
                }
                group.addTask {
                    let outcome = try await store.cancel(ids: [message.lease.messageID], caseRef: nil, reason: "paid", now: now)
                    return (message.lease.messageID, nil, outcome.cancelled.contains(message.lease.messageID) ? true : outcome.alreadySent.isEmpty ? nil : false)
                }
            }
            var started: Set<String> = []
            var cancelled: Set<String> = []
            var alreadySent: Set<String> = []
            for try await (id, start, cancel) in group {
                if start == true { started.insert(id) }
                if cancel == true { cancelled.insert(id) }
                if cancel == false { alreadySent.insert(id) }
            }
            return (started, cancelled, alreadySent)
        }
        #expect(started.isDisjoint(with: cancelled), "an attempt opened for a cancelled message: \(started.intersection(cancelled))")
        #expect(started == alreadySent, "a started send must be reported as already sent")
        #expect(started.count + cancelled.count == count)
        for id in cancelled {
            let status = try #require(try await store.status(id: id))
            #expect(status.state == .cancelled && status.attempts.isEmpty)
        }
    }

    @Test("a batch's stored recipients are found together: each known one with its own record, the unknown ones left out", arguments: StoreBackend.allCases)
    func recipientsOfABatch(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        let store = try await backend.makeStore(directory)
        // More than one statement's worth of ids (SQLite asks in chunks), with unknown ones among them.
        let known = (0..<600).map { Recipient(id: "debtor-\($0)", name: "Debtor \($0)", phone: "+47910\(String(format: "%05d", $0))") }
        for recipient in known { _ = try await store.putRecipient(recipient, now: Date()) }
        let asked = Set(known.compactMap(\.id) + (0..<100).map { "nobody-\($0)" })
        let found = try await store.recipients(ids: asked)
        #expect(found.count == known.count)
        for recipient in known { #expect(found[recipient.id!]?.phone == recipient.phone, "\(recipient.id!)") }
        #expect(try await store.recipients(ids: ["debtor-599", "nobody"]).mapValues(\.name) == ["debtor-599": "Debtor 599"])
        // A plan's reads give the same records.
        let planning = try await store.planningReads(recipientIDs: asked, caseRefs: [], stepCaseRefs: [])
        #expect(planning.recipients == found && planning.caseEvents.isEmpty && planning.caseSteps.isEmpty)
    }

    @Test("erasing a recipient: the record goes, unsent messages are cancelled, sent ones keep ids and hashes without contact data", arguments: StoreBackend.allCases)
    func erase(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        let store = try await backend.makeStore(directory)
        let now = Date()
        let recipient = Recipient(id: "debtor-7", name: "Kari Nordmann", phone: "+4791234567", email: "kari@example.no")
        #expect(try await store.putRecipient(recipient, now: now))
        #expect(try await !store.putRecipient(recipient, now: now), "a second put replaces")
        #expect(try await store.recipients(ids: ["debtor-7", "nobody"]).keys.sorted() == ["debtor-7"])
        var first = Helpers.request("e1")
        first.recipient = recipient
        var second = Helpers.request("e2")
        second.recipient = recipient
        _ = try await store.enqueue([first], now: now)
        let leased = try #require(try await store.lease(owner: "w", limit: 1, now: now, leaseDuration: 60).first)
        _ = try await store.prepare([Helpers.plannedSend(leased.lease)], now: now)
        let attempt = try #require(try await store.start([Helpers.start(leased.lease)], now: now)[leased.lease.messageID]?.attemptID)
        _ = try await store.complete([Completion(
            lease: leased.lease, attemptID: attempt, gateway: "g", outcome: .accepted, httpStatus: 202, providerID: "p-e1", latencyMs: 1, error: nil,
            state: .sent, reason: "accepted")], now: now)
        _ = try await store.enqueue([second], now: now)

        let outcome = try #require(try await store.eraseRecipient(id: "debtor-7", now: now))
        #expect(outcome == ErasureOutcome(recordDeleted: true, messagesScrubbed: 2, messagesCancelled: 1))
        #expect(try await store.recipients(ids: ["debtor-7"]).isEmpty)
        let sent = try #require(try await store.status(id: leased.lease.messageID))
        #expect(sent.state == .sent)
        #expect(sent.content == nil, "the rendered body goes")
        #expect(sent.template != nil, "the template version stays as proof")
        let stored = try await inspect(store, "SELECT request FROM messages WHERE id = ?", [leased.lease.messageID]).first ?? nil
        #expect(stored?.contains("Kari") == false && stored?.contains("91234567") == false && stored?.contains("debtor-7") == true, "\(stored ?? "")")
        #expect(try await store.countByState() == [.sent: 1, .cancelled: 1])
        #expect(try await store.eraseRecipient(id: "nobody-known", now: now) == nil)
    }

    @Test("retention: personal data of old finished messages goes, then whole records; a dry run only counts", arguments: StoreBackend.allCases)
    func retention(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        let store = try await backend.makeStore(directory)
        let long = Date().addingTimeInterval(-200 * 86_400)
        let old = Date().addingTimeInterval(-100 * 86_400)
        let now = Date()
        _ = try await store.enqueue([Helpers.request("r-long"), Helpers.request("r-old"), Helpers.request("r-new")], now: long)
        let ids = try await store.list(caseRef: nil, state: nil, limit: 10, after: nil).map(\.id)
        _ = try await store.cancel(ids: [ids[0]], caseRef: nil, reason: "paid", now: long)
        _ = try await store.cancel(ids: [ids[1]], caseRef: nil, reason: "paid", now: old)
        let contentBefore = now.addingTimeInterval(-90 * 86_400)
        let recordsBefore = now.addingTimeInterval(-150 * 86_400)
        let dry = try await store.sweepRetention(contentBefore: contentBefore, recordsBefore: recordsBefore, dryRun: true, now: now)
        #expect(dry == RetentionOutcome(contentPurged: 1, recordsDeleted: 1))
        #expect(try await store.countByState() == [.cancelled: 2, .queued: 1], "a dry run deletes nothing")
        let swept = try await store.sweepRetention(contentBefore: contentBefore, recordsBefore: recordsBefore, dryRun: false, now: now)
        #expect(swept == dry)
        #expect(try await store.status(id: ids[0]) == nil)
        let purged = try #require(try await store.status(id: ids[1]))
        #expect(purged.decisions.last?.text.contains("retention") == true)
        let request = try await inspect(store, "SELECT request FROM messages WHERE id = ?", [ids[1]]).first ?? nil
        #expect(request?.contains("91234567") == false)
        #expect(try await store.sweepRetention(contentBefore: contentBefore, recordsBefore: recordsBefore, dryRun: false, now: now)
            == RetentionOutcome(contentPurged: 0, recordsDeleted: 0), "once only")
        #expect(try await store.status(id: ids[2])?.state == .queued)
    }

    @Test("tokens: only the hash is stored; found by hash, listed, revoked once", arguments: StoreBackend.allCases)
    func tokens(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        let store = try await backend.makeStore(directory)
        let now = Date()
        let created = try await store.createToken(hash: "hash-a", scopes: ["enqueue", "read"], label: "billing", now: now)
        _ = try await store.createToken(hash: "hash-b", scopes: ["admin"], label: nil, now: now.addingTimeInterval(1))
        #expect(try await store.token(hash: "hash-a")?.scopes == ["enqueue", "read"])
        #expect(try await store.token(hash: "nope") == nil)
        #expect(try await store.tokens().map(\.label) == ["billing", nil])
        #expect(try await store.revokeToken(id: created.id, now: now))
        #expect(try await store.token(hash: "hash-a")?.revokedAt != nil)
        #expect(try await !store.revokeToken(id: "tok_unknown", now: now))
    }

    @Test("listing pages through messages in id order, filtered by case and state", arguments: StoreBackend.allCases)
    func listing(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        let store = try await backend.makeStore(directory)
        let now = Date()
        var requests = (0..<5).map { Helpers.request("page-\($0)") }
        for index in requests.indices { requests[index].caseRef = index < 3 ? "A" : "B" }
        _ = try await store.enqueue(requests, now: now)
        let first = try await store.list(caseRef: "A", state: .queued, limit: 2, after: nil)
        #expect(first.count == 2)
        let rest = try await store.list(caseRef: "A", state: .queued, limit: 2, after: first.last?.id)
        #expect(rest.count == 1)
        #expect(first.map(\.id) + rest.map(\.id) == (first.map(\.id) + rest.map(\.id)).sorted())
        #expect(try await store.list(caseRef: nil, state: .sent, limit: 10, after: nil).isEmpty)
        #expect(try await store.list(caseRef: nil, state: nil, limit: 10, after: nil).count == 5)
    }
}
