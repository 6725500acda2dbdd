import CSQLiteWALBuffer
import Foundation
import GRDB
import GRDBSQLite
import Synchronization
import Testing
@testable import VarselStore
import VarselTestSupport

/// The writer's log writes gathered (`SQLiteLogBuffer`, `CSQLiteWALBuffer`): on a store that syncs
/// its commits only, in far fewer calls, and with every committed row read back whole by other
/// connections, across transactions that spill and roll back and another connection writing between.
@Suite struct SQLiteLogBufferTests {
    /// Rows of `bytes` bytes each (`count` of them, numbered from `first`), whose content says their number.
    static func insertRows(_ db: Database, first: Int, count: Int, bytes: Int) throws {
        let statement = try db.makeStatement(sql: "INSERT INTO scratch (n, body) VALUES (?, ?)")
        for n in first..<first + count {
            try statement.execute(arguments: [n, Self.body(n, bytes: bytes)])
        }
    }

    static func body(_ n: Int, bytes: Int) -> Data {
        Data(repeating: UInt8(truncatingIfNeeded: n), count: bytes)
    }

    /// Every row as stored: its number and whether its content is what was written.
    static func readBack(_ db: Database) throws -> [Int: Bool] {
        var rows: [Int: Bool] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT n, body FROM scratch") {
            let n: Int = row["n"]
            let body: Data = row["body"]
            rows[n] = body == Self.body(n, bytes: body.count) && !body.isEmpty
        }
        return rows
    }

    static func integrity(_ db: Database) throws -> String? {
        try String.fetchOne(db, sql: "PRAGMA integrity_check")
    }

    /// Commits 2,000 rows of 3 KB (about 2,000 frames of 4 KiB) on the store's writer: whether its log
    /// writes are gathered, and the calls made to write the log for the commit.
    static func commitLarge(_ store: SQLiteMessageStore) async throws -> (enabled: Bool, writes: Int64) {
        try await store.pool.write { db in try db.execute(sql: "CREATE TABLE scratch (n INTEGER PRIMARY KEY, body BLOB NOT NULL)") }
        return try await store.pool.writeWithoutTransaction { db in
            let before = SQLiteLogBuffer.logWrites(of: db) ?? -1
            try db.inTransaction {
                try Self.insertRows(db, first: 0, count: 2_000, bytes: 3_000)
                return .commit
            }
            return (SQLiteLogBuffer.isEnabled(on: db), (SQLiteLogBuffer.logWrites(of: db) ?? -1) - before)
        }
    }

    @Test("a store that syncs its commits gathers its writer's log writes: a commit of about 2,000 pages takes a call for every 29 frames, not two a frame, and another connection reads every row")
    func gathered() async throws {
        let directory = TemporaryDirectory()
        let store = try SQLiteMessageStore(path: directory.file("m.db"))
        let (enabled, writes) = try await Self.commitLarge(store)
        #expect(enabled)
        // About 2,000 frames: 4,000 calls as SQLite makes them.
        #expect(writes > 0)
        #expect(writes < 200, "\(writes) calls")
        let rows = try await store.pool.read { db in try Self.readBack(db) }
        #expect(rows.count == 2_000)
        #expect(rows.values.allSatisfy { $0 })
        #expect(try await store.pool.read { db in try Self.integrity(db) } == "ok")
    }

    @Test("a store whose commits do not sync the log (synchronous NORMAL) writes it as SQLite does: two calls a frame")
    func notWhereCommitsDoNotSync() async throws {
        let directory = TemporaryDirectory()
        let store = try SQLiteMessageStore(path: directory.file("m.db"), synchronous: .normal)
        let (enabled, writes) = try await Self.commitLarge(store)
        #expect(!enabled)
        #expect(writes >= 4_000, "\(writes) calls")
        #expect(try await store.pool.read { db in try Self.readBack(db) }.count == 2_000)
    }

    @Test("a database file without powersafe overwrite (SQLite then pads each commit with frames written after its sync) is not buffered")
    func notWithoutPowersafeOverwrite() throws {
        let directory = TemporaryDirectory()
        _ = SQLiteLogBuffer.isAvailable
        func enable(_ uri: String) throws -> (result: Int32, enabled: Bool) {
            var connection: OpaquePointer?
            #expect(sqlite3_open_v2(uri, &connection, SQLITE_OPEN_CREATE | SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI, nil) == SQLITE_OK)
            defer { sqlite3_close(connection) }
            #expect(sqlite3_exec(connection, "PRAGMA journal_mode = WAL; CREATE TABLE IF NOT EXISTS t (x)", nil, nil, nil) == SQLITE_OK)
            let result = varsel_wal_buffer_enable(connection)
            return (result, varsel_wal_buffer_enabled(connection) != 0)
        }
        let path = directory.file("m.db")
        let padded = try enable("file:\(path)?psow=0")
        #expect(padded.result == SQLITE_NOTFOUND)
        #expect(!padded.enabled)
        let plain = try enable("file:\(path)")
        #expect(plain.result == SQLITE_OK)
        #expect(plain.enabled)
    }

    @Test("transactions that spill pages to the log and roll back, a connection without the buffer writing between them, the log restarted now and then, and reads meanwhile: every committed row reads back whole, none rolled back does, and the database stays whole")
    func spillsRollbacksAndAnotherWriter() async throws {
        let directory = TemporaryDirectory()
        let path = directory.file("m.db")
        let store = try SQLiteMessageStore(path: path)
        try await store.pool.write { db in try db.execute(sql: "CREATE TABLE scratch (n INTEGER PRIMARY KEY, body BLOB NOT NULL)") }
        // Another connection to the same file, as another process's would be: no buffer.
        var waiting = Configuration()
        waiting.busyMode = .timeout(10)
        let other = try DatabaseQueue(path: path, configuration: waiting)
        #expect(try await other.read { db in SQLiteLogBuffer.isEnabled(on: db) } == false)
        struct RolledBack: Error {}
        var committed = Set<Int>()
        var next = 0
        var restarts = 0
        for round in 0..<12 {
            let rollsBack = round % 3 == 1
            // A transaction rolled back leaves a few frames written past the log's end (in the
            // buffer, until the write lock is released); the other connection's then go over them.
            let size = rollsBack ? 24 + round : 50 + (round * 97) % 400
            let first = next
            next += size
            // A small cache makes the writer spill dirty pages to the log in the middle of the transaction.
            var storedRound = false
            do {
                try await store.pool.writeWithoutTransaction { db in
                    try db.execute(sql: "PRAGMA cache_size = 20")
                    try db.execute(sql: "PRAGMA cache_spill = 20")
                    defer {
                        try? db.execute(sql: "PRAGMA cache_size = -2000")
                        try? db.execute(sql: "PRAGMA cache_spill = \(SQLiteMessageStore.spillPages)")
                    }
                    try db.inTransaction {
                        try Self.insertRows(db, first: first, count: size, bytes: 2_500)
                        // Rewrites rows written earlier in this transaction (pages already in the log).
                        try db.execute(sql: "UPDATE scratch SET body = body WHERE n >= ?", arguments: [first])
                        if rollsBack { throw RolledBack() }
                        return .commit
                    }
                }
                storedRound = true
            } catch is RolledBack {}
            if storedRound { committed.formUnion(first..<first + size) }
            #expect(storedRound == !rollsBack, "round \(round)")
            // The other connection writes between the buffered writer's transactions.
            let theirs = 1_000_000 + round * 100
            try await other.write { db in try Self.insertRows(db, first: theirs, count: 100, bytes: 5_000) }
            committed.formUnion(theirs..<theirs + 100)
            // Now and then the log is copied whole and restarted: the writer's next transaction then
            // writes it again from its start, over frames of transactions before.
            if round % 4 == 3 {
                let busy = try await other.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA wal_checkpoint(RESTART)") }
                if busy == 0 { restarts += 1 }
            }
            let seen = try await store.pool.read { db in try Self.readBack(db) }
            let missing = committed.subtracting(seen.keys).sorted()
            let extra = Set(seen.keys).subtracting(committed).sorted()
            #expect(missing.isEmpty && extra.isEmpty, "round \(round): \(missing.count) committed rows missing (\(missing.prefix(5))), \(extra.count) rolled back read (\(extra.prefix(5)))")
            #expect(seen.values.allSatisfy { $0 }, "round \(round)")
        }
        #expect(restarts > 0, "the log was never restarted")
        #expect(try await other.read { db in try Self.readBack(db) }.keys.count == committed.count)
        #expect(try await store.pool.read { db in try Self.integrity(db) } == "ok")
        try other.close()
    }

    @Test("a write of the log that fails fails the commit: none of its rows is stored or seen, the database stays whole, and the store takes writes again once the file does")
    func failedWriteFailsTheCommit() async throws {
        let directory = TemporaryDirectory()
        let path = directory.file("m.db")
        let store = try SQLiteMessageStore(path: path)
        try await store.pool.write { db in
            try db.execute(sql: "CREATE TABLE scratch (n INTEGER PRIMARY KEY, body BLOB NOT NULL)")
            try Self.insertRows(db, first: 0, count: 10, bytes: 3_000)
        }
        let failed = try await FailingLogWrites.during(path + "-wal") {
            do {
                try await store.pool.write { db in try Self.insertRows(db, first: 10, count: 500, bytes: 3_000) }
                return false
            } catch let error as DatabaseError {
                return error.resultCode == .SQLITE_IOERR || error.resultCode == .SQLITE_FULL
            }
        }
        #expect(failed, "the commit did not fail with an I/O error")
        try await store.pool.write { db in try Self.insertRows(db, first: 1_000, count: 5, bytes: 3_000) }
        let rows = try await store.pool.read { db in try Self.readBack(db) }
        #expect(Set(rows.keys) == Set(0..<10).union(1_000..<1_005))
        #expect(rows.values.allSatisfy { $0 })
        #expect(try await store.pool.read { db in try Self.integrity(db) } == "ok")
    }
}

