import Foundation
import GRDB
import Synchronization
import Testing
import VarselCore
@testable import VarselDaemon
import VarselStore
import VarselTestSupport

/// Group commit of single enqueues: those that arrive while a write is under way share the next
/// transaction, and idempotency holds inside a group.
@Suite struct EnqueueGroupTests {
    @Test("200 enqueues arriving while the store is busy are written in at most two transactions, each answered with its own id")
    func groupsArrivals() async throws {
        let directory = TemporaryDirectory()
        let commits = Mutex(0)
        let store = try SQLiteMessageStore(path: directory.file("varsel.db"), statementObserver: { sql in
            if sql.uppercased().hasPrefix("COMMIT") { commits.withLock { $0 += 1 } }
        })
        let group = EnqueueGroup(store: store, caseStops: CaseStopPolicy(kinds: KindRule.shipped))
        let validator = MessageValidator(kinds: KindRule.shipped)
        let requests = try (0..<200).map { try validator.validate(json: Array(Fixtures.sms(key: "g\($0)").utf8)).get() }
        // Another connection holds the write lock: the first write waits for it while the others arrive.
        let blocker = try DatabaseQueue(path: directory.file("varsel.db"))
        let release = Gate()
        release.close()
        let holding = Self.holdWriteLock(blocker, until: release)
        #expect(await eventually { release.waiting }, "the other connection holds the write lock")
        commits.withLock { $0 = 0 }
        let outcomes = try await withThrowingTaskGroup(of: (Int, EnqueueOutcome).self) { tasks in
            for (index, request) in requests.enumerated() { tasks.addTask { (index, try await group.enqueue(request)) } }
            #expect(await eventually { group.unansweredCount == 200 })
            release.open()
            var outcomes: [Int: EnqueueOutcome] = [:]
            for try await (index, outcome) in tasks { outcomes[index] = outcome }
            return outcomes
        }
        #expect(await eventually { holding.released.withLock { $0 } })
        let ids = outcomes.values.compactMap { outcome -> String? in
            if case .created(let id) = outcome { return id }
            return nil
        }
        #expect(Set(ids).count == 200)
        // The blocker's, then the group taken before the lock was free, then all the others together.
        #expect(commits.withLock { $0 } <= 3, "\(commits.withLock { $0 }) commits")
        #expect(try await store.countByState()[.queued] == 200)
    }

    @Test("inside one group the same key twice is one message and a duplicate; a different message under a used key is a conflict")
    func idempotencyInsideAGroup() async throws {
        let directory = TemporaryDirectory()
        let store = try SQLiteMessageStore(path: directory.file("varsel.db"))
        let group = EnqueueGroup(store: store, caseStops: CaseStopPolicy(kinds: KindRule.shipped))
        let validator = MessageValidator(kinds: KindRule.shipped)
        let first = try validator.validate(json: Array(Fixtures.sms(key: "same").utf8)).get()
        let other = try validator.validate(json: Array(Fixtures.sms(key: "same", phone: "+4791234568").utf8)).get()
        let blocker = try DatabaseQueue(path: directory.file("varsel.db"))
        let release = Gate()
        release.close()
        let holding = Self.holdWriteLock(blocker, until: release)
        #expect(await eventually { release.waiting }, "the other connection holds the write lock")
        async let warmup = group.enqueue(try validator.validate(json: Array(Fixtures.sms(key: "warm").utf8)).get())
        #expect(await eventually { group.unansweredCount == 1 })
        async let a = group.enqueue(first)
        async let b = group.enqueue(first)
        async let c = group.enqueue(other)
        #expect(await eventually { group.unansweredCount == 4 })
        release.open()
        let results = try await [a, b, c]
        _ = try await warmup
        #expect(await eventually { holding.released.withLock { $0 } })
        let created = results.compactMap { if case .created(let id) = $0 { id } else { nil } }
        let duplicates = results.compactMap { if case .duplicate(let id) = $0 { id } else { nil } }
        let conflicts = results.filter { if case .conflict = $0 { true } else { false } }
        #expect(created.count == 1 && duplicates == created && conflicts.count == 1, "\(results)")
    }

    /// Takes the write lock on a thread of its own (not one of the few the tests' tasks share) and
    /// holds it until `gate` opens.
    static func holdWriteLock(_ queue: DatabaseQueue, until gate: Gate) -> LockHolder {
        let holder = LockHolder()
        Thread {
            try? queue.inTransaction(.immediate) { _ in
                gate.passThrough()
                return .commit
            }
            holder.released.withLock { $0 = true }
        }.start()
        return holder
    }
}

/// Whether the thread holding the write lock let go.
final class LockHolder: Sendable {
    let released = Mutex(false)
}
