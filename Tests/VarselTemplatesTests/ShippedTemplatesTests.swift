import Foundation
import Testing
import VarselCore
import VarselTemplates
import VarselTestSupport

/// The shipped template set: every variant renders with realistic data; SMS in Latin-script languages
/// stays in GSM-7.
@Suite struct ShippedTemplatesTests {
    static let set: TemplateSet = try! TemplateSetLoader.load(from: Paths.templates)

    static func message(channel: Channel, kind: String, optional: Bool) -> MessageRequest {
        var data: [String: JSONValue] = [
            "creditor": .string("Fjordkraft AS"), "invoice_number": .string("10023"), "amount": .string("1250.00"),
            "currency": .string("NOK"), "due_date": .string("2026-11-01"), "deadline": .string("2026-12-08"),
            "payment_link": .string("https://pay.example/abc"),
        ]
        if kind == "payment_plan" {
            data["installments"] = .array([
                .object(["number": .number(1), "due_date": .string("2026-12-01"), "amount": .string("625.00")]),
                .object(["number": .number(2), "due_date": .string("2027-01-01"), "amount": .string("625.00")]),
            ])
        }
        if optional {
            data["paid_date"] = .string("2026-11-20")
            data["account_number"] = .string("1503.12.34562")
            data["payment_reference"] = .string("100230010")
            data["creditor_phone"] = .string("+4722000000")
            data["creditor_email"] = .string("krav@fjordkraft.example")
            data["fee"] = .string("35.00")
        }
        let recipient = Recipient(
            name: "Kari Nordmann", locale: "nb-NO", country: "NO", phone: "+4791234567", email: "kari@example.no",
            address: PostalAddress(lines: ["Storgata 1"], postalCode: "0155", city: "Oslo", country: "NO"))
        return MessageRequest(kind: kind, caseRef: "inv-10023", recipient: recipient, data: data)
    }

    static var keys: [TemplateKey] { Self.set.keys }

    /// Locales whose SMS must stay in GSM-7 (Latin scripts; the Polish SMS are written without ą ę ł ś ż).
    static let gsm7Locales: Set = ["nb", "nn", "sv", "da", "fi", "en", "de", "pl"]

    @Test("the shipped set covers every kind for every channel: nb, nn, sv, da, fi, en, de, pl (direct); en, hi, ja, ar, zh (indirect)")
    func coverage() {
        for kind in ["reminder", "collection_notice", "payment_plan", "payment_received"] {
            for channel in Channel.allCases {
                for locale in ["nb", "nn", "sv", "da", "fi", "en", "de", "pl"] {
                    #expect(Self.set.hasTemplate(kind: kind, locale: locale, tone: .direct, channel: channel), "\(kind)/\(locale)/direct/\(channel)")
                }
                for locale in ["en", "hi", "ja", "ar", "zh"] {
                    #expect(Self.set.hasTemplate(kind: kind, locale: locale, tone: .indirect, channel: channel), "\(kind)/\(locale)/indirect/\(channel)")
                }
            }
        }
    }

    @Test("every shipped variant renders without missing variables, with and without optional data", arguments: ShippedTemplatesTests.keys)
    func rendersEveryVariant(key: TemplateKey) throws {
        for optional in [false, true] {
            let message = Self.message(channel: key.channel, kind: key.kind, optional: optional)
            let plan = Plan(kind: key.kind, channel: key.channel, locale: key.locale, tone: key.tone, decisions: [])
            let content = try Self.set.render(message, messageID: "msg_test", plan: plan).get()
            #expect(content.templateID == key.description)
            #expect(content.templateVersion.hasPrefix("sha256:"))
            #expect(!content.text.isEmpty)
            #expect(!content.text.contains("{{"), "unrendered tag in \(key)")
            #expect(content.text.contains("10023"), "\(key) must say which invoice it concerns")
            switch key.channel {
            case .sms:
                if Self.gsm7Locales.contains(key.locale) {
                    #expect(content.sms?.encoding == .gsm7, "\(key) forced UCS-2: \(content.text)")
                    // Typical data fits two parts; every optional field (phone, account, reference, fee) may add one.
                    #expect((content.sms?.segments ?? 0) <= (optional ? 3 : 2), "\(key) takes \(content.sms?.segments ?? 0) segments")
                } else {
                    // Non-Latin scripts (and Polish letters) are UCS-2: 70 units, 67 per part.
                    #expect((content.sms?.segments ?? 0) <= (optional ? 4 : 3), "\(key) takes \(content.sms?.segments ?? 0) segments")
                }
            case .email:
                #expect(content.subject?.isEmpty == false)
                #expect(content.subject?.contains("\n") == false)
                #expect(content.html?.contains("<!DOCTYPE html>") == true)
            case .letter:
                let html = try #require(content.html)
                #expect(html.contains("Kari Nordmann") && html.contains("0155") && html.contains("Storgata 1"), "address block in \(key)")
            }
        }
    }

