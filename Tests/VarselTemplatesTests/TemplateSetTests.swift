import Foundation
import Testing
import VarselCore
import VarselTemplates
import VarselTestSupport

/// Loading, checking and rendering template sets built in memory.
@Suite struct TemplateSetTests {
    static let data: [String: JSONValue] = [
        "creditor": .string("Fjordkraft AS"), "invoice_number": .string("10023"), "amount": .string("1250.5"),
        "currency": .string("NOK"), "due_date": .string("2026-11-01"), "payment_link": .string("https://pay.example/abc"),
    ]

    static func render(
        _ files: [String: String], data: [String: JSONValue] = data, channel: Channel = .sms, locale: String = "en", kind: String = "reminder"
    ) throws -> Result<RenderedContent, RenderFailure> {
        let set = try TemplateSet(directory: "mem", files: files)
        let message = MessageRequest(kind: kind, recipient: Recipient(phone: "+4791234567", email: "a@example.no"), data: data)
        return set.render(message, messageID: "msg_1", plan: Plan(kind: kind, channel: channel, locale: locale, tone: .direct, decisions: []))
    }

    /// Why rendering `files` failed; nil when it rendered.
    static func failureReason(_ files: [String: String], data: [String: JSONValue] = data, channel: Channel = .sms) throws -> String? {
        guard case .failure(let failure) = try render(files, data: data, channel: channel) else { return nil }
        return failure.reason
    }

