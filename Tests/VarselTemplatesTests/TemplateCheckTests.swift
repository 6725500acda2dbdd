import Foundation
import Testing
import VarselCore
import VarselTemplates
import VarselTestSupport

/// `templates check`: the shipped set passes; each broken fixture (one per class of error, an edit
/// of a shipped file in `Fixtures/broken/<class>/`) is found at the right line and column.
@Suite struct TemplateCheckTests {
    static let shippedFiles: [String: String] = try! TemplateSetLoader.readFiles(Paths.templates)
    static let options = TemplateCheckOptions(allowedChannels: ["collection_notice": [.email, .letter]])
    static let fixtureRoot = Paths.packageRoot.appendingPathComponent("Tests/VarselTemplatesTests/Fixtures/broken")
    static let fixtures: [String] = (try? FileManager.default.contentsOfDirectory(atPath: fixtureRoot.path).sorted()) ?? []

    /// Every problem of a set made of the shipped files with `files` laid over and `removed` taken out.
    static func problems(overlay files: [String: String], removed: [String] = []) -> [TemplateProblem] {
        var all = shippedFiles.merging(files) { _, new in new }
        for path in removed { all[path] = nil }
        do {
            return TemplateCheck.run(try TemplateSet(directory: "t", files: all), options: options).problems
        } catch {
            return error.problems
        }
    }

    @Test("the shipped set has no errors and no warnings")
    func shippedSetPasses() throws {
        let set = try TemplateSet(directory: "t", files: Self.shippedFiles)
        let report = TemplateCheck.run(set, options: Self.options)
        #expect(report.problems.isEmpty, "\(report.problems)")
        // Every SMS variant was rendered with its kind's sample data.
        #expect(report.sms.count == set.keys.filter { $0.channel == .sms }.count)
    }

    @Test("there is a broken fixture for every class of error")
    func fixtureClasses() {
        #expect(Self.fixtures.count >= 17, "\(Self.fixtures)")
    }

    // One at a time: each is a whole check of the shipped set, and the other suites need the threads.
    @Test("each broken fixture is reported at its line and column, and nothing else is an error", .serialized, arguments: TemplateCheckTests.fixtures)
    func brokenFixture(name: String) throws {
        let folder = Self.fixtureRoot.appendingPathComponent(name)
        let expected = try String(contentsOf: folder.appendingPathComponent("expected.txt"), encoding: .utf8)
            .split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        let removed = (try? String(contentsOf: folder.appendingPathComponent("remove.txt"), encoding: .utf8))?
            .split(separator: "\n").map(String.init) ?? []
        var overlay: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)
        while let url = enumerator?.nextObject() as? URL {
            let relative = String(url.standardizedFileURL.path.dropFirst(folder.standardizedFileURL.path.count + 1))
            if relative.hasSuffix(".mustache") || relative.hasSuffix(".yaml") || relative.hasSuffix(".json") {
                overlay[relative] = try String(contentsOf: url, encoding: .utf8)
            }
        }
        let problems = Self.problems(overlay: overlay, removed: removed)
        for line in expected {
            #expect(problems.contains { $0.description.hasPrefix(line) }, "expected \(line)\n got:\n\(problems.map(\.description).joined(separator: "\n"))")
        }
        let unexpected = problems.filter { problem in problem.severity == .error && !expected.contains { problem.description.hasPrefix($0) } }
        #expect(unexpected.isEmpty, "unexpected errors:\n\(unexpected.map(\.description).joined(separator: "\n"))")
    }

    @Test("a variant falls back through the locale chain and to the other tone, and the matrix says so")
    func coverageMatrix() throws {
        var options = Self.options
        options.extraLocales = ["is-IS", "nb-NO"]
        let report = TemplateCheck.run(try TemplateSet(directory: "t", files: Self.shippedFiles), options: options)
        func cell(_ kind: String, _ channel: Channel, _ locale: String, _ tone: Tone) -> TemplateReport.CoverageCell? {
            report.coverage.first { $0.kind == kind && $0.channel == channel && $0.locale == locale && $0.tone == tone }
        }
        #expect(cell("reminder", .sms, "nb", .direct)?.resolved?.description == "reminder/nb/direct/sms")
        #expect(cell("reminder", .sms, "nb", .indirect)?.resolved?.description == "reminder/nb/direct/sms")
        #expect(cell("reminder", .email, "nb-NO", .direct)?.resolved?.description == "reminder/nb/direct/email")
        #expect(cell("reminder", .letter, "is-IS", .indirect)?.resolved?.description == "reminder/en/indirect/letter")
        #expect(cell("reminder", .letter, "ja", .direct)?.resolved?.description == "reminder/ja/indirect/letter")
        #expect(cell("collection_notice", .sms, "nb", .direct)?.allowed == false)
    }
}

