import Foundation
import PostgresNIO
import VarselStore

extension PostgresMessageStore: WorkNotifying {
    /// Holds one connection listening on `varsel_queue`. A notice arrives only when the transaction
    /// that sent it commits: a rolled-back intake wakes nobody.
    public func listenForWork(_ onWork: @escaping @Sendable () -> Void) async throws {
        do {
            try await client.withConnection { connection in
                try await connection.listen(on: PostgresSchema.queueChannel) { notifications in
                    // Work that arrived before LISTEN took effect is found by the first look.
                    onWork()
                    for try await _ in notifications { onWork() }
                }
            }
        } catch is CancellationError {
            return
        } catch let error as PSQLError {
            throw StoreError("PostgreSQL store: listening for new work: \(PostgresFailure.describe(error))")
        }
    }
}
