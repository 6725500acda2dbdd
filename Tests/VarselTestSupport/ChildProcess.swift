import Foundation

/// A `varsel` child process with captured output, bounded waits and a kill that always works.
public final class ChildProcess: @unchecked Sendable {
    public let process = Process()
    private let output = Pipe()
    private let errors = Pipe()
    private let lock = NSLock()
    private var stdoutData = Data()
    private var stderrData = Data()

    public init(arguments: [String], environment: [String: String] = [:], stdin: Data? = nil) throws {
        process.executableURL = URL(fileURLWithPath: Paths.varselBinary)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.standardOutput = output
        process.standardError = errors
        let input = Pipe()
        process.standardInput = input
        output.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            self?.lock.withLock { self?.stdoutData.append(data) }
        }
        errors.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            self?.lock.withLock { self?.stderrData.append(data) }
        }
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try? input.fileHandleForWriting.close()
    }

    public var stdout: String { lock.withLock { String(decoding: stdoutData, as: UTF8.self) } }
    public var stderr: String { lock.withLock { String(decoding: stderrData, as: UTF8.self) } }
    public var isRunning: Bool { process.isRunning }

    public func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for exit; kills the child and returns nil when it takes longer than `timeout`.
    @discardableResult
    public func wait(timeout: Duration = .seconds(30)) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning {
            signal(SIGKILL)
            process.waitUntilExit()
            return nil
        }
        process.waitUntilExit()
        try? await Task.sleep(for: .milliseconds(20))  // let the readers drain
        return process.terminationStatus
    }

    /// Runs `varsel` with arguments to completion (bounded) and returns status and output.
    public static func run(_ arguments: [String], stdin: Data? = nil, timeout: Duration = .seconds(60)) async throws -> (status: Int32?, stdout: String, stderr: String) {
        let child = try ChildProcess(arguments: arguments, stdin: stdin)
        let status = await child.wait(timeout: timeout)
        return (status, child.stdout, child.stderr)
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// Polls `condition` until it holds or `timeout` passes.
public func eventually(timeout: Duration = .seconds(20), every interval: Duration = .milliseconds(20), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return try await condition()
}
