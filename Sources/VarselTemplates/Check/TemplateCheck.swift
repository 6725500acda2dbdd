import Foundation
import VarselCore

/// What `templates check` and every (re)load hold a template set to, beyond parsing: the kind's
/// schema, what every template must show, rendering with the sample data, SMS encoding and length,
/// well-formed HTML, threatening wording, and which kind × channel × locale × tone resolve.
public struct TemplateCheckOptions: Sendable, Hashable {
    /// Where the locale fallback ends (`templates.default_locale`).
    public var defaultLocale: String
    public var localeAliases: [String: String]
    /// Warn when an SMS takes more parts than this with the sample data (`templates.sms_max_parts`).
    public var smsMaxParts: Int
    /// Kind → the channels it may be sent by (`kinds.<kind>.channels`); a kind not listed may use all.
    public var allowedChannels: [String: Set<Channel>]
    /// Locales the coverage matrix lists besides those with folders (e.g. configured per country).
    public var extraLocales: [String]
    /// The configured experiments (`experiments`): a variant given a weight that a template lacks is a warning.
    public var experiments: TemplateExperiments

    public init(
        defaultLocale: String = "en", localeAliases: [String: String] = [:], smsMaxParts: Int = 3,
        allowedChannels: [String: Set<Channel>] = [:], extraLocales: [String] = [], experiments: TemplateExperiments = TemplateExperiments()
    ) {
        self.experiments = experiments
        self.defaultLocale = defaultLocale
        self.localeAliases = localeAliases
        self.smsMaxParts = smsMaxParts
        self.allowedChannels = allowedChannels
        self.extraLocales = extraLocales
    }
}

/// The findings of a check.
public struct TemplateReport: Sendable {
    /// Errors and warnings, sorted by file and position.
    public let problems: [TemplateProblem]
    /// Every SMS template rendered with its kind's sample data.
    public let sms: [SMSLine]
    /// Every kind × channel × locale × tone and what it resolves to.
    public let coverage: [CoverageCell]

    public var errors: [TemplateProblem] { problems.filter { $0.severity == .error } }
    public var warnings: [TemplateProblem] { problems.filter { $0.severity == .warning } }

    public struct SMSLine: Sendable, Hashable {
        public let key: TemplateKey
        /// The experiment variant (`b`), nil for the template itself.
        public let experiment: String?
        public let encoding: SMSEncoding
        public let text: String
    }

    public struct CoverageCell: Sendable, Hashable {
        public let kind: String
        public let channel: Channel
        public let locale: String
        public let tone: Tone
        /// The variant a message would use; nil when none resolves.
        public let resolved: TemplateKey?
        /// False when the kind is never sent by this channel.
        public let allowed: Bool
        /// Why a fallback was taken, as the decision trail words it.
        public let notes: [String]
    }
}