    @Test("a subject is put on one line as splitting it at every line break and joining with spaces does, on 20,000 seeded subjects")
    func subjectOnOneLine() {
        var random = SeededRandom(seed: 2029)
        let pieces = ["Purring", " ", "  ", "\n", "\r\n", "\r", "\u{0B}", "\u{0C}", "\u{85}", "\u{2028}", "\u{2029}", "\u{2027}", "€", "©", "å", "\t", "faktura 10023"]
        for _ in 0..<20_000 {
            let subject = random.text(of: pieces, maxPieces: 8)
            #expect(TemplateSet.oneLine(subject) == subject.split(whereSeparator: \.isNewline).joined(separator: " ").trimmed,
                    "\(subject.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }

    @Test("a variable the message lacks fails the render, naming variable and template, instead of sending a blank")
    func missingVariable() throws {
        let reason = try #require(try Self.failureReason(["reminder/en/direct/sms.mustache": "{{creditor}}: pay by {{deadline}}"]), "rendered although deadline is missing")
        #expect(reason.hasPrefix("missing variable deadline in template reminder/en/direct/sms"))
    }

    @Test("a template that renders only white space (here: a section over a false flag) fails the render instead of sending a blank", arguments: [Channel.sms, .email])
    func blankRender(channel: Channel) throws {
        var data = Self.data
        data["show"] = .bool(false)
        let reason = try #require(try Self.failureReason([
            "reminder/en/direct/sms.mustache": "{{#show}}{{creditor}}{{/show}} \n\u{00A0}\t",
            "reminder/en/direct/email.subject.mustache": "Reminder",
            "reminder/en/direct/email.text.mustache": "{{#show}}{{creditor}}{{/show}}\n\n  ",
            "reminder/en/direct/email.html.mustache": "<p>{{creditor}}</p>",
        ], data: data, channel: channel), "rendered a blank \(channel) text")
        #expect(reason == "template reminder/en/direct/\(channel.rawValue) rendered an empty text")
    }

    @Test("several missing variables in several parts: the first by part name is named, all are listed")
    func severalMissing() throws {
        let reason = try #require(try Self.failureReason([
            "reminder/en/direct/email.subject.mustache": "{{subject_line}}",
            "reminder/en/direct/email.text.mustache": "{{creditor}} {{deadline}} {{fee}}",
            "reminder/en/direct/email.html.mustache": "<p>{{creditor}} {{deadline}}</p>",
        ], channel: .email), "rendered although variables are missing")
        #expect(reason == "missing variable deadline in template reminder/en/direct/email (email.html) (all missing: deadline, fee, subject_line)")
    }

    @Test("a missing variable inside a partial is named with the partial's file")
    func missingVariableInPartial() throws {
        let reason = try #require(try Self.failureReason([
            "reminder/en/direct/sms.mustache": "{{creditor}} {{> footer_text}}",
            "_partials/en/footer_text.mustache": "Call {{creditor_phone}}",
        ]), "rendered although creditor_phone is missing")
        #expect(reason.contains("missing variable creditor_phone"))
        #expect(reason.contains("_partials/en/footer_text.mustache"))
    }

    @Test("optional data read inside a section, and inverted sections over missing data, are fine")
    func optionalSections() throws {
        let content = try Self.render([
            "reminder/en/direct/sms.mustache": "{{creditor}}{{#fee}} fee {{fee}}{{/fee}}{{^creditor_phone}} see {{payment_link}}{{/creditor_phone}}",
        ]).get()
        #expect(content.text == "Fjordkraft AS see https://pay.example/abc")
    }

    @Test("amounts and dates are formatted for the template's locale")
    func formatting() throws {
        let files = ["reminder/nb/direct/email.subject.mustache": "{{amount}} {{due_date}}", "reminder/nb/direct/email.text.mustache": "x"]
        let content = try Self.render(files, channel: .email, locale: "nb").get()
        #expect(content.subject == "1\u{00A0}250,50\u{00A0}kr 01.11.2026")
    }

    @Test("text parts are not HTML-escaped; HTML parts and the partials they include are")
    func contentTypes() throws {
        var data = Self.data
        data["creditor"] = .string("A & B")
        let content = try Self.render(
            [
                "reminder/en/direct/email.subject.mustache": "{{creditor}}",
                "reminder/en/direct/email.text.mustache": "{{creditor}} {{> sig}}",
                "reminder/en/direct/email.html.mustache": "<p>{{creditor}} {{> sig}}</p>",
                "_partials/sig.mustache": "[{{creditor}}]",
            ], data: data, channel: .email
        ).get()
        #expect(content.subject == "A & B")
        #expect(content.text == "A & B [A & B]\n")
        #expect(content.html == "<p>A &amp; B [A &amp; B]</p>")
    }

    @Test("an unclosed section is reported at its opening tag with line and column")
    func unclosedSection() {
        #expect {
            _ = try TemplateSet(directory: "mem", files: ["reminder/en/direct/sms.mustache": "Hello\n  {{#fee}}fee {{fee}}\n"])
        } throws: { error in
            let problem = (error as? TemplateSetError)?.problems.first
            return problem?.file == "reminder/en/direct/sms.mustache" && problem?.line == 2 && problem?.column == 3
                && problem?.message.contains("never closed") == true
        }
    }

    @Test("a closing tag that does not match is reported where it stands")
    func mismatchedClose() {
        #expect {
            _ = try TemplateSet(directory: "mem", files: ["reminder/en/direct/sms.mustache": "{{#a}}x{{/b}}"])
        } throws: { error in
            let problem = (error as? TemplateSetError)?.problems.first
            return problem?.line == 1 && problem?.column == 8 && problem?.message.contains("does not match") == true
        }
    }

    @Test("layout mistakes are named: unknown part, missing required part, unknown tone folder")
    func layoutProblems() {
        #expect {
            _ = try TemplateSet(directory: "mem", files: [
                "reminder/en/direct/smss.mustache": "x",
                "reminder/en/direct/email.text.mustache": "x",
                "reminder/en/polite/sms.mustache": "x",
            ])
        } throws: { error in
            let messages = (error as? TemplateSetError)?.problems.map(\.description) ?? []
            return messages.contains { $0.hasPrefix("reminder/en/direct/smss.mustache:1:1: error: unknown template file") }
                && messages.contains { $0.hasPrefix("reminder/en/direct/email.subject.mustache:1:1: error: missing") }
                && messages.contains { $0.hasPrefix("reminder/en/polite/sms.mustache:1:1: error: unknown tone folder") }
        }
    }

    @Test("the version changes when the template or a partial it can see changes, not when another locale changes")
    func versions() throws {
        let base = ["reminder/en/direct/sms.mustache": "{{creditor}} {{> x}}", "_partials/en/x.mustache": "a", "_partials/nb/x.mustache": "b"]
        let key = TemplateKey(kind: "reminder", locale: "en", tone: .direct, channel: .sms)
        let v1 = try TemplateSet(directory: "m", files: base).version(of: key)
        var changedPartial = base
        changedPartial["_partials/en/x.mustache"] = "c"
        var otherLocale = base
        otherLocale["_partials/nb/x.mustache"] = "d"
        #expect(v1 != nil)
        #expect(try TemplateSet(directory: "m", files: changedPartial).version(of: key) != v1)
        #expect(try TemplateSet(directory: "m", files: otherLocale).version(of: key) == v1)
    }

    @Test("rendering records a content hash that differs when the text differs")
    func contentHash() throws {
        let files = ["reminder/en/direct/sms.mustache": "{{invoice_number}}"]
        var other = Self.data
        other["invoice_number"] = .string("10024")
        let a = try Self.render(files).get()
        let b = try Self.render(files, data: other).get()
        #expect(a.contentHash.hasPrefix("sha256:") && a.contentHash.count == 71)
        #expect(a.contentHash != b.contentHash)
        #expect(try Self.render(files).get().contentHash == a.contentHash)
    }
}

