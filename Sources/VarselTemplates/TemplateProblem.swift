import VarselCore

/// One thing found in a template directory; the path is relative to it.
public typealias TemplateProblem = FileProblem

/// A template set that cannot be used, with every error found.
public struct TemplateSetError: Error, Sendable, CustomStringConvertible {
    public let directory: String
    public let problems: [TemplateProblem]

    public init(directory: String, problems: [TemplateProblem]) {
        self.directory = directory
        self.problems = problems
    }

    public var description: String {
        "template set in \(directory) has \(problems.count) error(s):\n" + problems.map { "  \($0)" }.joined(separator: "\n")
    }
}
