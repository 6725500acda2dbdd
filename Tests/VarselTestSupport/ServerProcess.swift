import Foundation

/// A long-lived server started for tests (PostgreSQL), spawned and reaped as a `SpawnedProcess`: it
/// inherits nothing but a log file, so no descriptor this process has open at that moment (another
/// test's pipe to its child) stays open in it, which would hold that test waiting for the pipe's end.
public final class ServerProcess: @unchecked Sendable {
    private let process: SpawnedProcess
    public var pid: pid_t { process.pid }
    public let logFile: String

    /// Runs `arguments[0]` with `arguments`, standard output and error appended to `logFile`.
    public init(_ arguments: [String], logFile: String) throws {
        self.logFile = logFile
        process = try SpawnedProcess(arguments) { actions in
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, logFile, O_WRONLY | O_CREAT | O_APPEND, 0o666)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
    }

    /// Whether it still runs (reaping it when it has exited).
    public var isRunning: Bool { process.isRunning }

    public func signal(_ signal: Int32) { process.signal(signal) }

    /// SIGTERM, then SIGKILL when it has not exited within `timeout`; waits for the exit.
    public func terminate(timeout: Duration = .seconds(30)) async {
        signal(SIGTERM)
        let deadline = ContinuousClock.now + timeout
        while isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if isRunning {
            signal(SIGKILL)
            while isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        }
    }

    /// What it logged so far.
    public var log: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }
}
