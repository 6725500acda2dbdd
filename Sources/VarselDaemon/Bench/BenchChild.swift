import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A `varsel` child process of `varsel bench --gateway` (`enqueue`, `serve`, `token create`): its
/// standard output and error go to files in the bench's workspace, it is reaped by its own pid, and
/// its memory and CPU time are read from `/proc` while it runs.
///
/// Spawned with `posix_spawn`, standard input from `/dev/null` and every descriptor above 2 closed in
/// the child, so it holds none of the bench's sockets. Foundation's `Process` is not used: it notices
/// an exit from a SIGCHLD handler that misses a child ending before it was registered.
///
/// - Important: Every child is listed in ``live`` from spawn to reaping, so that an interrupted
///   bench can kill them all (``killAll()``); a child is never signalled after it was reaped (its pid
///   may name another process by then).
final class BenchChild: @unchecked Sendable {
    let pid: pid_t
    let name: String
    let outputPath: String
    let logPath: String
    private let lock = NSLock()
    /// The wait status once reaped.
    private var waitStatus: Int32?

    /// Children spawned and not yet reaped, by pid.
    private static let live = Mutex<[pid_t: BenchChild]>([:])

    /// Whether it leads a process group of its own, which every signal then goes to (a peer's
    /// shell and everything it starts).
    private let leadsGroup: Bool

