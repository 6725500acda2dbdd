import Foundation

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
        return try await cluster.createDatabase("test_\(databases)")
    }
}
