import Foundation
import Testing
import VarselCore
@testable import VarselPostgres
import VarselStore
import VarselTestSupport

/// PostgreSQL keeps the messages by state in `message_counts` (rows added by statement triggers,
/// folded at every heartbeat) instead of counting the table at every `/metrics` scrape.
@Suite struct PostgresCountsTests {
    static func truth(_ store: any MessageStore) async throws -> [MessageState: Int] {
        var counts: [MessageState: Int] = [:]
        for line in try await inspect(store, "SELECT state || ' ' || count(*) FROM messages GROUP BY state").compactMap({ $0 }) {
            let parts = line.split(separator: " ")
            counts[MessageState(rawValue: String(parts[0]))!] = Int(parts[1])!
        }
        return counts
    }

    @Test("the kept counts by state match a count of the table through a migration of a store that holds messages, enqueue, lease, send, cancel, reclaim, retention and folds")
    func countsStayTrue() async throws {
        let settings = try await StoreBackend.newDatabase()
        // A store from before the counts were kept, already holding messages.
        let older = try await PostgresMessageStore(settings: settings, logger: quietLogger)
        try await execute(older, "DROP TABLE message_counts")
        try await execute(older, "DROP FUNCTION count_inserted_messages, count_updated_messages, count_deleted_messages CASCADE")
        try await execute(older, "DELETE FROM schema_migrations WHERE version = 'v6-message-counts'")
        for (index, state) in ["queued", "queued", "sent", "failed"].enumerated() {
            try await execute(older, """
                INSERT INTO messages (id, request_hash, kind, request, state, ready_at, created_at, updated_at)
                VALUES (?, 'h', 'reminder', '{}', ?, now() + interval '1 year', now() - interval '1 year', now() - interval '1 year')
                """, ["old-\(index)", state])
        }
        await older.close()
        let store = try await PostgresMessageStore(settings: settings, logger: quietLogger)
        #expect(try await store.countByState() == [.queued: 2, .sent: 1, .failed: 1])

        let validator = MessageValidator(kinds: KindRule.shipped)
        let requests = try (1...5).map { try validator.validate(json: Array(Fixtures.sms(key: "c\($0)").utf8)).get() }
        _ = try await store.enqueue(requests, now: Date())
        #expect(try await store.countByState() == (try await Self.truth(store)))
        let leased = try await store.lease(owner: "w", limit: 3, now: Date(), leaseDuration: 60)
        #expect(leased.count == 3)
        #expect(try await store.countByState() == (try await Self.truth(store)))
        let sending = try #require(leased.first)
        let started = try await store.prepare(
            [StoreTests.plannedSend(sending.lease)], starting: [StoreTests.start(sending.lease)], now: Date())
        let attempt = try #require(started.started[sending.lease.messageID]?.attemptID)
        _ = try await store.complete([
            Completion(
                lease: sending.lease, attemptID: attempt, gateway: "g", outcome: .accepted, httpStatus: 202, providerID: "p1", latencyMs: 3, error: nil,
                state: .sent, reason: nil),
        ], now: Date())
        #expect(try await store.countByState() == (try await Self.truth(store)))
        _ = try await store.cancel(ids: ["old-0"], caseRef: nil, reason: "test", now: Date())
        _ = try await store.reclaim(owners: ["w"], now: Date())
        #expect(try await store.countByState() == (try await Self.truth(store)))
        let rowsBeforeFold = try await inspect(store, "SELECT count(*) FROM message_counts")
        try await store.heartbeat(runID: "none", now: Date())
        let states = try await Self.truth(store)
        #expect(try await inspect(store, "SELECT count(*) FROM message_counts") == ["\(states.count)"], "folded from \(rowsBeforeFold)")
        #expect(try await store.countByState() == states)
        _ = try await store.sweepRetention(
            contentBefore: Date().addingTimeInterval(3600), recordsBefore: Date().addingTimeInterval(3600), dryRun: false, now: Date())
        let after = try await Self.truth(store)
        #expect(after[.sent] == nil && after[.failed] == nil && after[.cancelled] == nil, "the finished records were swept: \(after)")
        #expect(try await store.countByState() == after)
    }

    @Test("two daemons enqueueing, leasing and folding at once lose no change: the kept counts match the table")
    func concurrentFolds() async throws {
        let settings = try await StoreBackend.newDatabase()
        let first = try await PostgresMessageStore(settings: settings, logger: quietLogger)
        let second = try await PostgresMessageStore(settings: settings, logger: quietLogger)
        let validator = MessageValidator(kinds: KindRule.shipped)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (name, store) in [("a", first), ("b", second)] {
                group.addTask {
                    for round in 0..<15 {
                        let requests = try (0..<8).map {
                            try validator.validate(json: Array(Fixtures.sms(key: "\(name)-\(round)-\($0)").utf8)).get()
                        }
                        _ = try await store.enqueue(requests, now: Date())
                        _ = try await store.lease(owner: name, limit: 5, now: Date(), leaseDuration: 60)
                        try await store.heartbeat(runID: name, now: Date())
                    }
                }
            }
            try await group.waitForAll()
        }
        let truth = try await Self.truth(first)
        #expect(truth[.queued] == 90 && truth[.sending] == 150, "\(truth)")
        #expect(try await first.countByState() == truth)
        #expect(try await second.countByState() == truth)
        try await first.heartbeat(runID: "a", now: Date())
        #expect(try await second.countByState() == truth)
    }
}