/// The pieces of the check on their own.
@Suite struct TemplateCheckPartsTests {
    static func schema(_ yaml: String) -> (KindSchema?, [TemplateProblem]) {
        let files = ["k/en/direct/sms.mustache": "{{a}}", "_schema/k.yaml": yaml]
        do {
            let set = try TemplateSet(directory: "t", files: files)
            return (set.schemas["k"], [])
        } catch {
            return (nil, error.problems)
        }
    }

    @Test("a schema is read with nested lists and objects; mistakes are located in the YAML")
    func schemaParsing() {
        let (schema, _) = Self.schema("""
            fields:
              a: { type: text, required: true, show: [sms] }
              items:
                type: list
                items:
                  when: { type: date, required: true }
              tags: { type: list, items: text }
            """)
        #expect(schema?.fields["a"]?.mustShow == [.sms])
        #expect(schema?.fields["items"]?.type == .list(item: .object(fields: ["when": FieldSpec(type: .date, required: true, line: 6, column: 7)])))
        #expect(schema?.fields["tags"]?.type == .list(item: .text))

        let (_, problems) = Self.schema("fields:\n  a: { type: text, show: all }\n  amount: { type: text }\n  raw: { type: text }\n  b: { type: text, colour: red }\n")
        let texts = problems.map(\.description)
        #expect(texts.contains { $0.hasPrefix("_schema/k.yaml:2:") && $0.contains("only a required field can be one every template must show") })
        #expect(texts.contains { $0.hasPrefix("_schema/k.yaml:3:") && $0.contains("'amount' is always money") })
        #expect(texts.contains { $0.hasPrefix("_schema/k.yaml:4:") && $0.contains("'raw' is set by Varsel") })
        #expect(texts.contains { $0.hasPrefix("_schema/k.yaml:5:") && $0.contains("unknown key 'colour'") })
        let (_, syntax) = Self.schema("fields:\n  a: { type: text\n")
        #expect(syntax.first?.description.contains("not valid YAML") == true)
    }

    @Test("a declared type formats a field the built-in names do not know")
    func schemaTypeFormats() throws {
        let files = [
            "k/en/direct/sms.mustache": "Start {{start_date}}, items:{{#rows}} {{when}}{{/rows}}",
            "_schema/k.yaml": "fields:\n  start_date: { type: date, required: true }\n  rows: { type: list, items: { when: { type: date } } }\n",
        ]
        let set = try TemplateSet(directory: "t", files: files)
        let message = MessageRequest(
            kind: "k", caseRef: nil, recipient: Recipient(phone: "+4791234567"),
            data: ["start_date": .string("2026-12-24"), "rows": .array([.object(["when": .string("2027-01-02")])])])
        let content = try set.render(message, messageID: "m", plan: Plan(kind: "k", channel: .sms, locale: "en", tone: .direct, decisions: [])).get()
        #expect(content.text == "Start 24 December 2026, items: 2 January 2027")
    }

