import GRDB
import Synchronization
import VarselCore

/// Group commit on SQLite's one writer for the send loop's writes (a batch's read and plan, outcomes,
/// attempt starts) and for enqueues (a chunk of a batch, a group of single POSTs): those that arrive
/// while a transaction is under way run together in the next one, in arrival order, with one commit
/// and one sync for all, and each is answered only after that commit. A write alone runs at once. A
/// write that throws fails only itself: the group is rolled back and its writes run again, one
/// transaction each.
///
/// Under load the loop's plan, the recorder's outcomes, the starts of sends that waited for a
/// connection and the chunks of concurrent batches otherwise queue for the writer one transaction
/// after another, each with its own sync and its own copy of the pages they share in the
/// write-ahead log (the tail of every table and index, and index pages their keys share).
struct SharedWrites: Sendable {
    private let commit: GroupCommit<Job, Void>

    init(pool: DatabasePool) {
        commit = GroupCommit(maxGroup: .max) { jobs in
            do {
                try await pool.write { db in
                    for job in jobs { try job.run(db) }
                }
                return jobs.map { _ in .success(()) }
            } catch {
                guard jobs.count > 1 else { return [.failure(error)] }
                var results: [Result<Void, any Error>] = []
                for job in jobs {
                    results.append(await Result { try await pool.write { db in try job.run(db) } })
                }
                return results
            }
        }
    }

    /// Writes submitted and not answered yet: waiting, or in the transaction under way.
    var unansweredCount: Int { commit.unansweredCount }

    /// Runs `work` in the writer's next transaction, with whatever else is waiting, and returns its
    /// result once that transaction is committed.
    func write<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let result = Mutex<T?>(nil)
        try await commit.submit(Job { db in
            let value = try work(db)
            result.withLock { $0 = value }
        })
        guard let value = result.withLock({ $0 }) else { throw StoreError("a shared write was committed without its result") }
        return value
    }
}

/// One caller's write, run in a shared transaction (and again alone if another write fails it).
private struct Job: Sendable {
    let run: @Sendable (Database) throws -> Void
}
