import Mustache

/// A template as swift-mustache parsed it, rendered by a walk over typed values (`TemplateValue`)
/// instead of swift-mustache's look-ups, which cast every value to several protocols at every tag:
/// half of a render's time. The parse is swift-mustache's own (its token tree, read once when a set
/// is loaded), so standalone lines, partial indentation, delimiters and whitespace come out exactly
/// as swift-mustache renders them; the walk follows `MustacheTemplate.render(context:)` step by step.
///
/// What it does not do it refuses at compile time, and the template renders with swift-mustache:
/// transforms (`{{uppercased(name)}}`), inheritance (`{{<parent}}`, `{{$block}}`), dynamic
/// partials (`{{>*name}}`) and content types other than HTML and TEXT.
struct CompiledTemplate: Sendable {
    enum Token: Sendable {
        case text(String)
        case variable(TemplatePath, escaped: Bool)
        case section(TemplatePath, CompiledTemplate)
        case invertedSection(TemplatePath, CompiledTemplate)
        /// A partial by name; `indentation` is the whitespace before a standalone partial tag.
        case partial(String, indentation: String?)
        /// `{{% CONTENT_TYPE: TEXT }}` (false: HTML): escaping for the rest of this template.
        case contentType(escapesHTML: Bool)
    }

    let tokens: [Token]
    /// Whether a partial is included anywhere in it: only then do the partials matter to its output.
    let includesPartials: Bool
    /// About the bytes it renders: its text and some for each value and section, reserved up front
    /// so the output is not copied as it grows.
    let sizeHint: Int

    /// The compiled form of `template`; nil when it uses something only swift-mustache renders, or
    /// its parse is not shaped as this reading expects (another swift-mustache version).
    init?(_ template: MustacheTemplate) {
        guard let tokens = Mirror(reflecting: template).children.first(where: { $0.label == "tokens" })?.value as? [Any] else { return nil }
        var compiled: [Token] = []
        compiled.reserveCapacity(tokens.count)
        for token in tokens {
            guard let next = Self.token(token) else { return nil }
            compiled.append(next)
        }
        self.tokens = compiled
        includesPartials = compiled.contains { token in
            switch token {
            case .partial: true
            case .section(_, let inner), .invertedSection(_, let inner): inner.includesPartials
            case .text, .variable, .contentType: false
            }
        }
        sizeHint = compiled.reduce(0) { size, token in
            switch token {
            case .text(let text): size + text.utf8.count
            case .variable: size + 16
            case .section(_, let inner), .invertedSection(_, let inner): size + inner.sizeHint
            case .partial: size + 256
            case .contentType: size
            }
        }
    }

    /// One of swift-mustache's `MustacheTemplate.Token`s: its case name and its payload's fields.
    private static func token(_ token: Any) -> Token? {
        let mirror = Mirror(reflecting: token)
        guard mirror.displayStyle == .enum, let (label, payload) = mirror.children.first.map({ ($0.label, $0.value) }) else { return nil }
        let fields = Mirror(reflecting: payload).children.map(\.value)
        func noTransforms() -> Bool { fields.count >= 2 && (fields[1] as? [String])?.isEmpty == true }
        switch label {
        case "text":
            return (payload as? String).map(Token.text)
        case "variable", "unescapedVariable":
            guard noTransforms(), let name = fields[0] as? String else { return nil }
            return .variable(TemplatePath(name), escaped: label == "variable")
        case "section", "invertedSection":
            guard fields.count == 3, noTransforms(), let name = fields[0] as? String, let inner = fields[2] as? MustacheTemplate,
                  let section = CompiledTemplate(inner)
            else { return nil }
            return label == "section" ? .section(TemplatePath(name), section) : .invertedSection(TemplatePath(name), section)
        case "partial":
            guard fields.count == 3, let name = fields[0] as? String, case .some(let indentation) = optional(fields[1]),
                  case .some(nil) = optional(fields[2])
            else { return nil }
            if let indentation {
                guard let text = indentation as? String else { return nil }
                return .partial(name, indentation: text)
            }
            return .partial(name, indentation: nil)
        case "contentType":
            guard let type = payload as? any MustacheContentType else { return nil }
            let probe = "<&>\"'"
            switch type.escapeText(probe) {
            case probe: return .contentType(escapesHTML: false)
            case probe.htmlEscaped: return .contentType(escapesHTML: true)
            default: return nil
            }
        default:
            return nil
        }
    }

    /// An optional's content: `.some(nil)` for nil, `.some(value)` for a value, nil when `value` is
    /// not an optional.
    private static func optional(_ value: Any) -> Any?? {
        let mirror = Mirror(reflecting: value)
        guard mirror.displayStyle == .optional else { return nil }
        return .some(mirror.children.first?.value)
    }

    /// What a render reads besides the values: the partials by name, compiled.
    struct Partials: Sendable {
        let templates: [String: CompiledTemplate]

        /// For a template that includes none.
        static let none = Partials(templates: [:])
    }