    @Test("wording: whole words, stems with *, phrases across spaces, case-insensitive, anywhere in CJK")
    func wording() throws {
        let yaml = "en: [court, \"bailiff*\", \"legal action\"]\nja: [\"裁判\"]\n"
        let set = try TemplateSet(directory: "t", files: ["_rules/forbidden_wording.yaml": yaml, "k/en/direct/sms.mustache": "x"])
        let wording = try #require(set.wording)
        func hits(_ text: String, _ language: String = "en") -> [String] {
            wording.matches(in: Array(text), language: language).map(\.entry.text)
        }
        #expect(hits("With courtesy, we write").isEmpty)
        #expect(hits("the Court will decide") == ["court"])
        #expect(hits("our BAILIFFS will come") == ["bailiff*"])
        #expect(hits("we take legal\n   action") == ["legal action"])
        #expect(hits("illegal action").isEmpty)
        #expect(hits("これは裁判になります", "ja") == ["裁判"])
        #expect(hits("the court", "nb").isEmpty)
        #expect(hits("we take legal\r\naction") == ["legal action"], "a CRLF is one character, and a space")
    }

    @Test("wording: an entry that starts with a letter outside ASCII matches it in upper case and decomposed, beside ASCII entries")
    func wordingBeyondASCII() throws {
        let yaml = "sv: [\"åtal*\", polis]\n"
        let set = try TemplateSet(directory: "t", files: ["_rules/forbidden_wording.yaml": yaml, "k/sv/direct/sms.mustache": "x"])
        let wording = try #require(set.wording)
        func hits(_ text: String) -> [Int] { wording.matches(in: Array(text), language: "sv").map(\.offset) }
        #expect(hits("ÅTALET väcks") == [0])
        #expect(hits("Vi väcker A\u{30A}tal") == [10], "A and a combining ring are one character, equal to Å")
        #expect(hits("POLISEN kommer").isEmpty, "polis is a whole word")
        #expect(hits("ring POLIS, sedan åtal") == [5, 18])
        #expect(hits("Kåtal").isEmpty)
    }

    @Test("wording: a kind's allow list lifts an entry for that kind's templates only; an allow entry must be on the language's list")
    func wordingAllowList() throws {
        let yaml = "sv: [\"kronofogd*\", polis]\nallow:\n  notice: { sv: [\"kronofogd*\"] }\n"
        let set = try TemplateSet(directory: "t", files: ["_rules/forbidden_wording.yaml": yaml, "k/sv/direct/sms.mustache": "x"])
        let wording = try #require(set.wording)
        let text = Array("ansökan hos Kronofogden, inte polis")
        #expect(wording.matches(in: text, language: "sv", kind: "notice").map(\.entry.text) == ["polis"])
        #expect(wording.matches(in: text, language: "sv", kind: "reminder").map(\.entry.text) == ["kronofogd*", "polis"])
        #expect(wording.matches(in: text, language: "sv").map(\.entry.text) == ["kronofogd*", "polis"], "shared partials get no exceptions")
        do {
            _ = try TemplateSet(directory: "t", files: [
                "_rules/forbidden_wording.yaml": "sv: [polis]\nallow:\n  notice: { sv: [\"domstol*\"] }\n", "k/sv/direct/sms.mustache": "x",
            ])
            Issue.record("an allow entry that is not on the list must be refused")
        } catch {
            #expect("\(error)".contains("'domstol*' is not an entry of the sv list"), "\(error)")
        }
    }

    @Test("the shipped rules let the Swedish collection notice name betalningsföreläggande, and no other kind")
    func shippedAllowList() throws {
        let set = try TemplateSetLoader.load(from: Paths.templates)
        let wording = try #require(set.wording)
        let text = Array("kan ansöka om betalningsföreläggande hos Kronofogden")
        #expect(wording.matches(in: text, language: "sv", kind: "collection_notice").isEmpty)
        #expect(wording.matches(in: text, language: "sv", kind: "reminder").count == 2)
        let notice = try set.render(
            MessageRequest(kind: "collection_notice", caseRef: nil, recipient: Recipient(locale: "sv-SE", country: "SE", email: "a@example.se"), data: [
                "creditor": .string("Vattenfall AB"), "invoice_number": .string("20417"), "amount": .string("899.50"), "currency": .string("SEK"),
                "due_date": .string("2026-11-01"), "deadline": .string("2026-12-08"), "payment_link": .string("https://pay.example/x"),
            ]),
            messageID: "m", plan: Plan(kind: "collection_notice", channel: .email, locale: "sv", tone: .direct, decisions: [])).get()
        #expect(notice.text.contains("ansöka om betalningsföreläggande hos Kronofogden"))
    }

