import PostgresNIO
import Synchronization

/// The connection was closed (by the server, the network, or a restart) while an operation was
/// using it.
struct ConnectionLost: Error, CustomStringConvertible {
    var description: String { "the connection to the database was closed while in use" }
}

/// No pooled connection could be had in time: the server is down, unreachable, refusing
/// connections, or out of them.
struct ConnectionUnavailable: Error, CustomStringConvertible {
    let wait: Duration
    var description: String {
        "no connection to the database within \(wait.components.seconds) s (is the server up and reachable, and does it accept connections?)"
    }
}

extension PostgresClient {
    /// `withConnection`, with two bounds postgres-nio leaves open: waiting for a connection fails
    /// with `ConnectionUnavailable` after `wait` (the pool would wait for ever while the server is
    /// down), and `body` fails with `ConnectionLost` when its connection closes under it
    /// (`ConnectionCloseWatch`).
    func withLiveConnection<Result: Sendable>(
        within wait: Duration, watch: ConnectionCloseWatch, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let leased = Flag()
        return try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask {
                try await self.withConnection { connection in
                    leased.set()
                    return try await watch.run(on: connection, body)
                }
            }
            group.addTask {
                try await Task.sleep(for: wait)
                if leased.isSet { return nil }  // in use: it finishes in its own time
                throw ConnectionUnavailable(wait: wait)
            }
            while let next = try await group.next() {
                if let value = next {
                    group.cancelAll()
                    return value
                }
            }
            throw CancellationError()
        }
    }
}

private final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}

/// Runs operations on pooled connections so that a connection that closes fails the operation in
/// progress instead of leaving it waiting for ever.
///
/// postgres-nio 1.33 writes a query to the connection's channel without a promise for the write.
/// When the server ends the connection between two queries of a transaction (e.g.
/// `pg_terminate_backend`, a restart), the next query's write finds the channel's handlers gone and
/// fails silently: that query's result never arrives. So each operation races its connection's
/// close. One close callback is registered per connection (not per operation, which would pile
/// callbacks up on a long-lived connection), and it fails whatever runs on the connection then. A
/// query left waiting that way keeps one suspended task until the process ends: a small leak, once
/// per lost connection, against a daemon that otherwise stops for good.
final class ConnectionCloseWatch: Sendable {
    private struct Watched {
        /// Fails the operation running on the connection now.
        var failCurrent: (@Sendable (any Error) -> Void)?
    }

    private let watched = Mutex<[PostgresConnection.ID: Watched]>([:])

    func run<Result: Sendable>(
        on connection: PostgresConnection, _ operation: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let outcome = ResumeOnce<Result>()
        let work = Task {
            do {
                outcome.resume(with: .success(try await operation(connection)))
            } catch {
                outcome.resume(with: .failure(error))
            }
        }
        let firstSight = watched.withLock { watched in
            let first = watched[connection.id] == nil
            watched[connection.id, default: Watched()].failCurrent = { outcome.resume(with: .failure($0)) }
            return first
        }
        if firstSight {
            // Runs at once when the connection is closed already.
            connection.closeFuture.whenComplete { [self] _ in
                let fail = watched.withLock { $0.removeValue(forKey: connection.id)?.failCurrent }
                fail?(ConnectionLost())
            }
        }
        defer { watched.withLock { $0[connection.id]?.failCurrent = nil } }
        return try await withTaskCancellationHandler {
            try await outcome.value
        } onCancel: {
            work.cancel()
        }
    }
}

/// A result delivered once, by whichever of its producers comes first.
private final class ResumeOnce<Value: Sendable>: Sendable {
    private struct State {
        var result: Result<Value, any Error>?
        var waiter: CheckedContinuation<Value, any Error>?
    }

    private let state = Mutex(State())

    func resume(with result: Result<Value, any Error>) {
        let waiter = state.withLock { state -> CheckedContinuation<Value, any Error>? in
            guard state.result == nil else { return nil }
            state.result = result
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(with: result)
    }

    var value: Value {
        get async throws {
            try await withCheckedThrowingContinuation { continuation in
                let ready = state.withLock { state -> Result<Value, any Error>? in
                    if let result = state.result { return result }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        }
    }
}
