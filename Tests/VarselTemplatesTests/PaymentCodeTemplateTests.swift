import Foundation
import Testing
import VarselCore
import VarselTemplates
import VarselTestSupport

/// Payment codes in the shipped templates: the virtual barcode's digits in text and HTML, the EPC QR
/// code in email HTML and letters, the barcode image in letters only, each image read back from
/// the rendered HTML with zbarimg; and nothing of it for a Norwegian KID in kroner.
@Suite struct PaymentCodeTemplateTests {
    static let set: TemplateSet = try! TemplateSetLoader.load(from: Paths.templates)

    static let finnish: [String: String] = ["scheme": "fi_ref", "reference": "15118 90656", "iban": "FI21 1234 5600 0007 85", "bic": "NDEAFIHH"]
    /// 1 250,00 € + 35,00 € by 8 December 2026, to FI21 1234 5600 0007 85 with reference 15118 90656.
    static let digits = "421123456000007850012850000000000000001511890656261208"
    static let epc = "BCD\n002\n1\nSCT\nNDEAFIHH\nFjordkraft AS\nFI2112345600000785\nEUR1285.00\n\nRF601511890656"

    static func render(
        kind: String = "reminder", locale: String, channel: Channel, currency: String = "EUR", payment: [String: String] = finnish
    ) throws -> RenderedContent {
        let data: [String: JSONValue] = [
            "creditor": .string("Fjordkraft AS"), "invoice_number": .string("10023"), "amount": .string("1250.00"), "fee": .string("35.00"),
            "currency": .string(currency), "due_date": .string("2026-11-01"), "deadline": .string("2026-12-08"),
            "payment_link": .string("https://pay.example/abc"), "payment": .object(payment.mapValues { .string($0) }),
        ]
        let recipient = Recipient(
            name: "Matti Meikäläinen", locale: "\(locale)-FI", country: "FI", phone: "+358401234567", email: "matti@example.fi",
            address: PostalAddress(lines: ["Mannerheimintie 1"], postalCode: "00100", city: "Helsinki", country: "FI"))
        let message = MessageRequest(kind: kind, caseRef: "inv-10023", recipient: recipient, data: data)
        let plan = Plan(kind: kind, channel: channel, locale: locale, tone: .direct, decisions: [])
        return try set.render(message, messageID: "m", plan: plan).get()
    }

