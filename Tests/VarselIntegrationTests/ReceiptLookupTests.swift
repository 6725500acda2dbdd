import Foundation
import GRDB
import Testing
import VarselCore
import VarselDaemon
import VarselHTTP
@testable import VarselStore
import VarselTestSupport

/// SQLite indexes an attempt's provider id only where a receipt can name it: for a gateway with
/// `receipts` configured. Turning a gateway's receipts on indexes its earlier attempts at the next start.
@Suite struct ReceiptLookupTests {
    static let receipts = "receipts: { signature: hmac-sha256, secret_env: RECEIPT_SECRET }"

    /// The test configuration on `directory`'s store, with receipts for `sms-main` (the one gateway
    /// with a connect timeout in the fixture) when `withReceipts`.
    static func config(_ directory: TemporaryDirectory, gatewayBase: String, withReceipts: Bool) throws -> VarselConfig {
        var yaml = Fixtures.config(storePath: directory.file("varsel.db"), gatewayBase: gatewayBase)
        if withReceipts {
            yaml = yaml.replacingOccurrences(of: "connect_timeout_ms: 2000", with: "connect_timeout_ms: 2000, \(receipts)")
        }
        #expect(yaml.contains("receipts:") == withReceipts)
        return try ConfigLoader.load(yaml: yaml, baseDirectory: directory.path, environment: ["RECEIPT_SECRET": "receipt-secret-for-tests"])
    }

    /// Opens a daemon on the configuration, enqueues `lines` and sends them.
    static func send(_ lines: [String], config: VarselConfig) async throws -> Daemon.Components {
        let components = try await Daemon.open(config: config, logger: quietLogger)
        let results = try await EnqueueBatch.run(
            Data(lines.joined(separator: "\n").utf8), validator: MessageValidator(kinds: config.planning.kinds), store: components.store)
        let accepted = results.allSatisfy(\.accepted)
        #expect(accepted)
        await components.dispatcher.run(untilIdle: true)
        return components
    }

    static func lookups(_ directory: TemporaryDirectory) throws -> (byGateway: [String: [Int]], unindexed: [String]) {
        let queue = try SQLiteCostTests.connection(directory.file("varsel.db"))
        defer { try? queue.close() }
        return try queue.read { db in
            var byGateway: [String: [Int]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT gateway, receipt_lookup FROM attempts ORDER BY id") {
                byGateway[row["gateway"], default: []].append(row["receipt_lookup"])
            }
            return (byGateway, try String.fetchAll(db, sql: "SELECT gateway FROM unindexed_gateways ORDER BY gateway"))
        }
    }

