import Foundation

/// A `varsel` child process with captured output, bounded waits and a kill that always works.
/// Spawned and reaped as a `SpawnedProcess`; it inherits nothing but its three pipes.
public final class ChildProcess: @unchecked Sendable {
    private let process: SpawnedProcess
    public var pid: pid_t { process.pid }
    private let stdoutReader: PipeReader
    private let stderrReader: PipeReader

    /// Runs `varsel` (or `executable`) with `arguments`.
    public init(arguments: [String], environment: [String: String] = [:], stdin: Data? = nil, executable: String? = nil) throws {
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        var output: [Int32] = [-1, -1], errors: [Int32] = [-1, -1], input: [Int32] = [-1, -1]
        for index in 0..<3 {
            var pair: [Int32] = [-1, -1]
            guard pipe(&pair) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            // Not inherited by children spawned elsewhere meanwhile (ours get them by dup2).
            for descriptor in pair { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
            switch index {
            case 0: output = pair
            case 1: errors = pair
            default: input = pair
            }
        }
        let spawned: SpawnedProcess
        do {
            spawned = try SpawnedProcess([executable ?? Paths.varselBinary] + arguments, environment: env) { actions in
                posix_spawn_file_actions_adddup2(&actions, input[0], 0)
                posix_spawn_file_actions_adddup2(&actions, output[1], 1)
                posix_spawn_file_actions_adddup2(&actions, errors[1], 2)
            }
        } catch {
            for descriptor in output + errors + input { close(descriptor) }
            throw error
        }
        close(output[1])
        close(errors[1])
        close(input[0])
        process = spawned
        stdoutReader = PipeReader(output[0])
        stderrReader = PipeReader(errors[0])
        if let stdin {
            stdin.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = write(input[1], buffer.baseAddress! + offset, buffer.count - offset)
                    if written > 0 { offset += written } else if written < 0, errno == EINTR { continue } else { break }
                }
            }
        }
        close(input[1])
    }

    public var stdout: String { String(decoding: stdoutReader.data, as: UTF8.self) }
    /// What it wrote to stdout, byte for byte.
    public var stdoutBytes: [UInt8] { Array(stdoutReader.data) }
    public var stderr: String { String(decoding: stderrReader.data, as: UTF8.self) }
    /// Whether it still runs (reaping it once it has exited).
    public var isRunning: Bool { process.isRunning }

    /// The exit status, or 128 + the signal that ended it (as a shell reports it); nil while it runs.
    public var terminationStatus: Int32? {
        guard let status = process.status else { return nil }
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }

    /// Whether a signal ended it.
    public var endedBySignal: Bool { process.status.map { $0 & 0x7F != 0 } ?? false }

    /// The port a `varsel serve` child (or a stand-in server) announced on stderr (`port=N`), once it has.
    public var announcedPort: String? {
        stderr.split(separator: " ").first { $0.hasPrefix("port=") }.map { String($0.dropFirst(5)) }
    }

    /// Signals it, unless it was reaped (its pid may belong to another process by then).
    public func signal(_ signal: Int32) { process.signal(signal) }

    /// Waits for exit; kills the child and returns nil when it takes longer than `timeout`.
    /// On return `stdout` and `stderr` hold everything the child wrote: both pipes were read to
    /// their end, not for a fixed while.
    /// `drainTimeout` bounds the wait for the pipes' end after the exit: a process spawned by another
    /// test at the same moment can hold a copy of them.
    @discardableResult
    public func wait(timeout: Duration = .seconds(30), drainTimeout: Duration = .seconds(30)) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if isRunning {
            signal(SIGKILL)
            await exited()
            await drained(drainTimeout)
            return nil
        }
        await drained(drainTimeout)
        return terminationStatus
    }

    /// Stops a server child: SIGTERM, then SIGKILL if it has not exited within `timeout`. Waits for
    /// the exit only, not for its pipes (a child spawned meanwhile may hold copies of them).
    public func terminate(timeout: Duration = .seconds(30)) async {
        signal(SIGTERM)
        let deadline = ContinuousClock.now + timeout
        while isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if isRunning { signal(SIGKILL) }
        await exited()
    }

    /// Waits for the exit, polling so that no thread every test's async code shares is held
    /// (bounded: a SIGKILLed child is gone within moments).
    private func exited() async {
        _ = await eventually(timeout: .seconds(60), every: .milliseconds(10)) { !isRunning }
    }

    /// Waits until both readers saw end of file (bounded, in case a grandchild holds a pipe open).
    private func drained(_ timeout: Duration) async {
        _ = await eventually(timeout: timeout, every: .milliseconds(5)) { stdoutReader.ended && stderrReader.ended }
    }

    /// Runs `varsel` with arguments to completion (bounded) and returns status and output.
    public static func run(_ arguments: [String], stdin: Data? = nil, timeout: Duration = .seconds(60)) async throws -> (status: Int32?, stdout: String, stderr: String) {
        let child = try ChildProcess(arguments: arguments, stdin: stdin)
        let status = await child.wait(timeout: timeout)
        return (status, child.stdout, child.stderr)
    }

    deinit { process.killAndReap() }
}

/// Reads a pipe to its end on a thread of its own with plain `read(2)`, retrying when a signal
/// interrupts it. (`FileHandle.readabilityHandler` took an interrupted read, e.g. by the SIGCHLD of
/// the child's exit, for the end of file and dropped the rest of the output.)
final class PipeReader: @unchecked Sendable {
    private let lock = NSLock()
    private var buffer = Data()
    private var finished = false

    init(_ descriptor: Int32) {
        let thread = Thread { [self] in
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count > 0 {
                    lock.withLock { buffer.append(contentsOf: chunk[0..<count]) }
                } else if count < 0, errno == EINTR || errno == EAGAIN {
                    continue
                } else {
                    break
                }
            }
            lock.withLock { finished = true }
            // Closed at its end: a suite spawns hundreds of children.
            close(descriptor)
        }
        thread.start()
    }

    var data: Data { lock.withLock { buffer } }
    var ended: Bool { lock.withLock { finished } }
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held. The deadline
/// is only there so a broken test ends: make it generous, and assert on the state observed.
public func eventually(timeout: Duration = .seconds(120), every interval: Duration = .milliseconds(20), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return try await condition()
}
