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
    @discardableResult
    func runBound(_ sql: String, _ values: [(any DatabaseValueConvertible)?]) throws -> Int {
        try runBound(sql, count: values.count) { binder in try binder.bind(values) }
    }

    /// `runBound` with `count` values bound in order by `bind`, each by its own type: no
    /// `DatabaseValueConvertible` existential or `DatabaseValue` made per value. Returns the rows the
    /// statement itself inserted, changed or deleted (`sqlite3_changes64`: not those of triggers).
    @discardableResult
    func runBound(_ sql: String, count: Int, binding bind: (inout ParameterBinder) throws -> Void) throws -> Int {
        let raw = try bound(sql, count: count, bind)
        while true {
            switch sqlite3_step(raw) {
            case SQLITE_DONE: return Int(sqlite3_changes64(sqliteConnection))
            case SQLITE_ROW: continue
            case let code: throw error(code, sql: sql)
            }
        }
    }

    /// `runBound` for a statement that returns rows (`INSERT … RETURNING id`): the first column of
    /// each row as text (nil for NULL), in the order SQLite gives them.
    func firstColumnTextsBound(_ sql: String, _ values: [(any DatabaseValueConvertible)?]) throws -> [String?] {
        try firstColumnTextsBound(sql, count: values.count) { binder in try binder.bind(values) }
    }

    /// `firstColumnTextsBound` with `count` values bound in order by `bind`.
    func firstColumnTextsBound(_ sql: String, count: Int, binding bind: (inout ParameterBinder) throws -> Void) throws -> [String?] {
        let raw = try bound(sql, count: count, bind)
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

    /// The cached statement for `sql`, reset, with the `count` values `bind` gives bound in order.
    /// A count that does not fit the statement is refused before any value is bound.
    private func bound(_ sql: String, count: Int, _ bind: (inout ParameterBinder) throws -> Void) throws -> SQLiteStatement {
        let statement = try cachedStatement(sql: sql)
        let raw = statement.sqliteStatement
        // The code of the last step, already reported then.
        _ = sqlite3_reset(raw)
        let expected = sqlite3_bind_parameter_count(raw)
        guard count == Int(expected) else {
            throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "\(count) values for \(expected) parameters", sql: sql)
        }
        var binder = ParameterBinder(statement: raw, sql: sql)
        try bind(&binder)
        guard binder.bound == count else {
            throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "\(binder.bound) values bound for \(expected) parameters", sql: sql)
        }
        return raw
    }

    private func error(_ code: CInt, sql: String) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(sqliteConnection)), sql: sql)
    }
}

/// Binds a statement's parameters one after another, each value by its storage class (text copied
/// by SQLite).
struct ParameterBinder {
    fileprivate let statement: SQLiteStatement
    fileprivate let sql: String
    /// Values bound so far.
    fileprivate(set) var bound = 0

    /// By its UTF-8 bytes and their length: a string handed to C as a pointer is first copied into an
    /// array of its own when it is small (up to 15 bytes: a state, a kind, a case reference), and SQLite
    /// then measures it.
    mutating func bind(_ text: String?) throws {
        guard var text else { return try bind { raw, index in sqlite3_bind_null(raw, index) } }
        try text.withUTF8 { try bindText($0) }
    }

    /// Text already held as UTF-8 (JSON the store wrote), bound without making a `String` of it first.
    mutating func bind(utf8 bytes: [UInt8]) throws {
        try bytes.withUnsafeBufferPointer { try bindText($0) }
    }

    private mutating func bindText(_ utf8: UnsafeBufferPointer<UInt8>) throws {
        try bind { raw, index in
            // An empty string has no bytes to point at, and a null pointer would bind NULL.
            guard let start = utf8.baseAddress, !utf8.isEmpty else { return sqlite3_bind_text(raw, index, "", 0, Self.transient) }
            return sqlite3_bind_text(raw, index, UnsafeRawPointer(start).assumingMemoryBound(to: CChar.self), CInt(utf8.count), Self.transient)
        }
    }

    mutating func bind(_ real: Double?) throws {
        try bind { raw, index in real.map { sqlite3_bind_double(raw, index, $0) } ?? sqlite3_bind_null(raw, index) }
    }

    mutating func bind(_ integer: Int64?) throws {
        try bind { raw, index in integer.map { sqlite3_bind_int64(raw, index, $0) } ?? sqlite3_bind_null(raw, index) }
    }

    mutating func bind(_ integer: Int?) throws {
        try bind(integer.map(Int64.init))
    }

    /// True as 1, false as 0 (as GRDB stores a `Bool`).
    mutating func bind(_ flag: Bool) throws {
        try bind(Int64(flag ? 1 : 0))
    }

    /// A value of any type GRDB stores, as GRDB would store it.
    mutating func bind(_ value: (any DatabaseValueConvertible)?) throws {
        switch value?.databaseValue.storage ?? .null {
        case .null: try bind(nil as String?)
        case .int64(let integer): try bind(integer)
        case .double(let real): try bind(real)
        case .string(let text): try bind(text)
        case .blob(let data):
            try bind { raw, index in data.withUnsafeBytes { sqlite3_bind_blob(raw, index, $0.baseAddress, CInt($0.count), Self.transient) } }
        }
    }

    /// Values of any types GRDB stores, in order.
    mutating func bind(_ values: [(any DatabaseValueConvertible)?]) throws {
        for value in values { try bind(value) }
    }

    private mutating func bind(_ call: (SQLiteStatement, CInt) -> CInt) throws {
        bound += 1
        let code = call(statement, CInt(bound))
        guard code == SQLITE_OK else {
            throw DatabaseError(
                resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(sqlite3_db_handle(statement))), sql: sql)
        }
    }

    /// SQLite copies the value before the bind returns.
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
}
