import Foundation
import Testing
import VarselCore
@testable import VarselDaemon
import VarselHTTP
import VarselStore
import VarselTestSupport

/// GDPR retention: personal data goes after the short period, whole records after the long one,
/// counted from the terminal state; nothing else is touched.
@Suite(.serialized) struct RetentionTests {
    @Test(
        "the sweep removes exactly what it should: personal data of terminal messages past 90 days, whole records past 5 years, never a live message",
        arguments: StoreBackend.allCases)
    func sweep(backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        let sandbox = SandboxGateway()
        try await sandbox.start()
        let config = try await ConfigLoader.load(
            yaml: backend.config(Fixtures.config(storePath: directory.file("varsel.db"), gatewayBase: sandbox.baseURL), directory),
            baseDirectory: directory.path)
        #expect(config.retention.personalDataDays == 90 && config.retention.recordDays == 1826)
        let components = try await Daemon.open(config: config, logger: quietLogger)
        defer { components.client.shutdown() }
        let keys = ["old-delivered", "recent-sent", "old-queued", "ancient-failed", "old-cancelled"]
        let lines = keys.map { Fixtures.sms(key: $0, extra: #","email":"kari@example.no""#) }
        let results = try await EnqueueBatch.run(
            Data(lines.joined(separator: "\n").utf8), validator: MessageValidator(kinds: config.planning.kinds), store: components.store)
        await components.dispatcher.run(untilIdle: true)
        let ids = Dictionary(uniqueKeysWithValues: zip(keys, results.map { $0.id! }))

        // Age the messages: (state, days since the terminal state).
        let now = Date()
        let ages: [String: (MessageState, Double)] = [
            "old-delivered": (.delivered, 100), "recent-sent": (.sent, 10), "old-queued": (.queued, 400),
            "ancient-failed": (.failed, 2_000), "old-cancelled": (.cancelled, 91),
        ]
        let store = components.store
        // Times are seconds since 1970 in SQLite, timestamptz in PostgreSQL.
        let time = backend == .sqlite ? "?" : "to_timestamp(?::float8)"
        for (key, (state, days)) in ages {
            try await execute(
                store, "UPDATE messages SET state = ?, updated_at = \(time) WHERE id = ?",
                [state.rawValue, "\(now.addingTimeInterval(-days * 86_400).timeIntervalSince1970)", ids[key]!])
            try await execute(
                store, "INSERT INTO receipts (message_id, at, status, source, provider_id, raw) VALUES (?, \(time), 'delivered', 'webhook', 'p', ?)",
                [ids[key]!, "\(now.timeIntervalSince1970)", #"{"to":"+4791234567"}"#])
        }

        // A stored request this version cannot decode must not stop the sweep.
        try await execute(
            store,
            backend == .sqlite
                ? "UPDATE messages SET request = json_set(request, '$.kind', 42) WHERE id = ?"
                : "UPDATE messages SET request = jsonb_set(request, '{kind}', '42') WHERE id = ?",
            [ids["old-cancelled"]!])

        let dry = try await RetentionSweep.run(store: components.store, retention: config.retention, dryRun: true, now: now)
        #expect(dry == RetentionOutcome(contentPurged: 2, recordsDeleted: 1))
        #expect(try await components.store.status(id: ids["old-delivered"]!)?.content != nil, "a dry run deletes nothing")

        let swept = try await RetentionSweep.run(store: components.store, retention: config.retention, dryRun: false, now: now)
        #expect(swept == dry)
        #expect(try await RetentionSweep.run(store: components.store, retention: config.retention, dryRun: false, now: now)
            == RetentionOutcome(contentPurged: 0, recordsDeleted: 0), "a second sweep finds nothing")

        func stored(_ key: String) async throws -> (phone: String?, email: String?, hash: String?) {
            func field(_ name: String) async throws -> String? {
                let path = backend == .sqlite ? "json_extract(request, '$.recipient.\(name)')" : "request -> 'recipient' ->> '\(name)'"
                return try await inspect(store, "SELECT \(path) FROM messages WHERE id = ?", [ids[key]!]).first ?? nil
            }
            let hash = try await inspect(store, "SELECT content_hash FROM messages WHERE id = ?", [ids[key]!]).first ?? nil
            return (try await field("phone"), try await field("email"), hash)
        }
        for key in ["old-delivered", "old-cancelled"] {
            let status = try #require(try await components.store.status(id: ids[key]!))
            #expect(status.content == nil, "\(key): rendered content deleted")
            let row = try await stored(key)
            #expect(row.phone == nil && row.email == nil, "\(key): contact data deleted")
            #expect(status.template?.version.hasPrefix("sha256:") == true && row.hash?.hasPrefix("sha256:") == true, "\(key): template version and content hash stay")
            #expect(status.state == ages[key]!.0 && !status.attempts.isEmpty)
            #expect(status.decisions.contains { $0.text.hasPrefix("retention:") })
        }
        for key in ["recent-sent", "old-queued"] {
            let status = try #require(try await components.store.status(id: ids[key]!))
            let row = try await stored(key)
            #expect(status.content != nil && row.phone == "+4791234567" && row.email == "kari@example.no", "\(key) untouched")
        }
        #expect(try await components.store.status(id: ids["ancient-failed"]!) == nil, "a record past five years is gone")
        let counts = (
            raw: Int(try await inspect(store, "SELECT COUNT(*) FROM receipts WHERE raw IS NOT NULL").first?.flatMap { $0 } ?? "") ?? -1,
            orphans: Int(try await inspect(store, "SELECT COUNT(*) FROM attempts WHERE message_id = ?", [ids["ancient-failed"]!]).first?.flatMap { $0 } ?? "") ?? -1
        )
        #expect(counts.raw == 2, "raw receipts stay only for the two untouched messages")
        #expect(counts.orphans == 0, "attempts, decisions and receipts go with their message")
        await sandbox.stop()
        await store.close()
    }

    @Test("varsel purge --dry-run says what would go and deletes nothing; the configuration refuses records shorter-lived than personal data")
    func purgeCommand() async throws {
        let directory = TemporaryDirectory()
        let config = directory.write(
            "varsel.yaml", Fixtures.config(storePath: directory.file("varsel.db"), gatewayBase: "http://127.0.0.1:\(closedLoopbackPort())"))
        let run = try await ChildProcess.run(["purge", "--dry-run", "--config", config])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("dry run: nothing was deleted"))
        #expect(run.stdout.contains("of 0 message(s) would be deleted") && run.stdout.contains("(90 days)") && run.stdout.contains("(1826 days)"))

        let bad = directory.write("bad.yaml", try String(contentsOfFile: config, encoding: .utf8) + "\nretention: { personal_data_days: 400, record_days: 365 }\n")
        let refused = try await ChildProcess.run(["purge", "--config", bad])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("retention.record_days: must be at least retention.personal_data_days (400)"), "\(refused.stderr)")
    }
}
