/// A value a template sees: text, a flag, a list or an object. Built once per render from the
/// message (`RenderContext`), read by the variable check and by the compiled renderer without any
/// dynamic cast; `mustacheValue` gives swift-mustache the same data as plain Swift values.
enum TemplateValue: Sendable, Hashable {
    case text(String)
    case flag(Bool)
    case list([TemplateValue])
    case object([String: TemplateValue])

    /// The field `name` of an object; nil for anything else, as swift-mustache finds no children there.
    subscript(name: String) -> TemplateValue? {
        if case .object(let fields) = self { return fields[name] }
        return nil
    }

    /// The same data as swift-mustache reads it: `String`, `Bool`, `[Any]` and `[String: Any]`.
    var mustacheValue: Any {
        switch self {
        case .text(let text): text
        case .flag(let flag): flag
        case .list(let items): items.map(\.mustacheValue)
        case .object(let fields): fields.mapValues(\.mustacheValue)
        }
    }

    /// Whether an inverted section over this value renders: false, or an empty list.
    var isFalsy: Bool {
        switch self {
        case .flag(let flag): !flag
        case .list(let items): items.isEmpty
        case .text, .object: false
        }
    }

    /// Mustache name resolution over a context stack (top last): `.` is the top; `a.b` finds `a` in
    /// the nearest object that has it, then `b` inside that `a` only.
    static func lookup(_ path: TemplatePath, in stack: [TemplateValue]) -> TemplateValue? {
        switch path {
        case .top:
            return stack.last
        case .fromTop(let names):
            guard var current = stack.last else { return nil }
            for name in names {
                guard let next = current[name] else { return nil }
                current = next
            }
            return current
        case .inStack(let names):
            guard let first = names.first else { return stack.last }
            for object in stack.reversed() {
                guard var current = object[first] else { continue }
                for name in names.dropFirst() {
                    guard let next = current[name] else { return nil }
                    current = next
                }
                return current
            }
            return nil
        }
    }
}

/// A variable name as swift-mustache resolves it, split once at load rather than at every look-up.
enum TemplatePath: Sendable, Hashable {
    /// `.`: the top of the stack.
    case top
    /// `.name` (a leading dot): only the top of the stack is searched.
    case fromTop([String])
    /// `a.b.c`: `a` is searched down the stack.
    case inStack([String])

    /// The path of a tag's name, dots splitting it (empty parts dropped, as swift-mustache drops them).
    init(_ name: String) {
        if name == "." {
            self = .top
            return
        }
        let names = name.split(separator: ".").map(String.init)
        self = name.first == "." ? .fromTop(names) : .inStack(names)
    }
}
