import Foundation
import Logging
import VarselPostgres
import VarselStore

/// Opens the store a configuration names: the SQLite file, or the PostgreSQL database (migrated
/// under an advisory lock when its schema is behind).
public enum StoreOpener {
    public static func open(_ config: VarselConfig, logger: Logger = Logger(label: "varsel.store")) async throws -> any MessageStore {
        switch config.store.backend {
        case .sqlite:
            return try SQLiteMessageStore(path: config.store.path, synchronous: config.store.synchronous)
        case .postgres:
            guard let settings = config.store.postgres else { throw StoreError("store.backend is postgres but store.url is not set") }
            // The pool's own chatter (connections opened, closed, retried) is for debugging only.
            var poolLogger = logger
            poolLogger.logLevel = max(logger.logLevel, .error)
            return try await PostgresMessageStore(settings: settings, logger: poolLogger)
        }
    }
}

/// Opens the store for one command, runs `body`, and closes it.
public func withStore<Result: Sendable>(_ config: VarselConfig, _ body: (any MessageStore) async throws -> Result) async throws -> Result {
    try await withStoreOpening(config) { opening in try await body(try await opening.value) }
}

/// Starts opening the store for one command and runs `body` meanwhile, with the opening to await
/// where it first needs the store; then closes the store, if it opened.
public func withStoreOpening<Result: Sendable>(
    _ config: VarselConfig, _ body: (Task<any MessageStore, any Error>) async throws -> Result
) async throws -> Result {
    let opening = Task { try await StoreOpener.open(config) }
    do {
        let result = try await body(opening)
        await (try await opening.value).close()
        return result
    } catch {
        if let store = try? await opening.value { await store.close() }
        throw error
    }
}
