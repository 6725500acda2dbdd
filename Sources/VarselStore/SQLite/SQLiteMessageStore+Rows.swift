import Foundation
import GRDB

/// Writes of many rows in few statements: what a batch of sends records (decisions, receipts) goes
/// in multi-row `INSERT`s of up to 64 rows rather than one statement a row.
extension SQLiteMessageStore {
    /// Rows per multi-row statement (4–5 columns: well below SQLite's limit of bound values). A power
    /// of two, so that the statements of a table's inserts are seven shapes in all.
    static let rowsPerStatement = 64

    /// The rows each statement takes for `count` rows: full statements of `rowsPerStatement`, then
    /// the rest in powers of two (28 = 16 + 8 + 4). Every statement is then one of seven shapes per
    /// table, compiled once per connection and kept (127 rows of placeholders in all, where one
    /// statement of 100 rows was kept before): compiling a statement of the exact remainder on every
    /// batch was 1.4 % of a sending daemon's CPU.
    static func chunkSizes(_ count: Int) -> [Int] {
        var sizes = Array(repeating: rowsPerStatement, count: count / rowsPerStatement)
        var rest = count % rowsPerStatement
        var power = rowsPerStatement / 2
        while rest > 0 {
            if rest >= power {
                sizes.append(power)
                rest -= power
            }
            power /= 2
        }
        return sizes
    }

    /// Inserts `rows` (each `columns.count` values) into `table`, in few multi-row statements; returns
    /// how many rows were inserted (not those `onConflict` skipped).
    @discardableResult
    static func insertRows(
        _ db: Database, into table: String, columns: [String], rows: some Collection<[(any DatabaseValueConvertible)?]>, onConflict: String? = nil
    ) throws -> Int {
        try insertRows(db, into: table, columns: columns, rows: rows, onConflict: onConflict) { binder, row in
            try binder.bind(row)
        }
    }

    /// `insertRows` with each row's values bound by `bind`, in the order of `columns`.
    ///
    /// Only inside a transaction, which a failure rolls back whole. The statements resolve a broken
    /// constraint with `FAIL`, not SQLite's default `ABORT`: an `ABORT` undoes the statement's own
    /// rows and leaves the transaction open, so SQLite keeps a statement journal for every multi-row
    /// write that may abort, a copy of each page the statement changes for the first time, taken
    /// before it changes it. A batch's chunk changes a page of each index on a random key (case,
    /// recipient) for nearly every message: a copy of 4 KiB for each, a sixth of the writer's work on
    /// a chunk. No caller goes on with a transaction after a failed insert, so the rows a failed
    /// statement leaves are rolled back with the rest. (A table with an immediate foreign key, as
    /// `decisions`, still gets the journal: SQLite checks the key when the statement ends and aborts it.)
    @discardableResult
    static func insertRows<Row>(
        _ db: Database, into table: String, columns: [String], rows: some Collection<Row>, onConflict: String? = nil,
        bind: (inout ParameterBinder, Row) throws -> Void
    ) throws -> Int {
        guard db.isInsideTransaction else { throw StoreError("rows of \(table) are inserted only inside a transaction") }
        let tuple = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
        var inserted = 0
        var start = rows.startIndex
        for size in chunkSizes(rows.count) {
            let end = rows.index(start, offsetBy: size)
            let chunk = rows[start..<end]
            let sql = "INSERT OR FAIL INTO \(table) (\(columns.joined(separator: ", "))) VALUES "
                + Array(repeating: tuple, count: size).joined(separator: ", ") + (onConflict.map { " ON CONFLICT " + $0 } ?? "")
            inserted += try db.runBound(sql, count: size * columns.count) { binder in
                // By index: `for row in chunk` would copy each row, retaining all its fields.
                for index in chunk.indices { try bind(&binder, chunk[index]) }
            }
            start = end
        }
        return inserted
    }

    static func appendDecisions(_ db: Database, messageID: String, texts: [String], at: Date) throws {
        try appendDecisions(db, [(messageID, texts)], at: at)
    }

    /// Appends each message's decision texts to its trail: one row for each message's texts
    /// (`StoredRows.decisionRow`), in multi-row inserts. A trail is read in rowid order, the order written.
    static func appendDecisions(_ db: Database, _ entries: [(messageID: String, texts: [String])], at: Date) throws {
        let time = at.timeIntervalSince1970
        try insertRows(db, into: "decisions", columns: ["message_id", "at", "texts"], rows: entries.filter { !$0.texts.isEmpty }) { binder, entry in
            try binder.bind(entry.messageID)
            try binder.bind(time)
            try binder.bind(StoredRows.decisionRow(entry.texts))
        }
    }

    /// `count` comma-separated placeholders, for a list of values (`IN (…)`, a multi-row insert's row).
    static func placeholders(_ count: Int) -> String { placeholderLists[count] ?? placeholderList(count) }

    private static func placeholderList(_ count: Int) -> String { Array(repeating: "?", count: count).joined(separator: ", ") }

    /// The placeholder lists of the chunks' sizes (`chunkSizes`), written once.
    private static let placeholderLists: [Int: String] = Dictionary(
        uniqueKeysWithValues: sequence(first: rowsPerStatement) { $0 > 1 ? $0 / 2 : nil }.map { ($0, placeholderList($0)) })

    /// Runs `query` for each chunk of `ids` (sizes from `chunkSizes`, so each statement is one of few
    /// shapes), with the chunk's range in `ids` and its placeholder list; gathers what it gives.
    private static func chunked<T>(_ ids: [String], _ query: (Range<Int>, String) throws -> [T]) rethrows -> [T] {
        var found: [T] = []
        var start = 0
        for size in chunkSizes(ids.count) {
            found += try query(start..<start + size, placeholders(size))
            start += size
        }
        return found
    }

    /// The first column, as text, of the rows `select` finds for `ids` (chunked as by `rows`), the ids
    /// bound straight into SQLite rather than through GRDB's arguments; rows whose column is NULL are
    /// left out.
    static func texts(_ db: Database, forIDs ids: [String], _ select: (String) -> String) throws -> [String] {
        try chunked(ids) { chunk, list in
            try db.firstColumnTextsBound(select(list), count: chunk.count) { binder in
                for index in chunk { try binder.bind(ids[index]) }
            }.compactMap { $0 }
        }
    }

    /// The rows `select` finds for `ids` (no id twice): `select` is given a list of placeholders, for
    /// chunks of the sizes of the multi-row inserts, so each query has at most seven shapes, each
    /// compiled once (compiling a query for each batch's own number of ids cost more than running it).
    static func rows(_ db: Database, forIDs ids: [String], _ select: (String) -> String) throws -> [Row] {
        try chunked(ids) { chunk, list in try db.rows(select(list), StatementArguments(ids[chunk])) }
    }

    /// The kept rendered content (JSON) of each of `ids` that has one.
    static func storedContents(_ db: Database, ids: [String]) throws -> [String: String] {
        var contents: [String: String] = [:]
        for row in try rows(db, forIDs: ids, { "SELECT message_id, content FROM message_contents WHERE message_id IN (\($0))" }) {
            contents[row["message_id"]] = row["content"]
        }
        return contents
    }

    /// Deletes a message's rendered content (planned again, erased, or past retention).
    static func forgetContent(_ db: Database, messageID: String) throws {
        try db.run("DELETE FROM message_contents WHERE message_id = ?", [messageID])
    }
}
