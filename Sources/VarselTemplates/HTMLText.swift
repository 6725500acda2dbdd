/// A plain-text rendering of the simple HTML letters and emails use, for the text part of a letter
/// that has no `letter.text` template. Works on UTF-8 bytes: it runs once per letter sent.
enum HTMLText {
    private static let paragraphTags: Set<[UInt8]> = tags("p h1 h2 h3 h4 h5 h6 table ul ol blockquote section")
    private static let lineTags: Set<[UInt8]> = tags("div tr li dt dd address")
    private static let cellTags: Set<[UInt8]> = tags("td th")
    /// Not text: a `figure` holds an image with its caption (the payment QR code), which plain text
    /// cannot show; what it says is in the text around it.
    private static let hiddenTags: Set<[UInt8]> = tags("style script head title figure")
    private static let entities: [([UInt8], [UInt8])] = [
        ("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&#x27;", "'"), ("&nbsp;", "\u{00A0}"),
        ("&#x2F;", "/"), ("&#x3D;", "="), ("&#x60;", "`"), ("&amp;", "&"),
    ].map { (Array($0.0.utf8), Array($0.1.utf8)) }

    private static let breakTag = Array("br".utf8)

    private static func tags(_ names: String) -> Set<[UInt8]> { Set(names.split(separator: " ").map { Array($0.utf8) }) }

    static func plainText(_ html: String) -> String {
        let bytes = Array(html.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count / 2)
        var index = 0
        var hidden: [UInt8]?
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "<"), let end = bytes[index...].firstIndex(of: UInt8(ascii: ">")) else {
                if hidden == nil {
                    if byte == UInt8(ascii: "&"), let (length, replacement) = entity(at: index, in: bytes) {
                        output += replacement
                        index += length
                        continue
                    }
                    // Source line breaks are white space in HTML; only tags break lines.
                    output.append(byte == 10 || byte == 13 ? UInt8(ascii: " ") : byte)
                }
                index += 1
                continue
            }
            var nameStart = index + 1
            let closing = nameStart < end && bytes[nameStart] == UInt8(ascii: "/")
            if closing { nameStart += 1 }
            var nameEnd = nameStart
            while nameEnd < end, isNameByte(bytes[nameEnd]) { nameEnd += 1 }
            let name = bytes[nameStart..<nameEnd].map { $0 | 0x20 }  // ASCII lower case
            index = end + 1
            if let current = hidden {
                if closing, name == current { hidden = nil }
                continue
            }
            if !closing, hiddenTags.contains(name) {
                hidden = name
            } else if paragraphTags.contains(name) {
                breakLine(&output, blankLine: true)
            } else if name == breakTag {
                output.append(10)
            } else if lineTags.contains(name) {
                breakLine(&output, blankLine: false)
            } else if closing, cellTags.contains(name) {
                output += [32, 32]
            }
        }
        return tidy(output)
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }

    private static func entity(at index: Int, in bytes: [UInt8]) -> (Int, [UInt8])? {
        for (entity, replacement) in entities where bytes.count - index >= entity.count {
            if bytes[index..<(index + entity.count)].elementsEqual(entity) { return (entity.count, replacement) }
        }
        return nil
    }

    /// Ends the current line (or paragraph) unless it already ended; trailing spaces do not count.
    private static func breakLine(_ output: inout [UInt8], blankLine: Bool) {
        while output.last == 32 { output.removeLast() }
        guard !output.isEmpty else { return }
        let newlines = output.reversed().prefix { $0 == 10 }.count
        let wanted = blankLine ? 2 : 1
        if newlines < wanted { output += Array(repeating: 10, count: wanted - newlines) }
    }

    /// Collapses runs of spaces and tabs, trims lines, and keeps at most one blank line between
    /// paragraphs (none before the first or after the last), on the bytes.
    private static func tidy(_ text: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(text.count)
        // Blank lines waiting to be written: only before a line with words, and at most one.
        var blankLine = false
        var lineStart = 0
        while lineStart <= text.count {
            let lineEnd = text[lineStart...].firstIndex(of: 10) ?? text.count
            var wrote = false
            var index = lineStart
            while index < lineEnd {
                guard text[index] != 32, text[index] != 9 else {
                    index += 1
                    continue
                }
                let wordEnd = text[index..<lineEnd].firstIndex { $0 == 32 || $0 == 9 } ?? lineEnd
                if wrote {
                    output.append(32)
                } else if !output.isEmpty {
                    output.append(10)
                    if blankLine { output.append(10) }
                }
                output += text[index..<wordEnd]
                wrote = true
                index = wordEnd
            }
            if wrote {
                blankLine = false
            } else if !output.isEmpty {
                blankLine = true
            }
            lineStart = lineEnd + 1
        }
        return String(decoding: output, as: UTF8.self)
    }
}
