import Foundation
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