public enum TemplateCheck {
    public static func run(_ set: TemplateSet, options: TemplateCheckOptions = TemplateCheckOptions()) -> TemplateReport {
        var problems: Set<TemplateProblem> = []
        var smsLines: [TemplateReport.SMSLine] = []
        let samples = sampleMessages(set, problems: &problems)
        checkSchemaPresence(set, problems: &problems)

        var htmlPartials: Set<String> = []
        for key in set.keys {
            for variant in set.allVariants(of: key) {
            guard let scope = set.scopes[key.locale] else { continue }
            let mainFile = variant.parts[TemplatePartName.required(for: key.channel)[0]]?.file ?? "\(key.kind)/\(key.locale)/\(key.tone.rawValue)"
            var variantHasErrors = false
            if let schema = set.schemas[key.kind] {
                let usage = SchemaUsageCheck(partials: scope.nodes, schema: schema, visible: TemplateVariables.visible(schema: schema, channel: key.channel))
                for (name, part) in variant.parts.sorted(by: { $0.key < $1.key }) {
                    let result = usage.check(part.nodes, file: part.file, isHTML: part.isHTML)
                    problems.formUnion(result.problems)
                    variantHasErrors = variantHasErrors || !result.problems.isEmpty
                    htmlPartials.formUnion(result.htmlPartials)
                    guard TemplatePartName.isBody(name) else { continue }
                    for (field, spec) in schema.fields.sorted(by: { $0.key < $1.key })
                    where spec.mustShow.contains(key.channel) && !result.shown.contains(field) {
                        problems.insert(TemplateProblem(
                            file: part.file,
                            message: "does not show \(field), which every \(key.kind) \(key.channel.rawValue) must show (\(schema.file):\(spec.line))"))
                    }
                }
            }
            for part in variant.parts.values {
                let literal = part.literal.characters
                checkWording(literal, file: part.file, locale: key.locale, kind: key.kind, set: set, problems: &problems)
                if part.isHTML { checkHTML(literal, file: part.file, document: true, locale: key.locale, problems: &problems) }
            }
            guard let message = samples[key.kind] else { continue }
            let plan = Plan(kind: key.kind, channel: key.channel, locale: key.locale, tone: key.tone, decisions: [])
            switch set.render(message, messageID: "msg_check", plan: plan, experiment: variant.experiment) {
            case .failure(let failure):
                if !variantHasErrors {
                    problems.insert(TemplateProblem(file: mainFile, message: "with \(set.samples[key.kind]?.file ?? "the sample"): \(failure.reason)"))
                }
            case .success(let content):
                guard key.channel == .sms, let part = variant.parts["sms"] else { continue }
                let encoding = SMSEncoding(text: content.text)
                smsLines.append(.init(key: key, experiment: variant.experiment, encoding: encoding, text: content.text))
                checkSMS(encoding, kind: key.kind, part: part, sample: set.samples[key.kind]?.file ?? "", options: options, problems: &problems)
            }
            }
        }
        for partial in set.partialFiles {
            let literal = partial.literal.characters
            if let locale = partial.locale { checkWording(literal, file: partial.file, locale: locale, kind: nil, set: set, problems: &problems) }
            if htmlPartials.contains(partial.file) || partial.name.hasSuffix("_html") {
                checkHTML(literal, file: partial.file, document: false, locale: partial.locale, problems: &problems)
            }
        }
        checkExperiments(set, options.experiments, problems: &problems)
        let coverage = coverageCells(set, options: options, problems: &problems)
        return TemplateReport(problems: problems.sorted(), sms: smsLines, coverage: coverage)
    }

    // MARK: Experiments

    /// Every template of an experiment's kind and channel should have each variant given a weight:
    /// where one lacks it, its cases in that variant get the template itself (`a`), which the trail
    /// says, but the split is no longer the one configured.
    private static func checkExperiments(_ set: TemplateSet, _ experiments: TemplateExperiments, problems: inout Set<TemplateProblem>) {
        for experiment in experiments.experiments {
            let keys = set.keys.filter { $0.kind == experiment.kind && $0.channel == experiment.channel }
            let part = TemplatePartName.required(for: experiment.channel)[0]
            for key in keys {
                for weight in experiment.weights where weight.weight > 0 && weight.variant != TemplateExperiment.baseVariant {
                    guard !set.experimentVariants(of: key).contains(weight.variant) else { continue }
                    let file = "\(key.kind)/\(key.locale)/\(key.tone.rawValue)/\(part.replacingOccurrences(of: experiment.channel.rawValue, with: "\(experiment.channel.rawValue).\(weight.variant)")).mustache"
                    problems.insert(TemplateProblem(
                        file: file, severity: .warning,
                        message: "missing: experiments.\(experiment.name) gives variant \(weight.variant) a weight, but \(key) has no such variant; its cases in \(weight.variant) get variant a"))
                }
            }
        }
    }

    // MARK: Schema and samples

    private static func checkSchemaPresence(_ set: TemplateSet, problems: inout Set<TemplateProblem>) {
        for kind in set.kinds where set.schemas[kind] == nil {
            // A warning, not an error: a set from before schemas existed keeps sending, unchecked.
            problems.insert(TemplateProblem(
                file: "_schema/\(kind).yaml", severity: .warning,
                message: "missing: kind \(kind) has no schema, so its templates' variables and required facts are not checked"))
        }
        for kind in set.schemas.keys.sorted() where !set.kinds.contains(kind) {
            problems.insert(TemplateProblem(file: "_schema/\(kind).yaml", severity: .warning, message: "schema for kind \(kind), which has no templates"))
        }
    }

