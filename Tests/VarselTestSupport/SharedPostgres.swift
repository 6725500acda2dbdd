import Foundation
import Logging
import PostgresNIO
import VarselCore

/// One throwaway PostgreSQL cluster for the whole test process, started on first use and stopped
/// when the process exits; each test gets a database of its own in it.
public actor SharedPostgres {
    public static let shared = SharedPostgres()

    private var cluster: PostgresCluster?
    private var starting: Task<PostgresCluster, any Error>?
    private var databases = 0

    /// The cluster, started if needed.
    public func cluster() async throws -> PostgresCluster {
        if let cluster { return cluster }
        if starting == nil {
            starting = Task {
                let cluster = try await PostgresCluster.start()
                try cluster.stopWhenThisProcessExits()
                return cluster
            }
        }
        do {
            let started = try await starting!.value
            cluster = started
            return started
        } catch {
            starting = nil
            throw error
        }
    }

    /// A new empty database; its URL (`postgres://varsel@127.0.0.1:<port>/test_<n>`).
    public func newDatabase() async throws -> String {
        let cluster = try await cluster()
        databases += 1
        let name = "test_\(databases)"
        // Over a connection, not with createdb: a process spawned while another test spawns one
        // can hold that one's pipes open.
        let client = PostgresClient(
            configuration: .init(host: "127.0.0.1", port: cluster.port, username: cluster.user, password: nil, database: cluster.database, tls: .disable),
            backgroundLogger: quietLogger)
        let runner = Task { await client.run() }
        defer { runner.cancel() }
        try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name) OWNER \(cluster.user)"))
        runner.cancel()
        // Bounded, as the store's close is: the pool's shutdown does not always finish.
        _ = await BoundedWait.wait(for: runner, atMost: .seconds(10))
        return "postgres://\(cluster.user)@127.0.0.1:\(cluster.port)/\(name)"
    }
}
