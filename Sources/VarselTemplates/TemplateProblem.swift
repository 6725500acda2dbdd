/// One thing wrong in a template directory, located so an editor can jump to it.
public struct TemplateProblem: Sendable, Hashable, CustomStringConvertible, Comparable {
    /// Path relative to the template directory.
    public let file: String
    public let line: Int
    public let column: Int
    public let message: String

    public init(file: String, line: Int = 1, column: Int = 1, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// `reminder/nb/direct/sms.mustache:3:14: message`
    public var description: String { "\(file):\(line):\(column): \(message)" }

    public static func < (lhs: TemplateProblem, rhs: TemplateProblem) -> Bool {
        (lhs.file, lhs.line, lhs.column, lhs.message) < (rhs.file, rhs.line, rhs.column, rhs.message)
    }
}

/// A template set that cannot be used, with every problem found.
public struct TemplateSetError: Error, Sendable, CustomStringConvertible {
    public let directory: String
    public let problems: [TemplateProblem]

    public var description: String {
        "template set in \(directory) has \(problems.count) error(s):\n" + problems.map { "  \($0)" }.joined(separator: "\n")
    }
}