    @Test("with data.fee every reminder variant states the fee and the total to pay (amount + fee), the SMS included", arguments: ShippedTemplatesTests.keys.filter { $0.kind == "reminder" })
    func reminderStatesFeeAndTotal(key: TemplateKey) throws {
        var message = Self.message(channel: key.channel, kind: key.kind, optional: false)
        message.data["fee"] = .string("35.00")
        let plan = Plan(kind: key.kind, channel: key.channel, locale: key.locale, tone: key.tone, decisions: [])
        let content = try Self.set.render(message, messageID: "m", plan: plan).get()
        let digits = { (text: String) in text.filter { $0.isNumber || $0 == "," || $0 == "." } }
        // 35,00 / 35.00 and 1 285,00 / 1,285.00, whatever the locale's separators.
        let shown = digits(content.text + (content.html ?? ""))
        #expect(shown.contains("35,00") || shown.contains("35.00"), "\(key): no fee in \(content.text)")
        #expect(shown.contains("1285,00") || shown.contains("1,285.00") || shown.contains("1.285,00"), "\(key): no total in \(content.text)")
        let without = try Self.set.render(Self.message(channel: key.channel, kind: key.kind, optional: false), messageID: "m", plan: plan).get()
        #expect(!digits(without.text).contains("1285") && !digits(without.text).contains("1,285") && !digits(without.text).contains("1.285"), "\(key): a total without a fee")
    }

    /// Wording that gives the debtor one day less than the deadline: payment is due by it, so
    /// objections are too ("innen", not "før").
    static let beforeTheDeadline: [String: [String]] = [
        "nb": ["før 08.12.2026", "før fristen"], "nn": ["før 08.12.2026", "før fristen"], "sv": ["före 2026-12-08", "före fristen", "före dess"],
        "de": ["vor dem 08.12.2026", "vorher"], "pl": ["przed 08.12.2026", "przed terminem"],
        "en": ["before 8 December 2026", "before the deadline", "before then"],
        "fi": ["ennen määräpäivää"], "da": ["før fristen"],
    ]

    @Test(
        "objections are asked for by the deadline, as payment is, never 'before' it (one day less)",
        arguments: ShippedTemplatesTests.keys.filter { ["reminder", "collection_notice"].contains($0.kind) && beforeTheDeadline[$0.locale] != nil })
    func objectionsByTheDeadline(key: TemplateKey) throws {
        let message = Self.message(channel: key.channel, kind: key.kind, optional: true)
        let plan = Plan(kind: key.kind, channel: key.channel, locale: key.locale, tone: key.tone, decisions: [])
        let content = try Self.set.render(message, messageID: "m", plan: plan).get()
        let text = (content.text + (content.html ?? "")).replacingOccurrences(of: "\u{00A0}", with: " ")
        for phrase in Self.beforeTheDeadline[key.locale] ?? [] {
            #expect(!text.contains(phrase), "\(key): \(phrase)")
        }
    }

