import Foundation
import Synchronization
import Testing
import VarselCore
@testable import VarselDaemon
import VarselHTTP
import VarselStore
import VarselTestSupport

/// The send loop plans and renders the next batch while the writer commits the plan before it, so
/// the one loop is not idle while its commit waits for the writer (30,000 mixed to the bench's nginx:
/// +9 % in the median of five interleaved pairs).
@Suite struct PlanAheadTests {
    /// What the store's connections ran, as the test needs it: the writer's plan transactions, and
    /// how many recipients the planning reads looked up.
    struct Watch {
        /// The thread of the plan transaction under way, if one is.
        var planThread: pthread_t?
        var plans = 0
        var recipientsRead = 0
        /// Whether all three batches' recipients were read before the second plan's commit ended.
        var overlapped: Bool?
    }

    @Test("the next batch is planned while the plan before it commits: its planning reads run before that commit ends")
    func nextBatchPlannedDuringCommit() async throws {
        let directory = TemporaryDirectory()
        let sandbox = SandboxGateway()
        try await sandbox.start()
        defer { Task { await sandbox.stop() } }
        // Room in flight for two batches (batch_size 64) and more.
        let config = try ConfigLoader.load(
            yaml: Fixtures.config(storePath: directory.file("varsel.db"), gatewayBase: sandbox.baseURL, maxInFlight: 1_024),
            baseDirectory: directory.path)
        let components = try await Daemon.open(config: config, logger: quietLogger)
        defer { components.client.shutdown() }
        let watch = Mutex(Watch())
        let store = try SQLiteMessageStore(path: directory.file("varsel.db"), statementObserver: { sql in
            let words = sql.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            let thread = pthread_self()
            var hold = false
            watch.withLock { watch in
                if words.hasPrefix("UPDATE messages SET channel") {
                    watch.planThread = thread
                } else if words.hasPrefix("SELECT record FROM recipients WHERE id IN") {
                    watch.recipientsRead += words.filter { $0 == "?" }.count
                } else if words.hasPrefix("COMMIT"), let planThread = watch.planThread, pthread_equal(planThread, thread) != 0 {
                    // Readers commit their snapshots too: only the plan's own thread ends the plan.
                    watch.planThread = nil
                    watch.plans += 1
                    // The second plan: the first read the two batches after it, and this one's
                    // commit is where the third is planned meanwhile.
                    hold = watch.plans == 2
                }
            }
            guard hold else { return }
            // The commit waits (at most 30 s) for the third batch's planning reads: a loop that planned
            // only after this commit would never make them while it waits.
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline, watch.withLock({ $0.recipientsRead < 192 }) {
                Thread.sleep(forTimeInterval: 0.001)
            }
            watch.withLock { $0.overlapped = $0.recipientsRead >= 192 }
        })
        // Three batches of SMS, each to a recipient with an id of its own (read when planning).
        let lines = (0..<192).map {
            Fixtures.sms(key: "ahead-\($0)", phone: "+47912\(String(format: "%05d", $0))", extra: #","id":"rcp-\#($0)""#)
        }
        _ = try await SQLiteCostTests.enqueueAndSend(lines, config: config, store: store, components: components, readAheadFreshFor: .seconds(86_400))
        #expect(try await store.countByState() == [.sent: 192])
        let seen = watch.withLock { $0 }
        #expect(seen.plans >= 3, "\(seen.plans) plans")
        #expect(seen.overlapped == true, "the third batch was planned only after the second's commit")
    }
}