    /// Each kind's sample message, checked against its schema.
    private static func sampleMessages(_ set: TemplateSet, problems: inout Set<TemplateProblem>) -> [String: MessageRequest] {
        var messages: [String: MessageRequest] = [:]
        for kind in set.kinds {
            guard let sample = set.samples[kind] else {
                problems.insert(TemplateProblem(
                    file: "_samples/\(kind).json", severity: .warning,
                    message: "missing: kind \(kind) has no sample data (a message as enqueued), so its templates are not rendered or measured by the check"))
                continue
            }
            switch MessageValidator(kinds: [kind: KindRule(name: kind)]).validate(json: Array(sample.json.utf8)) {
            case .failure(let failure):
                for error in failure.errors { problems.insert(TemplateProblem(file: sample.file, message: "\(error)")) }
            case .success(let message):
                guard message.kind == kind else {
                    problems.insert(TemplateProblem(file: sample.file, message: "kind is '\(message.kind)'; the sample for \(kind) must be of kind \(kind)"))
                    continue
                }
                if let schema = set.schemas[kind] {
                    let mismatches = SchemaDataCheck.problems(in: message.data, schema: schema)
                    for mismatch in mismatches {
                        problems.insert(TemplateProblem(file: sample.file, message: "\(mismatch.path): \(mismatch.message) (\(schema.file))"))
                    }
                    if !mismatches.isEmpty { continue }
                }
                messages[kind] = message
            }
        }
        return messages
    }

    // MARK: SMS

    private static func checkSMS(
        _ encoding: SMSEncoding, kind: String, part: TemplateSet.Part, sample: String, options: TemplateCheckOptions,
        problems: inout Set<TemplateProblem>
    ) {
        let literal = encoding.firstNonGSM7 == nil ? [] : part.literal.characters
        if let offender = encoding.firstNonGSM7, !scriptNeedsUCS2(literal) {
            let code = "U+" + String(offender.scalar.value, radix: 16, uppercase: true).leftPadded(to: 4)
            let position = Position.of(scalar: offender.scalar, in: literal)
            let origin = position == nil ? " (from the data in \(sample))" : ""
            problems.insert(TemplateProblem(
                file: part.file, line: position?.line ?? 1, column: position?.column ?? 1, severity: .warning,
                message: "'\(offender.scalar)' (\(code)) forces UCS-2 for the whole SMS\(origin): character \(offender.offset + 1) of the text; "
                    + "\(encoding.segments) segment\(encoding.segments == 1 ? "" : "s") of 70/67 characters instead of 160/153"))
        }
        // Length matters only where the kind is sent by SMS (a collection notice, by default, is not).
        if encoding.segments > options.smsMaxParts, options.allowedChannels[kind]?.contains(.sms) ?? true {
            problems.insert(TemplateProblem(
                file: part.file, severity: .warning,
                message: "with \(sample) the SMS takes \(encoding.segments) segments (\(encoding.scheme.rawValue), \(encoding.units) units), "
                    + "more than templates.sms_max_parts \(options.smsMaxParts)"))
        }
    }

    /// True when most letters of the template's own text have no GSM-7 form (Japanese, Arabic, …):
    /// UCS-2 is the language's, not a stray character's doing.
    static func scriptNeedsUCS2(_ literal: [Character]) -> Bool {
        let letters = literal.filter(\.isLetter)
        guard !letters.isEmpty else { return false }
        let outside = letters.filter { $0.unicodeScalars.contains { GSM7Alphabet.septets($0) == nil } }
        return outside.count * 2 > letters.count
    }

    // MARK: Wording and HTML

    private static func checkWording(
        _ literal: [Character], file: String, locale: String, kind: String?, set: TemplateSet, problems: inout Set<TemplateProblem>
    ) {
        let language = LocaleTag.language(of: locale)
        guard let wording = set.wording else {
            problems.insert(TemplateProblem(
                file: ForbiddenWording.path, severity: .warning, message: "missing: threatening wording is not checked without it"))
            return
        }
        guard wording.entries[language] != nil else {
            problems.insert(TemplateProblem(
                file: wording.file, severity: .warning, message: "no list for language \(language): its templates are not checked for threatening wording"))
            return
        }
        for match in wording.matches(in: literal, language: language, kind: kind) {
            let position = Position.of(offset: match.offset, in: literal)
            problems.insert(TemplateProblem(
                file: file, line: position.line, column: position.column,
                message: "threatening wording '\(match.entry.text)' (\(wording.file):\(match.entry.line)): never threaten police, employer, family, credit registration or legal steps"))
        }
    }

    /// Right-to-left languages, whose documents must say `dir="rtl"`.
    static let rightToLeft: Set = ["ar", "he", "fa", "ur", "yi", "ps", "sd", "ug", "dv", "ckb"]

