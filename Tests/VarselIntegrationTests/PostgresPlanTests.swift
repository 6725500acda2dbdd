import Foundation
import PostgresNIO
import Testing
import VarselCore
@testable import VarselPostgres
import VarselStore
import VarselTestSupport

/// Statements of the PostgreSQL store whose plans must not depend on fresh statistics: a sending
/// daemon fills its tables faster than autovacuum analyses them.
@Suite struct PostgresPlanTests {
    @Test("the store's sessions do not JIT-compile statements, whatever the server's default")
    func noJIT() async throws {
        let store = try await StoreBackend.postgres.makeStore(TemporaryDirectory())
        #expect(try await inspect(store, "SELECT current_setting('jit')") == ["off"])
        #expect(try await inspect(store, "SELECT setting FROM pg_settings WHERE name = 'jit'") == ["off"])
        #expect(try await inspect(store, "SELECT boot_val FROM pg_settings WHERE name = 'jit'") == ["on"], "the server's default is on")
    }

    @Test("a lease walks the ready index in due order and stops at its limit, with no statistics of the messages (without its planner setting: a scan of every due message and a sort)")
    func leaseWalksTheReadyIndex() async throws {
        let store = try #require(try await StoreBackend.postgres.makeStore(TemporaryDirectory()) as? PostgresMessageStore)
        try await execute(store, "ALTER TABLE messages SET (autovacuum_enabled = false)")
        let outcomes = try await store.enqueue((0..<3_000).map { StoreTests.request("k\($0)") }, now: Date().addingTimeInterval(-60))
        #expect(outcomes.count == 3_000)
        let sql = LeaseDue.sql
            .replacingOccurrences(of: "$1", with: "'sending'").replacingOccurrences(of: "$2", with: "'token'")
            .replacingOccurrences(of: "$3", with: "'w'").replacingOccurrences(of: "$4", with: "(now() + interval '1 minute')")
            .replacingOccurrences(of: "$5", with: "now()").replacingOccurrences(of: "$6", with: "128")
        func plan(planning: Bool) async throws -> String {
            try await store.client.withConnection { connection in
                try await connection.query("BEGIN", logger: quietLogger)
                if planning { try await connection.query(PostgresQuery(unsafeSQL: LeasePlanning.sql), logger: quietLogger) }
                let lines = try await connection.query(PostgresQuery(unsafeSQL: "EXPLAIN " + sql), logger: quietLogger).collect()
                    .map { try $0.decode(String.self) }
                try await connection.query("ROLLBACK", logger: quietLogger)
                return lines.joined(separator: "\n")
            }
        }
        let leasing = try await plan(planning: true)
        #expect(leasing.contains("Index Scan using messages_ready on messages"), "\(leasing)")
        #expect(!leasing.contains("Sort") && !leasing.contains("Bitmap") && !leasing.contains("Seq Scan"), "\(leasing)")
        let unset = try await plan(planning: false)
        #expect(unset.contains("Sort"), "the case this guards against: \(unset)")
        // The lease itself takes the first 128 in id order (one enqueue: ids ascend).
        let leased = try await store.lease(owner: "w", limit: 128, now: Date(), leaseDuration: 60)
        let ids = outcomes.compactMap { outcome -> String? in
            guard case .created(let id) = outcome else { return nil }
            return id
        }
        #expect(leased.map(\.lease.messageID) == Array(ids.prefix(128)))
    }

