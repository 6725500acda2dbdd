import Foundation
import Testing
import VarselCore
import VarselTemplates
import VarselTestSupport

/// Experiment variants in a template set: `sms.b.mustache` beside `sms.mustache`, checked as every
/// template is, rendered on request, with their own version.
@Suite struct ExperimentVariantTests {
    static let shippedFiles = TemplateCheckTests.shippedFiles
    static let shortSMS = "{{creditor}}: faktura {{invoice_number}}, {{amount}}, forfalt {{due_date}}. Betal innen {{deadline}}: {{payment_link}}"
    static let key = TemplateKey(kind: "reminder", locale: "nb", tone: .direct, channel: .sms)

    static func message() throws -> MessageRequest {
        let json = Fixtures.sms(key: "k1")
        return try MessageValidator(kinds: KindRule.shipped).validate(json: Array(json.utf8)).get()
    }

    static let plan = Plan(kind: "reminder", channel: .sms, locale: "nb", tone: .direct, decisions: [])

    @Test("sms.b.mustache is variant b of the SMS: rendered on request, recorded as b, with a version of its own; a is the template itself")
    func renders() throws {
        let set = try TemplateSet(directory: "t", files: Self.shippedFiles.merging(["reminder/nb/direct/sms.b.mustache": Self.shortSMS]) { $1 })
        #expect(set.experimentVariants(of: Self.key) == ["b"])
        #expect(set.hasExperimentVariant("b", kind: "reminder", channel: .sms))
        #expect(!set.hasExperimentVariant("b", kind: "reminder", channel: .email))
        let message = try Self.message()
        let b = try set.render(message, messageID: "m", plan: Self.plan, experiment: "b").get()
        let a = try set.render(message, messageID: "m", plan: Self.plan, experiment: "a").get()
        let none = try set.render(message, messageID: "m", plan: Self.plan).get()
        #expect(b.text.hasPrefix("Fjordkraft AS: faktura 10023"))
        #expect(!b.text.contains("Purring"))
        #expect(a.text.contains("Purring"))
        #expect((b.variant, a.variant, none.variant) == ("b", "a", nil))
        #expect(a.templateVersion == none.templateVersion && b.templateVersion != a.templateVersion)
        #expect(a.templateVersion == set.version(of: Self.key), "adding a variant leaves the template's own version as it was")
        let missing = set.render(message, messageID: "m", plan: Self.plan, experiment: "c")
        #expect(throws: RenderFailure.self) { try missing.get() }
    }

    @Test("an email variant may change one part: email.b.subject alone gives b a new subject and the template's own text")
    func onePart() throws {
        let files = Self.shippedFiles.merging(["reminder/nb/direct/email.b.subject.mustache": "Husk faktura {{invoice_number}}"]) { $1 }
        let set = try TemplateSet(directory: "t", files: files)
        let json = Fixtures.message(key: "e1", recipient: #""locale":"nb-NO","country":"NO","channels":["email"],"email":"kari@example.no""#)
        let message = try MessageValidator(kinds: KindRule.shipped).validate(json: Array(json.utf8)).get()
        let plan = Plan(kind: "reminder", channel: .email, locale: "nb", tone: .direct, decisions: [])
        let b = try set.render(message, messageID: "m", plan: plan, experiment: "b").get()
        let a = try set.render(message, messageID: "m", plan: plan, experiment: "a").get()
        #expect(b.subject == "Husk faktura 10023")
        #expect(a.subject != b.subject && a.text == b.text && a.html == b.html)
    }

    @Test("a variant is checked as every template is: a variable the schema does not declare is an error at its file")
    func checked() {
        let problems = TemplateCheckTests.problems(overlay: ["reminder/nb/direct/sms.b.mustache": Self.shortSMS + " {{nonexistent}}"])
        #expect(problems.contains { $0.file == "reminder/nb/direct/sms.b.mustache" && $0.severity == .error && $0.message.contains("nonexistent") }, "\(problems)")
        // And what every reminder SMS must show: a variant without the deadline is refused too.
        let without = TemplateCheckTests.problems(overlay: ["reminder/nb/direct/sms.b.mustache": "{{creditor}}: faktura {{invoice_number}}, {{amount}}, forfalt {{due_date}}: {{payment_link}}"])
        #expect(without.contains { $0.file == "reminder/nb/direct/sms.b.mustache" && $0.message.contains("deadline") }, "\(without)")
    }

    @Test("file names: a is the template itself, a variant needs its template beside it, and a name is a name", arguments: [
        ("reminder/nb/direct/sms.a.mustache", "variant a is the template itself"),
        ("reminder/nb/direct/sms.B.mustache", "variant 'B'"),
        ("reminder/nb/direct/email.b.body.mustache", "unknown template file"),
        ("reminder/xx/direct/sms.b.mustache", "has no template to vary"),
    ])
    func fileNames(file: String, expected: String) {
        let problems = TemplateCheckTests.problems(overlay: [file: Self.shortSMS])
        #expect(problems.contains { $0.file == file && $0.message.contains(expected) }, "\(problems)")
    }

    @Test("an experiment's variant that a template of its kind and channel lacks is a warning at the file that would hold it")
    func missingVariantWarns() throws {
        let set = try TemplateSet(directory: "t", files: Self.shippedFiles.merging(["reminder/nb/direct/sms.b.mustache": Self.shortSMS]) { $1 })
        var options = TemplateCheckTests.options
        options.experiments = TemplateExperiments([
            TemplateExperiment(name: "sms-wording", kind: "reminder", channel: .sms, weights: [.init(variant: "a", weight: 1), .init(variant: "b", weight: 1)]),
            TemplateExperiment(name: "subject", kind: "reminder", channel: .email, weights: [.init(variant: "a", weight: 1), .init(variant: "c", weight: 0)]),
        ])
        let warnings = TemplateCheck.run(set, options: options).warnings
        #expect(warnings.contains { $0.file == "reminder/sv/direct/sms.b.mustache" && $0.message.contains("experiments.sms-wording gives variant b a weight") })
        #expect(!warnings.contains { $0.file == "reminder/nb/direct/sms.b.mustache" })
        #expect(!warnings.contains { $0.message.contains("experiments.subject") }, "a variant of weight 0 is not expected anywhere")
        #expect(TemplateCheck.run(set, options: TemplateCheckTests.options).warnings.isEmpty, "without experiments, a variant alone warns of nothing")
    }

    @Test("the SMS table of the check lists the variant beside its template")
    func smsLines() throws {
        let set = try TemplateSet(directory: "t", files: Self.shippedFiles.merging(["reminder/nb/direct/sms.b.mustache": Self.shortSMS]) { $1 })
        let report = TemplateCheck.run(set, options: TemplateCheckTests.options)
        #expect(report.errors.isEmpty, "\(report.errors)")
        let lines = report.sms.filter { $0.key == Self.key }
        #expect(lines.map(\.experiment) == [nil, "b"])
    }
}
