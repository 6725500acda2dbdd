import Foundation
import Testing
@testable import VarselCore

/// SMS encoding and segment counts per 3GPP TS 23.038 / 23.040 (docs/domain.md).
///
/// Expected counts are worked out by hand from the limits: GSM-7 160 single / 153 per part,
/// UCS-2 70 single / 67 per part (UTF-16 units); escape and surrogate pairs never split.
@Suite("SMS encoding")
struct SMSEncodingTests {
    private static func repeated(_ piece: String, _ count: Int) -> String {
        String(repeating: piece, count: count)
    }

    // MARK: The alphabet

    @Test("every Unicode scalar costs what 3GPP TS 23.038's default alphabet and extension table say")
    func alphabetOverEveryScalar() {
        // The basic table in code position order 0x00–0x7F (0x1B, ESC, only introduces the extension).
        let basic = Array("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u{1B}ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà".unicodeScalars)
        let extensionTable: Set<Unicode.Scalar> = ["\u{0C}", "^", "{", "}", "\\", "[", "~", "]", "|", "€"]
        #expect(basic.count == 128)
        let single = Set(basic).subtracting(["\u{1B}"])
        var ones = 0, twos = 0
        for value in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let expected: Int? = single.contains(scalar) ? 1 : extensionTable.contains(scalar) ? 2 : nil
            let cost = GSM7Alphabet.septets(scalar)
            if cost != expected { Issue.record("U+\(String(value, radix: 16, uppercase: true)): \(String(describing: cost)), expected \(String(describing: expected))") }
            ones += cost == 1 ? 1 : 0
            twos += cost == 2 ? 1 : 0
        }
        #expect(ones == 127 && twos == 10)
    }

    // MARK: GSM-7 segment boundaries

    @Test(
        "pure GSM-7 text: 160 septets fit one message, beyond that 153 per part",
        arguments: [
            (1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4),
        ])
    func gsm7SegmentBoundaries(length: Int, segments: Int) {
        let encoding = SMSEncoding(text: Self.repeated("a", length))
        #expect(encoding.scheme == .gsm7)
        #expect(encoding.units == length)
        #expect(encoding.segments == segments)
        #expect(encoding.firstNonGSM7 == nil)
    }

    @Test("an empty text has no segments and no units")
    func emptyText() {
        let encoding = SMSEncoding(text: "")
        #expect(encoding.segments == 0)
        #expect(encoding.units == 0)
        #expect(encoding.scheme == .gsm7)
        #expect(encoding.firstNonGSM7 == nil)
    }

    @Test("CR LF counts as two septets")
    func crlfCountsTwoSeptets() {
        let alone = SMSEncoding(text: "\r\n")
        #expect(alone.scheme == .gsm7)
        #expect(alone.units == 2)
        #expect(alone.segments == 1)

        // 159 + 2 = 161 septets: one more than a single message holds.
        let overflowing = SMSEncoding(text: Self.repeated("a", 159) + "\r\n")
        #expect(overflowing.units == 161)
        #expect(overflowing.segments == 2)
    }

    // MARK: GSM-7 extension table

    @Test(
        "extension-table characters stay GSM-7 and cost two septets each",
        arguments: ["€", "[", "]", "{", "}", "^", "~", "\\", "|", "\u{0C}"])
    func extensionCharactersCostTwoSeptets(character: String) {
        let encoding = SMSEncoding(text: character)
        #expect(encoding.scheme == .gsm7)
        #expect(encoding.units == 2)
        #expect(encoding.segments == 1)
    }

    @Test("80 euro signs are 160 septets and fit one message; 81 need two")
    func euroSignsFillOneMessage() {
        let eighty = SMSEncoding(text: Self.repeated("€", 80))
        #expect(eighty.scheme == .gsm7)
        #expect(eighty.units == 160)
        #expect(eighty.segments == 1)

        let eightyOne = SMSEncoding(text: Self.repeated("€", 81))
        #expect(eightyOne.units == 162)
        #expect(eightyOne.segments == 2)
    }

    @Test("an escape pair that would straddle a part boundary moves whole to the next part")
    func escapePairNeverSplits() {
        // 152 + 2 + 152 = 306 septets. Split blindly that is exactly 2 × 153, but ESC would end part 1
        // and € start part 2. Kept together: part 1 = 152, part 2 = € + 151 = 153, part 3 = 1.
        let text = Self.repeated("a", 152) + "€" + Self.repeated("b", 152)
        let encoding = SMSEncoding(text: text)
        #expect(encoding.scheme == .gsm7)
        #expect(encoding.units == 306)
        #expect(encoding.segments == 3)
    }

    @Test("an escape pair that fits exactly at the end of a part does not move")
    func escapePairEndingAPartStays() {
        // 151 + 2 = 153 fills part 1 exactly; 153 more fill part 2.
        let text = Self.repeated("a", 151) + "€" + Self.repeated("b", 153)
        let encoding = SMSEncoding(text: text)
        #expect(encoding.units == 306)
        #expect(encoding.segments == 2)
    }

    // MARK: Which characters are GSM-7

    @Test(
        "Nordic and German letters are in the GSM-7 basic table (one septet each)",
        arguments: ["æ", "ø", "å", "Æ", "Ø", "Å", "ä", "ö", "Ä", "Ö", "ü", "Ü", "é", "É", "ß"])
    func nordicLettersStayGSM7(letter: String) {
        let encoding = SMSEncoding(text: "Hei " + letter)
        #expect(encoding.scheme == .gsm7)
        #expect(encoding.units == 5)
        #expect(encoding.firstNonGSM7 == nil)
    }

    @Test(
        "Greek capitals and the other symbols of the basic table cost one septet",
        arguments: ["Δ", "Φ", "Γ", "Λ", "Ω", "Π", "Ψ", "Σ", "Θ", "Ξ", "@", "£", "$", "¥", "¤", "§", "¡", "¿", "Ç", "Ñ", "ñ", "à", "è", "ù", "ì", "ò", "_"])
    func basicTableSymbols(character: String) {
        let encoding = SMSEncoding(text: character)
        #expect(encoding.scheme == .gsm7)
        #expect(encoding.units == 1)
    }

    @Test("a Norwegian reminder sentence stays GSM-7")
    func norwegianSentenceStaysGSM7() {
        let text = "Hei Kari! Beløpet på 1 250,00 kr forfalt 01.11.2026. Betal innen 08.12.2026: https://pay.example/abc"
        let encoding = SMSEncoding(text: text)
        #expect(encoding.scheme == .gsm7)
        #expect(encoding.units == text.unicodeScalars.count)
        #expect(encoding.segments == 1)
    }

    @Test(
        "one character outside GSM-7 forces UCS-2 and is named with its offset",
        arguments: [
            "\u{0161}" as Unicode.Scalar,  // š
            "\u{00F5}",  // õ
            "\u{017E}",  // ž
            "\u{00E1}",  // á
            "\u{2018}",  // ‘
            "\u{2019}",  // ’
            "\u{201C}",  // “
            "\u{201D}",  // ”
            "\u{2013}",  // –
            "\u{2014}",  // —
            "\u{2026}",  // …
            "\u{00A0}",  // NBSP
            "\u{2212}",  // minus sign
            "\u{0301}",  // combining acute accent
            "\u{00E7}",  // ç (only upper-case Ç is in the table)
            "\u{00F0}",  // ð
            "\u{00FE}",  // þ
            "\u{010D}",  // č
            "\u{0111}",  // đ
            "\u{014B}",  // ŋ
            "\u{0167}",  // ŧ
            "\u{00ED}",  // í
            "\u{00F3}",  // ó
            "\u{00FA}",  // ú
        ])
    func nonGSM7CharacterForcesUCS2(scalar: Unicode.Scalar) throws {
        // "Hei " is four scalars, so the offender sits at offset 4; 4 + 1 + 3 = 8 UTF-16 units.
        var text = "Hei "
        text.unicodeScalars.append(scalar)
        text += " du"
        let encoding = SMSEncoding(text: text)
        #expect(encoding.scheme == .ucs2)
        #expect(encoding.units == 8)
        #expect(encoding.segments == 1)
        let offender = try #require(encoding.firstNonGSM7)
        #expect(offender.scalar == scalar)
        #expect(offender.offset == 4)
    }

    @Test("the first of several offenders is the one reported")
    func firstOffenderIsReported() throws {
        let encoding = SMSEncoding(text: "Ok “sitat” og …")
        let offender = try #require(encoding.firstNonGSM7)
        #expect(offender.scalar == "\u{201C}")
        #expect(offender.offset == 3)
    }

    @Test("offsets count Unicode scalars, so an emoji before the offender counts once")
    func offsetCountsScalars() throws {
        let encoding = SMSEncoding(text: "ab😀")
        let offender = try #require(encoding.firstNonGSM7)
        #expect(offender.scalar == "\u{1F600}")
        #expect(offender.offset == 2)
        #expect(encoding.units == 4)
    }

    // MARK: UCS-2 segment boundaries

    @Test(
        "UCS-2 text: 70 units fit one message, beyond that 67 per part",
        arguments: [(70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)])
    func ucs2SegmentBoundaries(length: Int, segments: Int) {
        let encoding = SMSEncoding(text: Self.repeated("š", length))
        #expect(encoding.scheme == .ucs2)
        #expect(encoding.units == length)
        #expect(encoding.segments == segments)
    }

    @Test("once UCS-2, every character costs one unit, including GSM-7 ones and extension characters")
    func ucs2CountsEveryCharacterOnce() {
        // In UCS-2 '€' is one UTF-16 unit, not an escape pair.
        let encoding = SMSEncoding(text: Self.repeated("€", 69) + "š")
        #expect(encoding.scheme == .ucs2)
        #expect(encoding.units == 70)
        #expect(encoding.segments == 1)
    }

    @Test("one stray character turns a 150-character text into 3 paid parts")
    func strayCharacterTriplesTheCost() {
        let text = Self.repeated("a", 149) + "\u{2019}"
        let encoding = SMSEncoding(text: text)
        #expect(encoding.scheme == .ucs2)
        #expect(encoding.units == 150)
        #expect(encoding.segments == 3)
        #expect(SMSEncoding(text: Self.repeated("a", 150)).segments == 1)
    }

    @Test("an emoji outside the BMP costs two UTF-16 units")
    func emojiCostsTwoUnits() {
        let one = SMSEncoding(text: "😀")
        #expect(one.scheme == .ucs2)
        #expect(one.units == 2)
        #expect(one.segments == 1)

        #expect(SMSEncoding(text: Self.repeated("😀", 35)).units == 70)
        #expect(SMSEncoding(text: Self.repeated("😀", 35)).segments == 1)
        #expect(SMSEncoding(text: Self.repeated("😀", 36)).units == 72)
        #expect(SMSEncoding(text: Self.repeated("😀", 36)).segments == 2)
    }

    @Test("a surrogate pair that would straddle a part boundary moves whole to the next part")
    func surrogatePairNeverSplits() {
        // 66 + 2 + 66 = 134 units: blindly 2 × 67, but the emoji would be cut after its high surrogate.
        // Kept together: part 1 = 66, part 2 = 2 + 65 = 67, part 3 = 1.
        let text = Self.repeated("š", 66) + "😀" + Self.repeated("š", 66)
        let encoding = SMSEncoding(text: text)
        #expect(encoding.scheme == .ucs2)
        #expect(encoding.units == 134)
        #expect(encoding.segments == 3)
    }

    // MARK: Normalisation before encoding

    @Test("formatted values lose their no-break spaces and minus signs")
    func normaliseFormattedValue() {
        let formatted = "\u{2212}1\u{00A0}250,50\u{202F}kr"
        let plain = SMSText.normaliseFormattedValue(formatted)
        #expect(Array(plain.unicodeScalars) == Array("-1 250,50 kr".unicodeScalars))
        #expect(SMSEncoding(text: formatted).scheme == .ucs2)
        #expect(SMSEncoding(text: plain).scheme == .gsm7)
    }

    @Test(
        "each typographic space or dash becomes its plain ASCII form",
        arguments: [
            ("\u{00A0}" as Unicode.Scalar, " " as Unicode.Scalar),
            ("\u{202F}" as Unicode.Scalar, " " as Unicode.Scalar),
            ("\u{2212}" as Unicode.Scalar, "-" as Unicode.Scalar),
        ])
    func normaliseSingleScalar(input: Unicode.Scalar, expected: Unicode.Scalar) {
        var text = "1"
        text.unicodeScalars.append(input)
        text += "2"
        #expect(Array(SMSText.normaliseFormattedValue(text).unicodeScalars) == ["1", expected, "2"])
    }

    @Test("normalising leaves other text, including Nordic letters, untouched")
    func normaliseLeavesOrdinaryText() {
        let text = "Blåbærsyltetøy – 5 kr"
        #expect(Array(SMSText.normaliseFormattedValue(text).unicodeScalars) == Array(text.unicodeScalars))
    }

    @Test("finalising composes e + combining acute into é, which keeps the text GSM-7")
    func finaliseComposes() {
        let decomposed = "Kafe\u{0301}"
        #expect(SMSEncoding(text: decomposed).scheme == .ucs2)

        let composed = SMSText.finalise(decomposed)
        // Swift's == treats canonically equivalent strings as equal, so compare scalars.
        #expect(Array(composed.unicodeScalars) == ["K", "a", "f", "\u{00E9}"])
        let encoding = SMSEncoding(text: composed)
        #expect(encoding.scheme == .gsm7)
        #expect(encoding.units == 4)
    }

    @Test("finalising trims surrounding white space")
    func finaliseTrims() {
        #expect(Array(SMSText.finalise("  Hei Kari\n\n").unicodeScalars) == Array("Hei Kari".unicodeScalars))
    }

    @Test("finalising gives exactly what Foundation's NFC and a trim by characters give, for text in many scripts with and without combining marks")
    func finaliseMatchesFoundation() {
        // Scalars just below and above U+0300 (where combining marks begin), Nordic letters, Hangul
        // jamo that compose, white space of several kinds at either end.
        let pool: [Unicode.Scalar] = [
            "a", "Z", "0", ".", " ", "\t", "\n", "\r", "\u{00A0}", "\u{2003}", "\u{3000}", "æ", "ø", "å", "Å", "ü", "ß", "\u{017E}", "\u{01FF}",
            "\u{02FF}", "\u{0300}", "\u{0301}", "\u{0308}", "\u{030A}", "\u{0327}", "\u{0344}", "\u{0374}", "\u{1100}", "\u{1161}", "\u{11A8}",
            "\u{212B}", "\u{2126}", "\u{0915}", "\u{093C}", "\u{1F600}", "\u{200B}",
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3_000 {
            var scalars = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...8, using: &generator) { scalars.append(pool.randomElement(using: &generator)!) }
            let text = String(scalars)
            var reference = Substring(text.precomposedStringWithCanonicalMapping)
            while let first = reference.first, first.isWhitespace { reference = reference.dropFirst() }
            while let last = reference.last, last.isWhitespace { reference = reference.dropLast() }
            #expect(Array(SMSText.finalise(text).unicodeScalars) == Array(String(reference).unicodeScalars), "\(Array(text.unicodeScalars))")
        }
    }
}
