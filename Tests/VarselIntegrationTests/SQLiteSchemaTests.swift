import Foundation
import GRDB
import Synchronization
import Testing
@testable import VarselStore
import VarselTestSupport

/// A new SQLite store gets its whole schema in one transaction (`SQLiteSchema.createAll`); an older
/// one is migrated step by step. Both must end with the same database.
@Suite struct SQLiteSchemaTests {
    /// Everything a schema consists of: the definitions in `sqlite_master`, the migrations recorded as
    /// applied in their order, and every row the migrations wrote (the kept counts).
    static func dump(_ queue: DatabaseQueue) throws -> [String] {
        try queue.read { db in
            var lines = try Row.fetchAll(db, sql: "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").map { "\($0)" }
            lines += try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid").map { "applied \($0)" }
            for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name") {
                lines += try Row.fetchAll(db, sql: "SELECT * FROM \"\(table)\"").map { "\(table) \($0)" }.sorted()
            }
            return lines
        }
    }

    @Test("a new database built in one transaction is the database the migrations build one by one, and an older one is left to the migrator")
    func oneTransactionBuildsTheSameSchema() throws {
        let directory = TemporaryDirectory()
        let stepByStep = try DatabaseQueue(path: directory.file("steps.db"))
        try SQLiteSchema.migrator().migrate(stepByStep)
        let atOnce = try DatabaseQueue(path: directory.file("once.db"))
        #expect(try atOnce.writeWithoutTransaction { db in try SQLiteSchema.createAll(db) })
        let expected = try Self.dump(stepByStep)
        #expect(expected.count > 40)
        #expect(try Self.dump(atOnce) == expected)
        // Nothing left for the migrator, and a second time nothing is done.
        #expect(try atOnce.read { db in try SQLiteSchema.migrator().hasCompletedMigrations(db) })
        #expect(try !atOnce.writeWithoutTransaction { db in try SQLiteSchema.createAll(db) })
        #expect(try Self.dump(atOnce) == expected)

        // A store an older Varsel left is not rebuilt: createAll refuses, the migrator completes it.
        let older = try DatabaseQueue(path: directory.file("older.db"))
        try SQLiteSchema.migrator().migrate(older, upTo: "v12-experiment-variant")
        let before = try Self.dump(older)
        #expect(try !older.writeWithoutTransaction { db in try SQLiteSchema.createAll(db) })
        #expect(try Self.dump(older) == before)
        try SQLiteSchema.migrator().migrate(older)
        #expect(try Self.dump(older) == expected)

        // Foreign keys are enforced again afterwards.
        #expect(try atOnce.read { db in try Bool.fetchOne(db, sql: "PRAGMA foreign_keys") } == true)
    }

    @Test("opening a new store records every migration in one transaction, and says each was applied; opening it again applies none")
    func newStoreCommitsOnce() throws {
        let directory = TemporaryDirectory()
        // For each migration recorded as applied, the transaction it was recorded in.
        let recorded = Mutex((transactions: 0, recordedIn: [Int]()))
        let store = try SQLiteMessageStore(path: directory.file("varsel.db"), statementObserver: { sql in
            recorded.withLock { state in
                if sql.hasPrefix("BEGIN") { state.transactions += 1 }
                if sql.hasPrefix("INSERT INTO grdb_migrations") { state.recordedIn.append(state.transactions) }
            }
        })
        let all = SQLiteSchema.migrator().migrations
        #expect(store.migrationsApplied == all)
        #expect(store.schemaVersion == all.last)
        let transactions = recorded.withLock { $0.recordedIn }
        #expect(transactions.count == all.count)
        #expect(Set(transactions).count == 1)
        let again = try SQLiteMessageStore(path: directory.file("varsel.db"))
        #expect(again.migrationsApplied.isEmpty)
    }
}
