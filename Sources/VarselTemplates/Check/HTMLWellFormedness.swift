/// Checks that HTML template text is well-formed the way the template rules ask: every element that
/// is not void is closed, in order; attributes are quoted or plain and not repeated; a literal `<` or
/// `&` is written as an entity. Works on the template text with Mustache tags blanked, so a problem
/// is reported at its true line and column.
enum HTMLWellFormedness {
    struct Finding: Equatable {
        let offset: Int
        let message: String
    }

    static let voidElements: Set = ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"]
    /// Elements whose content is text up to their end tag.
    static let rawTextElements: Set = ["script", "style", "title", "textarea"]

    struct Document {
        var hasDoctype = false
        /// The `<html>` element's attributes and where it starts.
        var htmlAttributes: [String: String]?
        var htmlOffset = 0
    }

    static func check(_ text: [Character]) -> (findings: [Finding], document: Document) {
        var findings: [Finding] = []
        var document = Document()
        var open: [(name: String, offset: Int)] = []
        var index = 0
        func fail(_ offset: Int, _ message: String) { findings.append(Finding(offset: offset, message: message)) }
        func starts(_ prefix: String, at position: Int, caseInsensitive: Bool = false) -> Bool {
            let chars = Array(prefix)
            guard position + chars.count <= text.count else { return false }
            for (offset, character) in chars.enumerated() {
                let actual = text[position + offset]
                if caseInsensitive ? actual.lowercased() != character.lowercased() : actual != character { return false }
            }
            return true
        }
        func find(_ needle: String, from position: Int, caseInsensitive: Bool = false) -> Int? {
            var at = position
            while at < text.count {
                if starts(needle, at: at, caseInsensitive: caseInsensitive) { return at }
                at += 1
            }
            return nil
        }

        while index < text.count {
            let character = text[index]
            if character == "&" {
                if let problem = entityProblem(text, at: index) { fail(index, problem) }
                index += 1
                continue
            }
            guard character == "<" else {
                index += 1
                continue
            }
            if starts("<!--", at: index) {
                guard let end = find("-->", from: index + 4) else {
                    fail(index, "comment <!-- is never closed with -->")
                    return (findings, document)
                }
                index = end + 3
                continue
            }
            if starts("<!", at: index) {
                guard let end = find(">", from: index) else {
                    fail(index, "<! is never closed with >")
                    return (findings, document)
                }
                if starts("<!doctype html", at: index, caseInsensitive: true) { document.hasDoctype = true }
                index = end + 1
                continue
            }
            let isClose = index + 1 < text.count && text[index + 1] == "/"
            var cursor = index + (isClose ? 2 : 1)
            let nameStart = cursor
            while cursor < text.count, text[cursor].isASCII, text[cursor].isLetter || text[cursor].isNumber || text[cursor] == "-" { cursor += 1 }
            guard cursor > nameStart, text[nameStart].isLetter else {
                fail(index, "a literal < must be written &lt;")
                index += 1
                continue
            }
            let name = String(text[nameStart..<cursor]).lowercased()
            guard let tag = readAttributes(text, from: cursor, tagOffset: index, name: name, into: &findings) else {
                fail(index, "tag <\(isClose ? "/" : "")\(name) is never closed with >")
                return (findings, document)
            }
            if isClose {
                if voidElements.contains(name) {
                    fail(index, "</\(name)> closes a void element; <\(name)> has no end tag")
                } else if let position = open.lastIndex(where: { $0.name == name }) {
                    for unclosed in open[(position + 1)...].reversed() {
                        fail(unclosed.offset, "<\(unclosed.name)> is not closed before </\(name)>")
                    }
                    open.removeSubrange(position...)
                } else {
                    fail(index, "</\(name)> has no open <\(name)> to close")
                }
                index = tag.end
                continue
            }
            if name == "html", document.htmlAttributes == nil {
                document.htmlAttributes = tag.attributes
                document.htmlOffset = index
            }
            index = tag.end
            if tag.selfClosing {
                if !voidElements.contains(name) { fail(tag.end - 2, "<\(name) /> does not close an element in HTML; write <\(name)></\(name)>") }
                continue
            }
            if voidElements.contains(name) { continue }
            if rawTextElements.contains(name) {
                guard let end = find("</\(name)", from: index, caseInsensitive: true) else {
                    fail(nameStart - 1, "<\(name)> is never closed")
                    return (findings, document)
                }
                guard let closing = find(">", from: end) else {
                    fail(end, "tag </\(name) is never closed with >")
                    return (findings, document)
                }
                index = closing + 1
                continue
            }
            open.append((name, nameStart - 1))
        }
        for unclosed in open { fail(unclosed.offset, "<\(unclosed.name)> is never closed") }
        return (findings, document)
    }

