/// One thing found in a plan file, located so an editor can jump to it.
public struct PlanProblem: Error, Sendable, Hashable, Comparable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable {
        /// The plan cannot be used: `plans check` fails and the set is refused.
        case error
        /// Worth a look, does not stop the plan (e.g. a fee that needs the debtor's agreement).
        case warning
    }

    /// The plan file's path as given (`plans/standard-no.yaml`).
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

    /// `plans/standard-no.yaml:7:5: error: message`, the form compilers use and editors read.
    public var description: String { "\(file):\(line):\(column): \(severity.rawValue): \(message)" }

    public static func < (lhs: PlanProblem, rhs: PlanProblem) -> Bool {
        (lhs.file, lhs.line, lhs.column, lhs.message) < (rhs.file, rhs.line, rhs.column, rhs.message)
    }
}

/// A plan set that cannot be used, with every error found.
public struct PlanSetError: Error, Sendable, CustomStringConvertible {
    public let directory: String
    public let problems: [PlanProblem]

    public init(directory: String, problems: [PlanProblem]) {
        self.directory = directory
        self.problems = problems
    }

    public var description: String {
        "collection plans in \(directory) have \(problems.count) error(s):\n" + problems.map { "  \($0)" }.joined(separator: "\n")
    }
}
