import Foundation
import GRDB
import Logging
import Testing
import VarselDaemon
import PostgresNIO
@testable import VarselPostgres
@testable import VarselStore
import VarselTestSupport

/// The stores every store-level behaviour is tested on: the conformance suite runs each test once
/// per backend (`@Test(arguments: StoreBackend.allCases)`), on a real SQLite file and a real
/// PostgreSQL database started by the tests.
enum StoreBackend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    /// A fresh, empty store of this kind.
    func makeStore(_ directory: TemporaryDirectory) async throws -> any MessageStore {
        switch self {
        case .sqlite: return try SQLiteMessageStore(path: directory.file("q.db"))
        case .postgres: return try await PostgresMessageStore(settings: try await Self.newDatabase(), logger: quietLogger)
        }
    }

    /// Settings for a new database in the shared test cluster.
    static func newDatabase(poolSize: Int = 4) async throws -> PostgresSettings {
        try settings(url: try await SharedPostgres.shared.newDatabase(), poolSize: poolSize)
    }

    /// Settings for a database of a test cluster (loopback, no TLS).
    static func settings(url: String, poolSize: Int = 4) throws -> PostgresSettings {
        var settings = try PostgresSettings.parse(url: url)
        settings.sslMode = .disable
        settings.poolSize = poolSize
        return settings
    }

    /// `yaml` (made by `Fixtures.config` with `directory`'s `varsel.db`) on a fresh store of this kind.
    func config(_ yaml: String, _ directory: TemporaryDirectory) async throws -> String {
        let sqlite = "store: { path: \"\(directory.file("varsel.db"))\" }"
        precondition(yaml.contains(sqlite), "the configuration has no store line for \(directory.path)")
        return yaml.replacingOccurrences(of: sqlite, with: try await configLine(directory))
    }

    /// The store a configuration file names (the same database its daemons use).
    static func open(configPath: String) async throws -> any MessageStore {
        try await StoreOpener.open(try ConfigLoader.load(path: configPath, environment: [:]), logger: quietLogger)
    }

    /// The `store:` line of a configuration for a fresh store of this kind in `directory`.
    func configLine(_ directory: TemporaryDirectory) async throws -> String {
        switch self {
        case .sqlite:
            return "store: { path: \"\(directory.file("varsel.db"))\" }"
        case .postgres:
            let url = try await SharedPostgres.shared.newDatabase()
            return "store: { backend: postgres, url: \"\(url)\", sslmode: disable, pool_size: 4, path: \"\(directory.file("varsel.db"))\" }"
        }
    }
}

/// Changes a store's own tables behind its back (ageing rows, corrupting one), for tests of what
/// the store does with them. Placeholders and table names as in `inspect`.
func execute(_ store: any MessageStore, _ sql: String, _ arguments: [String] = []) async throws {
    switch store {
    case let sqlite as SQLiteMessageStore:
        try await sqlite.pool.write { db in try db.execute(sql: sql, arguments: StatementArguments(arguments)) }
    case is PostgresMessageStore:
        _ = try await inspect(store, sql, arguments)
    default:
        throw StoreError("no execution for \(type(of: store))")
    }
}

/// Reading a store's own tables, for tests that check what a store keeps beyond its protocol.
/// `sql` is written once for both: table names without schema, `?` placeholders.
func inspect(_ store: any MessageStore, _ sql: String, _ arguments: [String] = []) async throws -> [String?] {
    switch store {
    case let sqlite as SQLiteMessageStore:
        return try await sqlite.pool.read { db in
            try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map { row in
                let value: DatabaseValue = row[0]
                switch value.storage {
                case .null: return nil
                case .int64(let number): return "\(number)"
                case .double(let number): return "\(number)"
                case .string(let text): return text
                case .blob(let data): return String(decoding: data, as: UTF8.self)
                }
            }
        }
    case let postgres as PostgresMessageStore:
        var numbered = ""
        var index = 0
        for character in sql {
            if character == "?" {
                index += 1
                numbered += "$\(index)"
            } else {
                numbered.append(character)
            }
        }
        var bindings = PostgresBindings()
        for argument in arguments {
            // Ids of attempts are numbers; everything else is text.
            if let number = Int64(argument) { bindings.append(number) } else { bindings.append(argument) }
        }
        let query = PostgresQuery(unsafeSQL: numbered, binds: bindings)
        return try await postgres.client.withConnection { connection in
            try await connection.query("SET search_path TO varsel", logger: quietLogger)
            return try await connection.query(query, logger: quietLogger).collect().map { row -> String? in
                guard let cell = row.first else { return nil }
                if let number = try? cell.decode(Int64?.self) as Int64?? { return number.map { "\($0)" } }
                return try cell.decode(String?.self)
            }
        }
    default:
        throw StoreError("no inspection for \(type(of: store))")
    }
}
