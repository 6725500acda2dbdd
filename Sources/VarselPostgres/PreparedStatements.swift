import PostgresNIO

/// A statement a sending daemon runs for every batch (the lease, the plan, the attempts' opening,
/// the outcomes, the decision trail): its text, with `$1`, `$2`, … for the values bound.
///
/// Such a statement is prepared once on each connection, under a name of its own, and from then on
/// only bound and executed. Sent as an unnamed statement, it was parsed, analysed and planned again at
/// every batch: 10 to 15 % of the server's CPU while sending. PostgreSQL plans a prepared statement
/// with the values bound for its first five executions and then, as the generic plan costs no more,
/// once for good; every statement here is written so that the generic plan is the right one
/// (literal states, which the partial indexes' conditions name, never bound values).
protocol PreparedSQL {
    /// The statement's name on a connection (unique among Varsel's statements).
    static var name: String { get }
    static var sql: String { get }
}

/// A `PreparedSQL` statement with its values, as postgres-nio executes prepared statements.
struct Prepared<Statement: PreparedSQL>: PostgresPreparedStatement {
    typealias Row = PostgresRow

    static var name: String { "varsel_" + Statement.name }
    static var sql: String { Statement.sql }

    let bindings: PostgresBindings

    func makeBindings() -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) -> PostgresRow { row }
}

extension PostgresConnection {
    /// Executes `statement` with `bindings` (preparing it first on this connection, once) and reads
    /// its rows.
    ///
    /// A server error other than a transient one closes the connection, so that the pool opens a
    /// fresh one: postgres-nio keeps a statement whose preparation failed failed on its connection
    /// for good, and a server keeps failing a prepared statement whose result a schema change altered
    /// ("cached plan must not change result type"). The error is thrown as it was.
    func run<Statement: PreparedSQL>(_ statement: Statement.Type, _ bindings: PostgresBindings, logger: Logger) async throws -> [PostgresRow] {
        do {
            var rows: [PostgresRow] = []
            for try await row in try await execute(Prepared<Statement>(bindings: bindings), logger: logger) { rows.append(row) }
            return rows
        } catch let error as PSQLError where error.code == .server && !PostgresFailure.isTransient(error) {
            close().whenComplete { _ in }
            throw error
        }
    }
}
