import Foundation
import Mustache
import VarselCore

/// A complete, checked set of templates, immutable once built. The daemon swaps whole sets, so a
/// render always sees one consistent version.
///
/// Layout (documented for operators in `templates/README.md`):
/// `<kind>/<locale>/<tone>/<part>.mustache`, `_partials/<name>.mustache`, `_partials/<locale>/<name>.mustache`.
public struct TemplateSet: Sendable, TemplateCatalog {
    /// One parsed template file.
    struct Part: Sendable {
        let file: String
        let template: MustacheTemplate
        /// What renders it: nil when it needs swift-mustache itself (see `CompiledTemplate`).
        let compiled: CompiledTemplate?
        let nodes: [MustacheNode]
        let isHTML: Bool
        /// The source with tags blanked: literal text at its true positions.
        let literal: LiteralText
    }

    /// Everything needed to render one `TemplateKey`, or one experiment variant of it.
    struct Variant: Sendable {
        let key: TemplateKey
        /// The experiment variant (`b` of `sms.b.mustache`); nil for the template itself (variant `a`).
        let experiment: String?
        let parts: [String: Part]
        /// `sha256:` of the variant's files and every partial visible to it.
        let version: String
    }

    /// The partials a locale sees, parsed for text and for HTML rendering.
    struct PartialScope: Sendable {
        let textLibrary: MustacheLibrary
        let htmlLibrary: MustacheLibrary
        /// The same partials compiled; nil when one of them needs swift-mustache itself.
        let textPartials: CompiledTemplate.Partials?
        let htmlPartials: CompiledTemplate.Partials?
        let nodes: [String: (source: String, nodes: [MustacheNode])]
    }

    /// A partial file as parsed, for the checks.
    struct PartialFile: Sendable {
        let file: String
        /// The locale folder it is in, nil for `_partials/<name>.mustache`.
        let locale: String?
        let name: String
        let literal: LiteralText
    }

    public let directory: String
    let variants: [TemplateKey: Variant]
    /// Experiment variants by key and name: the template's parts with the variant's files over them.
    let experimentVariants: [TemplateKey: [String: Variant]]
    let scopes: [String: PartialScope]
    let partialFiles: [PartialFile]
    /// Kind → its declared data (`_schema/<kind>.yaml`).
    public let schemas: [String: KindSchema]
    /// Kind → (file, JSON) of `_samples/<kind>.json`.
    let samples: [String: (file: String, json: String)]
    /// `_rules/forbidden_wording.yaml`, when present.
    public let wording: ForbiddenWording?

    /// The kinds that have templates.
    public var kinds: [String] { Set(variants.keys.map(\.kind)).sorted() }

    public var keys: [TemplateKey] { variants.keys.sorted() }

    public func hasTemplate(kind: String, locale: String, tone: Tone, channel: Channel) -> Bool {
        variants[TemplateKey(kind: kind, locale: locale, tone: tone, channel: channel)] != nil
    }

    /// The version hash of a variant, if it exists.
    public func version(of key: TemplateKey) -> String? { variants[key]?.version }

    /// The experiment variants a template has (`b` for `sms.b.mustache`), by name.
    public func experimentVariants(of key: TemplateKey) -> [String] { experimentVariants[key].map { $0.keys.sorted() } ?? [] }

    /// Whether any template of `kind` by `channel` has experiment variant `name`.
    public func hasExperimentVariant(_ name: String, kind: String, channel: Channel) -> Bool {
        experimentVariants.contains { $0.key.kind == kind && $0.key.channel == channel && $0.value[name] != nil }
    }

    /// The template files rendered by swift-mustache itself rather than the compiled walk (they use
    /// transforms, inheritance or dynamic partials, or a partial they may include does), sorted.
    package var partsRenderedBySwiftMustache: [String] {
        var files: Set<String> = []
        for variant in Array(variants.values) + experimentVariants.values.flatMap(\.values) {
            guard let scope = scopes[variant.key.locale] else { continue }
            for part in variant.parts.values where part.compiledWalk(in: scope) == nil {
                files.insert(part.file)
            }
        }
        return files.sorted()
    }

    /// The base variant followed by its experiment variants, in name order: what a check goes through.
    func allVariants(of key: TemplateKey) -> [Variant] {
        guard let base = variants[key] else { return [] }
        return [base] + (experimentVariants[key] ?? [:]).sorted { $0.key < $1.key }.map(\.value)
    }

    static let textPragma = "{{% CONTENT_TYPE: TEXT }}"

