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
        let nodes: [MustacheNode]
        let isHTML: Bool
        /// The source with tags blanked: literal text at its true positions.
        let literal: [Character]
    }

    /// Everything needed to render one `TemplateKey`.
    struct Variant: Sendable {
        let key: TemplateKey
        let parts: [String: Part]
        /// `sha256:` of the variant's files and every partial visible to it.
        let version: String
    }

    /// The partials a locale sees, parsed for text and for HTML rendering.
    struct PartialScope: Sendable {
        let textLibrary: MustacheLibrary
        let htmlLibrary: MustacheLibrary
        let nodes: [String: (source: String, nodes: [MustacheNode])]
    }

    /// A partial file as parsed, for the checks.
    struct PartialFile: Sendable {
        let file: String
        /// The locale folder it is in, nil for `_partials/<name>.mustache`.
        let locale: String?
        let name: String
        let literal: [Character]
    }

    public let directory: String
    let variants: [TemplateKey: Variant]
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

    static let textPragma = "{{% CONTENT_TYPE: TEXT }}"

    /// Builds a set from file contents keyed by path relative to the template directory. Throws every
    /// problem found; a set with any problem is never returned.
    public init(directory: String, files: [String: String]) throws(TemplateSetError) {
        var problems: [TemplateProblem] = []
        var neutralPartials: [String: (file: String, source: String)] = [:]
        var localePartials: [String: [String: (file: String, source: String)]] = [:]
        var variantFiles: [TemplateKey: [String: (file: String, source: String)]] = [:]
        var schemas: [String: KindSchema] = [:]
        var samples: [String: (file: String, json: String)] = [:]
        var wording: ForbiddenWording?
        var schemaSources: [String: String] = [:]

        for (file, source) in files.sorted(by: { $0.key < $1.key }) where !file.hasSuffix(".mustache") {
            let components = file.split(separator: "/").map(String.init)
            switch (components.first, components.count) {
            case ("_schema", 2) where file.hasSuffix(".yaml"):
                let kind = String(components[1].dropLast(".yaml".count))
                let parsed = KindSchemaParser.parse(source, file: file, kind: kind)
                problems += parsed.problems
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
            guard let channel = TemplatePartName.channel(of: base) else {
                problems.append(TemplateProblem(
                    file: file,
                    message: "unknown template file '\(base).mustache'; expected sms, email.subject, email.text, email.html, letter.html or letter.text"))
                continue
            }
            variantFiles[TemplateKey(kind: kind, locale: locale, tone: tone, channel: channel), default: [:]][base] = (file, source)
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
            var nodes: [String: (source: String, nodes: [MustacheNode])] = [:]
            for (name, entry) in visible.sorted(by: { $0.key < $1.key }) {
                guard let parsed = Self.parse(entry.source, file: entry.file, pragma: Self.textPragma, problems: &problems),
                      let parsedHTML = Self.parse(entry.source, file: entry.file, pragma: nil, problems: &problems)
                else { continue }
                text.register(parsed.template, named: name)
                html.register(parsedHTML.template, named: name)
                nodes[name] = (entry.file, parsed.nodes)
                if seenPartials.insert(entry.file).inserted {
                    let folder = entry.file.split(separator: "/").count == 3 ? String(entry.file.split(separator: "/")[1]) : nil
                    partialFiles.append(PartialFile(file: entry.file, locale: folder, name: name, literal: parsed.literal))
                }
            }
            scopes[locale] = PartialScope(textLibrary: text, htmlLibrary: html, nodes: nodes)
            scopeSources[locale] = visible.map { ($0.key, $0.value.source) }.sorted { $0.name < $1.name }
        }

        var variants: [TemplateKey: Variant] = [:]
        for (key, entries) in variantFiles {
            let folder = "\(key.kind)/\(key.locale)/\(key.tone.rawValue)"
            for required in TemplatePartName.required(for: key.channel) where entries[required] == nil {
                problems.append(TemplateProblem(file: "\(folder)/\(required).mustache", message: "missing: a \(key.channel.rawValue) variant needs this file"))
            }
            var parts: [String: Part] = [:]
            var pieces: [String] = []
            for (name, entry) in entries.sorted(by: { $0.key < $1.key }) {
                let isHTML = TemplatePartName.isHTML(name)
                guard let parsed = Self.parse(entry.source, file: entry.file, pragma: isHTML ? nil : Self.textPragma, problems: &problems) else {
                    continue
                }
                parts[name] = Part(file: entry.file, template: parsed.template, nodes: parsed.nodes, isHTML: isHTML, literal: parsed.literal)
                pieces += [name, entry.source]
            }
            // The schema decides how fields are formatted, so it is part of what produced the text.
            if let schema = schemaSources[key.kind] { pieces += ["_schema/\(key.kind).yaml", schema] }
            for partial in scopeSources[key.locale] ?? [] {
                pieces += ["_partials/" + partial.name, partial.source]
            }
            let version = Digest.sha256(pieces)
            variants[key] = Variant(key: key, parts: parts, version: version)
        }

        guard problems.isEmpty else { throw TemplateSetError(directory: directory, problems: problems.sorted()) }
        self.directory = directory
        self.variants = variants
        self.scopes = scopes
        self.partialFiles = partialFiles
        self.schemas = schemas
        self.samples = samples
        self.wording = wording
    }

    /// Parses with our scanner (for positions and variable names) and with swift-mustache (what renders).
    private static func parse(
        _ source: String, file: String, pragma: String?, problems: inout [TemplateProblem]
    ) -> (template: MustacheTemplate, nodes: [MustacheNode], literal: [Character])? {
        let scanned: (nodes: [MustacheNode], literal: [Character])
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