    private struct Tag {
        var attributes: [String: String] = [:]
        var selfClosing = false
        var end = 0
    }

    /// Reads attributes up to `>`; nil when the text ends first.
    private static func readAttributes(_ text: [Character], from start: Int, tagOffset: Int, name: String, into findings: inout [Finding]) -> Tag? {
        var tag = Tag()
        var index = start
        while index < text.count {
            let character = text[index]
            if character.isWhitespace {
                index += 1
                continue
            }
            if character == ">" {
                tag.end = index + 1
                return tag
            }
            if character == "/", index + 1 < text.count, text[index + 1] == ">" {
                tag.selfClosing = true
                tag.end = index + 2
                return tag
            }
            if character == "<" { return nil }
            let attributeStart = index
            while index < text.count, !text[index].isWhitespace, !"=>/<\"'".contains(text[index]) { index += 1 }
            guard index > attributeStart else {
                findings.append(Finding(offset: index, message: "unexpected \(text[index]) in <\(name)>"))
                index += 1
                continue
            }
            let attribute = String(text[attributeStart..<index]).lowercased()
            if tag.attributes[attribute] != nil {
                findings.append(Finding(offset: attributeStart, message: "attribute \(attribute) appears twice in <\(name)>"))
            }
            var value = ""
            var look = index
            while look < text.count, text[look].isWhitespace { look += 1 }
            if look < text.count, text[look] == "=" {
                look += 1
                while look < text.count, text[look].isWhitespace { look += 1 }
                guard look < text.count else { return nil }
                if text[look] == "\"" || text[look] == "'" {
                    let quote = text[look]
                    guard let close = text[(look + 1)...].firstIndex(of: quote) else {
                        findings.append(Finding(offset: look, message: "the value of \(attribute) in <\(name)> has no closing \(quote)"))
                        return nil
                    }
                    value = String(text[(look + 1)..<close])
                    if value.contains("<") {
                        findings.append(Finding(offset: look, message: "the value of \(attribute) in <\(name)> contains <; write &lt;"))
                    }
                    index = close + 1
                } else {
                    let valueStart = look
                    while look < text.count, !text[look].isWhitespace, text[look] != ">" { look += 1 }
                    value = String(text[valueStart..<look])
                    if value.contains(where: { "\"'=<`".contains($0) }) {
                        findings.append(Finding(offset: valueStart, message: "the value of \(attribute) in <\(name)> needs quotes"))
                    }
                    index = look
                }
            }
            tag.attributes[attribute] = value
        }
        return nil
    }

    /// `&name;`, `&#123;` or `&#x1F;`, else a message.
    private static func entityProblem(_ text: [Character], at start: Int) -> String? {
        var index = start + 1
        if index < text.count, text[index] == "#" {
            index += 1
            let hex = index < text.count && (text[index] == "x" || text[index] == "X")
            if hex { index += 1 }
            let digits = index
            while index < text.count, hex ? text[index].isHexDigit : text[index].isASCII && text[index].isNumber { index += 1 }
            if index > digits, index < text.count, text[index] == ";" { return nil }
            return "a numeric character reference needs digits and a ; (&#38; or &#x26;)"
        }
        let nameStart = index
        while index < text.count, text[index].isASCII, text[index].isLetter || text[index].isNumber { index += 1 }
        if index > nameStart, index < text.count, text[index] == ";" { return nil }
        return "a literal & must be written &amp;"
    }
}
