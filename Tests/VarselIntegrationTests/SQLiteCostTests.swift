import Foundation
import GRDB
import Synchronization
import Testing
import VarselCore
@testable import VarselDaemon
import VarselGateways
import VarselHTTP
@testable import VarselStore
import VarselTestSupport

/// The cost of a message in the SQLite store must not grow with the depth of the queue or the size of
/// the history, and the writer does not copy its log into the database file itself. Every
/// statement the store runs on the way from enqueue to a recorded send finds its rows through an index.
@Suite struct SQLiteCostTests {
    /// Tables that grow with the number of messages; a full scan of one is a cost per message that
    /// grows with the store.
    static let growing = ["messages", "message_contents", "decisions", "attempts", "attempt_parts", "receipts", "case_events", "cases", "recipients"]

    /// A connection of the test's own to a store's file. It waits, rather than failing at once, while a
    /// store the test has dropped is closing: the last connection to close checkpoints the log under an
    /// exclusive lock (on a busy machine a read found the database locked).
    static func connection(_ path: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        return try DatabaseQueue(path: path, configuration: configuration)
    }

    /// A store in `directory` migrated only up to `version`, to be filled as an older Varsel left it.
    static func olderStore(_ directory: TemporaryDirectory, upTo version: String) throws -> DatabaseQueue {
        let queue = try DatabaseQueue(path: directory.file("varsel.db"))
        try SQLiteSchema.migrator().migrate(queue, upTo: version)
        return queue
    }

    @Test("the kept counts by state match a count of the table through enqueue, lease, send, cancel, retention and a migration of an older store")
    func countsByStateStayTrue() async throws {
        let directory = TemporaryDirectory()
        // An older store (before the counts were kept) already holding messages (the queued ones not yet due).
        let queue = try Self.olderStore(directory, upTo: "v12-experiment-variant")
        try await queue.write { db in
            for (index, state) in ["queued", "queued", "sent", "failed"].enumerated() {
                try db.execute(
                    sql: """
                        INSERT INTO messages (id, request_hash, kind, request, state, ready_at, created_at, updated_at)
                        VALUES (?, 'h', 'reminder', '{}', ?, 9e9, 0, 0)
                        """, arguments: ["old-\(index)", state])
            }
        }
        try queue.close()
        let store = try SQLiteMessageStore(path: directory.file("varsel.db"))
        let counted = try Self.connection(directory.file("varsel.db"))
        func truth() async throws -> [MessageState: Int] {
            try await counted.read { db in
                var counts: [MessageState: Int] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM messages GROUP BY state") {
                    counts[MessageState(rawValue: row["state"])!] = row["n"]
                }
                return counts
            }
        }
        #expect(try await store.countByState() == [.queued: 2, .sent: 1, .failed: 1])