    @Test("prepared once a connection, the lease's generic plan (what PostgreSQL reuses after five executions) walks the ready index too, with no statistics of the messages")
    func leaseGenericPlanWalksTheReadyIndex() async throws {
        let store = try #require(try await StoreBackend.postgres.makeStore(TemporaryDirectory()) as? PostgresMessageStore)
        try await execute(store, "ALTER TABLE messages SET (autovacuum_enabled = false)")
        _ = try await store.enqueue((0..<3_000).map { StoreTests.request("g\($0)") }, now: Date().addingTimeInterval(-60))
        let (counts, plan) = try await store.client.withConnection { connection in
            for round in 0..<7 {
                var bindings = PostgresBindings()
                bindings.append("sending")
                bindings.append("token-\(round)")
                bindings.append("w")
                bindings.append(Date().addingTimeInterval(60))
                bindings.append(Date())
                bindings.append(2)
                try await connection.query("BEGIN", logger: quietLogger)
                _ = try await connection.run(LeasePlanning.self, PostgresBindings(), logger: quietLogger)
                #expect(try await connection.run(LeaseDue.self, bindings, logger: quietLogger).count == 2)
                try await connection.query("ROLLBACK", logger: quietLogger)
            }
            let counts = try await connection.query(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = \(Prepared<LeaseDue>.name)", logger: quietLogger
            ).collect().map { try $0.decode((Int, Int).self) }
            try await connection.query("BEGIN", logger: quietLogger)
            _ = try await connection.run(LeasePlanning.self, PostgresBindings(), logger: quietLogger)
            try await connection.query("SET LOCAL plan_cache_mode = force_generic_plan", logger: quietLogger)
            let plan = try await connection.query(
                PostgresQuery(unsafeSQL: "EXPLAIN EXECUTE \(Prepared<LeaseDue>.name)('sending', 't', 'w', now() + interval '1 minute', now(), 128)"),
                logger: quietLogger
            ).collect().map { try $0.decode(String.self) }.joined(separator: "\n")
            try await connection.query("ROLLBACK", logger: quietLogger)
            return (counts, plan)
        }
        #expect(counts.count == 1 && counts[0].0 >= 1, "planned generically once the first five were planned with their values: \(counts)")
        #expect(plan.contains("Index Scan using messages_ready on messages"), "\(plan)")
        #expect(!plan.contains("Sort") && !plan.contains("Bitmap") && !plan.contains("Seq Scan"), "\(plan)")
    }

    @Test("a prepared statement the server refuses fails with the server's error and closes its connection, so that the pool's next one prepares afresh")
    func refusedStatementClosesItsConnection() async throws {
        let store = try #require(try await StoreBackend.postgres.makeStore(TemporaryDirectory()) as? PostgresMessageStore)
        let closed = try await store.client.withConnection { connection in
            do {
                _ = try await connection.run(MissingTable.self, PostgresBindings(), logger: quietLogger)
                Issue.record("a statement on a missing table ran")
            } catch let error as PSQLError {
                #expect(error.serverInfo?[.sqlState] == "42P01", "undefined table: \(PostgresFailure.describe(error))")
            }
            let deadline = ContinuousClock.now + .seconds(60)
            while !connection.isClosed, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            return connection.isClosed
        }
        #expect(closed)
        // The store goes on with fresh connections.
        _ = try await store.enqueue([StoreTests.request("after")], now: Date())
        #expect(try await store.lease(owner: "w", limit: 1, now: Date(), leaseDuration: 60).count == 1)
    }

    enum MissingTable: PreparedSQL {
        static let name = "test_missing_table"
        static let sql = "SELECT id FROM varsel.no_such_table"
    }

