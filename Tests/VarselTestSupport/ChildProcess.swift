import Foundation

/// A `varsel` child process with captured output, bounded waits and a kill that always works.
public final class ChildProcess: @unchecked Sendable {
    public let process = Process()
    private let output = Pipe()
    private let errors = Pipe()
    private let stdoutReader: PipeReader
    private let stderrReader: PipeReader

    /// Runs `varsel` (or `executable`) with `arguments`.
    public init(arguments: [String], environment: [String: String] = [:], stdin: Data? = nil, executable: String? = nil) throws {
        process.executableURL = URL(fileURLWithPath: executable ?? Paths.varselBinary)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.standardOutput = output
        process.standardError = errors
        let input = Pipe()
        process.standardInput = input
        stdoutReader = PipeReader(output.fileHandleForReading)
        stderrReader = PipeReader(errors.fileHandleForReading)
        // `run` closes this process's copies of the write ends: the end of file comes when the child
        // (and anything it passed them to) closes its own.
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try? input.fileHandleForWriting.close()
    }

    public var stdout: String { String(decoding: stdoutReader.data, as: UTF8.self) }
    public var stderr: String { String(decoding: stderrReader.data, as: UTF8.self) }
    public var isRunning: Bool { process.isRunning }
    /// The port a `varsel serve` child (or a stand-in server) announced on stderr (`port=N`), once it has.
    public var announcedPort: String? {
        stderr.split(separator: " ").first { $0.hasPrefix("port=") }.map { String($0.dropFirst(5)) }
    }

    public func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for exit; kills the child and returns nil when it takes longer than `timeout`.
    /// On return `stdout` and `stderr` hold everything the child wrote: both pipes were read to
    /// their end, not for a fixed while.
    /// `drainTimeout` bounds the wait for the pipes' end after the exit: a process spawned by another
    /// test at the same moment can hold a copy of them.
    @discardableResult
    public func wait(timeout: Duration = .seconds(30), drainTimeout: Duration = .seconds(30)) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning {
            signal(SIGKILL)
            await exited()
            await drained(drainTimeout)
            return nil
        }
        await exited()
        await drained(drainTimeout)
        return process.isRunning ? nil : process.terminationStatus
    }

    /// Stops a server child: SIGTERM, then SIGKILL if it has not exited within `timeout`. Waits for
    /// the exit only, not for its pipes (a child spawned meanwhile may hold copies of them).
    public func terminate(timeout: Duration = .seconds(30)) async {
        signal(SIGTERM)
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning { signal(SIGKILL) }
        await exited()
    }

    /// Waits for Foundation to see the exit, polling instead of `waitUntilExit()`, which would hold
    /// one of the few threads every test's async code shares for as long as it takes (bounded: a
    /// SIGKILLed child is gone within moments).
    private func exited() async {
        _ = await eventually(timeout: .seconds(60), every: .milliseconds(10)) { !process.isRunning }
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

    deinit {
        // Killed, not waited for: Foundation reaps it.
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// Reads a pipe to its end on a thread of its own with plain `read(2)`, retrying when a signal
/// interrupts it. (`FileHandle.readabilityHandler` took an interrupted read, e.g. by the SIGCHLD of
/// the child's exit, for the end of file and dropped the rest of the output.)
final class PipeReader: @unchecked Sendable {
    private let lock = NSLock()
    private var buffer = Data()
    private var finished = false

    init(_ handle: FileHandle) {
        let descriptor = handle.fileDescriptor
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
            // Closed at its end, not when the ChildProcess goes: a suite spawns hundreds of children
            // (the PostgreSQL tools among them), and descriptors past 1023 break Foundation's
            // select()-based socket manager, which then never sees a child exit.
            try? handle.close()
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
