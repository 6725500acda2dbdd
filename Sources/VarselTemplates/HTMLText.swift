import Foundation

/// A plain-text rendering of the simple HTML letters and emails use, for the text part of a letter
/// that has no `letter.text` template.
enum HTMLText {
    private static let paragraphTags: Set = ["p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "blockquote", "section"]
    private static let lineTags: Set = ["br", "div", "tr", "li", "dt", "dd", "address"]
    private static let cellTags: Set = ["td", "th"]
    private static let hiddenTags: Set = ["style", "script", "head", "title"]

    static func plainText(_ html: String) -> String {
        var output = ""
        var index = html.startIndex
        var hidden: String?
        while index < html.endIndex {
            guard html[index] == "<", let end = html[index...].firstIndex(of: ">") else {
                // Source line breaks are white space in HTML; only tags break lines.
                if hidden == nil { output.append(html[index].isNewline ? " " : html[index]) }
                index = html.index(after: index)
                continue
            }
            let tag = html[html.index(after: index)..<end].lowercased()
            let closing = tag.hasPrefix("/")
            let name = tag.drop(while: { $0 == "/" }).prefix { $0.isLetter || $0.isNumber }.description
            index = html.index(after: end)
            if let current = hidden {
                if closing, name == current { hidden = nil }
                continue
            }
            if !closing, hiddenTags.contains(name) {
                hidden = name
            } else if paragraphTags.contains(name) {
                breakLine(&output, blankLine: true)
            } else if name == "br" {
                output += "\n"
            } else if lineTags.contains(name) {
                breakLine(&output, blankLine: false)
            } else if cellTags.contains(name), closing {
                output += "  "
            }
        }
        return tidy(decodeEntities(output))
    }

    /// Ends the current line (or paragraph) unless it already ended; trailing spaces do not count.
    private static func breakLine(_ output: inout String, blankLine: Bool) {
        while output.last == " " { output.removeLast() }
        let wanted = blankLine ? "\n\n" : "\n"
        if output.isEmpty || output.hasSuffix(wanted) { return }
        output += output.hasSuffix("\n") ? "\n" : wanted
    }

    /// Collapses runs of spaces, trims lines, and keeps at most one blank line between paragraphs.
    private static func tidy(_ text: String) -> String {
        var lines: [String] = []
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).joined(separator: " ")
            if line.isEmpty, lines.last?.isEmpty ?? true { continue }
            lines.append(line)
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        return lines.joined(separator: "\n")
    }

    private static func decodeEntities(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var result = text
        for (entity, character) in [
            ("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&#x27;", "'"), ("&nbsp;", "\u{00A0}"),
            ("&#x2F;", "/"), ("&#x3D;", "="), ("&#x60;", "`"),
        ] {
            result = result.replacingOccurrences(of: entity, with: character)
        }
        return result.replacingOccurrences(of: "&amp;", with: "&")
    }
}
