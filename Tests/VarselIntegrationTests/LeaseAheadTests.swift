import Foundation
import PostgresNIO
import Testing
import VarselCore
@testable import VarselDaemon
import VarselGateways
import VarselHTTP
@testable import VarselPostgres
import VarselStore
import VarselTestSupport

/// On PostgreSQL the send loop leases and plans the next batch while the plan before it commits
/// (SQLite's commit reads the next batch itself: `PlanAheadTests`); a batch leased ahead that the
/// loop stops before committing goes back to the queue at once. One daemon at a time: each test runs
/// a whole one, and the suite's tests of child processes wait on the same two cores.
@Suite(.serialized) struct LeaseAheadTests {
    /// A daemon on a fresh PostgreSQL database with room in flight for more than two batches
    /// (batch_size 64), and three batches of SMS enqueued.
    struct Setup {
        let directory = TemporaryDirectory()
        let sandbox = SandboxGateway()
        let config: VarselConfig
        let components: Daemon.Components
        let store: PostgresMessageStore

        /// Three batches of SMS, each message to a phone number of its own.
        static let lines = (0..<192).map { Fixtures.sms(key: "ahead-\($0)", phone: "+47912\(String(format: "%05d", $0))") }

        init(lines: [String] = Self.lines) async throws {
            try await sandbox.start()
            let yaml = try await StoreBackend.postgres.config(
                Fixtures.config(storePath: directory.file("varsel.db"), gatewayBase: sandbox.baseURL, maxInFlight: 1_024), directory)
            config = try ConfigLoader.load(yaml: yaml, baseDirectory: directory.path)
            components = try await Daemon.open(config: config, logger: quietLogger)
            store = try #require(components.store as? PostgresMessageStore)
            let results = try await EnqueueBatch.run(
                Data(lines.joined(separator: "\n").utf8), validator: MessageValidator(kinds: config.planning.kinds), store: store)
            let accepted = results.allSatisfy(\.accepted)
            #expect(accepted)
        }

        /// A dispatcher of its own on the same store, gateway client and templates (another run).
        func dispatcher(readAheadFreshFor: Duration? = nil) -> Dispatcher {
            Dispatcher(
                config: config, store: store, sender: GatewaySender(gateways: Array(config.gateways.values), client: components.client),
                templates: { components.templates.current }, logger: quietLogger, readAheadFreshFor: readAheadFreshFor)
        }

        func stop() async {
            components.client.shutdown()
            await sandbox.stop()
        }

        /// Runs `body` while a session of the test's own holds the decisions table against writes:
        /// every plan's commit (which adds to its messages' trails) waits until `body` returns.
        func withPlanCommitsHeld(_ body: () async throws -> Void) async throws {
            try await store.client.withConnection { connection in
                try await connection.query("BEGIN", logger: quietLogger)
                try await connection.query("LOCK TABLE varsel.decisions IN EXCLUSIVE MODE", logger: quietLogger)
                do {
                    try await body()
                } catch {
                    try await connection.query("ROLLBACK", logger: quietLogger)
                    throw error
                }
                try await connection.query("ROLLBACK", logger: quietLogger)
            }
        }

        /// Waits (at most 60 s) until `count` messages are leased; returns how many are.
        func waitUntilSending(_ count: Int) async throws -> Int {
            let deadline = ContinuousClock.now + .seconds(60)
            var sending = 0
            while ContinuousClock.now < deadline {
                sending = try await store.countByState()[.sending] ?? 0
                if sending >= count { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            return sending
        }
    }

    @Test("on PostgreSQL the next batch is leased while the plan before it commits: with that commit held, two batches are leased, not one")
    func nextBatchLeasedDuringCommit() async throws {
        let setup = try await Setup()
        let sending = Task { await setup.components.dispatcher.run(untilIdle: true) }
        try await setup.withPlanCommitsHeld {
            // A loop that leased only after each commit would hold one batch for as long as it waits.
            let leased = try await setup.waitUntilSending(128)
            #expect(leased == 128)
        }
        await sending.value
        #expect(try await setup.store.countByState() == [.sent: 192])
        await setup.stop()
    }

    @Test("on PostgreSQL a batch leased ahead that waited longer than a planned batch may is planned again, not dropped: every message is sent once")
    func staleLeasedBatchPlannedAgain() async throws {
        let setup = try await Setup()
        // Every batch planned ahead is stale by the time it is sent.
        await setup.dispatcher(readAheadFreshFor: .zero).run(untilIdle: true)
        #expect(try await setup.store.countByState() == [.sent: 192])
        #expect(try await inspect(setup.store, "SELECT count(*) FROM attempts") == ["192"])
        await setup.stop()
    }

    @Test("on PostgreSQL a batch leased and then not planned (a planning read failed) goes back to the queue at once, not after its leases expire")
    func unplannedBatchGivenBack() async throws {
        // A batch without stored recipients, then one whose planning reads the recipients' records.
        let setup = try await Setup(lines: (0..<128).map { index in
            Fixtures.sms(key: "unplanned-\(index)", phone: "+47912\(String(format: "%05d", index))", extra: index < 64 ? "" : #","id":"rcp-\#(index)""#)
        })
        try await execute(setup.store, "ALTER TABLE recipients RENAME TO recipients_away")
        let sending = Task { await setup.components.dispatcher.run() }
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline, try await setup.store.countByState()[.sent] != 64 {
            try await Task.sleep(for: .milliseconds(20))
        }
        setup.components.dispatcher.requestStop()
        await sending.value
        // The second batch, leased again and again while the first was sent, is queued, none leased.
        #expect(try await setup.store.countByState() == [.sent: 64, .queued: 64])
        try await execute(setup.store, "ALTER TABLE recipients_away RENAME TO recipients")
        await setup.stop()
    }

    @Test("on PostgreSQL a batch leased ahead and not committed when the daemon stops goes back to the queue as it was (due time, reason and trail unchanged) and the next run sends it at once")
    func leasedAheadGivenBackAtStop() async throws {
        let setup = try await Setup()
        let rows = "SELECT id || ' ' || ready_at || ' ' || COALESCE(state_reason, '-') FROM messages ORDER BY id"
        let trails = "SELECT message_id || ' ' || count(*) FROM decisions GROUP BY message_id ORDER BY message_id"
        let before = (rows: try await inspect(setup.store, rows), trails: try await inspect(setup.store, trails))
        let sending = Task { await setup.components.dispatcher.run() }
        try await setup.withPlanCommitsHeld {
            let leased = try await setup.waitUntilSending(128)
            #expect(leased == 128)
            setup.components.dispatcher.requestStop()
        }
        await sending.value
        // The first batch's commit went through and its sends ended; the batch leased ahead went back
        // without waiting for its leases (60 s) to expire.
        #expect(try await setup.store.countByState() == [.sent: 64, .queued: 128])
        let queued = try await inspect(setup.store, "SELECT id FROM messages WHERE state = 'queued' AND lease_token IS NULL AND lease_owner IS NULL")
            .compactMap { $0 }
        #expect(queued.count == 128)
        func of(_ lines: [String?]) -> [String] {
            lines.compactMap { $0 }.filter { line in queued.contains { line.hasPrefix($0 + " ") } }
        }
        let after = (rows: try await inspect(setup.store, rows), trails: try await inspect(setup.store, trails))
        #expect(of(after.rows).count == 128)
        #expect(of(after.rows) == of(before.rows))
        #expect(of(after.trails) == of(before.trails))

        // The next run.
        await setup.dispatcher().run(untilIdle: true)
        #expect(try await setup.store.countByState() == [.sent: 192])
        await setup.stop()
    }
}
