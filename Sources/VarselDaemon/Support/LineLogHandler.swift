import Foundation
import Logging
import VarselCore

/// One line per event on stderr: `level label: message key=value …`, with a `<N>` syslog severity
/// prefix when stderr goes to the journal (`JOURNAL_STREAM` set). Callers mask personal data before
/// it reaches metadata; as a last line of defence every line is scrubbed of phone numbers, email
/// addresses and bearer tokens (`Masking.scrub`), and line breaks and every other control character
/// inside message and values are escaped, so one event stays one line and cannot drive a terminal.
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
        FileHandle.standardError.write(Data(line(level: event.level, message: "\(event.message)", metadata: event.metadata).utf8))
    }

    /// The line for one event, with its newline.
    func line(level: Logger.Level, message: String, metadata extra: Logger.Metadata?) -> String {
        var line = journal ? "<\(Self.severity(level))>" : ""
        line += "\(level) \(label): \(Self.oneLine(message))"
        // The handler's own metadata is nearly always empty: the event's is then used as it is.
        let merged = metadata.isEmpty ? extra ?? [:] : metadata.merging(extra ?? [:]) { _, new in new }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            let text = Self.oneLine("\(value)")
            line += text.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" })
                ? " \(key)=\"\(text.replacingOccurrences(of: "\"", with: "\\\""))\"" : " \(key)=\(text)"
        }
        return Masking.scrub(line) + "\n"
    }

    private static func oneLine(_ text: String) -> String { Masking.escapingControls(text) }

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
