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
