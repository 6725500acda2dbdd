import Yams

/// A configuration document as a tree, before it is read into `VarselConfig`: YAML file over built-in
/// defaults, with environment overrides applied to the leaves.
indirect enum ConfigTree: Sendable, Equatable {
    case scalar(String)
    case list([ConfigTree])
    /// Keys in document order.
    case map([(key: String, value: ConfigTree)])
    case null

    static func == (lhs: ConfigTree, rhs: ConfigTree) -> Bool {
        switch (lhs, rhs) {
        case (.scalar(let a), .scalar(let b)): a == b
        case (.list(let a), .list(let b)): a == b
        case (.map(let a), .map(let b)): a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case (.null, .null): true
        default: false
        }
    }

    /// Parses YAML text. Throws a message naming the line and column of a syntax error.
    static func parse(yaml: String) throws(ConfigError) -> ConfigTree {
        do {
            guard let node = try Yams.compose(yaml: yaml) else { return .map([]) }
            return try convert(node, path: "")
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError("", "not valid YAML: \(error)")
        }
    }

    private static func convert(_ node: Node, path: String) throws(ConfigError) -> ConfigTree {
        switch node {
        case .scalar(let scalar):
            if scalar.style == .plain, ["", "~", "null", "Null", "NULL"].contains(scalar.string) { return .null }
            return .scalar(scalar.string)
        case .sequence(let sequence):
            var items: [ConfigTree] = []
            for (index, item) in sequence.enumerated() { items.append(try convert(item, path: "\(path)[\(index)]")) }
            return .list(items)
        case .mapping(let mapping):
            var pairs: [(key: String, value: ConfigTree)] = []
            for (key, value) in mapping {
                guard let name = key.string else { throw ConfigError(path, "keys must be plain strings") }
                let child = path.isEmpty ? name : "\(path).\(name)"
                if pairs.contains(where: { $0.key == name }) { throw ConfigError(child, "key appears twice") }
                pairs.append((name, try convert(value, path: child)))
            }
            return .map(pairs)
        case .alias:
            throw ConfigError(path, "YAML aliases are not supported in the configuration")
        }
    }

    subscript(key: String) -> ConfigTree? {
        guard case .map(let pairs) = self else { return nil }
        return pairs.first { $0.key == key }?.value
    }

    var keys: [String] {
        guard case .map(let pairs) = self else { return [] }
        return pairs.map(\.key)
    }

    /// `other` laid over `self`: maps merge key by key, anything else is replaced.
    func overlaid(with other: ConfigTree) -> ConfigTree {
        guard case .map(var pairs) = self, case .map(let top) = other else { return other }
        for (key, value) in top {
            if let index = pairs.firstIndex(where: { $0.key == key }) {
                pairs[index].value = pairs[index].value.overlaid(with: value)
            } else {
                pairs.append((key, value))
            }
        }
        return .map(pairs)
    }

    /// Replaces every leaf whose environment name is set: `VARSEL_` + the key path upper-cased with
    /// every other character as `_` (`gateways.sms-main.url` → `VARSEL_GATEWAYS_SMS_MAIN_URL`). Values
    /// are read as YAML, so lists can be given as `[email, sms]`. Returns the names applied.
    func applyingEnvironment(_ environment: [String: String], prefix: String = "VARSEL") throws(ConfigError) -> (ConfigTree, [String]) {
        var applied: [String] = []
        let tree = try apply(environment, name: prefix, path: "", applied: &applied)
        return (tree, applied)
    }

    private func apply(_ environment: [String: String], name: String, path: String, applied: inout [String]) throws(ConfigError) -> ConfigTree {
        if case .map(let pairs) = self {
            var result: [(key: String, value: ConfigTree)] = []
            for (key, value) in pairs {
                let childName = name + "_" + Self.environmentComponent(key)
                let childPath = path.isEmpty ? key : "\(path).\(key)"
                result.append((key, try value.apply(environment, name: childName, path: childPath, applied: &applied)))
            }
            return .map(result)
        }
        guard let text = environment[name] else { return self }
        applied.append(name)
        do {
            return try Self.parse(yaml: text)
        } catch {
            throw ConfigError(path, "environment variable \(name) is not a valid value: \(error.problem)")
        }
    }

    static func environmentComponent(_ key: String) -> String {
        String(key.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }
}

/// A configuration problem, naming the key at fault.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public let key: String
    public let problem: String

    public init(_ key: String, _ problem: String) {
        self.key = key
        self.problem = problem
    }

    public var description: String { key.isEmpty ? problem : "\(key): \(problem)" }
}

/// Several configuration problems at once.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    public let file: String
    public let errors: [ConfigError]

    public var description: String {
        "configuration \(file) is not valid:\n" + errors.map { "  \($0)" }.joined(separator: "\n")
    }
}
