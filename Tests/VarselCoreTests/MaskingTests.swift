import Foundation
import Testing
@testable import VarselCore

/// Personal data is masked before it reaches a log line or an error message.
@Suite("Masking")
struct MaskingTests {
    @Test("a phone number keeps its + and calling code and the last two digits")
    func phone() {
        #expect(Masking.phone("+4791234567") == "+47******67")
        #expect(Masking.phone("+358401234567") == "+358*******67")
        #expect(Masking.phone("+14155552671") == "+1********71")
    }

    @Test("a phone number without + keeps two leading digits")
    func phoneWithoutPlus() {
        #expect(Masking.phone("4791234567") == "47******67")
    }

    @Test("the masked phone number hides the middle digits and keeps the length")
    func phoneHidesMiddle() {
        let masked = Masking.phone("+4791234567")
        #expect(masked.count == 11)
        #expect(!masked.contains("912345"))
    }

    @Test("a very short phone text is masked entirely", arguments: ["", "+47", "12345"])
    func shortPhone(text: String) {
        #expect(Masking.phone(text) == String(repeating: "*", count: text.count))
    }

    @Test("an email address keeps its first letter and its domain")
    func email() {
        #expect(Masking.email("kari@example.no") == "k***@example.no")
        #expect(Masking.email("kari.nordmann+faktura@post.example.no") == "k***@post.example.no")
    }

    @Test("an email text without a local part or an @ is masked entirely", arguments: ["@example.no", "kari.example.no", ""])
    func emailWithoutLocalPart(text: String) {
        #expect(Masking.email(text) == "***")
    }

    @Test("a postal address shows only its country")
    func address() {
        let address = PostalAddress(lines: ["Storgata 1"], postalCode: "0155", city: "Oslo", country: "NO")
        #expect(Masking.address(address) == "[address in NO]")
        #expect(Masking.address(PostalAddress(lines: ["Storgata 1"], postalCode: nil, city: nil, country: nil)) == "[address]")
    }
}

@Suite("Masking free text")
struct ScrubTests {
    @Test("phone numbers, email addresses and bearer tokens in free text are masked; other text is left alone")
    func scrub() {
        #expect(Masking.scrub(#"{"error":"invalid number +4791234567 for kari@example.no"}"#)
            == #"{"error":"invalid number +47******67 for k***@example.no"}"#)
        #expect(Masking.scrub("Authorization: Bearer vrs_abcdefghijklmnop") == "Authorization: Bearer [redacted]")
        #expect(Masking.scrub("latency_ms=12 http_status=503 at 2026-12-01T08:00:00+01:00") == "latency_ms=12 http_status=503 at 2026-12-01T08:00:00+01:00")
        #expect(Masking.scrub("amount 1 250,00 kr, invoice 10023") == "amount 1 250,00 kr, invoice 10023")
        #expect(Masking.scrub("+358401234567 and +46701234567") == "+358*******67 and +46*******67")
    }

    @Test("the quick pre-check finds every @, + and (b|B)earer, at either end of the text, and lets other text through unscanned")
    func preCheck() {
        #expect(Masking.scrub("bearer abcdefghij") == "bearer [redacted]")
        #expect(Masking.scrub("token: Bearer abcdefghij") == "token: Bearer [redacted]")
        #expect(Masking.scrub("kari@example.no") == "k***@example.no")
        #expect(Masking.scrub("x +4791234567") == "x +47******67")
        #expect(Masking.scrub("ends with earer") == "ends with earer")
        #expect(Masking.scrub("eare") == "eare")
        #expect(Masking.scrub("") == "")
        #expect(Masking.scrub("øre \u{1F600} bearer_ok") == "øre \u{1F600} bearer_ok")
    }
}

