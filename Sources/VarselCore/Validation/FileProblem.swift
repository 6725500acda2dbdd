/// One thing found in an operator's file (a template, a kind schema, a plan), located so an editor
/// can jump to it.
public struct FileProblem: Error, Sendable, Hashable, CustomStringConvertible, Comparable {
    public enum Severity: String, Sendable, Hashable, Comparable {
        /// The file cannot be used: its check fails, and a reload keeps the last good set.
        case error
        /// Worth fixing, does not stop the set (e.g. an SMS above the configured number of parts).
        case warning

        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs == .error && rhs == .warning }
    }

    /// The file's path, as its set names it.
    public let file: String
    public let line: Int
    public let column: Int
    public let severity: Severity
    public let message: String

    public init(file: String, line: Int = 1, column: Int = 1, severity: Severity = .error, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.severity = severity
        self.message = message
    }

    /// `reminder/nb/direct/sms.mustache:3:14: error: message`, the form compilers use and editors read.
    public var description: String { "\(file):\(line):\(column): \(severity.rawValue): \(message)" }

    public static func < (lhs: FileProblem, rhs: FileProblem) -> Bool {
        (lhs.file, lhs.line, lhs.column, lhs.message) < (rhs.file, rhs.line, rhs.column, rhs.message)
    }
}
