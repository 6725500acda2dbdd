import Testing
@testable import VarselCore

/// `ValueRules.textProblem` skips decoding a value whose bytes cannot begin a refused character. Held
/// here against the rule written out scalar by scalar, on texts built from the characters at the
/// edges (C0, DEL, C1, the line and paragraph separators and their UTF-8 neighbours), at every length
/// either side of the eight-byte steps.
struct TextProblemTests {
    private static func reference(_ text: String, multiline: Bool) -> Bool {
        text.unicodeScalars.contains { scalar in
            switch scalar.value {
            case 0x0A, 0x0D, 0x2028, 0x2029: !multiline
            case 0x09: !multiline
            case 0x00...0x1F, 0x7F...0x9F: true
            default: false
            }
        }
    }

    @Test("refused exactly where the scalar-by-scalar rule refuses, single-line and multi-line")
    func agreesWithTheRule() {
        let pieces: [String] = [
            "a", "Z", " ", "~", "\u{1F}", "\u{00}", "\t", "\n", "\r", "\r\n", "\u{7F}", "\u{80}", "\u{85}", "\u{9F}", "\u{A0}", "å", "ø", "Æ",
            "\u{C2}\u{A9}", "©", "\u{2027}", "\u{2028}", "\u{2029}", "\u{202A}", "€", "—", "\u{2FFF}", "裁", "😀", "ı",
        ]
        var random = SeededRandom(seed: 28)
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...24, using: &random)
            // Mostly plain letters, so that the eight-byte steps see clean words and dirty ones.
            let text = (0..<length).map { _ in
                Int.random(in: 0..<4, using: &random) == 0 ? pieces.randomElement(using: &random)! : "k"
            }.joined()
            for multiline in [false, true] {
                #expect((ValueRules.textProblem(text, multiline: multiline) != nil) == Self.reference(text, multiline: multiline),
                        "\(text.unicodeScalars.map { String($0.value, radix: 16) }) multiline \(multiline)")
            }
        }
    }

    @Test("the byte screen lets through only texts without a suspect lead byte")
    func screen() {
        #expect(!ValueRules.mayHoldAControlOrLineBreak("Kari Nordmann, Storgata 1, 0155 Oslo, faktura 9000001"))
        #expect(!ValueRules.mayHoldAControlOrLineBreak("Åse Ødegård på Ærø"))
        #expect(ValueRules.mayHoldAControlOrLineBreak("pris 100 €"), "€ begins with 0xE2: decoded, and allowed")
        #expect(ValueRules.textProblem("pris 100 €", multiline: false) == nil)
        #expect(ValueRules.textProblem("Kari\u{2028}Nordmann, Storgata", multiline: false) == "contains a line break; this field is a single line")
        #expect(ValueRules.textProblem("Kari Nordmann, Storgata\u{85}", multiline: true) == "contains the control character U+0085")
    }
}
