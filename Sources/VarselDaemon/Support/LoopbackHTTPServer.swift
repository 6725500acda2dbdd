import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization
import VarselCore

/// Runs one Hummingbird router as a small HTTP server in the background: started and waited for until
/// it listens, stopped gracefully with a bounded wait. Behind the sandbox gateway and test servers.
public final class LoopbackHTTPServer: Sendable {
    private struct State {
        var group: ServiceGroup?
        var task: Task<Void, any Error>?
        var port: Int?
        var failure: String?
    }

    private let state = Mutex(State())
    public let host: String
    let requestedPort: Int
    let name: String
    let logger: Logger

    public init(host: String = "127.0.0.1", port: Int = 0, name: String, logger: Logger) {
        self.host = host
        self.requestedPort = port
        self.name = name
        self.logger = logger
    }

    /// The bound port once listening.
    public var port: Int? { state.withLock { $0.port } }

    /// Starts serving `router` and returns the bound port. Throws when the port cannot be bound or the
    /// server does not listen within `timeout`.
    @discardableResult
    public func start(_ router: Router<BasicRequestContext>, timeout: Duration = .seconds(60)) async throws -> Int {
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: requestedPort), serverName: name),
            onServerRunning: { channel in self.state.withLock { $0.port = channel.localAddress?.port } }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let task = Task {
            do {
                try await group.run()
            } catch {
                self.state.withLock { $0.failure = "\(error)" }
                throw error
            }
        }
        state.withLock {
            $0.group = group
            $0.task = task
        }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let (port, failure) = state.withLock { ($0.port, $0.failure) }
            if let port { return port }
            if let failure { throw ServerError(description: "\(name) cannot listen on \(host):\(requestedPort): \(failure)") }
            try await Task.sleep(for: .milliseconds(5))
        }
        task.cancel()
        throw ServerError(description: "\(name) did not start listening on \(host) within \(timeout)")
    }

    /// Stops gracefully: open requests get `grace` to finish, then the server is cancelled.
    public func stop(grace: Duration = .seconds(1)) async {
        let (group, task) = state.withLock { ($0.group, $0.task) }
        await group?.triggerGracefulShutdown()
        let deadline = Task {
            try await Task.sleep(for: grace)
            task?.cancel()
        }
        if let task, !(await BoundedWait.wait(for: task, atMost: grace + .seconds(10))) {
            logger.warning("server did not stop within its grace period; left to end on its own", metadata: ["server": "\(name)"])
        }
        deadline.cancel()
    }

    struct ServerError: Error, CustomStringConvertible {
        let description: String
    }
}