        let validator = MessageValidator(kinds: KindRule.shipped)
        let requests = try (1...5).map { try validator.validate(json: Array(Fixtures.sms(key: "c\($0)").utf8)).get() }
        _ = try await store.enqueue(requests, now: Date())
        #expect(try await store.countByState() == (try await truth()))
        let leased = try await store.lease(owner: "w", limit: 3, now: Date(), leaseDuration: 60)
        #expect(leased.count == 3)
        #expect(try await store.countByState() == (try await truth()))
        _ = try await store.cancel(ids: ["old-0"], caseRef: nil, reason: "test", now: Date())
        _ = try await store.reclaim(owners: ["w"], now: Date())
        #expect(try await store.countByState() == (try await truth()))
        _ = try await store.sweepRetention(contentBefore: Date().addingTimeInterval(3600), recordsBefore: Date().addingTimeInterval(3600), dryRun: false, now: Date())
        let after = try await truth()
        #expect(after[.sent] == nil && after[.failed] == nil, "the old finished records were swept: \(after)")
        #expect(try await store.countByState() == after)
    }

    @Test("the queued count is kept by the insert itself, not a trigger: statements of every size, keys seen before, a conflict and a case's stop count only the rows stored")
    func insertsCountTheRowsTheyStore() async throws {
        let directory = TemporaryDirectory()
        let store = try SQLiteMessageStore(path: directory.file("varsel.db"))
        let triggers = try await inspect(store, "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
        #expect(triggers == ["message_counts_delete", "message_counts_update"])
        func queuedInTable() async throws -> Int {
            Int(try await inspect(store, "SELECT COUNT(*) FROM messages WHERE state = 'queued'").first.flatMap { $0 } ?? "") ?? -1
        }
        let validator = MessageValidator(kinds: KindRule.shipped)
        func requests(_ lines: [String]) throws -> [MessageRequest] {
            try lines.map { try validator.validate(json: Array($0.utf8)).get() }
        }
        let caseStops = CaseStopPolicy(kinds: KindRule.shipped)

        // 300 without keys: several statements of different sizes, every row stored.
        _ = try await store.enqueue(try requests(Array(repeating: Fixtures.sms(), count: 300)), now: Date(), caseStops: caseStops)
        #expect(try await store.countByState() == [.queued: 300])

        // Keys: ten new, then the same ten again with five new and one used for a different message.
        _ = try await store.enqueue(try requests((1...10).map { Fixtures.sms(key: "k\($0)") }), now: Date(), caseStops: caseStops)
        let again = try await store.enqueue(
            try requests((1...15).map { Fixtures.sms(key: "k\($0)") } + [Fixtures.sms(key: "k1", phone: "+4799999999")]), now: Date(), caseStops: caseStops)
        #expect(again.filter { if case .created = $0 { true } else { false } }.count == 5)
        #expect(again.filter { if case .duplicate = $0 { true } else { false } }.count == 10)
        #expect(again.filter { if case .conflict = $0 { true } else { false } }.count == 1)
        #expect(try await store.countByState() == [.queued: 315])

        // A paid case refuses its messages: the runs before and after the refused one are counted.
        _ = try await store.recordCaseEvent(CaseEventRequest(caseRef: "case-paid", type: .paid, at: Date()), caseStops: caseStops, now: Date())
        let mixed = try await store.enqueue(
            try requests([Fixtures.sms(key: "a1"), Fixtures.sms(), Fixtures.sms(key: "paid"), Fixtures.sms(), Fixtures.sms(key: "a2")]), now: Date(),
            caseStops: caseStops)
        #expect(mixed.filter { if case .refused = $0 { true } else { false } }.count == 1)
        #expect(try await store.countByState() == [.queued: 319])
        #expect(try await queuedInTable() == 319)
    }

    @Test("a store from before the contents had a table of their own keeps them: a resend's lease and the status read them, and the messages row no longer holds them")
    func contentsMoveToTheirOwnTable() async throws {
        let directory = TemporaryDirectory()
        let queue = try Self.olderStore(directory, upTo: "v13-queue-at-depth")
        let content = RenderedContent(
            templateID: "reminder/nb/direct/sms", templateVersion: "sha256:v", channel: .sms, subject: nil, text: "Faktura 1234 forfalt",
            html: nil, sms: .init(encoding: .gsm7, segments: 1), contentHash: "sha256:c")
        let request = String(decoding: StoreTests.request("kept").storedJSON, as: UTF8.self)
        try await queue.write { db in
            // A send a crash interrupted (queued again with its content kept), and one never planned.
            try db.execute(
                sql: """
                    INSERT INTO messages (id, request_hash, kind, request, state, channel, locale, tone, gateway, content_hash, content,
                        ready_at, attempt_count, created_at, updated_at)
                    VALUES ('old-kept', 'h', 'reminder', ?, 'queued', 'sms', 'nb', 'direct', 'g', 'sha256:c', ?, 0, 1, 0, 0)
                    """, arguments: [request, String(decoding: content.storedJSON, as: UTF8.self)])
            try db.execute(
                sql: """
                    INSERT INTO messages (id, request_hash, kind, request, state, ready_at, created_at, updated_at)
                    VALUES ('old-new', 'h2', 'reminder', ?, 'queued', 1, 0, 0)
                    """, arguments: [request])
        }
        try queue.close()

        let store = try SQLiteMessageStore(path: directory.file("varsel.db"))
        #expect(store.migrationsApplied == ["v14-message-contents", "v15-retention-index-condition", "v16-recipient-by-key", "v17-decision-rows", "v18-receipt-lookup", "v19-counted-inserts", "v20-attempts-counted-with-outcome"])
        let columns = try await store.pool.read { db in try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info('messages')") }
        #expect(!columns.contains("content") && columns.contains("content_hash"), "\(columns)")
        #expect(try await store.status(id: "old-kept")?.content == content)
        #expect(try await store.status(id: "old-new")?.content == nil)
        let leased = try await store.lease(owner: "w", limit: 10, now: Date(), leaseDuration: 60)
        #expect(leased.map(\.lease.messageID) == ["old-kept", "old-new"])
        #expect(leased.first?.previous?.content == content, "the resend reuses the content rendered before the upgrade")
        #expect(leased.last?.previous == nil)

        // Planned for another channel after a failure, the message's kept content goes with the old plan.
        let kept = try #require(leased.first)
        let attempt = try #require(try await store.start([StoreTests.start(kept.lease)], now: Date())[kept.lease.messageID]?.attemptID)
        let failed = Completion(
            lease: kept.lease, attemptID: attempt, gateway: "g", outcome: .permanent, httpStatus: 400, providerID: nil, latencyMs: 1, error: "refused",
            state: .queued, reason: "sms refused", excludeChannel: .sms)
        #expect(try await store.complete([failed], now: Date()) == ["old-kept"])
        #expect(try await store.status(id: "old-kept")?.content == nil)
        let again = try await store.lease(owner: "w", limit: 10, now: Date().addingTimeInterval(1), leaseDuration: 60)
        #expect(again.map(\.lease.messageID) == ["old-kept"])
        #expect(again.first?.previous == nil, "planned afresh for another channel")
    }

    @Test("a store from before v15 keeps its retention index for the same messages, with a condition of two states instead of five")
    func retentionIndexCondition() async throws {
        let directory = TemporaryDirectory()
        let queue = try Self.olderStore(directory, upTo: "v14-message-contents")
        let request = String(decoding: StoreTests.request("old").storedJSON, as: UTF8.self)
        try await queue.write { db in
            for (index, state) in MessageState.allCases.enumerated() {
                try db.execute(
                    sql: """
                        INSERT INTO messages (id, request_hash, kind, request, state, ready_at, created_at, updated_at)
                        VALUES (?, ?, 'reminder', ?, ?, 0, 0, 0)
                        """, arguments: ["old-\(state.rawValue)", "h\(index)", request, state.rawValue])
            }
        }
        try queue.close()

        let store = try SQLiteMessageStore(path: directory.file("varsel.db"))
        #expect(store.migrationsApplied == ["v15-retention-index-condition", "v16-recipient-by-key", "v17-decision-rows", "v18-receipt-lookup", "v19-counted-inserts", "v20-attempts-counted-with-outcome"])
        let (definition, indexed) = try await store.pool.read { db in
            (try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'messages_retention'"),
             try String.fetchAll(db, sql: "SELECT id FROM messages INDEXED BY messages_retention WHERE state NOT IN ('queued', 'sending') AND updated_at < 1 ORDER BY id"))
        }
        #expect(definition?.hasSuffix("WHERE state NOT IN ('queued', 'sending')") == true, "\(definition ?? "no index")")
        #expect(indexed == MessageState.allCases.filter(\.isTerminal).map { "old-\($0.rawValue)" }.sorted())
        let due = try await store.sweepRetention(contentBefore: Date(), recordsBefore: Date(), dryRun: true, now: Date())
        #expect(due == RetentionOutcome(contentPurged: 0, recordsDeleted: 5))
    }

    @Test("a store from before v16 loses its index on recipient_id; its oldest messages get the recipient key, so erasing a recipient still finds them")
    func recipientFoundByKey() async throws {
        let directory = TemporaryDirectory()
        let queue = try Self.olderStore(directory, upTo: "v15-retention-index-condition")
        let named = MessageRequest(
            kind: "reminder", recipient: Recipient(id: "debtor-7", phone: "+4791234567"), data: ["creditor": .string("Fjordkraft AS")])
        try await queue.write { db in
            // As stored before v5 (no key), as stored since (with one), and a recipient without an id.
            for (id, recipientID, key) in [("old", "debtor-7", nil), ("keyed", "debtor-7", "id:debtor-7"), ("anonymous", nil, nil)] as [(String, String?, String?)] {
                try db.execute(
                    sql: """
                        INSERT INTO messages (id, request_hash, kind, recipient_id, recipient_key, request, state, ready_at, created_at, updated_at)
                        VALUES (?, ?, 'reminder', ?, ?, ?, 'queued', 0, 0, 0)
                        """, arguments: [id, "h-\(id)", recipientID, key, String(decoding: named.storedJSON, as: UTF8.self)])
            }
        }
        try queue.close()

        let store = try SQLiteMessageStore(path: directory.file("varsel.db"))
        #expect(store.migrationsApplied == ["v16-recipient-by-key", "v17-decision-rows", "v18-receipt-lookup", "v19-counted-inserts", "v20-attempts-counted-with-outcome"])
        let (indexes, keys) = try await store.pool.read { db in
            (try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages'"),
             try Row.fetchAll(db, sql: "SELECT id, recipient_key FROM messages ORDER BY id").map { "\($0["id"] as String)=\(($0["recipient_key"] as String?) ?? "NULL")" })
        }
        #expect(!indexes.contains("messages_recipient") && indexes.contains("messages_recipient_key"), "\(indexes)")
        #expect(keys == ["anonymous=NULL", "keyed=id:debtor-7", "old=id:debtor-7"])
        let erased = try #require(try await store.eraseRecipient(id: "debtor-7", now: Date()))
        #expect(erased.messagesScrubbed == 2 && erased.messagesCancelled == 2, "\(erased)")
        #expect(try await store.status(id: "anonymous")?.state == .queued)
    }

    @Test("a store from before v20, whose attempts were counted as they opened, counts each of a sending message's pending attempts once: taken off by the migration, counted again by the reclaim")
    func pendingAttemptsCountedOnce() async throws {
        let directory = TemporaryDirectory()
        let queue = try Self.olderStore(directory, upTo: "v19-counted-inserts")
        let request = String(decoding: MessageRequest(kind: "reminder", recipient: Recipient(phone: "+4791234567"), data: [:]).storedJSON, as: UTF8.self)
        try await queue.write { db in
            // One message sending when the old daemon stopped: an earlier attempt failed, the second was
            // left pending, both counted. One queued for a retry after a failed attempt.
            for (id, state, count) in [("sending", "sending", 2), ("queued", "queued", 1)] {
                try db.execute(
                    sql: """
                        INSERT INTO messages (id, request_hash, kind, request, state, ready_at, created_at, updated_at, attempt_count,
                            lease_token, lease_owner, lease_expires_at)
                        VALUES (?, ?, 'reminder', ?, ?, 0, 0, 0, ?, ?, ?, ?)
                        """,
                    arguments: [id, "h-\(id)", request, state, count, state == "sending" ? "t" : nil, state == "sending" ? "old-run" : nil,
                                state == "sending" ? 1e12 : nil])
                try db.execute(
                    sql: "INSERT INTO attempts (message_id, started_at, finished_at, channel, gateway, idempotency_key, outcome) VALUES (?, 0, 0, 'sms', 'g', ?, 'transient')",
                    arguments: [id, "\(id).sms"])
            }
            try db.execute(
                sql: "INSERT INTO attempts (message_id, started_at, channel, gateway, idempotency_key, outcome) VALUES ('sending', 1, 'sms', 'g', 'sending.sms', 'pending')")
        }
        try queue.close()

        let store = try SQLiteMessageStore(path: directory.file("varsel.db"))
        #expect(store.migrationsApplied == ["v20-attempts-counted-with-outcome"])
        #expect(try await store.reclaim(owners: ["old-run"], now: Date()) == 1)
        let leased = try await store.lease(owner: "new-run", limit: 10, now: Date(), leaseDuration: 60)
        let attempts = Dictionary(uniqueKeysWithValues: leased.map { ($0.lease.messageID, $0.attempts) })
        #expect(attempts == ["sending": 2, "queued": 1], "every attempt made counted once")
        #expect(try await store.status(id: "sending")?.attempts.map(\.outcome) == [.transient, .ambiguous])
    }

    @Test("a transaction that dirties more pages than SQLite's cache holds (a batch's chunk in a large store) writes none of them to the log before its commit")
    func noSpillBeforeCommit() async throws {
        let directory = TemporaryDirectory()
        let store = try SQLiteMessageStore(path: directory.file("varsel.db"))
        let log = directory.file("varsel.db-wal")
        @Sendable func logBytes() -> Int { (try? FileManager.default.attributesOfItem(atPath: log)[.size] as? Int) ?? 0 }
        let (before, during, pages) = try await store.pool.write { db -> (Int, Int, Int) in
            let before = logBytes()
            try db.execute(sql: "CREATE TABLE spill_probe (id INTEGER PRIMARY KEY, body TEXT)")
            // About 1,500 pages of 4 KiB: three times the 500 pages of SQLite's default cache.
            let body = String(repeating: "x", count: 3_900)
            for row in 0..<1_500 { try db.execute(sql: "INSERT INTO spill_probe (id, body) VALUES (?, ?)", arguments: [row, body]) }
            let pages = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM dbstat WHERE name = 'spill_probe'") ?? 0
            return (before, logBytes(), pages)
        }
        #expect(pages > 1_400 && pages < SQLiteMessageStore.spillPages, "\(pages) pages")
        #expect(during == before, "the log grew by \(during - before) bytes inside the transaction")
        #expect(logBytes() > during, "the commit wrote the pages")
    }

    @Test("the write-ahead log is copied into the database file in the background, without waiting for the writer's own checkpoint")
    func logIsCheckpointedInTheBackground() async throws {
        let directory = TemporaryDirectory()
        let store = try SQLiteMessageStore(path: directory.file("varsel.db"))
        let validator = MessageValidator(kinds: KindRule.shipped)
        let requests = try (1...50).map { try validator.validate(json: Array(Fixtures.sms(key: "w\($0)").utf8)).get() }
        _ = try await store.enqueue(requests, now: Date())
        // The database file alone, without its log, holds the messages once they were copied into it
        // (far fewer pages than the writer's backstop: only the background checkpoint copies them).
        let copied = await eventually(timeout: .seconds(60), every: .milliseconds(100)) {
            let copy = directory.file("copy-\(UUID().uuidString).db")
            guard (try? FileManager.default.copyItem(atPath: directory.file("varsel.db"), toPath: copy)) != nil,
                  let queue = try? DatabaseQueue(path: copy)
            else { return false }
            defer { try? queue.close() }
            return (try? await queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM messages") }) == 50
        }
        #expect(copied)
        await store.close()
    }

    @Test("enqueue reads a stored recipient record only for a message that gives no contact point of its own")
    func storedRecordsReadOnlyWhenNeeded() async throws {
        let directory = TemporaryDirectory()
        let reads = Mutex(0)
        let store = try SQLiteMessageStore(path: directory.file("varsel.db"), statementObserver: { sql in
            if sql.contains("FROM recipients") { reads.withLock { $0 += 1 } }
        })
        _ = try await store.putRecipient(Recipient(id: "debtor-42", phone: "+4791234567"), now: Date())
        reads.withLock { $0 = 0 }
        let validator = MessageValidator(kinds: KindRule.shipped)
        // Named recipients with contact points of their own (one given as null next to a phone).
        let given = [
            Fixtures.message(key: "r1", recipient: #""id":"debtor-42","channels":["sms"],"phone":"+4798765432""#),
            Fixtures.message(key: "r2", recipient: #""id":"debtor-42","email":null,"channels":["sms"],"phone":"+4798765432""#),
            Fixtures.sms(key: "r3"),
        ]
        let first = try await EnqueueBatch.run(Data(given.joined(separator: "\n").utf8), validator: validator, store: store)
        let allAccepted = first.allSatisfy(\.accepted)
        #expect(allAccepted)
        #expect(reads.withLock { $0 } == 0, "no message needed the stored record")
        // A named recipient without contact points: its record is read and stands in; an unknown one is refused.
        let bare = [
            Fixtures.message(key: "r4", recipient: #""id":"debtor-42","phone":null,"channels":["sms"]"#),
            Fixtures.message(key: "r5", recipient: #""id":"unknown-7","channels":["sms"]"#),
        ]
        let second = try await EnqueueBatch.run(Data(bare.joined(separator: "\n").utf8), validator: validator, store: store)
        let accepted = second.map(\.accepted)
        #expect(accepted == [true, false])
        #expect(reads.withLock { $0 } >= 1)
        let bareValue = try MessageValidator.parse(json: Array(bare[0].utf8)).get()
        let givenValue = try MessageValidator.parse(json: Array(given[1].utf8)).get()
        #expect(MessageValidator.recipientIDNeedingStoredRecord(of: bareValue) == "debtor-42")
        #expect(MessageValidator.recipientIDNeedingStoredRecord(of: givenValue) == nil)
    }

    @Test("multi-row inserts come in seven shapes of statement whatever the batch's size (each compiled once), and store every row in order")
    func multiRowInsertsReuseTheirStatements() async throws {
        for count in 0...330 {
            let sizes = SQLiteMessageStore.chunkSizes(count)
            #expect(sizes.reduce(0, +) == count && sizes.allSatisfy([64, 32, 16, 8, 4, 2, 1].contains), "\(count): \(sizes)")
        }
        let directory = TemporaryDirectory()
        let shapes = Mutex(Set<String>())
        let store = try SQLiteMessageStore(path: directory.file("varsel.db"), statementObserver: { sql in
            if sql.hasPrefix("INSERT OR FAIL INTO decisions") { shapes.withLock { _ = $0.insert(sql) } }
        })
        let outcomes = try await store.enqueue([StoreTests.request("d")], now: Date())
        guard case .created(let id) = outcomes.first else { throw StoreError("not stored") }
        var expected: [String] = []
        for count in [1, 3, 5, 7, 11, 13, 28, 99, 100, 101, 230] {
            // As many rows as writes: one text each.
            let entries = (0..<count).map { (messageID: id, texts: ["decision \(expected.count + $0)"]) }
            try await store.pool.write { db in try SQLiteMessageStore.appendDecisions(db, entries, at: Date()) }
            expected += entries.flatMap(\.texts)
        }
        #expect((1...7).contains(shapes.withLock { $0.count }))
        #expect(try await store.status(id: id)?.decisions.map(\.text) == expected)
    }

    @Test("a message's decision trail is one row for each write, its texts in order (quotes, line breaks and control characters kept), read back as one text each")
    func decisionsAreOneRowPerWrite() async throws {
        let directory = TemporaryDirectory()
        let store = try SQLiteMessageStore(path: directory.file("varsel.db"))
        let outcomes = try await store.enqueue([StoreTests.request("a"), StoreTests.request("b")], now: Date())
        let ids = outcomes.compactMap { outcome -> String? in if case .created(let id) = outcome { id } else { nil } }
        #expect(ids.count == 2)
        let first = Date(timeIntervalSince1970: 1_800_000_000)
        let second = first.addingTimeInterval(60)
        let odd = "gateway said: \"no\"\nline two\t\u{1}\\ æøå 😀"
        try await store.pool.write { db in
            try SQLiteMessageStore.appendDecisions(db, [(ids[0], ["sms chosen", "tone direct", "locale nb"]), (ids[1], []), (ids[1], ["only one"])], at: first)
            try SQLiteMessageStore.appendDecisions(db, [(ids[0], [odd, "retry"])], at: second)
        }
        let rows = try await store.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM decisions WHERE message_id = ?", arguments: [ids[0]]) }
        #expect(rows == 2)
        let trail = try #require(try await store.status(id: ids[0])).decisions
        #expect(trail.map(\.text) == ["sms chosen", "tone direct", "locale nb", odd, "retry"])
        #expect(trail.map(\.at) == [first, first, first, second, second])
        #expect(try await store.status(id: ids[1])?.decisions.map(\.text) == ["only one"])
    }

    @Test("a store from before v17 keeps every decision of every message, in order, each text a row of its own")
    func decisionTrailMigrated() async throws {
        let directory = TemporaryDirectory()
        let queue = try Self.olderStore(directory, upTo: "v16-recipient-by-key")
        let request = String(decoding: StoreTests.request().storedJSON, as: UTF8.self)
        try await queue.write { db in
            for id in ["m1", "m2"] {
                try db.execute(
                    sql: """
                        INSERT INTO messages (id, request_hash, kind, request, state, ready_at, created_at, updated_at)
                        VALUES (?, ?, 'reminder', ?, 'queued', 0, 0, 0)
                        """, arguments: [id, "h-\(id)", request])
            }
            // Written out of order: the trail is the order of seq.
            for (id, seq, at, text) in [("m1", 2, 20.0, "second"), ("m2", 1, 5.0, "other's"), ("m1", 1, 10.0, "first \"quoted\""), ("m1", 3, 30.0, "third")] {
                try db.execute(sql: "INSERT INTO decisions (message_id, seq, at, text) VALUES (?, ?, ?, ?)", arguments: [id, seq, at, text])
            }
        }
        try queue.close()

        let store = try SQLiteMessageStore(path: directory.file("varsel.db"))
        #expect(store.migrationsApplied == ["v17-decision-rows", "v18-receipt-lookup", "v19-counted-inserts", "v20-attempts-counted-with-outcome"])
        let trail = try #require(try await store.status(id: "m1")).decisions
        #expect(trail.map(\.text) == ["first \"quoted\"", "second", "third"])
        #expect(trail.map(\.at.timeIntervalSince1970) == [10, 20, 30])
        #expect(try await store.status(id: "m2")?.decisions.map(\.text) == ["other's"])
        // Written after the migration, it follows the migrated rows.
        try await store.pool.write { db in try SQLiteMessageStore.appendDecisions(db, messageID: "m1", texts: ["fourth"], at: Date()) }
        #expect(try await store.status(id: "m1")?.decisions.map(\.text) == ["first \"quoted\"", "second", "third", "fourth"])
    }

    @Test("inserts gather no ids (SQLite builds a table of returned rows for each statement): keyless rows go in plainly, keyed ones skip a key seen before, and keys are looked up only when the inserts stored fewer rows than given")
    func insertsReturnNothing() async throws {
        let directory = TemporaryDirectory()
        let inserts = Mutex<[String]>([])
        let lookUps = Mutex(0)
        let store = try SQLiteMessageStore(path: directory.file("varsel.db"), statementObserver: { sql in
            if sql.hasPrefix("INSERT OR FAIL INTO messages") { inserts.withLock { $0.append(sql) } }
            if sql.contains("FROM messages WHERE idempotency_key = ?") { lookUps.withLock { $0 += 1 } }
        })
        let now = Date()
        let keyless = try await store.enqueue([StoreTests.request(), StoreTests.request(), StoreTests.request()], now: now)
        let created = keyless.compactMap { outcome -> String? in
            if case .created(let id) = outcome { return id }
            return nil
        }
        #expect(created.count == 3 && Set(created).count == 3)
        #expect(!inserts.withLock { $0 }.isEmpty)
        #expect(inserts.withLock { $0 }.allSatisfy { !$0.contains("RETURNING") && !$0.contains("ON CONFLICT") }, "\(inserts.withLock { $0 })")
        #expect(try await store.countByState() == [.queued: 3])

        inserts.withLock { $0 = [] }
        // New keys only: every row stored, no key looked up.
        let first = try await store.enqueue([StoreTests.request("k1"), StoreTests.request(), StoreTests.request("k2")], now: now)
        guard case .created(let id)? = first.first, first.allSatisfy({ if case .created = $0 { true } else { false } }) else {
            throw StoreError("not stored: \(first)")
        }
        #expect(lookUps.withLock { $0 } == 0)
        // A key seen before: that row is skipped, and the run's keys tell which.
        let again = try await store.enqueue([StoreTests.request(), StoreTests.request("k1"), StoreTests.request("k3")], now: now)
        guard case .created? = again.first, case .created? = again.last else { throw StoreError("not stored: \(again)") }
        #expect(again[1] == .duplicate(id: id))
        #expect(lookUps.withLock { $0 } == 2, "the two keyed rows of the run")
        #expect(!inserts.withLock { $0 }.isEmpty)
        #expect(inserts.withLock { $0 }.allSatisfy { $0.hasSuffix("ON CONFLICT (idempotency_key) DO NOTHING") && !$0.contains("RETURNING") })
        #expect(try await store.countByState() == [.queued: 8])
    }

    @Test("a batch's inserts keep no statement journal: a broken constraint fails the statement (FAIL) and the transaction's rollback undoes what it stored, where SQLite's default (ABORT) undoes it in the statement, for which it copies every page the statement changes before changing it")
    func insertsKeepNoStatementJournal() async throws {
        let directory = TemporaryDirectory()
        let inserts = Mutex(Set<String>())
        let store = try SQLiteMessageStore(path: directory.file("varsel.db"), statementObserver: { sql in
            if sql.hasPrefix("INSERT"), sql.contains(" INTO messages ") { inserts.withLock { _ = $0.insert(sql) } }
        })
        // Keyless rows, then keyed ones (their statements skip a key seen before): statements of several sizes.
        _ = try await store.enqueue((0..<100).map { _ in StoreTests.request() }, now: Date())
        _ = try await store.enqueue((0..<100).map { StoreTests.request("journal-\($0)") }, now: Date())
        let statements = inserts.withLock { $0 }
        #expect(statements.count >= 4 && statements.contains { $0.contains("ON CONFLICT") } && statements.contains { !$0.contains("ON CONFLICT") })
        for sql in statements {
            // The constraint checks of the compiled statement: each halt that fails it names how (P2:
            // 2 ABORT, 3 FAIL); a halt with P1 0 is the statement's end.
            let unbound = StatementArguments(Array(repeating: DatabaseValue.null, count: sql.count { $0 == "?" }))
            let resolutions = try await store.pool.read { db in
                try Row.fetchAll(db, sql: "EXPLAIN " + sql, arguments: unbound)
                    .filter { ["Halt", "HaltIfNull"].contains($0["opcode"] as String) && ($0["p1"] as Int) != 0 }
                    .map { $0["p2"] as Int }
            }
            #expect(!resolutions.isEmpty && resolutions.allSatisfy { $0 == 3 }, "\(resolutions): \(sql.prefix(120))")
        }
    }

    @Test("an enqueue's case look-up reads events only of cases that have some: nothing of a store without events, only the cases with events otherwise, and a paid case still refuses its message")
    func caseLookUpReadsOnlyCasesWithEvents() async throws {
        let directory = TemporaryDirectory()
        let eventReads = Mutex<[String]>([])
        let probes = Mutex(0)
        let store = try SQLiteMessageStore(path: directory.file("varsel.db"), statementObserver: { sql in
            if sql.hasPrefix("SELECT * FROM case_events WHERE case_ref IN") { eventReads.withLock { $0.append(sql) } }
            if sql.hasPrefix("SELECT DISTINCT case_ref FROM case_events WHERE case_ref IN") { probes.withLock { $0 += 1 } }
        })
        let validator = MessageValidator(kinds: KindRule.shipped)
        let caseStops = CaseStopPolicy(kinds: KindRule.shipped)
        // Fixtures' case references are "case-" and the key: 200 cases, several statements' worth.
        let lines = (0..<200).map { Fixtures.sms(key: "c\($0)") }
        let first = try await store.enqueue(lines.map { try validator.validate(json: Array($0.utf8)).get() }, now: Date(), caseStops: caseStops)
        #expect(first.allSatisfy { if case .created = $0 { true } else { false } })
        #expect(eventReads.withLock { $0 }.isEmpty && probes.withLock { $0 } == 0, "the store has no case event: no case looked up")

        _ = try await store.recordCaseEvent(CaseEventRequest(caseRef: "case-p7", type: .paid, at: Date()), caseStops: caseStops, now: Date())
        _ = try await store.recordCaseEvent(CaseEventRequest(caseRef: "case-p150", type: .partiallyPaid, amount: "10.00", currency: "NOK", at: Date()), caseStops: caseStops, now: Date())
        eventReads.withLock { $0 = [] }
        let second = try await store.enqueue(
            (0..<200).map { try validator.validate(json: Array(Fixtures.sms(key: "p\($0)").utf8)).get() }, now: Date(), caseStops: caseStops)
        let refused = second.indices.filter { if case .refused = second[$0] { true } else { false } }
        #expect(refused == [7], "the paid case refuses its message; a partial payment refuses none")
        let reads = eventReads.withLock { $0 }
        #expect(reads.count == 1 && reads[0].filter { $0 == "?" }.count == 2, "one read, of the two cases with events: \(reads)")
        #expect(probes.withLock { $0 } == 4, "the 200 cases asked after in statements of 64, 64, 64 and 8: \(probes.withLock { $0 })")
        #expect(try await store.countByState() == [.queued: 399])
        await store.close()
    }

    @Test("recording an accepted send reads nothing: its acceptance receipt names the gateway the completion carries")
    func outcomeReadsNothing() async throws {
        let directory = TemporaryDirectory()
        let statements = Mutex<[String]>([])
        let store = try SQLiteMessageStore(path: directory.file("varsel.db"), statementObserver: { sql in statements.withLock { $0.append(sql) } })
        let now = Date()
        _ = try await store.enqueue([StoreTests.request("o1")], now: now)
        let leased = try #require(try await store.lease(owner: "w", limit: 1, now: now, leaseDuration: 60).first)
        let prepared = try await store.prepare(
            [StoreTests.plannedSend(leased.lease)], starting: [StoreTests.start(leased.lease, gateway: "sms-eu")], now: now)
        let attempt = try #require(prepared.started[leased.lease.messageID]?.attemptID)
        statements.withLock { $0 = [] }
        let held = try await store.complete([
            Completion(
                lease: leased.lease, attemptID: attempt, gateway: "sms-eu", outcome: .accepted, httpStatus: 202, providerID: "p-o1", latencyMs: 1,
                error: nil, state: .sent, reason: "accepted"),
        ], now: now)
        #expect(held == [leased.lease.messageID])
        let reads = statements.withLock { $0 }.filter { $0.hasPrefix("SELECT") }
        #expect(reads.isEmpty, "\(reads)")
        let receipts = try #require(try await store.status(id: leased.lease.messageID)).receipts
        #expect(receipts.map(\.source) == ["gateway:sms-eu"] && receipts.map(\.providerID) == ["p-o1"])
    }

    @Test("look-ups by a list of message ids come in seven shapes of statement whatever the list's length, and find every row")
    func idListsReuseTheirStatements() async throws {
        let directory = TemporaryDirectory()
        let shapes = Mutex(Set<String>())
        let store = try SQLiteMessageStore(path: directory.file("varsel.db"), statementObserver: { sql in
            if sql.hasPrefix("SELECT message_id, content FROM message_contents") { shapes.withLock { _ = $0.insert(sql) } }
        })
        let outcomes = try await store.enqueue((0..<150).map { StoreTests.request("ids-\($0)") }, now: Date())
        let ids = outcomes.compactMap { outcome -> String? in if case .created(let id) = outcome { id } else { nil } }
        #expect(ids.count == 150)
        // Every other message has content kept.
        let kept = Dictionary(uniqueKeysWithValues: ids.enumerated().filter { $0.offset % 2 == 0 }.map { ($0.element, "content of \($0.offset)") })
        try await store.pool.write { db in
            try SQLiteMessageStore.insertRows(
                db, into: "message_contents", columns: ["message_id", "content"], rows: kept.map { [$0.key, $0.value] as [(any DatabaseValueConvertible)?] })
        }
        for count in [1, 3, 20, 64, 65, 100, 127, 150] {
            let found = try await store.pool.read { db in try SQLiteMessageStore.storedContents(db, ids: Array(ids.prefix(count))) }
            #expect(found == kept.filter { ids.prefix(count).contains($0.key) }, "\(count)")
        }
        #expect(shapes.withLock { $0.count } <= 7)
    }

    @Test("a send whose gateway has a free connection opens its attempt in the transaction that records the batch's plan; one that waits for a connection opens its own when it gets one, without writing its message's row")
    func attemptsOpenWithThePlan() async throws {
        let directory = TemporaryDirectory()
        let sandbox = SandboxGateway()
        try await sandbox.start()
        defer { Task { await sandbox.stop() } }
        // One connection for SMS: of a batch's three SMS, one can go at once and two must wait.
        let yaml = Fixtures.config(storePath: directory.file("varsel.db"), gatewayBase: sandbox.baseURL)
            .replacingOccurrences(of: "connect_timeout_ms: 2000 }", with: "connect_timeout_ms: 2000, max_connections: 1 }")
        let config = try ConfigLoader.load(yaml: yaml, baseDirectory: directory.path)
        #expect(config.gateways["sms-main"]?.maxConnections == 1)
        let components = try await Daemon.open(config: config, logger: quietLogger)
        defer { components.client.shutdown() }
        // The writer's statements, by transaction: only the writer begins IMMEDIATE transactions, and
        // only the writer writes, so each write belongs to the writer transaction begun last.
        let transactions = Mutex<[[String]]>([])
        let store = try SQLiteMessageStore(path: directory.file("varsel.db"), statementObserver: { sql in
            transactions.withLock { transactions in
                if sql.hasPrefix("BEGIN IMMEDIATE") {
                    transactions.append([])
                } else if sql.hasPrefix("INSERT") || sql.hasPrefix("UPDATE"), !transactions.isEmpty {
                    transactions[transactions.count - 1].append(sql)
                }
            }
        })
        let lines = [
            Fixtures.sms(key: "o1"), Fixtures.sms(key: "o2", phone: "+4791234568"), Fixtures.sms(key: "o3", phone: "+4791234569"),
            Fixtures.email(key: "o4"),
        ]
        let results = try await Self.enqueueAndSend(lines, config: config, store: store, components: components)
        for result in results {
            let id = try #require(result.id)
            let status = try #require(try await store.status(id: id))
            #expect(status.state == .sent)
            #expect(status.attempts.count == 1)
        }

        let opening = transactions.withLock { $0 }.map { statements in
            (plans: statements.contains { $0.hasPrefix("UPDATE messages SET channel") },
             attempts: statements.filter { $0.hasPrefix("INSERT INTO attempts") }.count)
        }.filter { $0.attempts > 0 }
        // The plan's transaction opened the email's attempt and one SMS's; each waiting SMS opened its
        // own in a transaction of its own, after the connection came free.
        #expect(opening.filter(\.plans).map(\.attempts) == [2])
        #expect(opening.filter { !$0.plans }.map(\.attempts) == [1, 1])
        // Each message's row is written twice, by its plan and by its outcome: an attempt that opens
        // on its own does not write its message's row (it is counted with its outcome).
        let rowWrites = transactions.withLock { $0 }.joined().filter { $0.hasPrefix("UPDATE messages SET") }
        #expect(rowWrites.count == 2 * lines.count, "\(rowWrites)")
    }

    @Test("the send loop takes a batch's leases in the statements that record its plan: no lease of its own (one commit and one write of each message fewer)")
    func leasesTakenWithThePlan() async throws {
        let directory = TemporaryDirectory()
        let seen = try await Self.workloadStatements(directory)
        let words = { (sql: String) in sql.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        #expect(!seen.contains { words($0).hasPrefix("UPDATE messages SET state = ?, lease_token = ?") }, "a lease of its own: \(seen.sorted())")
        let plans = seen.filter { words($0).hasPrefix("UPDATE messages SET channel") }
        #expect(plans.contains { words($0).contains("state = 'sending', lease_token = ?, lease_owner = ?, lease_expires_at = ?") }, "\(plans)")
        #expect(plans.contains { words($0).contains("WHERE id = ? AND updated_at = ? AND state = 'queued'") }, "\(plans)")
    }

    @Test("the send loop reads its next batch in the transaction that records a plan: no trip to the writer of its own for each batch")
    func nextBatchReadWithThePlan() async throws {
        let directory = TemporaryDirectory()
        let sandbox = SandboxGateway()
        try await sandbox.start()
        defer { Task { await sandbox.stop() } }
        let config = try ConfigLoader.load(
            yaml: Fixtures.config(storePath: directory.file("varsel.db"), gatewayBase: sandbox.baseURL), baseDirectory: directory.path)
        let components = try await Daemon.open(config: config, logger: quietLogger)
        defer { components.client.shutdown() }
        // The writer's transactions: whether each planned messages, and whether it read the due ones.
        // Only the writer begins IMMEDIATE transactions and only the writer reads the due messages.
        let transactions = Mutex<[(plans: Bool, readsDue: Bool)]>([])
        let store = try SQLiteMessageStore(path: directory.file("varsel.db"), statementObserver: { sql in
            let words = sql.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            transactions.withLock { transactions in
                if words.hasPrefix("BEGIN IMMEDIATE") {
                    transactions.append((false, false))
                } else if !transactions.isEmpty, words.hasPrefix("UPDATE messages SET channel") {
                    transactions[transactions.count - 1].plans = true
                } else if !transactions.isEmpty, words.contains("FROM messages INDEXED BY messages_ready WHERE state = 'queued' AND ready_at <= ?") {
                    transactions[transactions.count - 1].readsDue = true
                }
            }
        })
        // Three batches' worth (batch_size 64) of SMS to distinct numbers. A batch read ahead is used
        // however long the loop waits for capacity (by default it is read again after a second, which
        // a loaded machine can take).
        let lines = (0..<150).map { Fixtures.sms(key: "next-\($0)", phone: "+47912\(String(format: "%05d", $0))") }
        _ = try await Self.enqueueAndSend(lines, config: config, store: store, components: components, readAheadFreshFor: .seconds(86_400))
        #expect(try await store.countByState() == [.sent: 150])
        let seen = transactions.withLock { $0 }
        let plans = seen.filter(\.plans)
        #expect(plans.count >= 3, "\(seen)")
        // Every plan read the batch after it (the last one an empty batch): from the first plan to the
        // last, no batch was read on its own. (Before the first, and while sends finish after the
        // last, the loop looks for due messages on its own.)
        #expect(plans.filter(\.readsDue).count == plans.count, "\(seen)")
        let first = try #require(seen.firstIndex { $0.plans }), last = try #require(seen.lastIndex { $0.plans })
        #expect(seen[first...last].filter { $0.readsDue && !$0.plans }.isEmpty, "\(seen)")
    }

    /// Enqueues `lines` as one batch (all accepted) and sends them through `components`' HTTP client
    /// until nothing is due; the batch's results.
    static func enqueueAndSend(
        _ lines: [String], config: VarselConfig, store: SQLiteMessageStore, components: Daemon.Components, readAheadFreshFor: Duration? = nil
    ) async throws -> [EnqueueBatch.LineResult] {
        let results = try await EnqueueBatch.run(
            Data(lines.joined(separator: "\n").utf8), validator: MessageValidator(kinds: config.planning.kinds), store: store)
        let accepted = results.allSatisfy(\.accepted)
        #expect(accepted)
        let dispatcher = Dispatcher(
            config: config, store: store, sender: GatewaySender(gateways: Array(config.gateways.values), client: components.client),
            templates: { components.templates.current }, logger: quietLogger, readAheadFreshFor: readAheadFreshFor)
        await dispatcher.run(untilIdle: true)
        return results
    }

    /// Partial indexes whose rows are the messages being sent now.
    static let bounded = ["messages_leased"]

    /// The statements the store runs to enqueue, dispatch, record, read a status, count, look for the
    /// next due message and reclaim, with the store file they ran on.
    static func workloadStatements(_ directory: TemporaryDirectory) async throws -> Set<String> {
        let sandbox = SandboxGateway()
        try await sandbox.start()
        defer { Task { await sandbox.stop() } }
        let config = try ConfigLoader.load(
            yaml: Fixtures.config(storePath: directory.file("varsel.db"), gatewayBase: sandbox.baseURL, frequencyCap: true),
            baseDirectory: directory.path)
        let components = try await Daemon.open(config: config, logger: quietLogger)
        defer { components.client.shutdown() }
        let statements = Mutex<Set<String>>([])
        let store = try SQLiteMessageStore(path: directory.file("varsel.db"), statementObserver: { sql in statements.withLock { _ = $0.insert(sql) } })
        let dispatcher = Dispatcher(
            config: config, store: store, sender: GatewaySender(gateways: Array(config.gateways.values), client: components.client),
            templates: { components.templates.current }, logger: quietLogger)

        let lines = [Fixtures.sms(key: "p1"), Fixtures.email(key: "p2"), Fixtures.letter(key: "p3"), Fixtures.sms(key: "p4", phone: "+4791234568")]
        let validator = MessageValidator(kinds: config.planning.kinds)
        let results = try await EnqueueBatch.run(Data(lines.joined(separator: "\n").utf8), validator: validator, store: store)
        let accepted = results.allSatisfy(\.accepted)
        #expect(accepted)
        // The same keys again: answered from the idempotency index.
        _ = try await EnqueueBatch.run(Data(lines.joined(separator: "\n").utf8), validator: validator, store: store)
        await dispatcher.run(untilIdle: true)
        for result in results {
            let status = try await store.status(id: try #require(result.id))
            #expect(status?.state == .sent)
        }
        _ = try await store.countByState()
        _ = try await store.nextReadyAt()
        _ = try await store.reclaim(owners: ["gone"], now: Date())
        // The sweep: the sent messages' personal data is due, their records are not.
        let swept = try await store.sweepRetention(
            contentBefore: Date().addingTimeInterval(60), recordsBefore: Date().addingTimeInterval(-86_400), dryRun: false, now: Date())
        #expect(swept == RetentionOutcome(contentPurged: results.count, recordsDeleted: 0))

        let seen = statements.withLock { $0 }.filter { sql in
            let head = sql.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
            return ["SELECT", "INSERT", "UPDATE", "DELETE", "WITH"].contains { head.hasPrefix($0) } && !sql.contains("grdb_migrations")
                && !sql.contains("sqlite_master")
        }
        #expect(seen.count > 15, "the workload ran the store's statements: \(seen.count)")
        return seen
    }

    @Test("no statement of enqueue, dispatch, recording, status or metrics scans a growing table or sorts outside an index")
    func everyStatementUsesAnIndex() async throws {
        let directory = TemporaryDirectory()
        let seen = try await Self.workloadStatements(directory)
        let queue = try Self.connection(directory.file("varsel.db"))
        var problems: [String] = []
        for sql in seen.sorted() {
            let details = try await queue.read { db in
                // The plan does not depend on the values: every placeholder is bound to NULL.
                let statement = try db.makeStatement(sql: "EXPLAIN QUERY PLAN " + sql)
                statement.setUncheckedArguments(StatementArguments(Array(repeating: DatabaseValue.null, count: sql.filter { $0 == "?" }.count)))
                return try Row.fetchAll(statement).map { $0["detail"] as String }
            }
            for detail in details where Self.isProblem(detail, limited: sql.uppercased().contains("LIMIT")) {
                problems.append("\(detail)    in    \(sql.split(whereSeparator: \.isWhitespace).joined(separator: " "))")
            }
        }
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    @Test("a statement that writes one message's or one attempt's row builds no temporary table")
    func oneRowWritesBuildNoTemporaryTable() async throws {
        let directory = TemporaryDirectory()
        let seen = try await Self.workloadStatements(directory)
        // SQLite builds a temporary table for an IN list of more than two values and for RETURNING, each
        // time the statement runs: for these, once for every row written. A partial index's condition
        // `state IN (<five states>)` built two on every UPDATE of a message (its old and new row).
        let oneRow = seen.filter { sql in
            let words = sql.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            return (words.hasPrefix("UPDATE messages ") || words.hasPrefix("UPDATE attempts ")) && words.contains("WHERE id = ?")
        }
        #expect(oneRow.count >= 4, "the lease's plan, attempt and outcome updates ran: \(oneRow.sorted())")
        let queue = try Self.connection(directory.file("varsel.db"))
        for sql in oneRow.sorted() {
            let opcodes = try await queue.read { db in
                let statement = try db.makeStatement(sql: "EXPLAIN " + sql)
                statement.setUncheckedArguments(StatementArguments(Array(repeating: DatabaseValue.null, count: sql.filter { $0 == "?" }.count)))
                return try Row.fetchAll(statement).map { $0["opcode"] as String }
            }
            #expect(!opcodes.isEmpty)
            #expect(!opcodes.contains("OpenEphemeral"), "\(sql.split(whereSeparator: \.isWhitespace).joined(separator: " "))")
        }
    }

    /// A scan of a growing table (with or without an index: it reads every entry), or a sort under a
    /// LIMIT that no index gives (it reads every candidate row to keep a few). Sorting the rows of a
    /// few cases or messages is bounded by them, not by the store.
    static func isProblem(_ detail: String, limited: Bool) -> Bool {
        if detail.hasPrefix("USE TEMP B-TREE") { return limited }
        guard detail.hasPrefix("SCAN ") else { return false }
        // Partial indexes of messages in flight: bounded by the sends in flight, not by the store.
        if bounded.contains(where: { detail.hasSuffix("INDEX \($0)") }) { return false }
        let table = detail.dropFirst(5).split(separator: " ").first.map(String.init) ?? ""
        return growing.contains(table)
    }
}
