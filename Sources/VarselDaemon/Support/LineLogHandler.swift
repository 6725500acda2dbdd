import Foundation
import Logging

/// One line per event on stderr: `level label: message key=value …`, with a `<N>` syslog severity
/// prefix when stderr goes to the journal (`JOURNAL_STREAM` set). Callers mask personal data before
/// it reaches metadata; this handler never adds any.
public struct LineLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let label: String
    let journal: Bool

    public init(label: String, level: Logger.Level = .info, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.label = label
        self.logLevel = level
        self.journal = environment["JOURNAL_STREAM"] != nil
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var line = journal ? "<\(Self.severity(event.level))>" : ""
        line += "\(event.level) \(label): \(event.message)"
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            let text = "\(value)"
            line += text.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" })
                ? " \(key)=\"\(text.replacingOccurrences(of: "\"", with: "\\\""))\"" : " \(key)=\(text)"
        }
        line += "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    static func severity(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }
}