    /// Builds a set from file contents keyed by path relative to the template directory. Throws every
    /// problem found; a set with any problem is never returned.
    public init(directory: String, files: [String: String]) throws(TemplateSetError) {
        var problems: [TemplateProblem] = []
        var neutralPartials: [String: (file: String, source: String)] = [:]
        var localePartials: [String: [String: (file: String, source: String)]] = [:]
        var variantFiles: [TemplateKey: [String: (file: String, source: String)]] = [:]
        var experimentFiles: [TemplateKey: [String: [String: (file: String, source: String)]]] = [:]
        var schemas: [String: KindSchema] = [:]
        var samples: [String: (file: String, json: String)] = [:]
        var wording: ForbiddenWording?
        var schemaSources: [String: String] = [:]

        for (file, source) in files.sorted(by: { $0.key < $1.key }) where !file.hasSuffix(".mustache") {
            let components = file.split(separator: "/").map(String.init)
            switch (components.first, components.count) {
            case ("_schema", 2) where file.hasSuffix(".yaml"):
                let parsed = KindSchemaParser.parse(source, file: file)
                problems += parsed.problems
                let kind = String(components[1].dropLast(".yaml".count))
                schemas[kind] = parsed.schema
                schemaSources[kind] = source
            case ("_samples", 2) where file.hasSuffix(".json"):
                samples[String(components[1].dropLast(".json".count))] = (file, source)
            case ("_rules", 2) where file == ForbiddenWording.path:
                let parsed = ForbiddenWording.parse(source, file: file)
                problems += parsed.problems
                wording = parsed.wording
            default:
                problems.append(TemplateProblem(
                    file: file,
                    message: "unexpected file; data files are _schema/<kind>.yaml, _samples/<kind>.json and \(ForbiddenWording.path)"))
            }
        }

        for (file, source) in files.sorted(by: { $0.key < $1.key }) where file.hasSuffix(".mustache") {
            let components = file.split(separator: "/").map(String.init)
            let base = String(components.last!.dropLast(".mustache".count))
            if components.first == "_partials" {
                switch components.count {
                case 2: neutralPartials[base] = (file, source)
                case 3: localePartials[components[1], default: [:]][base] = (file, source)
                default: problems.append(TemplateProblem(file: file, message: "partials live in _partials/ or _partials/<locale>/"))
                }
                continue
            }
            guard components.count == 4 else {
                problems.append(TemplateProblem(file: file, message: "expected <kind>/<locale>/<tone>/<part>.mustache"))
                continue
            }
            let (kind, locale, toneName) = (components[0], components[1], components[2])
            guard let tone = Tone(rawValue: toneName) else {
                problems.append(TemplateProblem(file: file, message: "unknown tone folder '\(toneName)'; use direct or indirect"))
                continue
            }
            guard LocaleTag.isWellFormed(locale), LocaleTag.normalise(locale) == locale else {
                problems.append(TemplateProblem(file: file, message: "locale folder '\(locale)' is not a normalised language tag such as nb or en-GB"))
                continue
            }
            guard let (part, experiment) = TemplatePartName.split(base), let channel = TemplatePartName.channel(of: part) else {
                problems.append(TemplateProblem(
                    file: file,
                    message: "unknown template file '\(base).mustache'; expected sms, email.subject, email.text, email.html, letter.html or letter.text, "
                        + "or an experiment variant of one such as sms.b or email.b.subject"))
                continue
            }
            let key = TemplateKey(kind: kind, locale: locale, tone: tone, channel: channel)
            if let experiment {
                if experiment == TemplateExperiment.baseVariant {
                    problems.append(TemplateProblem(file: file, message: "variant a is the template itself (\(part).mustache); name another variant b, c, …"))
                } else if let problem = TemplateExperiment.variantNameProblem(experiment) {
                    problems.append(TemplateProblem(file: file, message: "variant '\(experiment)': \(problem)"))
                } else {
                    experimentFiles[key, default: [:]][experiment, default: [:]][part] = (file, source)
                }
                continue
            }
            variantFiles[key, default: [:]][base] = (file, source)
        }

        // Partial scopes: every locale with variants sees the neutral partials overlaid with its own.
        var scopes: [String: PartialScope] = [:]
        var scopeSources: [String: [(name: String, source: String)]] = [:]
        var partialFiles: [PartialFile] = []
        var seenPartials: Set<String> = []
        let locales = Set(variantFiles.keys.map(\.locale)).union(localePartials.keys)
        for locale in locales.sorted() {
            var visible = neutralPartials
            for (name, entry) in localePartials[locale] ?? [:] { visible[name] = entry }
            var text = MustacheLibrary()
            var html = MustacheLibrary()
            var compiledText: [String: CompiledTemplate]? = [:]
            var compiledHTML: [String: CompiledTemplate]? = [:]
            var nodes: [String: (source: String, nodes: [MustacheNode])] = [:]
            for (name, entry) in visible.sorted(by: { $0.key < $1.key }) {
                guard let parsed = Self.parse(entry.source, file: entry.file, pragma: Self.textPragma, problems: &problems),
                      let parsedHTML = Self.parse(entry.source, file: entry.file, pragma: nil, problems: &problems)
                else { continue }
                text.register(parsed.template, named: name)
                html.register(parsedHTML.template, named: name)
                compiledText = compiledText.flatMap { partials in CompiledTemplate(parsed.template).map { partials.merging([name: $0]) { $1 } } }
                compiledHTML = compiledHTML.flatMap { partials in CompiledTemplate(parsedHTML.template).map { partials.merging([name: $0]) { $1 } } }
                nodes[name] = (entry.file, parsed.nodes)
                if seenPartials.insert(entry.file).inserted {
                    let folder = entry.file.split(separator: "/").count == 3 ? String(entry.file.split(separator: "/")[1]) : nil
                    partialFiles.append(PartialFile(file: entry.file, locale: folder, name: name, literal: parsed.literal))
                }
            }
            scopes[locale] = PartialScope(
                textLibrary: text, htmlLibrary: html, textPartials: compiledText.map(CompiledTemplate.Partials.init),
                htmlPartials: compiledHTML.map(CompiledTemplate.Partials.init), nodes: nodes)
            scopeSources[locale] = visible.map { ($0.key, $0.value.source) }.sorted { $0.name < $1.name }
        }

        func build(_ key: TemplateKey, _ entries: [String: (file: String, source: String)], experiment: String?) -> Variant {
            var parts: [String: Part] = [:]
            var pieces: [String] = []
            for (name, entry) in entries.sorted(by: { $0.key < $1.key }) {
                let isHTML = TemplatePartName.isHTML(name)
                guard let parsed = Self.parse(entry.source, file: entry.file, pragma: isHTML ? nil : Self.textPragma, problems: &problems) else {
                    continue
                }
                parts[name] = Part(
                    file: entry.file, template: parsed.template, compiled: CompiledTemplate(parsed.template), nodes: parsed.nodes, isHTML: isHTML,
                    literal: parsed.literal)
                pieces += [name, entry.source]
            }
            // The schema decides how fields are formatted, so it is part of what produced the text.
            if let schema = schemaSources[key.kind] { pieces += ["_schema/\(key.kind).yaml", schema] }
            for partial in scopeSources[key.locale] ?? [] {
                pieces += ["_partials/" + partial.name, partial.source]
            }
            // An experiment variant's version differs from the template's even where it only adds a part.
            if let experiment { pieces += ["experiment variant", experiment] }
            return Variant(key: key, experiment: experiment, parts: parts, version: Digest.sha256(pieces))
        }
        var variants: [TemplateKey: Variant] = [:]
        for (key, entries) in variantFiles {
            let folder = "\(key.kind)/\(key.locale)/\(key.tone.rawValue)"
            for required in TemplatePartName.required(for: key.channel) where entries[required] == nil {
                problems.append(TemplateProblem(file: "\(folder)/\(required).mustache", message: "missing: a \(key.channel.rawValue) variant needs this file"))
            }
            variants[key] = build(key, entries, experiment: nil)
        }
        var experimentVariants: [TemplateKey: [String: Variant]] = [:]
        for (key, byName) in experimentFiles {
            guard let baseEntries = variantFiles[key] else {
                for (name, entries) in byName {
                    for entry in entries.values {
                        problems.append(TemplateProblem(
                            file: entry.file,
                            message: "experiment variant \(name) has no template to vary: \(TemplatePartName.required(for: key.channel).map { $0 + ".mustache" }.joined(separator: " and ")) must be beside it"))
                    }
                }
                continue
            }
            // A variant replaces the parts it has files for; the others are the template's own.
            for (name, entries) in byName {
                experimentVariants[key, default: [:]][name] = build(key, baseEntries.merging(entries) { $1 }, experiment: name)
            }
        }

        // A broken file of a template is met again in each of its experiment variants: say it once.
        guard problems.isEmpty else { throw TemplateSetError(directory: directory, problems: Array(Set(problems)).sorted()) }
        self.directory = directory
        self.variants = variants
        self.experimentVariants = experimentVariants
        self.scopes = scopes
        self.partialFiles = partialFiles
        self.schemas = schemas
        self.samples = samples
        self.wording = wording
    }

    /// Parses with our scanner (for positions and variable names) and with swift-mustache (what renders).
    private static func parse(
        _ source: String, file: String, pragma: String?, problems: inout [TemplateProblem]
    ) -> (template: MustacheTemplate, nodes: [MustacheNode], literal: LiteralText)? {
        let scanned: (nodes: [MustacheNode], literal: LiteralText)
        do {
            scanned = try MustacheScanner.scanWithLiterals(source)
        } catch {
            problems.append(TemplateProblem(file: file, line: error.line, column: error.column, message: error.message))
            return nil
        }
        do {
            // The pragma goes in front of line 1 without a newline, so line numbers stay true.
            let template = try MustacheTemplate(string: (pragma ?? "") + source)
            return (template, scanned.nodes, scanned.literal)
        } catch let error as MustacheTemplate.ParserError {
            let column = error.context.lineNumber == 1 ? max(1, error.context.columnNumber - (pragma?.count ?? 0)) : error.context.columnNumber
            problems.append(TemplateProblem(file: file, line: error.context.lineNumber, column: column, message: "\(error.error)"))
        } catch {
            problems.append(TemplateProblem(file: file, message: "\(error)"))
        }
        return nil
    }
}
