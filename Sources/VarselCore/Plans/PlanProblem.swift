/// One thing found in a plan file (`plans/standard-no.yaml:7:5: error: …`).
public typealias PlanProblem = FileProblem

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
