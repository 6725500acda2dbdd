import Testing
@testable import VarselCore

/// Syntactic email checks: dot-atom local part, LDH or internationalised domain, RFC 5321 lengths.
@Suite("Email addresses")
struct EmailAddressTests {
    @Test(
        "ordinary, plus-addressed, sub-domain and internationalised addresses are accepted",
        arguments: [
            "kari@example.no",
            "kari.nordmann@example.no",
            "kari+faktura@example.no",
            "kari@post.mail.example.no",
            "kari_n-o@example-domain.com",
            "k@e.no",
            "kari@bølgen.no",
            "kari@xn--blgen-kua.no",
            "ære@bølgen.no",
            "user123@example123.com",
        ])
    func validAddresses(address: String) {
        #expect(EmailAddress.problem(address) == nil)
        #expect(EmailAddress.isValid(address))
    }

    @Test(
        "malformed addresses are refused",
        arguments: [
            "kari.example.no",  // no @
            "@example.no",  // nothing before @
            "kari@",  // nothing after @
            "kari..nordmann@example.no",  // two dots in the local part
            ".kari@example.no",  // leading dot
            "kari.@example.no",  // trailing dot in the local part
            "kari@example..no",  // two dots in the domain
            "kari@.example.no",  // domain starts with a dot
            "kari@example.no.",  // trailing dot in the domain
            "kari nordmann@example.no",  // space in the local part
            "kari@exa mple.no",  // space in the domain
            " kari@example.no",  // leading space
            "kari@localhost",  // no top-level domain
            "kari@example.123",  // numeric top-level domain
            "kari@example.n",  // one-letter top-level domain
            "kari@-example.no",  // label starts with -
            "kari@example-.no",  // label ends with -
            "\"kari\"@example.no",  // quoted local part
            "\"kari nordmann\"@example.no",  // quoted local part with a space
            "kari@nordmann@example.no",  // two @
            "kari(comment)@example.no",  // comment
            "kari@[192.0.2.1]",  // address literal
            "kari@exam_ple.no",  // underscore in the domain
            "kari\n@example.no",  // control character
        ])
    func invalidAddresses(address: String) {
        #expect(EmailAddress.problem(address) != nil)
        #expect(!EmailAddress.isValid(address))
    }

    @Test("the problem names what is wrong")
    func problemWording() {
        #expect(EmailAddress.problem("kari.example.no")?.contains("@") == true)
        #expect(EmailAddress.problem("kari nordmann@example.no")?.contains("space") == true)
        #expect(EmailAddress.problem("kari@example.123")?.contains("top-level domain") == true)
        #expect(EmailAddress.problem("kari@-example.no")?.contains("-") == true)
        #expect(EmailAddress.problem("kari..nordmann@example.no") == "local part has a misplaced dot")
        #expect(EmailAddress.problem("kari.nordmann@example.no") == nil)
    }

    @Test("the 254 limit counts characters: an IDN address of 162 characters in 312 bytes is fine, 262 characters are not")
    func totalLength() {
        let label = String(repeating: "æ", count: 30)
        let long = "kari@" + Array(repeating: label, count: 5).joined(separator: ".") + ".no"
        #expect(long.count == 162 && long.utf8.count == 312)
        #expect(EmailAddress.problem(long) == nil)
        let tooLong = "kari@" + Array(repeating: String(repeating: "a", count: 50), count: 5).joined(separator: ".") + "." + "no"
        #expect(tooLong.count == 262)
        #expect(EmailAddress.problem(tooLong) == "longer than 254 characters")
    }

    @Test("the local part may hold 64 octets, not 65")
    func localPartLength() {
        let domain = "@example.no"
        #expect(EmailAddress.isValid(String(repeating: "a", count: 64) + domain))
        let problem = EmailAddress.problem(String(repeating: "a", count: 65) + domain)
        #expect(problem?.contains("64") == true)
    }

