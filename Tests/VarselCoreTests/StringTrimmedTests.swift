import Testing
import VarselCore

/// `String.trimmed`: white space (Unicode's, newlines included) off both ends, judged by character.
struct StringTrimmedTests {
    /// The definition, one character at a time from each end.
    private func reference(_ text: String) -> String {
        var characters = Array(text)
        while let first = characters.first, first.isWhitespace { characters.removeFirst() }
        while let last = characters.last, last.isWhitespace { characters.removeLast() }
        return String(characters)
    }

    @Test("trims what the definition trims, for every mix of white space, visible text, CRLF and combining marks at either end")
    func matchesTheDefinition() {
        let pieces = [
            "", " ", "\t", "\n", "\r\n", "\u{00A0}", "\u{2003}", "\u{3000}", "\u{0085}", "\u{2028}", "a", "Å", "ø", "e\u{301}",
            " \u{301}", "\u{200B}", "👍🏽", "Hei Kari,", "x y",
        ]
        var checked = 0
        for first in pieces {
            for middle in pieces {
                for last in pieces {
                    let text = first + middle + last
                    #expect(text.trimmed == reference(text), "\(Array(text.unicodeScalars.map(\.value)))")
                    checked += 1
                }
            }
        }
        #expect(checked == pieces.count * pieces.count * pieces.count)
        #expect("  Betal innen 20. januar.\n".trimmed == "Betal innen 20. januar.")
        #expect("\r\n\r\n".trimmed.isEmpty)
    }
}
