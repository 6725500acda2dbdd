import VarselCore

/// A Mustache tag tree with positions, for checks swift-mustache does not expose: which variables a
/// template reads, where, and inside which sections.
struct MustacheNode: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        case variable(escaped: Bool)
        case section
        case invertedSection
        case partial
        /// `{{<parent}}…{{/parent}}`: a partial whose blocks are overridden by the children.
        case parent
        /// `{{$block}}…{{/block}}`: a block with default content.
        case block
    }

    let kind: Kind
    let name: String
    /// The name as a look-up path (`payment.lines` → `payment`, `lines`), split once at load, not at
    /// every render's variable check.
    let path: TemplatePath
    let line: Int
    let column: Int
    var children: [MustacheNode] = []

    init(kind: Kind, name: String, line: Int, column: Int, children: [MustacheNode] = []) {
        self.kind = kind
        self.name = name
        self.path = TemplatePath(name)
        self.line = line
        self.column = column
        self.children = children
    }
}

/// A syntax error with the position an editor can jump to (1-based line and column).
struct MustacheSyntaxError: Error, Sendable, Hashable {
    let line: Int
    let column: Int
    let message: String
}

/// Scans Mustache source into `MustacheNode`s, following the spec: set-delimiter tags, comments,
/// triple mustaches, pragmas, sections, partials and inheritance. Text and comments are dropped.
enum MustacheScanner {
    static func scan(_ source: String) throws(MustacheSyntaxError) -> [MustacheNode] {
        try scanWithLiterals(source).nodes
    }

    /// The nodes, and the source with every tag (comments included) blanked to spaces, line breaks
    /// kept: the literal text at its true line and column, for wording and HTML checks.
    static func scanWithLiterals(_ source: String) throws(MustacheSyntaxError) -> (nodes: [MustacheNode], literal: LiteralText) {
        var cursor = Cursor(Array(source))
        var tags: [Range<Int>] = []
        var open: [Character] = ["{", "{"]
        var close: [Character] = ["}", "}"]
        // Each open section: the node being built and where it opened.
        var stack: [MustacheNode] = [MustacheNode(kind: .section, name: "", line: 0, column: 0)]

        while !cursor.atEnd {
            guard cursor.matches(open) else {
                cursor.advance()
                continue
            }
            let line = cursor.line
            let column = cursor.column
            let start = cursor.index
            defer { tags.append(start..<cursor.index) }
            cursor.advance(open.count)
            let isDefault = open == ["{", "{"]
            if isDefault, cursor.current == "{" {
                cursor.advance()
                guard let content = cursor.read(until: ["}", "}", "}"]) else {
                    throw MustacheSyntaxError(line: line, column: column, message: "unclosed tag: no }}} after {{{")
                }
                stack[stack.count - 1].children.append(
                    MustacheNode(kind: .variable(escaped: false), name: variableName(content), line: line, column: column))
                continue
            }
            let sigil = cursor.current
            if let sigil, "#^/>!=%$<&".contains(sigil) { cursor.advance() }
            if sigil == "=" {
                guard let content = cursor.read(until: ["="] + close) else {
                    throw MustacheSyntaxError(line: line, column: column, message: "unclosed set-delimiter tag")
                }
                let parts = content.split(whereSeparator: \.isWhitespace)
                guard parts.count == 2 else {
                    throw MustacheSyntaxError(line: line, column: column, message: "a set-delimiter tag needs two delimiters, e.g. {{=<% %>=}}")
                }
                open = Array(parts[0])
                close = Array(parts[1])
                continue
            }
            guard let content = cursor.read(until: close) else {
                throw MustacheSyntaxError(
                    line: line, column: column, message: "unclosed tag: no \(String(close)) after \(String(open))")
            }
            let name = variableName(content)
            switch sigil {
            case "!", "%":
                continue
            case "#", "^", "$", "<":
                guard !name.isEmpty else {
                    throw MustacheSyntaxError(line: line, column: column, message: "section tag without a name")
                }
                let kind: MustacheNode.Kind = switch sigil {
                case "#": .section
                case "^": .invertedSection
                case "$": .block
                default: .parent
                }
                stack.append(MustacheNode(kind: kind, name: name, line: line, column: column))
            case "/":
                guard stack.count > 1 else {
                    throw MustacheSyntaxError(line: line, column: column, message: "closing tag {{/\(name)}} has no opening tag")
                }
                let opened = stack.removeLast()
                guard opened.name == name else {
                    throw MustacheSyntaxError(
                        line: line, column: column,
                        message: "closing tag {{/\(name)}} does not match {{\(sigilText(opened.kind))\(opened.name)}} opened at \(opened.line):\(opened.column)")
                }
                stack[stack.count - 1].children.append(opened)
            case ">":
                stack[stack.count - 1].children.append(MustacheNode(kind: .partial, name: name, line: line, column: column))
            default:
                guard !name.isEmpty else {
                    throw MustacheSyntaxError(line: line, column: column, message: "empty tag")
                }
                let escaped = sigil != "&"
                stack[stack.count - 1].children.append(
                    MustacheNode(kind: .variable(escaped: escaped), name: name, line: line, column: column))
            }
        }
        if stack.count > 1 {
            let unclosed = stack[1]
            throw MustacheSyntaxError(
                line: unclosed.line, column: unclosed.column,
                message: "section {{\(sigilText(unclosed.kind))\(unclosed.name)}} is never closed")
        }
        return (stack[0].children, LiteralText(source: source, tags: tags))
    }

    /// The variable a tag reads: `name`, or the argument of a transform such as `uppercased(name)`.
    private static func variableName(_ content: String) -> String {
        var name = Substring(content.trimmed)
        if let openParen = name.lastIndex(of: "("), let closeParen = name[openParen...].firstIndex(of: ")") {
            name = name[name.index(after: openParen)..<closeParen]
        }
        return String(name).trimmed
    }

    private static func sigilText(_ kind: MustacheNode.Kind) -> String {
        switch kind {
        case .section: "#"
        case .invertedSection: "^"
        case .block: "$"
        case .parent: "<"
        case .partial: ">"
        case .variable: ""
        }
    }

    private struct Cursor {
        let chars: [Character]
        var index = 0
        var line = 1
        var column = 1

        init(_ chars: [Character]) { self.chars = chars }

        var atEnd: Bool { index >= chars.count }
        var current: Character? { index < chars.count ? chars[index] : nil }

        func matches(_ text: [Character]) -> Bool {
            guard index + text.count <= chars.count else { return false }
            for (offset, character) in text.enumerated() where chars[index + offset] != character { return false }
            return true
        }

        mutating func advance(_ count: Int = 1) {
            for _ in 0..<count where index < chars.count {
                if chars[index].isNewline {
                    line += 1
                    column = 1
                } else {
                    column += 1
                }
                index += 1
            }
        }

        /// Reads up to `terminator` and skips it; `nil` when the text ends first.
        mutating func read(until terminator: [Character]) -> String? {
            var content: [Character] = []
            while !atEnd {
                if matches(terminator) {
                    advance(terminator.count)
                    return String(content)
                }
                content.append(chars[index])
                advance()
            }
            return nil
        }
    }
}
