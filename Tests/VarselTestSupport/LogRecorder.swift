import Foundation
import Logging

/// Keeps the messages logged through `logger`, for tests that wait on what the code itself said
/// happened (for example the watchdog deciding the loop is stuck) instead of on a guessed delay.
public final class LogRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String] = []

    public init() {}

    /// Every message so far, in order.
    public var messages: [String] { lock.withLock { entries } }

    /// A logger at every level whose messages land here.
    public var logger: Logger {
        var logger = Logger(label: "varsel-test-recorder") { _ in Handler(recorder: self) }
        logger.logLevel = .trace
        return logger
    }

    private func append(_ message: String) { lock.withLock { entries.append(message) } }

    private struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) { recorder.append("\(event.message)") }
    }
}
