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
final class WALCheckpointer: Sendable {
    /// The writer's automatic checkpoint, in pages, while this one runs.
    static let backstopPages = 16_384
    private let stopping = Atomic<Bool>(false)

    /// Nil when the checkpoint connection cannot be opened: the writer's automatic checkpoint stays.
    init?(path: String, every interval: Duration = .milliseconds(100)) {
        guard let connection = try? DatabaseQueue(path: path) else { return nil }
        let thread = Thread { [self] in
            while !stopping.load(ordering: .relaxed) {
                // A failure (e.g. the file went away at shutdown) leaves the work to the writer's backstop.
                _ = try? connection.writeWithoutTransaction { db in try db.checkpoint(.passive) }
                Thread.sleep(forTimeInterval: Double(interval.components.attoseconds) / 1e18 + Double(interval.components.seconds))
            }
            try? connection.close()
        }
        thread.name = "varsel-wal-checkpoint"
        thread.start()
    }

    /// Stops after the checkpoint in progress, if any.
    func stop() {
        stopping.store(true, ordering: .relaxed)
    }
}
