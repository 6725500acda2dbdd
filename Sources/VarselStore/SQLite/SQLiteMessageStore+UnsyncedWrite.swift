import GRDB

extension SQLiteMessageStore {
    /// Runs `work` in a transaction whose commit is not synced to disk (`synchronous = NORMAL` for
    /// that commit alone; the writer's setting is restored before anything else is written).
    ///
    /// Only for a write that acknowledges nothing and that nothing outside the store acts on before a
    /// later synced commit: the lease. In WAL mode a commit's frames follow every earlier frame in the
    /// log, so the sync of the next commit that needs one (the attempt opened before a request leaves,
    /// an outcome) makes the lease durable too. A power cut before it loses the lease only: its
    /// messages are queued again, and none of them was sent. Saves one sync (`fdatasync`) a batch on
    /// the path from enqueue to the gateway.
    func writeUnsynced<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.writeWithoutTransaction { db in
            guard synchronous != .normal else { return try db.inTransaction(.immediate) { try work(db) } }
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            do {
                let result = try db.inTransaction(.immediate) { try work(db) }
                try db.execute(sql: "PRAGMA synchronous = \(synchronous.rawValue)")
                return result
            } catch {
                try db.execute(sql: "PRAGMA synchronous = \(synchronous.rawValue)")
                throw error
            }
        }
    }
}

private extension Database {
    /// `work` in a transaction of `kind`, committed when it returns, rolled back when it throws.
    func inTransaction<T>(_ kind: TransactionKind, _ work: () throws -> T) throws -> T {
        var result: T?
        try inTransaction(kind) {
            result = try work()
            return .commit
        }
        return result!
    }
}