    @Test("collection notices: the SMS names the step as the email does, stays formal, and says what a dispute pauses")
    func noticeWording() throws {
        func render(_ locale: String, _ tone: Tone, _ channel: Channel) throws -> RenderedContent {
            let message = Self.message(channel: channel, kind: "collection_notice", optional: false)
            return try Self.set.render(message, messageID: "m", plan: Plan(kind: "collection_notice", channel: channel, locale: locale, tone: tone, decisions: [])).get()
        }
        let german = try render("de", .direct, .sms).text
        #expect(german.contains("Letzte Zahlungsaufforderung vor Inkasso") && !german.contains("Letzte Mahnung"))
        #expect(try render("de", .direct, .email).subject?.hasPrefix("Letzte Zahlungsaufforderung vor Inkasso") == true)
        let polish = try render("pl", .direct, .sms).text
        #expect(polish.contains("Prosimy zaplacic") && !polish.contains("Zaplac do"), "formal, as the emails: \(polish)")
        let finnish = try render("fi", .direct, .sms).text
        #expect(!finnish.contains("Huomautuksen ajan") && finnish.contains("Jos kiistät laskun, perintä keskeytyy."))
        // Inkassoloven § 9: the notice says that collection will be started, not that it may be.
        for (locale, sms) in [("nb", "Ellers sendes kravet til inkasso"), ("nn", "Elles går kravet til inkasso")] {
            #expect(try render(locale, .direct, .email).text.contains("vil kravet bli sendt til inkasso"), "\(locale)")
            #expect(try render(locale, .direct, .letter).text.contains("vil kravet bli sendt til inkasso"), "\(locale)")
            #expect(try render(locale, .direct, .sms).text.contains(sms), "\(locale)")
        }
        let english = try render("en", .indirect, .sms).text
        #expect(english.contains("Final reminder") && english.contains("If you dispute it, collection pauses."), "\(english)")
        #expect(try render("en", .indirect, .email).subject?.hasPrefix("Final reminder before debt collection") == true)
    }

    @Test("data.payment is printed in its scheme's grouping, labelled for the scheme and the reader's language, in email text, HTML and letters")
    func paymentPrinted() throws {
        func render(_ payment: [String: String], locale: String, channel: Channel) throws -> RenderedContent {
            var message = Self.message(channel: channel, kind: "reminder", optional: true)
            message.data["payment"] = .object(payment.mapValues { .string($0) })
            return try Self.set.render(message, messageID: "m", plan: Plan(kind: "reminder", channel: channel, locale: locale, tone: .direct, decisions: [])).get()
        }
        let finnish = ["scheme": "fi_ref", "reference": "1511890656", "iban": "FI2112345600000785", "bic": "NDEAFIHH"]
        // A Swedish-speaking debtor in Finland: the Finnish reference under its Swedish name.
        let swedish = try render(finnish, locale: "sv", channel: .email)
        #expect(swedish.text.contains("Referensnummer: 15118 90656") && swedish.text.contains("IBAN: FI21 1234 5600 0007 85"), "\(swedish.text)")
        #expect(!swedish.text.contains("OCR-nummer"), "the free-text label gives way to the scheme's")
        #expect(swedish.html?.contains(">Referensnummer</th>") == true)
        #expect(try render(finnish, locale: "fi", channel: .letter).text.contains("Viitenumero"))
        let kid = try render(["scheme": "kid", "reference": "1234567890128", "account": "86011117947"], locale: "nb", channel: .email)
        #expect(kid.text.contains("KID: 1234567890128") && kid.text.contains("Kontonummer: 8601 11 17947"), "\(kid.text)")
        let ocr = try render(["scheme": "ocr", "reference": "2041705", "bankgiro": "50501055"], locale: "en", channel: .email)
        #expect(ocr.text.contains("OCR reference: 2041705") && ocr.text.contains("Bankgiro: 5050-1055"), "\(ocr.text)")
        // Without data.payment the free-text fields print as before.
        let plain = try Self.set.render(Self.message(channel: .email, kind: "reminder", optional: true), messageID: "m",
            plan: Plan(kind: "reminder", channel: .email, locale: "nb", tone: .direct, decisions: [])).get()
        #expect(plain.text.contains("KID: 100230010") && plain.text.contains("Kontonummer: 1503.12.34562"))
    }