/// SQLite's unix VFS made to fail its writes to one file (found by path) with EIO, through the
/// system-call table it exposes for tests (`xSetSystemCall("pwrite64")`); other files, those of tests
/// running meanwhile too, are written as always.
enum FailingLogWrites {
    typealias PWrite = @convention(c) (Int32, UnsafeRawPointer?, Int, Int64) -> Int
    private static let target = Mutex<String?>(nil)
    private static let real = Mutex<PWrite?>(nil)
    private static let failing: PWrite = { descriptor, bytes, count, offset in
        if let target = FailingLogWrites.target.withLock({ $0 }),
           (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(descriptor)")) == target {
            errno = EIO
            return -1
        }
        guard let real = FailingLogWrites.real.withLock({ $0 }) else { errno = EIO; return -1 }
        return real(descriptor, bytes, count, offset)
    }

    /// Runs `work` with the writes to `path` failing; the table is as before afterwards.
    static func during<T>(_ path: String, _ work: () async throws -> T) async throws -> T {
        let vfs = try #require(sqlite3_vfs_find("unix"))
        let original = try #require(vfs.pointee.xGetSystemCall(vfs, "pwrite64"), "SQLite's unix VFS writes with pwrite64")
        real.withLock { $0 = unsafeBitCast(original, to: PWrite.self) }
        target.withLock { $0 = path }
        #expect(vfs.pointee.xSetSystemCall(vfs, "pwrite64", unsafeBitCast(failing, to: sqlite3_syscall_ptr.self)) == SQLITE_OK)
        defer {
            _ = vfs.pointee.xSetSystemCall(vfs, "pwrite64", original)
            target.withLock { $0 = nil }
        }
        return try await work()
    }
}
