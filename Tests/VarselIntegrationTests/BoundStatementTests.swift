import Foundation
import GRDB
import Testing
@testable import VarselStore

/// `Database.runBound`: the send path's writes with their values bound straight into SQLite.
@Suite("statements bound straight into SQLite")
struct BoundStatementTests {
    private func withDatabase(_ body: (Database) throws -> Void) throws {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT, b BLOB, n TEXT, u TEXT UNIQUE)")
            try body(db)
        }
    }

    @Test("every storage class is stored as bound, as GRDB binds it; the cached statement is shared with GRDB's own arguments")
    func storageClasses() throws {
        try withDatabase { db in
            let insert = "INSERT INTO t (i, r, s, b, n, u) VALUES (?, ?, ?, ?, ?, ?)"
            let text = "æøå \"quoted\" 🧾 e\u{301}"
            try db.runBound(insert, [Int64.max, 1.5, text, Data([0, 1, 255]), nil, "a"])
            // The same cached statement through GRDB, then bound directly again.
            try db.execute(sql: insert, arguments: [-7, -0.25, "", Data(), nil, "b"])
            try db.runBound(insert, [Int(3), Double.greatestFiniteMagnitude, String(repeating: "x", count: 100_000), Data(), "not null", nil])
            let rows = try Row.fetchAll(db, sql: "SELECT i, r, s, b, n, u FROM t ORDER BY id")
            #expect(rows.count == 3)
            #expect(rows[0]["i"] as Int64 == Int64.max && rows[0]["r"] as Double == 1.5 && rows[0]["s"] as String == text)
            #expect(rows[0]["b"] as Data == Data([0, 1, 255]) && rows[0]["n"] as String? == nil && rows[0]["u"] as String == "a")
            #expect(rows[1]["i"] as Int == -7 && rows[1]["s"] as String == "" && rows[1]["u"] as String == "b")
            #expect(rows[2]["r"] as Double == Double.greatestFiniteMagnitude && (rows[2]["s"] as String).count == 100_000)
            #expect(rows[2]["n"] as String == "not null" && rows[2]["u"] as String? == nil)
            #expect(try String.fetchOne(db, sql: "SELECT typeof(b) FROM t WHERE id = 1") == "blob")
        }
    }

    @Test("text is bound by its UTF-8 bytes and their length: empty (not NULL), small and inline, non-ASCII, a NUL inside kept, long, bridged")
    func textByLength() throws {
        try withDatabase { db in
            let texts: [String?] = [
                "", "queued", "ø", "æøå 🧾", "a\u{0}b", String(repeating: "å", count: 600), nil,
                NSString(string: "fra Foundation: Tromsø").description, String("  trimmed  ".dropFirst(2).dropLast(2)),
            ]
            for text in texts {
                try db.runBound("INSERT INTO t (s) VALUES (?)", count: 1) { binder in try binder.bind(text) }
            }
            let rows = try Row.fetchAll(db, sql: "SELECT s, typeof(s) AS type, length(CAST(s AS BLOB)) AS bytes FROM t ORDER BY id")
            // GRDB reads text up to its first NUL; its bytes are counted below.
            #expect(rows.map { $0["s"] as String? } == texts.map { $0?.split(separator: "\u{0}", omittingEmptySubsequences: false).first.map(String.init) })
            #expect(rows.map { $0["type"] as String } == texts.map { $0 == nil ? "null" : "text" })
            #expect(rows.map { $0["bytes"] as Int? } == texts.map { $0?.utf8.count })
        }
    }

    @Test("a count of values that does not fit the statement is refused before anything runs, naming both counts")
    func wrongCount() throws {
        try withDatabase { db in
            for values: [(any DatabaseValueConvertible)?] in [[1], [1, 2, 3]] {
                #expect {
                    try db.runBound("INSERT INTO t (i, s) VALUES (?, ?)", values)
                } throws: { error in
                    (error as? DatabaseError)?.resultCode == .SQLITE_MISUSE && "\(error)".contains("\(values.count) values for 2 parameters")
                }
            }
            let stored = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t")
            #expect(stored == 0)
        }
    }

    @Test("a failing step is a DatabaseError with SQLite's code and message; the statement runs again afterwards")
    func failure() throws {
        try withDatabase { db in
            let insert = "INSERT INTO t (u) VALUES (?)"
            try db.runBound(insert, ["same"])
            #expect {
                try db.runBound(insert, ["same"])
            } throws: { error in
                let error = error as? DatabaseError
                return error?.resultCode == .SQLITE_CONSTRAINT && error?.message?.contains("UNIQUE") == true
            }
            try db.runBound(insert, ["other"])
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t") == 2)
            #expect(db.changesCount == 1)
        }
    }

    @Test("an insert that returns a column gives it as text for every row inserted, none for a row skipped on conflict, nil for NULL")
    func returningTexts() throws {
        try withDatabase { db in
            let insert = "INSERT INTO t (s, u) VALUES (?, ?), (?, ?), (?, ?) ON CONFLICT (u) DO NOTHING RETURNING s"
            let first = try db.firstColumnTextsBound(insert, ["æøå 🧾", "k1", nil, "k2", "dup", "k1"])
            #expect(first.count == 2)
            #expect(Set(first.map { $0 ?? "NULL" }) == ["æøå 🧾", "NULL"])
            // Again with the cached statement: only the new key is inserted.
            let second = try db.firstColumnTextsBound(insert, ["a", "k1", "b", "k2", "c", "k3"])
            #expect(second == ["c"])
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t") == 3)
            #expect {
                try db.firstColumnTextsBound(insert, ["a"])
            } throws: { error in "\(error)".contains("1 values for 6 parameters") }
        }
    }

    @Test("values bound one by one by their own types are stored as the same values bound through GRDB; a binding that gives fewer or more than it said is refused")
    func typedBinding() throws {
        try withDatabase { db in
            let insert = "INSERT INTO t (i, r, s, n, u) VALUES (?, ?, ?, ?, ?)"
            let text = "æøå 🧾 e\u{301}"
            try db.runBound(insert, count: 5) { binder in
                try binder.bind(Int64.min)
                try binder.bind(-0.5)
                try binder.bind(text)
                try binder.bind(nil as String?)
                try binder.bind(nil as Double?)
            }
            try db.runBound(insert, [Int64.min, -0.5, text, nil, "grdb"])
            let rows = try Row.fetchAll(db, sql: "SELECT i, r, s, typeof(n), typeof(u) FROM t ORDER BY id")
            #expect(rows[0]["i"] as Int64 == Int64.min && rows[0]["r"] as Double == -0.5 && rows[0]["s"] as String == text)
            #expect(rows[0][3] as String == "null" && rows[0][4] as String == "null" && rows[1][4] as String == "text")
            #expect(rows[0]["s"] as String == rows[1]["s"] as String && rows[0]["i"] as Int64 == rows[1]["i"] as Int64)
            for given in [1, 3] {
                #expect {
                    try db.runBound("INSERT INTO t (i, s) VALUES (?, ?)", count: 2) { binder in
                        for value in 0..<given { try binder.bind(Int64(value)) }
                    }
                } throws: { error in
                    (error as? DatabaseError)?.resultCode == (given == 1 ? .SQLITE_MISUSE : .SQLITE_RANGE)
                }
            }
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t") == 2)
            // Int, Int? and Bool as GRDB stores them: integers (a Bool as 1 or 0), nil as NULL.
            try db.execute(sql: "CREATE TABLE f (id INTEGER PRIMARY KEY, a, b, c)")
            let flags = "INSERT INTO f (a, b, c) VALUES (?, ?, ?)"
            try db.runBound(flags, count: 3) { binder in
                try binder.bind(true)
                try binder.bind(42 as Int?)
                try binder.bind(nil as Int?)
            }
            try db.runBound(flags, [true, 42 as Int?, nil as Int?])
            try db.runBound(flags, count: 3) { binder in
                try binder.bind(false)
                try binder.bind(Int.max)
                try binder.bind(-7 as Int)
            }
            let typed = try Row.fetchAll(db, sql: "SELECT a, typeof(a), b, typeof(b), typeof(c) FROM f ORDER BY id").map {
                "\($0[0] as Int64) \($0[1] as String) \($0[2] as Int64) \($0[3] as String) \($0[4] as String)"
            }
            #expect(typed == ["1 integer 42 integer null", "1 integer 42 integer null", "0 integer \(Int.max) integer integer"])
        }
    }
}
