import Foundation
import Testing
import VarselCore
@testable import VarselPostgres
import VarselStore
import VarselTestSupport

/// PostgreSQL keeps a message's decision trail as one row for each write (`v8-decision-rows`).
@Suite struct PostgresDecisionRowsTests {
    @Test("a store from before v8 keeps every decision of every message, in order; a write after the migration adds one row of several texts")
    func trailMigrated() async throws {
        let settings = try await StoreBackend.newDatabase()
        // A store as v7 left it: one text a row, read in the order of the row's id.
        let older = try await PostgresMessageStore(settings: settings, logger: quietLogger)
        try await execute(older, "ALTER TABLE decisions ADD COLUMN text text")
        try await execute(older, "ALTER TABLE decisions DROP COLUMN texts")
        try await execute(older, "DELETE FROM schema_migrations WHERE version = 'v8-decision-rows'")
        for id in ["m1", "m2"] {
            try await execute(older, """
                INSERT INTO messages (id, request_hash, kind, request, state, ready_at, created_at, updated_at)
                VALUES (?, 'h', 'reminder', '{}', 'queued', now() + interval '1 year', now(), now())
                """, [id])
        }
        for (id, text) in [("m1", "first \"quoted\""), ("m2", "other's"), ("m1", "second"), ("m1", "third")] {
            try await execute(older, "INSERT INTO decisions (message_id, at, text) VALUES (?, now(), ?)", [id, text])
        }
        await older.close()

        let store = try await PostgresMessageStore(settings: settings, logger: quietLogger)
        #expect(store.migrationsApplied == ["v8-decision-rows"])
        #expect(try await store.status(id: "m1")?.decisions.map(\.text) == ["first \"quoted\"", "second", "third"])
        #expect(try await store.status(id: "m2")?.decisions.map(\.text) == ["other's"])

        let odd = "gateway said: \"no\"\nline two\t\\ æøå 😀"
        _ = try await store.cancel(ids: ["m2"], caseRef: nil, reason: odd, now: Date())
        #expect(try await store.status(id: "m2")?.decisions.map(\.text) == ["other's", "cancelled: " + odd])
        #expect(try await inspect(store, "SELECT count(*) FROM decisions WHERE message_id = 'm2'") == ["2"])
    }

    @Test("a plan's texts and an outcome's are one row each, read back one text at a time in the order written")
    func oneRowPerWrite() async throws {
        let directory = TemporaryDirectory()
        let store = try await StoreBackend.postgres.makeStore(directory)
        let validator = MessageValidator(kinds: KindRule.shipped)
        _ = try await store.enqueue([try validator.validate(json: Array(Fixtures.sms(key: "rows").utf8)).get()], now: Date())
        let leased = try #require(try await store.lease(owner: "w", limit: 1, now: Date(), leaseDuration: 60).first)
        let planned = ["sms chosen: first preference", "tone: direct", "locale: nb"]
        let send = PlannedSend(
            lease: leased.lease, locale: "nb", tone: .direct, content: StoreTests.content(), decisions: planned, gateway: "g",
            idempotencyKey: "\(leased.lease.messageID).sms")
        let started = try await store.prepare([.send(send)], starting: [StoreTests.start(leased.lease)], now: Date())
        let attempt = try #require(started.started[leased.lease.messageID]?.attemptID)
        let outcome = ["accepted by the gateway", "sent"]
        _ = try await store.complete([
            Completion(
                lease: leased.lease, attemptID: attempt, gateway: "g", outcome: .accepted, httpStatus: 202, providerID: "p1", latencyMs: 3, error: nil,
                state: .sent, reason: nil, decisions: outcome),
        ], now: Date())
        let trail = try #require(try await store.status(id: leased.lease.messageID)).decisions.map(\.text)
        #expect(trail == planned + outcome)
        #expect(try await inspect(store, "SELECT count(*) FROM decisions WHERE message_id = ?", [leased.lease.messageID]) == ["2"])
    }
}
