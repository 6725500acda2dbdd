import Foundation
import GRDB
import Synchronization

/// Copies the write-ahead log into the database file from its own connection and thread, so the
/// writer does not: with SQLite's automatic checkpoint, the commit that takes the log past 1,000
/// pages also reads them back, writes them into the database file and syncs it before the writer can
/// go on, which under a steady send load was about a sixth of the send loop's work.
///
/// A passive checkpoint never waits for the writer or readers; it copies what it can. The writer's
/// own automatic checkpoint stays as a backstop at a larger log size, for when this one falls behind.
///
/// Once a second: a checkpoint copies each page changed since the one before once, however often it
/// changed, and under load the same pages change all the time (the tails of tables and indexes, the
/// rows of messages being sent, the index pages of the keys a batch repeats). Every 100 ms, the
/// checkpoint was an eighth of a daemon's work taking batches, and a sent message cost a tenth more
/// bytes written. The log grows to what a second of writes takes (at the most a daemon was measured
/// to write, about 200 MB), and is reused from its start after each checkpoint.
final class WALCheckpointer: Sendable {
    /// The writer's automatic checkpoint, in pages (256 MiB), while this one runs: above a second of
    /// the heaviest load measured.
    static let backstopPages = 65_536
    private let stopping = Atomic<Bool>(false)
    /// Signalled by `stop()`, so a thread waiting for its next round wakes at once.
    private let wake = DispatchSemaphore(value: 0)
    /// Signalled by the thread as it ends, its connection closed.
    private let ended = DispatchSemaphore(value: 0)
    private let hasEnded = Atomic<Bool>(false)

    /// Whether the thread still runs (or holds its connection).
    var isRunning: Bool { !hasEnded.load(ordering: .acquiring) }

    /// Nil when the checkpoint connection cannot be opened: the writer's automatic checkpoint stays.
    init?(path: String, every interval: Duration = .seconds(1)) {
        guard let connection = try? DatabaseQueue(path: path) else { return nil }
        let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        let thread = Thread { [self] in
            while !stopping.load(ordering: .relaxed) {
                // A failure (e.g. the file went away at shutdown) leaves the work to the writer's backstop.
                _ = try? connection.writeWithoutTransaction { db in try db.checkpoint(.passive) }
                _ = wake.wait(timeout: .now() + seconds)
            }
            try? connection.close()
            hasEnded.store(true, ordering: .releasing)
            ended.signal()
        }
        thread.name = "varsel-wal-checkpoint"
        thread.start()
    }

    /// Stops after the checkpoint in progress, if any, and returns once the thread has closed its
    /// connection: a store closed is not held open by its checkpoint. Idempotent.
    func stop() {
        guard !stopping.exchange(true, ordering: .relaxed) else { return }
        wake.signal()
        ended.wait()
    }
}
