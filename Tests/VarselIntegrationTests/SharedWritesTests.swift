import Dispatch
import Foundation
import GRDB
import Synchronization
import Testing
import VarselCore
@testable import VarselStore
import VarselTestSupport

/// `SharedWrites`: the send loop's writes and enqueues on SQLite share a transaction while the writer is busy.
@Suite struct SharedWritesTests {
    struct Refused: Error {}

    /// A value shared between the test and the store's threads.
    final class Shared<Value: Sendable>: Sendable {
        private let value: Mutex<Value>
        init(_ value: Value) { self.value = Mutex(value) }
        func withLock<T>(_ body: (inout Value) -> T) -> T { value.withLock { body(&$0) } }
    }

    /// A store with a scratch table, the statements it runs in order, and a way to hold its writer.
    final class Harness: Sendable {
        let store: SQLiteMessageStore
        let statements = Shared<[String]>([])
        private let held = Shared(false)
        private let release = DispatchSemaphore(value: 0)
        private let directory = TemporaryDirectory()

        init() async throws {
            let log = statements
            store = try SQLiteMessageStore(path: directory.file("q.db"), statementObserver: { sql in
                log.withLock { $0.append(sql.trimmingCharacters(in: .whitespacesAndNewlines)) }
            })
            try await store.pool.write { db in try db.execute(sql: "CREATE TABLE scratch (x INTEGER)") }
        }

        /// Holds the writer (as a long transaction would) until `releaseWriter`; returns once it is held.
        func holdWriter() async throws -> Task<Void, any Error> {
            let task = Task { [store, held, release] in
                try await store.pool.writeWithoutTransaction { _ in
                    held.withLock { $0 = true }
                    _ = release.wait(timeout: .now() + 120)
                }
            }
            try await poll("the writer is held") { self.held.withLock { $0 } }
            return task
        }

        func releaseWriter() { release.signal() }

        /// With the writer held, submits the inserts one after another, each once the one before is
        /// waiting (so their order is known); returns their tasks and the holder to await after release.
        func queueInserts(_ inserts: [(value: Int, thenFail: Bool)]) async throws -> (holder: Task<Void, any Error>, writes: [Task<Int, any Error>]) {
            let holder = try await holdWriter()
            var writes: [Task<Int, any Error>] = []
            for (index, insert) in inserts.enumerated() {
                writes.append(Task { try await self.insert(insert.value, thenFail: insert.thenFail) })
                try await SharedWritesTests.poll("write \(index + 1) waits") { self.store.writes.unansweredCount == index + 1 }
            }
            return (holder, writes)
        }

        func insert(
            _ value: Int, urgent: Bool = false, thenFail: Bool = false, thenWaitFor gate: DispatchSemaphore? = nil, running: Shared<[Int]>? = nil
        ) async throws -> Int {
            try await store.writes.write(urgent: urgent) { db in
                try db.execute(sql: "INSERT INTO scratch (x) VALUES (?)", arguments: [value])
                // Still inside the transaction: the test submits the next write now.
                // Held only the first time it runs (not when run again alone after another's failure).
                let first = running?.withLock { runs -> Bool in
                    runs.append(value)
                    return runs.count(where: { $0 == value }) == 1
                } ?? true
                if let gate, first { _ = gate.wait(timeout: .now() + 120) }
                if thenFail { throw Refused() }
                return value
            }
        }

        /// Inserts 1...count, each submitted while the one before runs inside the writer's transaction
        /// (held there until the next is waiting): returns the inserts' tasks once all have finished.
        func insertsArrivingWhileTheOneBeforeRuns(_ count: Int, failing: Set<Int> = [], urgent: Set<Int> = []) async throws -> [Task<Int, any Error>] {
            let running = Shared<[Int]>([])
            // Writes answered: a transaction an urgent write ends commits before the next is submitted.
            let answered = Shared(0)
            let gates = (1...count).map { _ in DispatchSemaphore(value: 0) }
            var writes: [Task<Int, any Error>] = []
            for value in 1...count {
                if value > 1 {
                    try await SharedWritesTests.poll("write \(value - 1) runs") { running.withLock { $0.contains(value - 1) } }
                }
                let gate = gates[value - 1]
                writes.append(Task {
                    defer { answered.withLock { $0 += 1 } }
                    return try await self.insert(
                        value, urgent: urgent.contains(value), thenFail: failing.contains(value), thenWaitFor: gate, running: running)
                })
                if value > 1 {
                    // The one before runs in the transaction, held there; this one waits for the writer.
                    try await SharedWritesTests.poll("write \(value) waits while \(value - 1) runs") {
                        self.store.writes.unansweredCount + answered.withLock { $0 } == value
                    }
                    gates[value - 2].signal()
                }
            }
            gates[count - 1].signal()
            for write in writes { _ = await write.result }
            return writes
        }