@Suite("Masking a message's own contact data")
struct KnownContactScrubTests {
    @Test("the recipient's number, email, name and address are masked in the forms gateways echo them")
    func knownContact() {
        let recipient = Recipient(
            name: "Kari Nordmann", phone: "+4791234567", email: "kari@example.no",
            address: PostalAddress(lines: ["Storgata 1"], postalCode: "0155", city: "Oslo", country: "NO"))
        let echoed = "to=004791234567 (4791234567, %2B4791234567) mail=kari%40example.no name=Kari Nordmann at Storgata 1"
        let scrubbed = Masking.scrub(echoed, knownContact: recipient)
        for leak in ["91234567", "kari%40", "kari@", "Nordmann", "Storgata"] { #expect(!scrubbed.contains(leak), "\(leak) in \(scrubbed)") }
        #expect(scrubbed.contains("+47******67") && scrubbed.contains("k***@example.no") && scrubbed.contains("[name]") && scrubbed.contains("[address]"))
    }
}

/// What outside testing found the masking missed (issue 11 item 10).
@Suite struct MaskingGapsTests {
    @Test("an email with an internationalised domain is masked in Unicode and in punycode form, and any email of another script")
    func punycode() {
        #expect(Punycode.asciiDomain("bøler.no") == "xn--bler-gra.no")
        #expect(Punycode.encode("bücher") == "bcher-kva")
        #expect(Punycode.encode("日本語") == "wgv71a119e")
        let recipient = Recipient(email: "kåre@bøler.no")
        let scrubbed = Masking.scrub("rejected kåre@xn--bler-gra.no and KÅRE@BØLER.NO", knownContact: recipient)
        for leak in ["kåre", "KÅRE", "åre@"] { #expect(!scrubbed.contains(leak), "\(leak) in \(scrubbed)") }
        let generic = Masking.scrub("to ola@xn--bler-gra.xn--p1ai, åse@bøler.no and user@例え.jp")
        for leak in ["ola@", "åse@", "user@", "se@bøler"] { #expect(!generic.contains(leak), "\(leak) in \(generic)") }
    }

    @Test("an address line and a name are masked in any letter case")
    func letterCase() {
        let recipient = Recipient(name: "Kari Nordmann", address: PostalAddress(lines: ["Storgata 9"], postalCode: "0155", city: "Oslo", country: "NO"))
        let scrubbed = Masking.scrub("undeliverable: STORGATA 9, kari nordmann", knownContact: recipient)
        #expect(!scrubbed.localizedCaseInsensitiveContains("storgata") && !scrubbed.localizedCaseInsensitiveContains("nordmann"), "\(scrubbed)")
    }

    @Test("every control character in a logged value is escaped", arguments: [0x00, 0x07, 0x08, 0x1B, 0x7F, 0x85, 0x9B, 0x2028, 0x202E])
    func controls(code: Int) {
        let text = "id-" + String(Unicode.Scalar(UInt32(code))!) + "-x"
        let escaped = Masking.escapingControls(text)
        #expect(!escaped.unicodeScalars.contains { $0.value == UInt32(code) }, "\(escaped.debugDescription)")
        #expect(escaped.hasPrefix("id-\\") && escaped.hasSuffix("-x"))
        #expect(Masking.escapingControls("line\nbreak\ttab") == "line\\nbreak\\ttab")
        #expect(Masking.escapingControls("plain Ærøskøbing") == "plain Ærøskøbing")
    }
}

/// Secrets are compared over their whole length (issue 11 item 9).
@Suite struct ConstantTimeTests {
    @Test("a length difference that is a multiple of 256 is still a difference")
    func fullLength() {
        #expect(!ConstantTime.equal([UInt8](), [UInt8](repeating: 0, count: 256)))
        #expect(!ConstantTime.equal([UInt8](repeating: 0, count: 4), [UInt8](repeating: 0, count: 260)))
        #expect(!ConstantTime.equal("", String(repeating: "\u{0}", count: 512)))
        #expect(ConstantTime.equal(Array("secret".utf8), Array("secret".utf8)))
        #expect(!ConstantTime.equal(Array("secret".utf8), Array("secreT".utf8)))
    }
}