    /// Renders with `context` at the bottom of the stack, HTML-escaping until a TEXT content type says
    /// otherwise, as `MustacheTemplate.render(_:library:)` does. `missed`: a variable it interpolates
    /// had no value or a partial it includes was not there, and it rendered nothing for them. Whatever
    /// `VariableCheck` finds missing in the same template and context is such a miss (its walk is this
    /// one's, over the same parse).
    func render(_ context: TemplateValue, partials: Partials) -> (output: String, missed: Bool) {
        var stack = [context]
        var output = ""
        output.reserveCapacity(sizeHint)
        var walk = Walk(partials: partials)
        render(into: &output, stack: &stack, escapesHTML: true, indentation: nil, walk: &walk)
        return (output, walk.missed)
    }

    /// What a render carries through its walk: the partials, and whether something was missing.
    private struct Walk {
        let partials: Partials
        var missed = false
    }

    /// `MustacheTemplate.render(context:)`: with an indentation (inside an indented partial), a token
    /// whose output is not empty is indented when what this template rendered so far ends a line.
    private func render(
        into output: inout String, stack: inout [TemplateValue], escapesHTML: Bool, indentation: String?, walk: inout Walk
    ) {
        var escapesHTML = escapesHTML
        guard let indentation, !indentation.isEmpty else {
            for token in tokens {
                render(token, into: &output, stack: &stack, escapesHTML: &escapesHTML, indentation: indentation, walk: &walk)
            }
            return
        }
        var rendered = ""
        for token in tokens {
            var piece = ""
            render(token, into: &piece, stack: &stack, escapesHTML: &escapesHTML, indentation: indentation, walk: &walk)
            if !piece.isEmpty, rendered.endsWithLineFeed { rendered += indentation }
            rendered += piece
        }
        output += rendered
    }

    /// `MustacheTemplate.renderToken(_:context:)` for the tokens compiled.
    private func render(
        _ token: Token, into output: inout String, stack: inout [TemplateValue], escapesHTML: inout Bool, indentation: String?, walk: inout Walk
    ) {
        switch token {
        case .text(let text):
            output += text
        case .variable(let path, let escaped):
            guard let value = TemplateValue.lookup(path, in: stack) else {
                walk.missed = true
                return
            }
            let text: String = switch value {
            case .text(let text): text
            case .flag(let flag): flag ? "true" : "false"
            case .list, .object: String(describing: value.mustacheValue)
            }
            if escaped, escapesHTML { text.appendHTMLEscaped(to: &output) } else { output += text }
        case .section(let path, let section):
            switch TemplateValue.lookup(path, in: stack) {
            case .list(let items)?:
                for item in items {
                    stack.append(item)
                    section.render(into: &output, stack: &stack, escapesHTML: escapesHTML, indentation: indentation, walk: &walk)
                    stack.removeLast()
                }
            case .flag(let flag)?:
                if flag { section.render(into: &output, stack: &stack, escapesHTML: escapesHTML, indentation: indentation, walk: &walk) }
            case let value?:
                stack.append(value)
                section.render(into: &output, stack: &stack, escapesHTML: escapesHTML, indentation: indentation, walk: &walk)
                stack.removeLast()
            case nil:
                break
            }
        case .invertedSection(let path, let section):
            switch TemplateValue.lookup(path, in: stack) {
            case .list(let items)? where items.isEmpty:
                // swift-mustache renders an empty list's inverted section with the list pushed.
                stack.append(.list(items))
                section.render(into: &output, stack: &stack, escapesHTML: escapesHTML, indentation: indentation, walk: &walk)
                stack.removeLast()
            case .flag(false)?, nil:
                section.render(into: &output, stack: &stack, escapesHTML: escapesHTML, indentation: indentation, walk: &walk)
            case .list?, .flag?, .text?, .object?:
                break
            }
        case .partial(let name, let indented):
            guard let partial = walk.partials.templates[name] else {
                walk.missed = true
                return
            }
            // A partial starts over with HTML escaping; its indentation adds to the one it is in.
            let inner = indented.map { (indentation ?? "") + $0 } ?? indentation
            partial.render(into: &output, stack: &stack, escapesHTML: true, indentation: inner, walk: &walk)
        case .contentType(let escapes):
            escapesHTML = escapes
        }
    }
}

extension String {
    /// Whether the last character is a line feed: `"\r\n"` is one character, not a line feed.
    fileprivate var endsWithLineFeed: Bool {
        let bytes = utf8
        guard let last = bytes.last, last == UInt8(ascii: "\n") else { return false }
        let beforeLast = bytes.index(bytes.endIndex, offsetBy: -2, limitedBy: bytes.startIndex).map { bytes[$0] }
        return beforeLast != UInt8(ascii: "\r")
    }

    /// swift-mustache's HTML escaping (`<`, `>`, `&`, `"`, `'`, compared as characters).
    fileprivate var htmlEscaped: String {
        var output = ""
        appendHTMLEscaped(to: &output)
        return output
    }

    /// Appends this text HTML-escaped as swift-mustache escapes it: character by character, so a
    /// `<` carrying a combining mark is one other character and stays. Text without any of the five
    /// bytes, nearly all, is appended as it is.
    fileprivate func appendHTMLEscaped(to output: inout String) {
        let special = utf8.contains { byte in
            byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "&") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'")
        }
        guard special else {
            output += self
            return
        }
        for character in self {
            switch character {
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "&": output += "&amp;"
            case "\"": output += "&quot;"
            case "'": output += "&#39;"
            default: output.append(character)
            }
        }
    }
}