    @Test("a lease's transaction does not wait for its commit to reach the disk (it acknowledges nothing; the attempt's synchronous commit after it flushes it too), and the session is back to synchronous commits after it")
    func leaseCommitsAsynchronously() async throws {
        let store = try #require(try await StoreBackend.postgres.makeStore(TemporaryDirectory()) as? PostgresMessageStore)
        let settings = try await store.client.withConnection { connection in
            func setting(_ name: String) async throws -> String {
                try await connection.query(PostgresQuery(unsafeSQL: "SELECT current_setting('\(name)')"), logger: quietLogger).collect()[0].decode(String.self)
            }
            // The test clusters run without synchronous commits; the production default is on.
            try await connection.query("SET synchronous_commit = on", logger: quietLogger)
            let before = try await setting("synchronous_commit")
            try await connection.query("BEGIN", logger: quietLogger)
            try await connection.query(PostgresQuery(unsafeSQL: LeasePlanning.sql), logger: quietLogger)
            let inside = (try await setting("synchronous_commit"), try await setting("enable_bitmapscan"))
            try await connection.query("COMMIT", logger: quietLogger)
            let after = (try await setting("synchronous_commit"), try await setting("enable_bitmapscan"))
            return (before, inside, after)
        }
        #expect(settings.0 == "on")
        #expect(settings.1 == ("off", "off"))
        #expect(settings.2 == ("on", "on"), "SET LOCAL: the transaction's alone")
        // The lease still leases, and the attempt opened after it commits as before.
        _ = try await store.enqueue([StoreTests.request("a1")], now: Date())
        let leased = try #require(try await store.lease(owner: "w", limit: 1, now: Date(), leaseDuration: 60).first)
        _ = try await store.prepare([StoreTests.plannedSend(leased.lease)], now: Date())
        #expect(try await store.start([StoreTests.start(leased.lease)], now: Date())[leased.lease.messageID]?.attemptID != nil)
    }

    @Test("the case steps of a batch find the cases' messages by their index and each one's attempts by the message, with no statistics of the messages and stale ones of the attempts")
    func caseStepsReadByIndex() async throws {
        let store = try await StoreBackend.postgres.makeStore(TemporaryDirectory())
        let now = Date()
        let count = 3_000
        let outcomes = try await store.enqueue((0..<count).map { index in
            MessageRequest(
                idempotencyKey: "k\(index)", kind: "reminder", caseRef: "C-\(index)", recipient: Recipient(phone: "+4791234567"),
                data: ["creditor": .string("Fjordkraft AS"), "fee": .string("70")])
        }, now: now)
        #expect(outcomes.count == count)
        // No statistics of the messages yet (autovacuum has not analysed the enqueue), and those of
        // an attempts table still empty; then every message sent and accepted.
        try await execute(store, "ALTER TABLE messages SET (autovacuum_enabled = false)")
        try await execute(store, "ALTER TABLE attempts SET (autovacuum_enabled = false)")
        try await execute(store, "ANALYZE attempts")
        try await execute(store, """
            INSERT INTO attempts (message_id, started_at, finished_at, channel, gateway, idempotency_key, outcome)
            SELECT id, now(), now(), 'sms', 'g', id || '.sms', 'accepted' FROM messages
            """)
        try await execute(store, "UPDATE messages SET state = 'sent'")
        let refs = (100..<228).map { "'C-\($0)'" }.joined(separator: ", ")
        let sql = PostgresMessageStore.caseStepsSQL.replacingOccurrences(of: "$1", with: "ARRAY[\(refs)]")
        let plan = try await inspect(store, "EXPLAIN " + sql).compactMap { $0 }
        // Every read of either table goes through an index by what it looks for: an index scan's
        // condition, or a bitmap scan's recheck of it.
        var reads: [(table: String, condition: String)] = []
        for (index, line) in plan.enumerated() {
            for table in ["attempts", "messages"] where line.contains(" on \(table) ") {
                reads.append((table, index + 1 < plan.count ? plan[index + 1] : ""))
            }
        }
        let text = plan.joined(separator: "\n")
        #expect(reads.contains { $0.table == "messages" } && reads.contains { $0.table == "attempts" }, "\(text)")
        for read in reads {
            let key = read.table == "messages" ? "case_ref" : "message_id"
            #expect((read.condition.contains("Index Cond") || read.condition.contains("Recheck Cond")) && read.condition.contains(key), "\(read.table) read by \(read.condition): \(text)")
        }
        // And the answer is the steps themselves.
        let steps = try await store.caseSteps(caseRefs: Set((100..<228).map { "C-\($0)" }))
        #expect(steps.count == 128)
        #expect(steps.values.allSatisfy { $0.count == 1 && $0[0].feeBearing })
    }
}
