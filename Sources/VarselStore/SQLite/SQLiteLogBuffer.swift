import CSQLiteWALBuffer
import Foundation
import GRDB

/// The writer's writes to SQLite's write-ahead log, gathered into large ones (`CSQLiteWALBuffer`).
///
/// SQLite writes a frame of the log in two calls, its 24-byte header and then its page: a commit of a
/// batch's chunk (about 2,000 pages in a large store, most of them index pages its random keys land
/// on) made 4,000 `pwrite` calls, each but the first straddling two of the file's pages, and the
/// kernel's work on them was most of the commit. Gathered, they are one call for every 29 frames.
///
/// Only on a connection whose commits sync the log (`synchronous` FULL or EXTRA) and whose file
/// promises powersafe overwrite (SQLite's default; without it SQLite pads a commit with frames written
/// after its sync): its frames are then written out by the sync that precedes the commit's
/// publication, and a failed write fails the commit as it did. `VARSEL_SQLITE_WAL_BUFFER=off` in the
/// environment leaves every write as SQLite makes it.
public enum SQLiteLogBuffer {
    /// Whether this process gathers log writes (the VFS is installed and not turned off).
    public static let isAvailable: Bool = {
        guard ProcessInfo.processInfo.environment["VARSEL_SQLITE_WAL_BUFFER"] != "off" else { return false }
        return varsel_wal_buffer_install() == SQLITE_OK
    }()

    /// Gathers the log writes of `db` from now on, where it syncs its commits; whether it does.
    @discardableResult
    static func enable(on db: Database, synchronous: SQLiteMessageStore.Synchronous) -> Bool {
        guard isAvailable, synchronous != .normal, let connection = db.sqliteConnection else { return false }
        return varsel_wal_buffer_enable(connection) == SQLITE_OK
    }

    /// Whether the log writes of `db` are gathered.
    static func isEnabled(on db: Database) -> Bool {
        db.sqliteConnection.map { varsel_wal_buffer_enabled($0) != 0 } ?? false
    }

    /// Calls made to write the log of `db` since it was opened (nil when not opened through the VFS).
    static func logWrites(of db: Database) -> Int64? {
        guard let connection = db.sqliteConnection else { return nil }
        let count = varsel_wal_buffer_log_writes(connection)
        return count < 0 ? nil : Int64(count)
    }
}