    /// Runs `executable` with `arguments` and the bench's environment plus `environment`; stdout to
    /// `output`, stderr to `log` (both made anew). With `ownGroup` it starts a process group of its own.
    init(
        name: String, executable: String, arguments: [String], environment: [String: String] = [:], ownGroup: Bool = false, output: String,
        log: String
    ) throws {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The child starts with no signal blocked and the default action for those it is stopped
        // with: it inherits the spawning thread's mask otherwise, and libdispatch's threads (where
        // a task resumes) block SIGTERM and SIGINT, which `stop` would then send in vain.
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        if ownGroup {
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, log, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        // glibc 2.34+; Swift's Glibc module does not declare it. Without it the child keeps copies
        // of descriptors opened without O_CLOEXEC, which is harmless here.
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
        }
        let arguments = [executable] + arguments
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        let variables = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        var envp: [UnsafeMutablePointer<CChar>?] = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, &argv, &envp)
        guard result == 0 else {
            throw BenchError(description: "cannot start \(executable) \(name): \(String(cString: strerror(result)))")
        }
        self.pid = pid
        leadsGroup = ownGroup
        self.name = name
        self.outputPath = output
        self.logPath = log
        Self.live.withLock { $0[pid] = self }
    }

    /// Whether it still runs (reaping it once it has exited).
    var isRunning: Bool {
        lock.withLock {
            if waitStatus != nil { return false }
            var status: Int32 = 0
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid {
                waitStatus = status
            } else if reaped == -1, errno != EINTR {
                waitStatus = -1
            }
            if waitStatus != nil { _ = Self.live.withLock { $0.removeValue(forKey: pid) } }
            return waitStatus == nil
        }
    }

    /// The exit status, or 128 + the signal that ended it (as a shell reports it); nil while it runs.
    var exitStatus: Int32? {
        guard !isRunning, let status = lock.withLock({ waitStatus }) else { return nil }
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }

    /// Signals it, unless it was reaped.
    func signal(_ signal: Int32) {
        lock.withLock { if waitStatus == nil { _ = kill(leadsGroup ? -pid : pid, signal) } }
    }

    /// Waits until it exits or `timeout` passes; whether it exited. The exit is seen when it happens,
    /// not at the next turn of a polling loop (which added up to its period to every timed child): a
    /// thread of its own waits with `waitid(WNOWAIT)`, which leaves the child to be reaped here. That
    /// thread ends when the child does; a child past its timeout is stopped by the caller.
    @discardableResult
    func waitForExit(timeout: Duration) async -> Bool {
        guard isRunning else { return true }
        let deadline = ContinuousClock.now + timeout
        let pid = pid
        let timer = Mutex<Task<Void, Never>?>(nil)
        let exited = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let waiting = Mutex<CheckedContinuation<Bool, Never>?>(continuation)
            let answer: @Sendable (Bool) -> Void = { exited in waiting.withLock { $0.take() }?.resume(returning: exited) }
            Thread.detachNewThread {
                var info = siginfo_t()
                while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) == -1, errno == EINTR {}
                answer(true)
            }
            timer.withLock { timer in
                timer = Task {
                    try? await Task.sleep(until: deadline)
                    answer(false)
                }
            }
        }
        timer.withLock { $0?.cancel() }
        // Should `waitid` have failed for another reason than the child's end, the old way: polling.
        while exited, isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        return !isRunning
    }

    /// SIGTERM, then SIGKILL if it has not exited within `grace`; returns once it was reaped (a
    /// SIGKILLed process is gone within moments; that wait is bounded too).
    func stop(grace: Duration) async {
        signal(SIGTERM)
        if await waitForExit(timeout: grace) { return }
        signal(SIGKILL)
        await waitForExit(timeout: .seconds(30))
    }

    /// What it wrote to standard output so far.
    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

    /// The end of what it wrote to standard error, for an error message.
    var logTail: String {
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return String(log.suffix(1500)).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Resident memory now, in bytes (`VmRSS` of `/proc/<pid>/status`); nil once it has exited.
    var residentBytes: Int? { statusBytes("VmRSS:") }

    /// The anonymous part of the resident memory now (`RssAnon`: heap, stacks, caches), in bytes; the
    /// rest is mapped files (the executable's and libraries' code and data), which other processes
    /// running them share. Nil once it has exited.
    var anonymousResidentBytes: Int? { statusBytes("RssAnon:") }

    /// A `kB` field of `/proc/<pid>/status`, in bytes.
    private func statusBytes(_ field: String) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field) }),
              let kibibytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
        else { return nil }
        return kibibytes * 1024
    }

    /// User plus system CPU seconds so far (read before it is stopped: a reaped process has no `/proc` entry).
    var cpuSeconds: Double? { PostgresBench.cpuSeconds(pid: pid) }

    /// Runs a child to its end (bounded: killed past `timeout`) and returns it, reaped.
    static func run(
        name: String, executable: String, arguments: [String], environment: [String: String] = [:], ownGroup: Bool = false, in directory: URL,
        timeout: Duration
    ) async throws -> BenchChild {
        let child = try BenchChild(
            name: name, executable: executable, arguments: arguments, environment: environment, ownGroup: ownGroup,
            output: directory.appendingPathComponent("\(name).out").path, log: directory.appendingPathComponent("\(name).log").path)
        guard await child.waitForExit(timeout: timeout) else {
            await child.stop(grace: .seconds(5))
            throw BenchError(description: "\(ownGroup ? "" : "varsel ")\(name) did not finish within \(timeout); it said: \(child.logTail)")
        }
        return child
    }

    /// Kills and reaps every child not yet reaped: for a bench interrupted by a signal.
    static func killAll() {
        let children = live.withLock { Array($0.values) }
        // A peer (a group leader) gets SIGTERM first and up to 10 s to stop what it started (an MTA
        // it runs as a daemon of its own is outside its group), then everything gets SIGKILL.
        let peers = children.filter(\.leadsGroup)
        for peer in peers { peer.signal(SIGTERM) }
        let deadline = ContinuousClock.now + .seconds(10)
        while peers.contains(where: \.isRunning), ContinuousClock.now < deadline { usleep(20_000) }
        for child in children {
            child.signal(SIGKILL)
            child.lock.withLock {
                guard child.waitStatus == nil else { return }
                var status: Int32 = 0
                child.waitStatus = waitpid(child.pid, &status, 0) == child.pid ? status : -1
            }
        }
        live.withLock { $0.removeAll() }
    }
}