/// Typed data inside lists: an instalment plan's amounts and dates are formatted like top-level ones.
@Suite struct NestedDataTests {
    @Test("installments[].amount and .due_date are formatted for the locale, and plain in SMS")
    func installments() throws {
        var data = TemplateSetTests.data
        data["installments"] = .array([
            .object(["number": .number(1), "due_date": .string("2026-12-01"), "amount": .string("625")]),
            .object(["number": .number(2), "due_date": .string("2027-01-01"), "amount": .string("625.5")]),
        ])
        let template = "{{#installments}}{{number}}: {{amount}} {{due_date}}; {{/installments}}"
        let email = try TemplateSetTests.render(
            ["payment_plan/nb/direct/email.subject.mustache": template, "payment_plan/nb/direct/email.text.mustache": "x"],
            data: data, channel: .email, locale: "nb", kind: "payment_plan").get()
        #expect(email.subject == "1: 625,00\u{00A0}kr 01.12.2026; 2: 625,50\u{00A0}kr 01.01.2027;")
        let sms = try TemplateSetTests.render(["payment_plan/en/direct/sms.mustache": template], data: data, kind: "payment_plan").get()
        #expect(sms.text == "1: NOK 625.00 1 December 2026; 2: NOK 625.50 1 January 2027;")
    }
}

/// A currency symbol outside GSM-7 never forces a whole SMS into UCS-2.
@Suite struct SMSCurrencyTests {
    @Test("złoty is written PLN in an SMS (GSM-7) and zł in an email")
    func zloty() throws {
        var data = TemplateSetTests.data
        data["currency"] = .string("PLN")
        let sms = try TemplateSetTests.render(["reminder/pl/direct/sms.mustache": "{{amount}}"], data: data, locale: "pl").get()
        #expect(sms.text == "1 250,50 PLN")
        #expect(sms.sms?.encoding == .gsm7)
        let email = try TemplateSetTests.render(
            ["reminder/pl/direct/email.subject.mustache": "{{amount}}", "reminder/pl/direct/email.text.mustache": "x"], data: data, channel: .email,
            locale: "pl"
        ).get()
        #expect(email.subject == "1\u{00A0}250,50\u{00A0}zł")
    }
}