    private static func checkHTML(_ literal: [Character], file: String, document: Bool, locale: String?, problems: inout Set<TemplateProblem>) {
        let result = HTMLWellFormedness.check(literal)
        for finding in result.findings {
            let position = Position.of(offset: finding.offset, in: literal)
            problems.insert(TemplateProblem(file: file, line: position.line, column: position.column, message: finding.message))
        }
        guard document, let locale else { return }
        if !result.document.hasDoctype {
            problems.insert(TemplateProblem(file: file, message: "an HTML document starts with <!DOCTYPE html>"))
        }
        guard let attributes = result.document.htmlAttributes else {
            problems.insert(TemplateProblem(file: file, message: "no <html lang=\"\(locale)\"> element"))
            return
        }
        let position = Position.of(offset: result.document.htmlOffset, in: literal)
        let language = LocaleTag.language(of: locale)
        let lang = attributes["lang"].map { LocaleTag.language(of: $0.trimmingCharacters(in: .whitespaces)) }
        if lang != language {
            problems.insert(TemplateProblem(
                file: file, line: position.line, column: position.column,
                message: "<html lang=\"\(attributes["lang"] ?? "")\"> does not match the template's locale \(locale); write lang=\"\(locale)\""))
        }
        let direction = attributes["dir"]?.lowercased()
        if rightToLeft.contains(language), direction != "rtl" {
            problems.insert(TemplateProblem(
                file: file, line: position.line, column: position.column, message: "\(locale) is written right to left: write <html lang=\"\(locale)\" dir=\"rtl\">"))
        } else if !rightToLeft.contains(language), direction == "rtl" {
            problems.insert(TemplateProblem(
                file: file, line: position.line, column: position.column, message: "dir=\"rtl\" on a \(locale) document, which is written left to right"))
        }
    }

    // MARK: Coverage

    private static func coverageCells(_ set: TemplateSet, options: TemplateCheckOptions, problems: inout Set<TemplateProblem>) -> [TemplateReport.CoverageCell] {
        let defaultLocale = LocaleTag.normalise(options.defaultLocale)
        let locales = Set(set.keys.map(\.locale)).union(options.extraLocales.map(LocaleTag.normalise)).union([defaultLocale]).sorted()
        var cells: [TemplateReport.CoverageCell] = []
        for kind in set.kinds {
            for channel in Channel.allCases {
                let allowed = options.allowedChannels[kind]?.contains(channel) ?? true
                let hasAny = set.keys.contains { $0.kind == kind && $0.channel == channel }
                if allowed, hasAny, !Tone.allCases.contains(where: { set.hasTemplate(kind: kind, locale: defaultLocale, tone: $0, channel: channel) }) {
                    problems.insert(TemplateProblem(
                        file: "\(kind)/\(defaultLocale)",
                        message: "no \(kind) \(channel.rawValue) template in the default locale \(defaultLocale): messages in locales without their own cannot be sent by \(channel.rawValue)"))
                } else if allowed, !hasAny {
                    problems.insert(TemplateProblem(
                        file: kind, severity: .warning,
                        message: "no \(channel.rawValue) templates: messages of kind \(kind) are never sent by \(channel.rawValue)"))
                }
                for locale in locales {
                    let chain = LocaleTag.chain(for: locale, defaultLocale: defaultLocale, aliases: options.localeAliases)
                    for tone in Tone.allCases {
                        let variant = Planner.templateVariant(kind: kind, channel: channel, chain: chain, tone: tone, catalog: set)
                        cells.append(.init(
                            kind: kind, channel: channel, locale: locale, tone: tone,
                            resolved: variant.map { TemplateKey(kind: kind, locale: $0.locale, tone: $0.tone, channel: channel) },
                            allowed: allowed, notes: variant?.notes.filter { $0.contains("used") } ?? []))
                    }
                }
            }
        }
        return cells
    }
}

/// Line and column (1-based) of an offset in template text.
enum Position {
    static func of(offset: Int, in text: [Character]) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for character in text.prefix(offset) {
            if character.isNewline {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return (line, column)
    }

    static func of(scalar: Unicode.Scalar, in text: [Character]) -> (line: Int, column: Int)? {
        guard let offset = text.firstIndex(where: { $0.unicodeScalars.contains(scalar) }) else { return nil }
        return of(offset: offset, in: text)
    }
}
