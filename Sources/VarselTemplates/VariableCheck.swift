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

    /// `source` names the template of `nodes` in what is found; it is built only when something is.
    func missing(in nodes: [MustacheNode], source: @autoclosure () -> String, context: TemplateValue) -> [MissingVariable] {
        var found: [Found] = []
        walk(nodes, source: nil, stack: [context], overrides: [:], depth: 0, into: &found)
        guard !found.isEmpty else { return [] }
        let top = source()
        return found.map { MissingVariable(name: $0.name, source: $0.source ?? top, line: $0.line, column: $0.column) }
    }

    /// A variable found missing; its source is nil in the template checked, a partial's label in a partial.
    private struct Found {
        let name: String
        let source: String?
        let line: Int
        let column: Int
    }

    private func walk(
        _ nodes: [MustacheNode], source: String?, stack: [TemplateValue], overrides: [String: [MustacheNode]], depth: Int,
        into found: inout [Found]
    ) {
        guard depth < Self.maxDepth else { return }
        for node in nodes {
            switch node.kind {
            case .variable:
                if TemplateValue.lookup(node.path, in: stack) == nil {
                    found.append(Found(name: node.name, source: source, line: node.line, column: node.column))
                }
            case .section:
                switch TemplateValue.lookup(node.path, in: stack) {
                case nil: continue
                case .flag(let flag)?:
                    if flag { walk(node.children, source: source, stack: stack, overrides: overrides, depth: depth, into: &found) }
                case .list(let items)?:
                    for item in items {
                        walk(node.children, source: source, stack: stack + [item], overrides: overrides, depth: depth, into: &found)
                    }
                case let value?:
                    walk(node.children, source: source, stack: stack + [value], overrides: overrides, depth: depth, into: &found)
                }
            case .invertedSection:
                if TemplateValue.lookup(node.path, in: stack)?.isFalsy ?? true {
                    walk(node.children, source: source, stack: stack, overrides: overrides, depth: depth, into: &found)
                }
            case .partial:
                guard let partial = partials[node.name] else {
                    found.append(Found(name: "> " + node.name, source: source, line: node.line, column: node.column))
                    continue
                }
                walk(partial.nodes, source: partial.source, stack: stack, overrides: overrides, depth: depth + 1, into: &found)
            case .parent:
                var blocks = overrides
                for child in node.children where child.kind == .block && blocks[child.name] == nil {
                    blocks[child.name] = child.children
                }
                guard let partial = partials[node.name] else {
                    found.append(Found(name: "< " + node.name, source: source, line: node.line, column: node.column))
                    continue
                }
                walk(partial.nodes, source: partial.source, stack: stack, overrides: blocks, depth: depth + 1, into: &found)
            case .block:
                walk(overrides[node.name] ?? node.children, source: source, stack: stack, overrides: overrides, depth: depth, into: &found)
            }
        }
    }
}
