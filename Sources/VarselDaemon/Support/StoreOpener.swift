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
    let store = try await StoreOpener.open(config)
    do {
        let result = try await body(store)
        await store.close()
        return result
    } catch {
        await store.close()
        throw error
    }
}
