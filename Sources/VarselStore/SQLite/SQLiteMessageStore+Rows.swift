import Foundation
import GRDB

/// Writes of many rows in few statements: what a batch of sends records (decisions, receipts) goes
/// in one multi-row `INSERT` per hundred rows rather than one statement a row.
extension SQLiteMessageStore {
    /// Rows per multi-row statement (4–5 columns: well below SQLite's limit of bound values).
    static let rowsPerStatement = 100

    /// Inserts `rows` (each `columns.count` values) into `table`, a hundred rows a statement.
    static func insertRows(
        _ db: Database, into table: String, columns: [String], rows: [[(any DatabaseValueConvertible)?]], onConflict: String? = nil
    ) throws {
        let tuple = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(start + rowsPerStatement, rows.count)]
            let sql = "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES "
                + Array(repeating: tuple, count: chunk.count).joined(separator: ", ") + (onConflict.map { " ON CONFLICT " + $0 } ?? "")
            let arguments = StatementArguments(chunk.flatMap { $0 })
            // A full chunk's statement is compiled once per connection; a remainder's each time.
            if chunk.count == rowsPerStatement {
                try db.run(sql, arguments)
            } else {
                try db.execute(sql: sql, arguments: arguments)
            }
            start += rowsPerStatement
        }
    }

    static func appendDecisions(_ db: Database, messageID: String, texts: [String], at: Date) throws {
        try appendDecisions(db, [(messageID, texts)], at: at)
    }

    /// Appends each message's decision texts after its last decision: the last sequence numbers of
    /// all the messages in one query, the rows in multi-row inserts.
    static func appendDecisions(_ db: Database, _ entries: [(messageID: String, texts: [String])], at: Date) throws {
        let entries = entries.filter { !$0.texts.isEmpty }
        guard !entries.isEmpty else { return }
        var last: [String: Int] = [:]
        let ids = Array(Set(entries.map(\.messageID)))
        var start = 0
        while start < ids.count {
            let chunk = Array(ids[start..<min(start + 500, ids.count)])
            let placeholders = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
            for row in try Row.fetchAll(
                db, sql: "SELECT message_id, MAX(seq) FROM decisions WHERE message_id IN (\(placeholders)) GROUP BY message_id",
                arguments: StatementArguments(chunk))
            {
                last[row[0]] = row[1]
            }
            start += 500
        }
        let time = at.timeIntervalSince1970
        var rows: [[(any DatabaseValueConvertible)?]] = []
        for entry in entries {
            var seq = last[entry.messageID] ?? 0
            for text in entry.texts {
                seq += 1
                rows.append([entry.messageID, seq, time, text])
            }
            last[entry.messageID] = seq
        }
        try insertRows(db, into: "decisions", columns: ["message_id", "seq", "at", "text"], rows: rows)
    }

    /// The kept rendered content (JSON) of each of `ids` that has one.
    static func storedContents(_ db: Database, ids: [String]) throws -> [String: String] {
        guard !ids.isEmpty else { return [:] }
        var contents: [String: String] = [:]
        var start = 0
        while start < ids.count {
            let chunk = Array(ids[start..<min(start + rowsPerStatement, ids.count)])
            let placeholders = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
            for row in try db.rows("SELECT message_id, content FROM message_contents WHERE message_id IN (\(placeholders))", StatementArguments(chunk)) {
                contents[row["message_id"]] = row["content"]
            }
            start += rowsPerStatement
        }
        return contents
    }

    /// Deletes a message's rendered content (planned again, erased, or past retention).
    static func forgetContent(_ db: Database, messageID: String) throws {
        try db.run("DELETE FROM message_contents WHERE message_id = ?", [messageID])
    }
}