        /// The scratch inserts of each transaction, by value, in commit order.
        func transactions() -> [[String]] {
            var result: [[String]] = []
            var current: [String]?
            for sql in statements.withLock({ $0 }) {
                if sql.hasPrefix("BEGIN") {
                    current = []
                } else if sql.hasPrefix("COMMIT") || sql.hasPrefix("ROLLBACK") {
                    if let current, !current.isEmpty { result.append(current + [sql.hasPrefix("COMMIT") ? "commit" : "rollback"]) }
                    current = nil
                } else if sql.hasPrefix("INSERT INTO scratch") {
                    current?.append(sql)
                }
            }
            return result
        }

        func values() async throws -> [Int] {
            try await store.pool.read { db in try Int.fetchAll(db, sql: "SELECT x FROM scratch ORDER BY x") }
        }
    }

    /// Waits, with a generous deadline, until `condition` holds.
    static func poll(_ what: String, _ condition: @escaping @Sendable () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw StoreError("timed out waiting until \(what)") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test("writes that arrive while the writer is busy share its next transaction (one commit), in arrival order, each answered after it")
    func waitingWritesShareOneCommit() async throws {
        let harness = try await Harness()
        let (holder, writes) = try await harness.queueInserts([(1, false), (2, false), (3, false)])
        harness.statements.withLock { $0 = [] }
        harness.releaseWriter()
        try await holder.value
        #expect(try await [writes[0].value, writes[1].value, writes[2].value] == [1, 2, 3])
        #expect(try await harness.values() == [1, 2, 3])
        // The group is taken when the writer comes free: all three, the first too, go together.
        let shapes = harness.transactions().map { $0.count - 1 }
        #expect(shapes == [3], "\(harness.transactions())")
        #expect(harness.transactions().allSatisfy { $0.last == "commit" })
    }

    @Test("a write that fails in a shared transaction fails alone: the others are committed, nothing of it is")
    func failureIsOnlyItsOwn() async throws {
        let harness = try await Harness()
        let (holder, writes) = try await harness.queueInserts([(1, false), (2, true), (3, false)])
        harness.releaseWriter()
        try await holder.value
        #expect(try await writes[0].value == 1)
        await #expect(throws: Refused.self) { try await writes[1].value }
        #expect(try await writes[2].value == 3)
        #expect(try await harness.values() == [1, 3])
    }

    @Test("a chunk whose insert breaks a constraint midway through a statement stores none of its rows (a FAIL leaves the rows before in the transaction): the shared transaction is rolled back, and the writes beside it are stored")
    func insertFailingMidStatementStoresNothing() async throws {
        let harness = try await Harness()
        let now = Date()
        let ids = MessageID.generate(count: 3, now: now)
        // Four rows in one statement; the third has the first's id and breaks the key after two went in.
        let rows = [ids[0], ids[1], ids[0], ids[2]].map { StoredRequest(StoreTests.request(), now: now, id: $0) }
        #expect(SQLiteMessageStore.chunkSizes(rows.count) == [4])
        let holder = try await harness.holdWriter()
        let before = Task { try await harness.insert(1) }
        try await Self.poll("the first write waits") { harness.store.writes.unansweredCount == 1 }
        let chunk = Task { try await harness.store.enqueue(rows, now: now, caseStops: .shipped) }
        try await Self.poll("the chunk waits") { harness.store.writes.unansweredCount == 2 }
        let after = Task { try await harness.insert(2) }
        try await Self.poll("the last write waits") { harness.store.writes.unansweredCount == 3 }
        harness.statements.withLock { $0 = [] }
        harness.releaseWriter()
        try await holder.value
        #expect(try await before.value == 1)
        await #expect(throws: DatabaseError.self) { try await chunk.value }
        #expect(try await after.value == 2)
        #expect(try await harness.values() == [1, 2])
        for id in ids { #expect(try await harness.store.status(id: id) == nil) }
        #expect(try await harness.store.countByState()[.queued, default: 0] == 0)
        // The three went together first; that transaction was rolled back, and each ran again alone.
        #expect(harness.statements.withLock { $0 }.filter { $0.hasPrefix("ROLLBACK") }.count == 2)
    }

    @Test("rows are inserted only inside a transaction, where a failed statement's rows are rolled back with the rest")
    func insertRowsNeedATransaction() async throws {
        let harness = try await Harness()
        await #expect(throws: StoreError.self) {
            try await harness.store.pool.writeWithoutTransaction { db in
                try SQLiteMessageStore.insertRows(db, into: "scratch", columns: ["x"], rows: [[1] as [(any DatabaseValueConvertible)?]])
            }
        }
        #expect(try await harness.values() == [])
    }

    @Test("a write that arrives while the writer's transaction runs joins it before its commit, for a bounded number of rounds; the next one starts a transaction of its own")
    func arrivalsJoinTheRunningTransaction() async throws {
        let harness = try await Harness()
        #expect(SharedWrites.joiningRounds >= 1)
        let count = SharedWrites.joiningRounds + 2
        harness.statements.withLock { $0 = [] }
        let writes = try await harness.insertsArrivingWhileTheOneBeforeRuns(count)
        for (index, write) in writes.enumerated() { #expect(try await write.value == index + 1) }
        #expect(try await harness.values() == Array(1...count))
        // The first and the writes that came in each of the rounds that follow it: one commit.
        let shapes = harness.transactions().map { $0.count - 1 }
        #expect(shapes == [SharedWrites.joiningRounds + 1, 1], "\(harness.transactions())")
        #expect(harness.transactions().allSatisfy { $0.last == "commit" })
    }

    @Test(
        "an urgent write (one its caller waits on to go on: a plan, an attempt's start) joins the running transaction, which then commits without the writes that arrive after it",
        arguments: [2, 1])
    func urgentWriteEndsTheJoining(urgentOne: Int) async throws {
        let harness = try await Harness()
        #expect(SharedWrites.joiningRounds >= 2)
        harness.statements.withLock { $0 = [] }
        let writes = try await harness.insertsArrivingWhileTheOneBeforeRuns(4, urgent: [urgentOne])
        for (index, write) in writes.enumerated() { #expect(try await write.value == index + 1) }
        #expect(try await harness.values() == [1, 2, 3, 4])
        // Urgent 2 joins 1's transaction, which then commits; 3 starts the next, and 4 joins it.
        // Urgent 1 takes in nothing: 2 waits and starts the next, which 3 and 4 join.
        let shapes = harness.transactions().map { $0.count - 1 }
        #expect(shapes == (urgentOne == 2 ? [2, 2] : [1, 3]), "\(harness.transactions())")
        #expect(harness.transactions().allSatisfy { $0.last == "commit" })
    }

    @Test("a write that fails after joining a running transaction fails alone: the others are committed, each in a transaction of its own")
    func joinedFailureIsOnlyItsOwn() async throws {
        let harness = try await Harness()
        harness.statements.withLock { $0 = [] }
        let writes = try await harness.insertsArrivingWhileTheOneBeforeRuns(3, failing: [2])
        #expect(try await writes[0].value == 1)
        await #expect(throws: Refused.self) { try await writes[1].value }
        #expect(try await writes[2].value == 3)
        #expect(try await harness.values() == [1, 3])
        #expect(harness.transactions().map(\.last) == ["rollback", "commit", "rollback", "commit"], "\(harness.transactions())")
    }

    @Test("a write alone runs at once in a transaction of its own")
    func aloneAtOnce() async throws {
        let harness = try await Harness()
        harness.statements.withLock { $0 = [] }
        #expect(try await harness.insert(7) == 7)
        #expect(harness.transactions().map { $0.count - 1 } == [1])
        #expect(harness.store.writes.unansweredCount == 0)
    }

    @Test("enqueues that wait for the writer (chunks of concurrent batches) share its next transaction with each other and the send loop's writes; each is answered after that commit")
    func enqueuesShareTheCommit() async throws {
        let harness = try await Harness()
        let validator = MessageValidator(kinds: KindRule.shipped)
        let now = Date()
        let chunks = try (1...3).map { chunk in
            try (1...3).map { line in StoredRequest(try validator.validate(json: Array(Fixtures.sms(key: "share-\(chunk)-\(line)").utf8)).get(), now: now) }
        }
        let holder = try await harness.holdWriter()
        var enqueues: [Task<[EnqueueOutcome], any Error>] = []
        for (index, rows) in chunks.enumerated() {
            enqueues.append(Task { try await harness.store.enqueue(rows, now: now, caseStops: .shipped) })
            try await SharedWritesTests.poll("enqueue \(index + 1) waits") { harness.store.writes.unansweredCount == index + 1 }
        }
        let insert = Task { try await harness.insert(4) }
        try await SharedWritesTests.poll("the insert waits") { harness.store.writes.unansweredCount == 4 }
        harness.statements.withLock { $0 = [] }
        harness.releaseWriter()
        try await holder.value
        for (rows, enqueue) in zip(chunks, enqueues) {
            #expect(try await enqueue.value == rows.map { .created(id: $0.id) })
        }
        #expect(try await insert.value == 4)
        // Which writes each committed transaction carried: all of them, taken when the writer came free.
        var transactions: [[String]] = []
        var current: [String]?
        for sql in harness.statements.withLock({ $0 }) {
            if sql.hasPrefix("BEGIN") { current = [] }
            if sql.hasPrefix("COMMIT"), let done = current { transactions.append(done); current = nil }
            if sql.hasPrefix("INSERT OR FAIL INTO messages") { current?.append("messages") }
            if sql.hasPrefix("INSERT INTO scratch") { current?.append("scratch") }
        }
        // Each chunk of three rows is inserted by one multi-row statement per chunk size (2 + 1).
        let statements = Array(repeating: "messages", count: SQLiteMessageStore.chunkSizes(3).count)
        #expect(transactions == [statements + statements + statements + ["scratch"]], "\(transactions)")
        #expect(try await harness.store.countByState() == [.queued: 9])
    }
}