    /// The PNGs of the `data:` images in `html`, in order, with their alt text.
    static func images(in html: String) throws -> [(alt: String, png: [UInt8])] {
        let pattern = try NSRegularExpression(pattern: #"<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"[^>]* alt="([^"]*)""#)
        return pattern.matches(in: html, range: NSRange(html.startIndex..., in: html)).map { match in
            let base64 = String(html[Range(match.range(at: 1), in: html)!])
            let alt = String(html[Range(match.range(at: 2), in: html)!])
            return (alt, Array(Data(base64Encoded: base64) ?? Data()))
        }
    }

    @Test("a Finnish letter in euros: the virtual barcode's digits in its text and HTML, the QR code and the barcode as images that read back")
    func finnishLetter() async throws {
        let letter = try Self.render(locale: "fi", channel: .letter)
        let html = try #require(letter.html)
        #expect(letter.text.contains("Virtuaaliviivakoodi \(Self.digits)\n"), "\(letter.text)")
        #expect(!letter.text.contains("QR-koodilla"), "the caption of an image plain text cannot show: \(letter.text)")
        #expect(html.contains(">Virtuaaliviivakoodi</th>") && html.contains(">\(Self.digits)</td>"))
        #expect(html.contains("Maksa QR-koodilla"))
        let images = try Self.images(in: html)
        #expect(images.map(\.alt) == ["EPC QR", "Pankkiviivakoodi"])
        #expect(try await ZBar.decodeText(images[0].png, symbology: "qrcode") == Self.epc)
        #expect(try await ZBar.decodeText(images[1].png, symbology: "code128") == Self.digits)
        #expect(html.contains("width:89.4mm; height:13.0mm;"), "the barcode prints at 0.254 mm a module")
    }

    @Test("a Finnish email in euros: digits in text and HTML, the QR code in the HTML, no barcode image (a payer pastes the digits)")
    func finnishEmail() async throws {
        let email = try Self.render(locale: "fi", channel: .email)
        #expect(email.text.contains("Virtuaaliviivakoodi: \(Self.digits)\n"), "\(email.text)")
        let html = try #require(email.html)
        let images = try Self.images(in: html)
        #expect(images.map(\.alt) == ["EPC QR"])
        #expect(try await ZBar.decodeText(images[0].png, symbology: "qrcode") == Self.epc)
        let size = try #require(images.first.map { PNGSize(png: $0.png) })
        #expect(html.contains(#"width="\#(size.width)" height="\#(size.height)""#))
    }

    @Test("the barcode line is named in Swedish and English too; a German email shows the QR code with its own caption")
    func otherLanguages() throws {
        #expect(try Self.render(locale: "sv", channel: .email).text.contains("Virtuell streckkod: \(Self.digits)"))
        #expect(try Self.render(locale: "en", channel: .email).text.contains("Virtual barcode: \(Self.digits)"))
        let german = try #require(try Self.render(locale: "de", channel: .email).html)
        #expect(german.contains("Mit QR-Code bezahlen") && german.contains("data:image/png;base64,"))
    }

    @Test("a collection notice's QR code asks for the amount without the fee, which is only a cost that may be added later")
    func collectionNotice() async throws {
        let letter = try #require(try Self.render(kind: "collection_notice", locale: "fi", channel: .letter).html)
        let images = try Self.images(in: letter)
        #expect(try await ZBar.decodeText(images[0].png, symbology: "qrcode").contains("\nEUR1250.00\n"))
        #expect(letter.contains("421123456000007850012500000000000000001511890656261208"))
    }

    @Test("a Norwegian KID in kroner carries no code: no image, no barcode line; an SMS never shows one")
    func noCodes() throws {
        let kid = ["scheme": "kid", "reference": "1234567890128", "account": "86011117947"]
        for channel in [Channel.email, .letter] {
            let content = try Self.render(locale: "nb", channel: channel, currency: "NOK", payment: kid)
            #expect(!(content.html ?? "").contains("<img") && !content.text.contains("strekkode") && !content.text.contains("barcode"))
            // Email text "KID: …", letter text (from the HTML table) "KID …".
            #expect(content.text.contains("KID: 1234567890128\n") || content.text.contains("KID 1234567890128\n"), "\(content.text)")
        }
        let sms = try Self.render(locale: "fi", channel: .sms)
        #expect(!sms.text.contains(Self.digits) && !sms.text.contains("data:"))
        #expect(sms.sms?.encoding == .gsm7)
    }

    @Test("the template check knows payment.qr and payment.barcode: printed outside their sections or misspelt, they are errors")
    func checkerDeclarations() throws {
        var files = try TemplateSetLoader.readFiles(Paths.templates)
        let partial = "_partials/fi/payment_instructions_html.mustache"
        files[partial] = try #require(files[partial]) + "<p>{{payment.qr.src}} {{payment.barcode.digitz}}</p>\n"
        let options = TemplateCheckOptions(allowedChannels: ["collection_notice": [.email, .letter]])
        let messages = TemplateCheck.run(try TemplateSet(directory: "t", files: files), options: options).problems
            .filter { $0.file == partial }.map(\.message)
        #expect(messages.contains { $0.hasPrefix("optional field payment is printed outside {{#payment}}") }, "\(messages)")
        #expect(messages.contains { $0.hasPrefix("payment.barcode.digitz is not in the schema") }, "\(messages)")
        // The shipped partial's own uses (payment.qr.src, payment.barcode.image.*) are all declared.
        #expect(messages.filter { $0.contains("is not in the schema") }.allSatisfy { $0.hasPrefix("payment.barcode.digitz") }, "\(messages)")
    }
}

/// Width and height from a PNG's IHDR.
struct PNGSize {
    let width: Int
    let height: Int

    init(png: [UInt8]) {
        func u32(_ at: Int) -> Int { png.count >= at + 4 ? Int(png[at]) << 24 | Int(png[at + 1]) << 16 | Int(png[at + 2]) << 8 | Int(png[at + 3]) : 0 }
        width = u32(16)
        height = u32(20)
    }
}
