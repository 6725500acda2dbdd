import Foundation

/// A child spawned with `posix_spawn`, inheriting only the descriptors `actions` set up (every
/// other one is closed in the child, so no other test's pipe stays open in it), and reaped with
/// `waitpid` on its own pid. Foundation's `Process` notices a child's exit from a SIGCHLD handler
/// that only looks at the children it has registered: a child that exits before it is registered
/// stays a zombie that nothing ever reaps, and a test waiting for it hangs.
final class SpawnedProcess: @unchecked Sendable {
    let pid: pid_t
    private let lock = NSLock()
    /// The wait status once reaped.
    private var waitStatus: Int32?

    /// Runs `arguments[0]` with `arguments` (and `environment`, by default this process's); `actions`
    /// sets up the child's descriptors 0–2.
    init(_ arguments: [String], environment: [String: String]? = nil, actions setUp: (inout posix_spawn_file_actions_t) -> Void) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        setUp(&actions)
        // glibc 2.34+; Swift's Glibc module does not declare it.
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else {
            throw POSIXError(.ENOSYS)
        }
        _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
        let env = environment ?? ProcessInfo.processInfo.environment
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, arguments[0], &actions, nil, &argv, &envp)
        guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: result) ?? .EIO) }
        self.pid = pid
    }

    /// Whether it still runs (reaping it once it has exited).
    var isRunning: Bool {
        lock.withLock {
            if waitStatus != nil { return false }
            var status: Int32 = 0
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { waitStatus = status } else if reaped == -1, errno != EINTR { waitStatus = -1 }
            return waitStatus == nil
        }
    }

    /// The wait status once reaped; nil while it runs.
    var status: Int32? { isRunning ? nil : lock.withLock { waitStatus } }

    /// Signals it, unless it was reaped (its pid may belong to another process by then).
    func signal(_ signal: Int32) {
        lock.withLock { if waitStatus == nil { kill(pid, signal) } }
    }

    /// Kills it and reaps it at once (for a deinit: nothing may wait after this).
    func killAndReap() {
        lock.withLock {
            guard waitStatus == nil else { return }
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitStatus = waitpid(pid, &status, 0) == pid ? status : -1
        }
    }
}
