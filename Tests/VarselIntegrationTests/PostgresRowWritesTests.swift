import Foundation
import Testing
import VarselCore
@testable import VarselPostgres
import VarselStore
import VarselTestSupport

/// What a sent message writes on PostgreSQL: its decision trail one row for each write
/// (`v8-decision-rows`), its attempt counted by the plan's own update of the message.
@Suite struct PostgresRowWritesTests {
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

    @Test("an attempt opens without a new version of its message's row: a batch's sends are written once by their plan, a capped start and one of another batch's send not at all; each attempt is counted with its outcome")
    func attemptsOpenWithoutRowWrites() async throws {
        let directory = TemporaryDirectory()
        let store = try await StoreBackend.postgres.makeStore(directory)
        try await execute(store, "CREATE TABLE row_updates (id text NOT NULL)")
        try await execute(store, """
            CREATE FUNCTION log_row_update() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN INSERT INTO varsel.row_updates VALUES (NEW.id); RETURN NEW; END $$
            """)
        try await execute(store, "CREATE TRIGGER messages_row_updates AFTER UPDATE ON messages FOR EACH ROW EXECUTE FUNCTION log_row_update()")
        let validator = MessageValidator(kinds: KindRule.shipped)
        _ = try await store.enqueue(try (1...4).map { try validator.validate(json: Array(Fixtures.sms(key: "w\($0)").utf8)).get() }, now: Date())
        let leased = try await store.lease(owner: "w", limit: 4, now: Date(), leaseDuration: 60)
        #expect(leased.count == 4)
        try await execute(store, "DELETE FROM row_updates")
        // Three sends of this batch open with the plan, one of them capped; the fourth message was planned before.
        let planned = leased.prefix(3).map { StoreTests.plannedSend($0.lease) }
        let cap = AttemptStart.CapCheck(policy: FrequencyCap(enabled: true), kind: "reminder", recipientKey: "phone:+4791234567")
        let starts = [
            StoreTests.start(leased[0].lease), StoreTests.start(leased[1].lease),
            AttemptStart(lease: leased[2].lease, channel: .sms, gateway: "g", idempotencyKey: "\(leased[2].lease.messageID).sms", cap: cap),
            StoreTests.start(leased[3].lease),
        ]
        let prepared = try await store.prepare(planned, starting: starts, now: Date())
        #expect(prepared.held == Set(leased.prefix(3).map(\.lease.messageID)))
        #expect(leased.allSatisfy { prepared.started[$0.lease.messageID]?.attemptID != nil }, "\(prepared.started)")
        let updates = try await inspect(store, "SELECT id FROM row_updates").compactMap { $0 }
        let once = Set(leased.prefix(2).map(\.lease.messageID))
        #expect(updates.filter { once.contains($0) }.count == 2, "the two uncapped sends of the batch: their plan only; \(updates)")
        #expect(updates.filter { $0 == leased[2].lease.messageID }.count == 1, "the capped one: its plan only; \(updates)")
        #expect(updates.filter { $0 == leased[3].lease.messageID }.isEmpty, "planned before: no write; \(updates)")
        for message in leased {
            #expect(try await inspect(store, "SELECT attempt_count FROM messages WHERE id = ?", [message.lease.messageID]) == ["0"])
            #expect(try await store.status(id: message.lease.messageID)?.attempts.map(\.outcome) == [.pending])
        }
        // Their outcomes count them: each message's row is written once more, and counts one attempt.
        try await execute(store, "DELETE FROM row_updates")
        let completions = leased.map { message in
            Completion(
                lease: message.lease, attemptID: prepared.started[message.lease.messageID]?.attemptID ?? 0, gateway: "g", outcome: .accepted,
                httpStatus: 202, providerID: "p-\(message.lease.messageID)", latencyMs: 1, error: nil, state: .sent, reason: "accepted")
        }
        #expect(try await store.complete(completions, now: Date()) == Set(leased.map(\.lease.messageID)))
        #expect(try await inspect(store, "SELECT count(*) FROM row_updates") == ["4"])
        for message in leased {
            #expect(try await inspect(store, "SELECT attempt_count FROM messages WHERE id = ?", [message.lease.messageID]) == ["1"])
        }
    }

    @Test("the messages have no index on their state alone, which every change of state wrote to; the list of messages by state still finds them")
    func noStateIndex() async throws {
        let directory = TemporaryDirectory()
        let store = try await StoreBackend.postgres.makeStore(directory)
        let indexes = try await inspect(store, "SELECT indexname FROM pg_indexes WHERE schemaname = 'varsel' AND tablename = 'messages' ORDER BY indexname")
        #expect(!indexes.contains("messages_state") && indexes.contains("messages_ready"), "\(indexes)")
        let validator = MessageValidator(kinds: KindRule.shipped)
        _ = try await store.enqueue(try (1...3).map { try validator.validate(json: Array(Fixtures.sms(key: "s\($0)").utf8)).get() }, now: Date())
        let leased = try #require(try await store.lease(owner: "w", limit: 1, now: Date(), leaseDuration: 60).first)
        let sending = try await store.list(caseRef: nil, state: .sending, limit: 10, after: nil)
        #expect(sending.map(\.id) == [leased.lease.messageID])
        #expect(try await store.list(caseRef: nil, state: .queued, limit: 10, after: nil).count == 2)
    }

    @Test("a message's rendered content is compressed with LZ4 (v11) where the server has it, and reads back whole")
    func contentCompressedWithLZ4() async throws {
        let directory = TemporaryDirectory()
        let store = try await StoreBackend.postgres.makeStore(directory)
        let lz4 = try await inspect(store, "SELECT ('lz4' = ANY (enumvals))::text FROM pg_settings WHERE name = 'default_toast_compression'")
        try #require(lz4 == ["true"], "the test cluster's PostgreSQL (Debian's) has LZ4: \(lz4)")
        #expect(try await inspect(store, "SELECT attcompression::text FROM pg_attribute WHERE attrelid = 'varsel.messages'::regclass AND attname = 'content'") == ["l"])
        let validator = MessageValidator(kinds: KindRule.shipped)
        let outcomes = try await store.enqueue([try validator.validate(json: Array(Fixtures.sms(key: "c1").utf8)).get()], now: Date())
        guard case .created(let id)? = outcomes.first else { Issue.record("not stored: \(outcomes)"); return }
        // Content long enough to be compressed (past the 2 kB a row may hold before it is).
        let content = String(repeating: "<p>Betalingspåminnelse: faktura 9000000, 1 250,00 kr.</p>\n", count: 200)
        try await execute(store, "UPDATE messages SET content = ? WHERE id = ?", [content, id])
        #expect(try await inspect(store, "SELECT pg_column_compression(content) FROM messages WHERE id = ?", [id]) == ["lz4"])
        #expect(try await inspect(store, "SELECT content FROM messages WHERE id = ?", [id]) == [content])
    }
}
