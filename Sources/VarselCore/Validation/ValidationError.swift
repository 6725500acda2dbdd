/// Why an input was refused: the field at fault (a JSON path such as `recipient.phone`) and what is wrong.
public struct ValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    public let field: String
    public let problem: String

    public init(field: String, problem: String) {
        self.field = field
        self.problem = problem
    }

    public var description: String { field.isEmpty ? problem : "\(field): \(problem)" }
}

/// All problems found in one input, in the order they were found.
public struct ValidationFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public let errors: [ValidationError]

    public init(_ errors: [ValidationError]) {
        self.errors = errors
    }

    public var description: String { errors.map(\.description).joined(separator: "; ") }
}
