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
/// bytes written. SQLite reuses the log from its start when a write begins with every page in it
/// copied: when writes pause, or, under a steady load that this checkpoint running beside the writer
/// never catches up with, after the writer's backstop copied the rest, so the log grows to about
/// `backstopPages`. (Having the writer copy the rest between its transactions, once a second or once
/// this checkpoint left under 1,024 pages, kept the log near 100 MB and sent no faster: 90,000 mixed,
/// four interleaved pairs each, 1.05 and 0.91 of the rate in the medians, within the noise.)
final class WALCheckpointer: Sendable {
    /// The writer's automatic checkpoint, in pages (256 MiB), while this one runs: above a second of
    /// the heaviest load measured.
    static let backstopPages = 65_536
    private let stopping = Atomic<Bool>(false)

    /// Nil when the checkpoint connection cannot be opened: the writer's automatic checkpoint stays.
    init?(path: String, every interval: Duration = .seconds(1)) {
        guard let connection = try? DatabaseQueue(path: path) else { return nil }
        let thread = Thread { [self] in
            // Named by the thread itself, as `VarselHTTP.NamedThread` does: Foundation's `Thread.name`
            // set before `start()` never reaches the kernel on Linux.
            try? "varsel-wal-checkpoint".write(toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)
            while !stopping.load(ordering: .relaxed) {
                // A failure (e.g. the file went away at shutdown) leaves the work to the writer's backstop.
                _ = try? connection.writeWithoutTransaction { db in try db.checkpoint(.passive) }
                Thread.sleep(forTimeInterval: Double(interval.components.attoseconds) / 1e18 + Double(interval.components.seconds))
            }
            try? connection.close()
        }
        thread.start()
    }

    /// Stops after the checkpoint in progress, if any.
    func stop() {
        stopping.store(true, ordering: .relaxed)
    }
}
