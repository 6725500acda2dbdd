/// A variable a template reads that the message does not carry.
public struct MissingVariable: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    /// Which template or partial reads it.
    public let source: String
    public let line: Int
    public let column: Int

    public var description: String { "missing variable \(name) in template \(source) at \(line):\(column)" }
}

/// Walks a template with the data it will be rendered with, the way Mustache renders it, and lists
/// every interpolated variable that would render as nothing. swift-mustache has no strict mode, so
/// this check is what stops a blank from being sent.
///
/// Optional data is read inside `{{#name}}…{{/name}}`: a section over a missing value is not walked.
struct VariableCheck {
    /// Partial name → (source label, nodes).
    let partials: [String: (source: String, nodes: [MustacheNode])]
    static let maxDepth = 16

    func missing(in nodes: [MustacheNode], source: String, context: Any) -> [MissingVariable] {
        var found: [MissingVariable] = []
        walk(nodes, source: source, stack: [context], overrides: [:], depth: 0, into: &found)
        return found
    }

    private func walk(
        _ nodes: [MustacheNode], source: String, stack: [Any], overrides: [String: [MustacheNode]], depth: Int,
        into found: inout [MissingVariable]
    ) {
        guard depth < Self.maxDepth else { return }
        for node in nodes {
            switch node.kind {
            case .variable:
                if Self.lookup(node.path, in: stack) == nil {
                    found.append(MissingVariable(name: node.name, source: source, line: node.line, column: node.column))
                }
            case .section:
                switch Self.lookup(node.path, in: stack) {
                case nil: continue
                case let flag as Bool:
                    if flag { walk(node.children, source: source, stack: stack, overrides: overrides, depth: depth, into: &found) }
                case let items as [Any]:
                    for item in items {
                        walk(node.children, source: source, stack: stack + [item], overrides: overrides, depth: depth, into: &found)
                    }
                case let value?:
                    walk(node.children, source: source, stack: stack + [value], overrides: overrides, depth: depth, into: &found)
                }
            case .invertedSection:
                let value = Self.lookup(node.path, in: stack)
                let falsy = value == nil || (value as? Bool) == false || (value as? [Any])?.isEmpty == true
                if falsy { walk(node.children, source: source, stack: stack, overrides: overrides, depth: depth, into: &found) }
            case .partial:
                guard let partial = partials[node.name] else {
                    found.append(MissingVariable(name: "> " + node.name, source: source, line: node.line, column: node.column))
                    continue
                }
                walk(partial.nodes, source: partial.source, stack: stack, overrides: overrides, depth: depth + 1, into: &found)
            case .parent:
                var blocks = overrides
                for child in node.children where child.kind == .block && blocks[child.name] == nil {
                    blocks[child.name] = child.children
                }
                guard let partial = partials[node.name] else {
                    found.append(MissingVariable(name: "< " + node.name, source: source, line: node.line, column: node.column))
                    continue
                }
                walk(partial.nodes, source: partial.source, stack: stack, overrides: blocks, depth: depth + 1, into: &found)
            case .block:
                walk(overrides[node.name] ?? node.children, source: source, stack: stack, overrides: overrides, depth: depth, into: &found)
            }
        }
    }

    /// Mustache name resolution: `.` is the top of the stack; `a.b` finds `a` anywhere down the stack
    /// (top first), then `b` inside it.
    static func lookup(_ name: String, in stack: [Any]) -> Any? {
        lookup(name.split(separator: ".", omittingEmptySubsequences: false).map(String.init), in: stack)
    }

    /// `lookup` of a name already split at its dots.
    static func lookup(_ parts: [String], in stack: [Any]) -> Any? {
        if parts == ["", ""] { return stack.last }  // "."
        guard let first = parts.first else { return nil }
        for object in stack.reversed() {
            guard let dictionary = object as? [String: Any], let value = dictionary[first] else { continue }
            var current: Any = value
            for part in parts.dropFirst() {
                guard let dictionary = current as? [String: Any], let next = dictionary[part] else { return nil }
                current = next
            }
            return current
        }
        return nil
    }
}
