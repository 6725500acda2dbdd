import PostgresNIO

/// What went wrong talking to PostgreSQL, in words an operator can act on, and whether trying again
/// can help. `PSQLError`'s own description hides the server's message, and its debug description
/// holds the query's bound values (personal data): neither is used.
enum PostgresFailure {
    /// SQLSTATEs after which the transaction was rolled back and a retry may well succeed:
    /// serialization failure, deadlock, and the server shutting down or restarting.
    static let transientStates: Set<String> = ["40001", "40P01", "57P01", "57P02", "57P03", "08000", "08003", "08006"]

    static func isTransient(_ error: any Error) -> Bool {
        if error is ConnectionLost { return true }
        guard let error = error as? PSQLError else { return false }
        switch error.code {
        case .serverClosedConnection, .connectionError, .uncleanShutdown, .clientClosedConnection: return true
        case .server: return error.serverInfo?[.sqlState].map(transientStates.contains) ?? false
        default: return false
        }
    }

    static func describe(_ error: any Error) -> String {
        if let failure = error as? TransactionFailure { return describe(failure.cause) }
        guard let error = error as? PSQLError else { return "\(error)" }
        switch error.code {
        case .server:
            let message = error.serverInfo?[.message] ?? "server error"
            let state = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
            return message + state
        case .connectionError, .serverClosedConnection, .uncleanShutdown, .clientClosedConnection:
            let underlying = error.underlying.map { ": \($0)" } ?? ""
            return "the connection to the database was lost or could not be made (\(error.code))\(underlying)"
        case .authMechanismRequiresPassword:
            return "the server asks for a password: set store.password_file or store.password_env"
        case .sslUnsupported:
            return "the server does not offer TLS but store.sslmode requires it"
        default:
            return "\(error.code)"
        }
    }
}

/// A transaction that failed, and whether its COMMIT had been sent (then its outcome is unknown).
struct TransactionFailure: Error {
    let commitSent: Bool
    let cause: any Error
}