    @Test("the local-part limit counts octets, so 33 two-byte letters are too many")
    func localPartLengthCountsOctets() {
        // 32 × 'ø' = 64 UTF-8 octets: allowed; 33 × 'ø' = 66 octets: too long.
        #expect(EmailAddress.isValid(String(repeating: "ø", count: 32) + "@example.no"))
        #expect(!EmailAddress.isValid(String(repeating: "ø", count: 33) + "@example.no"))
    }

    @Test("a domain label may hold 63 characters, not 64")
    func domainLabelLength() {
        #expect(EmailAddress.isValid("kari@" + String(repeating: "d", count: 63) + ".no"))
        #expect(!EmailAddress.isValid("kari@" + String(repeating: "d", count: 64) + ".no"))
    }

    @Test("a whole address may hold 254 characters, not 255")
    func wholeAddressLength() {
        let local = String(repeating: "a", count: 64)
        // 63 + 1 + 63 + 1 + n + 3 (".no")
        func domain(_ last: Int) -> String {
            String(repeating: "b", count: 63) + "." + String(repeating: "c", count: 63) + "."
                + String(repeating: "d", count: last) + ".no"
        }
        let longest = local + "@" + domain(58)
        let tooLong = local + "@" + domain(59)
        #expect(longest.count == 254)
        #expect(tooLong.count == 255)
        #expect(EmailAddress.isValid(longest))
        #expect(EmailAddress.problem(tooLong)?.contains("254") == true)
    }

    @Test("the one-pass check of plain ASCII addresses agrees with the full check on every generated text, and takes the plain ones")
    func plainASCIIAgreesWithFullCheck() {
        // Pieces that sit at every boundary the checks draw: dots, hyphens, @, atext symbols, digits,
        // characters outside atext, CR LF, non-ASCII letters and digits, long runs.
        let plainPieces = ["kari", "K", "0", "9", "123", "example", "no", "xn--blgen-kua", "-", "+", "."]
        let oddPieces = [
            "..", "@", "@@", "!", "#", "~", "`", "{", "|", "\"", "(", ",", ";", " ", "\t", "\r\n", "\u{7F}", "ø", "é", "٣", "ß",
            String(repeating: "a", count: 63), String(repeating: "b", count: 64), String(repeating: "c.", count: 40),
        ]
        var random = SeededRandom(seed: 0xE3A1)
        func piece() -> String {
            Int.random(in: 0..<8, using: &random) == 0 ? oddPieces.randomElement(using: &random)! : plainPieces.randomElement(using: &random)!
        }
        var plain = 0
        for round in 0..<60_000 {
            var text = ""
            for _ in 0..<Int.random(in: 1...5, using: &random) { text += piece() }
            // Most texts are shaped like an address, so the later checks are reached too.
            if Int.random(in: 0..<4, using: &random) > 0 {
                text += "@" + (0..<Int.random(in: 1...4, using: &random)).map { _ in (0..<Int.random(in: 1...2, using: &random)).map { _ in piece() }.joined() }
                    .joined(separator: ".")
            }
            let fast = EmailAddress.isPlainValidASCII(text)
            let full = EmailAddress.problemByScalars(text)
            if fast { plain += 1 }
            #expect(!fast || full == nil, "round \(round): \(text.debugDescription) taken, yet: \(full ?? "")")
            // On ASCII the two agree exactly: every ASCII address the full check takes is taken in one pass.
            if text.utf8.allSatisfy({ $0 < 0x80 }) { #expect(fast == (full == nil), "round \(round): \(text.debugDescription)") }
            #expect(EmailAddress.problem(text) == full, "round \(round): \(text.debugDescription)")
        }
        #expect(plain > 1_000, "the one-pass check took \(plain) texts")
        for address in ["kari@example.no", "kari.nordmann+faktura@post.example-domain.com", "k@e.no", "user123@example123.com"] {
            #expect(EmailAddress.isPlainValidASCII(address), "\(address)")
        }
        for address in ["kari@bølgen.no", ".kari@example.no", "kari@example.123", "kari@-example.no", "kari@example", "ka..ri@example.no"] {
            #expect(!EmailAddress.isPlainValidASCII(address), "\(address)")
        }
    }
}
