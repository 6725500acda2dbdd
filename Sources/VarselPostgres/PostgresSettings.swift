import Foundation

/// Where and how to reach PostgreSQL: `store.url` (`postgres://user@host:port/database`, with
/// `?sslmode=` and, for a unix socket, `?host=/directory`), the password (from `store.password_file`
/// or `store.password_env`, never the YAML), `store.sslmode` and `store.pool_size`.
public struct PostgresSettings: Sendable {
    /// libpq's `sslmode` values, with libpq's meaning.
    public enum SSLMode: String, Sendable, CaseIterable {
        /// Plain TCP.
        case disable
        /// TLS when the server offers it, certificate not checked.
        case prefer
        /// TLS or no connection; the certificate is not checked.
        case require
        /// TLS; the certificate must chain to a trusted CA (`store.ssl_root_cert` or the system's).
        case verifyCA = "verify-ca"
        /// TLS; the certificate must chain to a trusted CA and name the host.
        case verifyFull = "verify-full"
    }

    public enum Endpoint: Sendable, Equatable {
        case tcp(host: String, port: Int)
        /// The socket file itself (`<directory>/.s.PGSQL.<port>`).
        case unixSocket(path: String)
    }

    public var endpoint: Endpoint
    public var user: String
    public var database: String
    public var password: String?
    public var sslMode: SSLMode
    /// A CA bundle (PEM) for `verify-ca`/`verify-full`; the system's trust store when nil.
    public var sslRootCert: String?
    /// Connections each daemon keeps at most (`store.pool_size`), plus one that listens for wake-ups.
    public var poolSize: Int

    public init(
        endpoint: Endpoint, user: String, database: String, password: String? = nil, sslMode: SSLMode = .prefer, sslRootCert: String? = nil,
        poolSize: Int = 8
    ) {
        self.endpoint = endpoint
        self.user = user
        self.database = database
        self.password = password
        self.sslMode = sslMode
        self.sslRootCert = sslRootCert
        self.poolSize = poolSize
    }

    public struct URLProblem: Error, CustomStringConvertible {
        public let description: String
    }

    /// Reads `postgres://user@host:port/database?sslmode=…&host=/socket/dir`. A password in the URL is
    /// refused: it belongs in a file or the environment. The result's `sslMode` is the URL's, or
    /// `prefer`.
    public static func parse(url text: String) throws -> PostgresSettings {
        guard let components = URLComponents(string: text), let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme) else {
            throw URLProblem(description: "expected postgres://user@host:port/database")
        }
        if components.password != nil {
            throw URLProblem(description: "the URL holds a password: put it in store.password_file or store.password_env instead")
        }
        guard let user = components.user, !user.isEmpty else { throw URLProblem(description: "the URL names no user (postgres://user@host/database)") }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { throw URLProblem(description: "the URL names no database (postgres://user@host/database)") }
        let port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw URLProblem(description: "port \(port) is out of range") }
        var sslMode = SSLMode.prefer
        var socketDirectory: String?
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(SSLMode.init(rawValue:)) else {
                    throw URLProblem(description: "sslmode '\(item.value ?? "")' is not one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                sslMode = mode
            case "host":
                guard let value = item.value, value.hasPrefix("/") else { throw URLProblem(description: "host= in the query must be a socket directory (an absolute path)") }
                socketDirectory = value
            default:
                throw URLProblem(description: "unknown URL parameter '\(item.name)' (known: sslmode, host)")
            }
        }
        let endpoint: Endpoint
        if let socketDirectory {
            endpoint = .unixSocket(path: socketDirectory + "/.s.PGSQL.\(port)")
        } else {
            guard let host = components.host, !host.isEmpty else { throw URLProblem(description: "the URL names no host") }
            endpoint = .tcp(host: host, port: port)
        }
        return PostgresSettings(endpoint: endpoint, user: user, database: database, sslMode: sslMode)
    }

    /// `host:port/database` or `socket/database`, for logs and `config check` (no user, no password).
    public var location: String {
        switch endpoint {
        case .tcp(let host, let port): "\(host):\(port)/\(database)"
        case .unixSocket(let path): "\(path)/\(database)"
        }
    }
}