    @Test("HTML: void elements, raw text, comments, entities and attributes are understood")
    func html() throws {
        func check(_ html: String) -> [String] {
            let files = ["_schema/k.yaml": "fields: {}\n", "k/en/direct/email.subject.mustache": "s", "k/en/direct/email.text.mustache": "t",
                         "k/en/direct/email.html.mustache": html]
            let report = TemplateCheck.run(try! TemplateSet(directory: "t", files: files))
            return report.errors.filter { $0.file.hasSuffix("email.html.mustache") }.map { "\($0.line):\($0.column): \($0.message)" }
        }
        let good = """
            <!DOCTYPE html>
            <html lang="en">
            <head><meta charset="utf-8"><title>A &amp; B</title><style>p > a { color: red }</style></head>
            <body><!-- a <b> comment --><p class=x>Hi&nbsp;&#8212;&#x2014;<br><img src="a.png" alt=""></p></body>
            </html>
            """
        #expect(check(good).isEmpty, "\(check(good))")
        #expect(check(good.replacingOccurrences(of: "<br>", with: "<br></br>")).contains { $0.contains("</br> closes a void element") })
        #expect(check(good.replacingOccurrences(of: "class=x", with: "class=x class=y")).contains { $0.hasPrefix("4:") && $0.contains("attribute class appears twice") })
        #expect(check(good.replacingOccurrences(of: "Hi&nbsp;", with: "Hi < 3")).contains { $0.hasPrefix("4:") && $0.contains("a literal < must be written &lt;") })
        #expect(check(good.replacingOccurrences(of: "</p></body>", with: "</body>")).contains { $0.hasPrefix("4:") && $0.contains("<p> is not closed before </body>") })
        #expect(check(good.replacingOccurrences(of: "<!DOCTYPE html>\n", with: "")).contains { $0.contains("<!DOCTYPE html>") })
        #expect(check(good + "</div>").contains { $0.contains("</div> has no open <div>") })
        #expect(check(good.replacingOccurrences(of: "<p class", with: "<div/><p class")).contains { $0.contains("<div /> does not close") })
    }

    @Test("an optional field inside its section, a list item inside its list, recipient fields of a letter: no errors")
    func scopes() throws {
        let files = [
            "_schema/k.yaml": "fields:\n  fee: { type: money }\n  currency: { type: currency }\n  rows: { type: list, required: true, items: { n: { type: number, required: true }, note: { type: text } } }\n",
            "k/en/direct/letter.html.mustache": """
                <!DOCTYPE html><html lang="en"><body><p>{{recipient.name}}, {{recipient.address.city}}{{#fee}} {{fee}}{{/fee}}</p>
                <ul>{{#rows}}<li>{{n}}{{#note}} {{note}}{{/note}} {{raw.currency}}</li>{{/rows}}</ul></body></html>
                """,
            "k/en/direct/sms.mustache": "{{recipient.name}} {{#rows}}{{n}} {{note}}{{/rows}}",
        ]
        let report = TemplateCheck.run(try TemplateSet(directory: "t", files: files))
        let errors = report.errors.map(\.description)
        // In a letter the name is required (a letter is only planned with a full address); not in an SMS.
        #expect(!errors.contains { $0.contains("letter") && $0.contains("recipient") }, "\(errors)")
        #expect(errors.contains { $0.hasPrefix("k/en/direct/sms.mustache:1:1:") && $0.contains("optional field recipient.name") })
        #expect(errors.contains { $0.hasPrefix("k/en/direct/sms.mustache:1:35:") && $0.contains("optional field rows[].note") })
        // raw.currency is optional inside the list too (the data's own currency is optional here).
        #expect(errors.contains { $0.contains("letter.html.mustache:2:") && $0.contains("optional field raw.currency") })
    }
}
