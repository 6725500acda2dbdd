import VarselCore

/// Reads a template the way Mustache resolves names, against the kind's schema instead of data:
/// finds names the schema does not declare, optional values printed outside their own section,
/// unescaped output in HTML and partials of the wrong kind; and collects what the template shows.
struct SchemaUsageCheck {
    /// Partial name → (file, nodes), as the variant's locale sees them.
    let partials: [String: (source: String, nodes: [MustacheNode])]
    let schema: KindSchema
    /// What a template reads: data fields plus the renderer's own names.
    let visible: [String: FieldSpec]
    static let maxDepth = 16

    struct Result {
        var problems: Set<TemplateProblem> = []
        /// Schema paths printed (`amount`, `installments[].due_date`) or iterated (`installments`).
        var shown: Set<String> = []
        /// Partial files included from HTML.
        var htmlPartials: Set<String> = []
    }

    private enum Frame {
        /// An object's fields; `prefix` names them in the schema (`installments[].`).
        case fields([String: FieldSpec], prefix: String)
        /// A scalar pushed by a section over it, or an item of a list of scalars.
        case scalar
    }

    private struct Resolved {
        /// Each component's schema path and declaration, outermost first.
        let chain: [(path: String, spec: FieldSpec)]
        var path: String { chain.last?.path ?? "." }
        var spec: FieldSpec? { chain.last?.spec }
    }

    func check(_ nodes: [MustacheNode], file: String, isHTML: Bool) -> Result {
        var result = Result()
        walk(nodes, file: file, isHTML: isHTML, frames: [.fields(visible, prefix: "")], guarded: [], overrides: [:], depth: 0, into: &result)
        return result
    }

    private func walk(
        _ nodes: [MustacheNode], file: String, isHTML: Bool, frames: [Frame], guarded: Set<String>,
        overrides: [String: [MustacheNode]], depth: Int, into result: inout Result
    ) {
        guard depth < Self.maxDepth else { return }
        func problem(_ node: MustacheNode, _ message: String) {
            result.problems.insert(TemplateProblem(file: file, line: node.line, column: node.column, message: message))
        }
        for node in nodes {
            switch node.kind {
            case .variable(let escaped):
                if isHTML, !escaped {
                    problem(node, "{{{\(node.name)}}} or {{& \(node.name)}} prints without HTML escaping; use {{\(node.name)}}")
                }
                guard let resolved = resolve(node.name, frames: frames) else {
                    problem(node, unknownMessage(node.name, frames: frames))
                    continue
                }
                if let optional = resolved.chain.first(where: { !$0.spec.required && !guarded.contains($0.path) }) {
                    let name = optional.path
                    problem(node, "optional field \(name) is printed outside {{#\(name)}}…{{/\(name)}}: a message without it would fail to render")
                }
                if let spec = resolved.spec, !spec.type.isScalar {
                    problem(node, "\(node.name) is a \(spec.type); print its items inside {{#\(node.name)}}…{{/\(node.name)}}")
                }
                result.shown.insert(resolved.path)
            case .section, .invertedSection:
                guard let resolved = resolve(node.name, frames: frames) else {
                    problem(node, unknownMessage(node.name, frames: frames))
                    continue
                }
                guard node.kind == .section else {
                    walk(node.children, file: file, isHTML: isHTML, frames: frames, guarded: guarded, overrides: overrides, depth: depth, into: &result)
                    continue
                }
                var inner = guarded
                for component in resolved.chain { inner.insert(component.path) }
                var pushed = frames
                switch resolved.spec?.type {
                case .list(.object(let fields))?:
                    pushed.append(.fields(fields, prefix: resolved.path + "[]."))
                    result.shown.insert(resolved.path)
                case .list?:
                    pushed.append(.scalar)
                    result.shown.insert(resolved.path)
                case .object(let fields)?:
                    pushed.append(.fields(fields, prefix: resolved.path + "."))
                default:
                    pushed.append(.scalar)
                }
                walk(node.children, file: file, isHTML: isHTML, frames: pushed, guarded: inner, overrides: overrides, depth: depth, into: &result)
            case .partial, .parent:
                if node.name.hasSuffix("_html"), !isHTML {
                    problem(node, "partial \(node.name) is HTML; a text template includes \(node.name.dropLast(5))_text")
                } else if node.name.hasSuffix("_text"), isHTML {
                    problem(node, "partial \(node.name) is plain text; an HTML template includes \(node.name.dropLast(5))_html")
                }
                guard let partial = partials[node.name] else {
                    problem(node, "no partial \(node.name) in _partials/ for this locale")
                    continue
                }
                if isHTML { result.htmlPartials.insert(partial.source) }
                var blocks = overrides
                if node.kind == .parent {
                    for child in node.children where child.kind == .block && blocks[child.name] == nil { blocks[child.name] = child.children }
                }
                walk(partial.nodes, file: partial.source, isHTML: isHTML, frames: frames, guarded: guarded, overrides: blocks, depth: depth + 1, into: &result)
            case .block:
                walk(overrides[node.name] ?? node.children, file: file, isHTML: isHTML, frames: frames, guarded: guarded, overrides: overrides, depth: depth, into: &result)
            }
        }
    }

    /// Mustache resolution: `.` is the innermost value; `a.b` finds `a` in the innermost frame that has
    /// it, then `b` inside it.
    private func resolve(_ name: String, frames: [Frame]) -> Resolved? {
        if name == "." { return Resolved(chain: []) }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        for frame in frames.reversed() {
            guard case .fields(let fields, let prefix) = frame, let first = fields[parts[0]] else { continue }
            var chain = [(path: prefix + parts[0], spec: first)]
            for part in parts.dropFirst() {
                guard case .object(let inner) = chain.last!.spec.type, let next = inner[part] else { return nil }
                chain.append((chain.last!.path + "." + part, next))
            }
            return Resolved(chain: chain)
        }
        return nil
    }

    private func unknownMessage(_ name: String, frames: [Frame]) -> String {
        var candidates: [String] = []
        for frame in frames {
            if case .fields(let fields, _) = frame { candidates += fields.keys }
        }
        let head = String(name.split(separator: ".").first ?? "")
        let suggestion = candidates
            .map { ($0, EditDistance.between($0, head)) }
            .filter { $0.1 <= max(1, head.count / 3) }
            .min { ($0.1, $0.0) < ($1.1, $1.0) }
        let hint = suggestion.map { "; did you mean \($0.0)?" } ?? ""
        return "\(name) is not in the schema of \(schema.kind) (\(schema.file))\(hint)"
    }
}

/// Levenshtein distance, for "did you mean" hints.
enum EditDistance {
    static func between(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