    @Test("SMS amounts use plain spaces so Norwegian formatting never forces UCS-2")
    func smsAmountNormalised() throws {
        let message = Self.message(channel: .sms, kind: "reminder", optional: false)
        let plan = Plan(kind: "reminder", channel: .sms, locale: "nb", tone: .direct, decisions: [])
        let content = try Self.set.render(message, messageID: "m", plan: plan).get()
        #expect(content.text.contains("1 250,00 kr"))
        #expect(!content.text.unicodeScalars.contains("\u{00A0}"))
        #expect(content.sms == .init(encoding: .gsm7, segments: SMSEncoding(text: content.text).segments))
    }

    @Test("a Danish fee at a sentence end reads 'kr.' not 'kr..'; an en-IN debtor reads the English templates with Indian grouping")
    func localeDetails() throws {
        var danish = Self.message(channel: .sms, kind: "collection_notice", optional: true)
        danish.data["currency"] = .string("DKK")
        danish.recipient.locale = "da-DK"
        let sms = try Self.set.render(danish, messageID: "m", plan: Plan(kind: "collection_notice", channel: .sms, locale: "da", tone: .direct, decisions: [])).get()
        #expect(sms.text.contains("på 35,00 kr. "), "\(sms.text)")
        #expect(!sms.text.contains("kr.."), "\(sms.text)")
        let email = try Self.set.render(danish, messageID: "m", plan: Plan(kind: "collection_notice", channel: .email, locale: "da", tone: .direct, decisions: [])).get()
        #expect(!email.text.contains("kr..") && !(email.html ?? "").contains("kr.."))

        var indian = Self.message(channel: .email, kind: "reminder", optional: false)
        indian.data["amount"] = .string("1234567.50")
        indian.data["currency"] = .string("INR")
        indian.recipient.locale = "en-IN"
        let content = try Self.set.render(indian, messageID: "m", plan: Plan(kind: "reminder", channel: .email, locale: "en", tone: .indirect, decisions: [])).get()
        #expect(content.text.contains("₹12,34,567.50"), "\(content.text)")
        indian.recipient.locale = "en-GB"
        let british = try Self.set.render(indian, messageID: "m", plan: Plan(kind: "reminder", channel: .email, locale: "en", tone: .indirect, decisions: [])).get()
        #expect(british.text.contains("INR\u{00A0}1,234,567.50"), "\(british.text)")
    }

    @Test("email and letter keep the locale's no-break spaces; HTML escapes data, text does not")
    func escaping() throws {
        var message = Self.message(channel: .email, kind: "reminder", optional: false)
        message.data["creditor"] = .string("Berg & Sønn <AS>")
        let plan = Plan(kind: "reminder", channel: .email, locale: "nb", tone: .direct, decisions: [])
        let content = try Self.set.render(message, messageID: "m", plan: plan).get()
        #expect(content.text.contains("Berg & Sønn <AS>"))
        #expect(content.subject?.contains("Berg & Sønn <AS>") == true)
        let html = try #require(content.html)
        #expect(html.contains("Berg &amp; Sønn &lt;AS&gt;"))
        #expect(!html.contains("<AS>"))
        #expect(content.text.contains("1\u{00A0}250,00\u{00A0}kr"))
    }

    @Test("a letter without a text template gets a plain-text rendering of its HTML")
    func letterText() throws {
        let message = Self.message(channel: .letter, kind: "collection_notice", optional: true)
        let plan = Plan(kind: "collection_notice", channel: .letter, locale: "nb", tone: .direct, decisions: [])
        let content = try Self.set.render(message, messageID: "m", plan: plan).get()
        #expect(!content.text.contains("<"))
        #expect(content.text.contains("Kari Nordmann\nStorgata 1\n0155 Oslo"))
    }
}