    @Test("a gateway without receipts opens attempts a receipt cannot find; with receipts turned on, the next start indexes them and their receipts are recorded")
    func receiptsTurnedOn() async throws {
        let directory = TemporaryDirectory()
        let sandbox = SandboxGateway()
        try await sandbox.start()
        defer { Task { await sandbox.stop() } }

        let without = try Self.config(directory, gatewayBase: sandbox.baseURL, withReceipts: false)
        let first = try await Self.send([Fixtures.sms(key: "before-1"), Fixtures.email(key: "before-2")], config: without)
        first.client.shutdown()
        let providerID = try #require(sandbox.received.first { $0.channel == "sms" }?.providerID)
        var lookups = try Self.lookups(directory)
        #expect(lookups.byGateway == ["sms-main": [0], "email-main": [0]])
        // Noted with the attempts; letter-main opened none.
        #expect(lookups.unindexed == ["email-main", "sms-main"])
        // Not in the index: a receipt cannot find the attempt.
        let unseen = try await first.store.recordReceipt(
            gateway: "sms-main", providerID: providerID, status: .delivered, error: nil, raw: nil, fallback: false, now: Date())
        #expect(unseen == .unknownProvider)

        // Receipts turned on for sms-main: its attempt is indexed as the daemon opens.
        let with = try Self.config(directory, gatewayBase: sandbox.baseURL, withReceipts: true)
        let second = try await Self.send([Fixtures.sms(key: "after-1", phone: "+4791234568")], config: with)
        second.client.shutdown()
        lookups = try Self.lookups(directory)
        #expect(lookups.byGateway == ["sms-main": [1, 1], "email-main": [0]])
        #expect(lookups.unindexed == ["email-main"])
        let found = try await second.store.recordReceipt(
            gateway: "sms-main", providerID: providerID, status: .delivered, error: nil, raw: nil, fallback: false, now: Date())
        guard case .recorded(let messageID, let state) = found else {
            Issue.record("the receipt for the send made before receipts were on was not recorded: \(found)")
            return
        }
        #expect(state == .delivered)
        #expect(try await second.store.status(id: messageID)?.state == .delivered)
        // Already indexed: nothing to do at the next start.
        #expect(try await second.store.prepareReceiptLookups(receiptGateways: ["sms-main"]) == 0)

        // Receipts turned off again: sms-main's attempts from then on are not indexed, and noted, until
        // receipts are turned on once more.
        let third = try await Self.send([Fixtures.sms(key: "off-again", phone: "+4791234569")], config: without)
        third.client.shutdown()
        lookups = try Self.lookups(directory)
        #expect(lookups.byGateway == ["sms-main": [1, 1, 0], "email-main": [0]])
        #expect(lookups.unindexed == ["email-main", "sms-main"])
        #expect(try await third.store.prepareReceiptLookups(receiptGateways: ["sms-main"]) == 1)
        #expect(try Self.lookups(directory).byGateway == ["sms-main": [1, 1, 1], "email-main": [0]])
    }

    @Test("a receipt's look-up of its attempt reads the partial index, not the table")
    func lookupUsesTheIndex() async throws {
        let directory = TemporaryDirectory()
        // Read through the store's own connections: a second connection opened while a dropped store
        // closed its own (the last to close checkpoints the log under an exclusive lock) found the
        // database locked on a busy machine.
        let store = try SQLiteMessageStore(path: directory.file("varsel.db"))
        let plan = try await store.pool.read { db in
            try Row.fetchAll(
                db, sql: "EXPLAIN QUERY PLAN SELECT id, message_id, channel, delivery_status FROM attempts WHERE gateway = ? AND provider_id = ? AND receipt_lookup = 1 ORDER BY id DESC LIMIT 1",
                arguments: ["g", "p"]).map { $0["detail"] as String }
        }
        #expect(plan.contains { $0.contains("USING INDEX attempts_provider") }, "\(plan)")
        #expect(!plan.contains { $0.hasPrefix("SCAN") || $0.hasPrefix("USE TEMP B-TREE") }, "\(plan)")
    }

    @Test("attempts stored before v18 stay findable by their receipts")
    func olderAttemptsStayIndexed() async throws {
        let directory = TemporaryDirectory()
        let queue = try SQLiteCostTests.olderStore(directory, upTo: "v17-decision-rows")
        let request = String(decoding: StoreTests.request().storedJSON, as: UTF8.self)
        try await queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO messages (id, request_hash, kind, request, state, ready_at, created_at, updated_at)
                    VALUES ('m1', 'h', 'reminder', ?, 'sent', 0, 0, 0)
                    """, arguments: [request])
            try db.execute(sql: """
                INSERT INTO attempts (message_id, started_at, finished_at, channel, gateway, idempotency_key, provider_id, outcome)
                VALUES ('m1', 0, 1, 'sms', 'sms-main', 'k', 'provider-1', 'accepted')
                """)
        }
        try queue.close()
        let store = try SQLiteMessageStore(path: directory.file("varsel.db"))
        #expect(store.migrationsApplied == ["v18-receipt-lookup", "v19-counted-inserts", "v20-attempts-counted-with-outcome"])
        let outcome = try await store.recordReceipt(
            gateway: "sms-main", providerID: "provider-1", status: .delivered, error: nil, raw: nil, fallback: false, now: Date())
        #expect(outcome == .recorded(messageID: "m1", state: .delivered))
    }
}
