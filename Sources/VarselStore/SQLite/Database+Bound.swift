import Foundation
import GRDB
import GRDBSQLite

/// The send path's statements with their values bound straight into SQLite.
///
/// `Database.run` hands GRDB a `StatementArguments`, which converts every value, checks the count
/// against the statement, and binds each through a nested closure: a twelfth of a sending daemon's
/// samples, more than the rows' own B-tree work in some statements. Here the cached statement is
/// reset, each value bound by its storage class (text copied by SQLite), the count checked once and
/// the statement stepped to its end. The statement stays GRDB's: GRDB binds afresh whenever it runs
/// it with arguments. Only for writes inside a GRDB transaction without transaction observers
/// (Varsel has none), since they do not go through GRDB's execution hooks.
extension Database {
    func runBound(_ sql: String, _ values: [(any DatabaseValueConvertible)?]) throws {
        let raw = try bound(sql, values)
        while true {
            switch sqlite3_step(raw) {
            case SQLITE_DONE: return
            case SQLITE_ROW: continue
            case let code: throw error(code, sql: sql)
            }
        }
    }

    /// `runBound` for a statement that returns rows (`INSERT … RETURNING id`): the first column of
    /// each row as text (nil for NULL), in the order SQLite gives them.
    func firstColumnTextsBound(_ sql: String, _ values: [(any DatabaseValueConvertible)?]) throws -> [String?] {
        let raw = try bound(sql, values)
        var texts: [String?] = []
        while true {
            switch sqlite3_step(raw) {
            case SQLITE_DONE: return texts
            case SQLITE_ROW:
                if let text = sqlite3_column_text(raw, 0) {
                    texts.append(String(cString: text))
                } else {
                    texts.append(nil)
                }
            case let code: throw error(code, sql: sql)
            }
        }
    }

    /// The cached statement for `sql`, reset, with `values` bound in order.
    private func bound(_ sql: String, _ values: [(any DatabaseValueConvertible)?]) throws -> SQLiteStatement {
        let statement = try cachedStatement(sql: sql)
        let raw = statement.sqliteStatement
        // The code of the last step, already reported then.
        _ = sqlite3_reset(raw)
        let expected = sqlite3_bind_parameter_count(raw)
        guard values.count == Int(expected) else {
            throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "\(values.count) values for \(expected) parameters", sql: sql)
        }
        for (offset, value) in values.enumerated() {
            let index = CInt(offset + 1)
            let code: CInt = switch value?.databaseValue.storage ?? .null {
            case .null: sqlite3_bind_null(raw, index)
            case .int64(let integer): sqlite3_bind_int64(raw, index, integer)
            case .double(let real): sqlite3_bind_double(raw, index, real)
            case .string(let text): sqlite3_bind_text(raw, index, text, -1, Self.transient)
            case .blob(let data): data.withUnsafeBytes { sqlite3_bind_blob(raw, index, $0.baseAddress, CInt($0.count), Self.transient) }
            }
            guard code == SQLITE_OK else { throw error(code, sql: sql) }
        }
        return raw
    }

    /// SQLite copies the value before the bind returns.
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

    private func error(_ code: CInt, sql: String) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(sqliteConnection)), sql: sql)
    }
}
