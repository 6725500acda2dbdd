import Foundation
import Mustache
import VarselCore

extension TemplateSet {
    /// Renders a planned message, with experiment variant `experiment` (`b`) where given. Fails, naming
    /// the variable and template, when the template reads a variable the message does not carry: a
    /// blank is never sent.
    public func render(_ message: MessageRequest, messageID: String, plan: Plan, experiment: String? = nil) -> Result<RenderedContent, RenderFailure> {
        render(message, messageID: messageID, plan: plan, experiment: experiment, engine: .compiled)
    }

    /// What renders a template: the compiled walk where the template allows it, or swift-mustache
    /// always (for tests that hold the two to the same output).
    package enum Engine: Sendable {
        case compiled
        case swiftMustache
    }

    /// `render(_:messageID:plan:experiment:)` with the engine chosen.
    package func render(
        _ message: MessageRequest, messageID: String, plan: Plan, experiment: String? = nil, engine: Engine
    ) -> Result<RenderedContent, RenderFailure> {
        let key = TemplateKey(kind: message.kind, locale: plan.locale, tone: plan.tone, channel: plan.channel)
        let isBase = experiment == nil || experiment == TemplateExperiment.baseVariant
        guard let variant = isBase ? variants[key] : experiment.flatMap({ experimentVariants[key]?[$0] }), let scope = scopes[key.locale] else {
            let what = variants[key] == nil ? "no template \(key)" : "no variant \(experiment ?? "") of template \(key)"
            return .failure(RenderFailure(reason: what))
        }
        let context = RenderContext.make(
            message: message, messageID: messageID, locale: key.locale, channel: key.channel, schema: schemas[key.kind])
        let format = LocaleFormat.forLocale(key.locale)
        // Parts rendered by the compiled walk with every variable and partial found: nothing in them is
        // missing (whatever the variable check finds, that walk misses too). Only when some part was not
        // (nearly never) are the parts checked, for the report.
        var complete = 0
        func render(_ name: String) -> String? {
            guard let part = variant.parts[name] else { return nil }
            if engine == .compiled, let (compiled, partials) = part.compiledWalk(in: scope) {
                let (rendered, missed) = compiled.render(context, partials: partials)
                if !missed { complete += 1 }
                return format.mergingAbbreviationStops(rendered)
            }
            return format.mergingAbbreviationStops(
                part.template.render(context.mustacheValue, library: part.isHTML ? scope.htmlLibrary : scope.textLibrary))
        }
        var subject: String?
        var text: String
        var html: String?
        var sms: RenderedContent.SMSInfo?
        switch key.channel {
        case .sms:
            text = SMSText.finalise(render("sms") ?? "")
            let encoding = SMSEncoding(text: text)
            sms = RenderedContent.SMSInfo(encoding: encoding.scheme, segments: encoding.segments)
        case .email:
            subject = Self.oneLine(render("email.subject") ?? "")
            text = (render("email.text") ?? "").trimmed + "\n"
            html = render("email.html")
        case .letter:
            html = render("letter.html")
            text = render("letter.text").map { $0.trimmed + "\n" } ?? HTMLText.plainText(html ?? "") + "\n"
        }
        if complete < variant.parts.count, let failure = missingVariables(variant: variant, in: scope, context: context, key: key) {
            return .failure(failure)
        }
        if text.allSatisfy(\.isWhitespace) || subject?.isEmpty == true {
            return .failure(RenderFailure(reason: "template \(key) rendered an empty \(subject?.isEmpty == true ? "subject" : "text")"))
        }
        let hash = Digest.sha256([subject ?? "", text, html ?? ""])
        return .success(RenderedContent(
            templateID: key.description, templateVersion: variant.version, channel: key.channel, subject: subject,
            text: text, html: html, sms: sms, contentHash: hash, variant: experiment))
    }

    /// A subject on one line: its lines joined by single spaces, trimmed. A subject without a byte
    /// that can begin a control character or a line break (`ValueRules`' screen: every line break,
    /// NEL, U+2028 and U+2029 among them) is only trimmed, without being broken into characters.
    package static func oneLine(_ subject: String) -> String {
        guard ValueRules.mayHoldAControlOrLineBreak(subject) else { return subject.trimmed }
        return subject.split(whereSeparator: \.isNewline).joined(separator: " ").trimmed
    }

    /// The failure naming what the variant's parts read that `context` does not carry, parts in name
    /// order; nil when nothing is missing.
    private func missingVariables(variant: Variant, in scope: PartialScope, context: TemplateValue, key: TemplateKey) -> RenderFailure? {
        let check = VariableCheck(partials: scope.nodes)
        func label(_ part: String) -> String { "\(key)\(variant.experiment.map { " variant \($0)" } ?? "") (\(part))" }
        var missing: [MissingVariable] = []
        for (name, part) in variant.parts.sorted(by: { $0.key < $1.key }) {
            missing += check.missing(in: part.nodes, source: label(name), context: context)
        }
        guard let first = missing.first else { return nil }
        let names = Set(missing.map(\.name)).sorted().joined(separator: ", ")
        let what = first.name.hasPrefix(">") || first.name.hasPrefix("<") ? "missing partial" : "missing variable"
        return RenderFailure(reason: "\(what) \(first.name.trimmingCharacters(in: CharacterSet(charactersIn: "<> "))) in template \(first.source)"
            + (missing.count > 1 ? " (all missing: \(names))" : ""))
    }
}

extension TemplateSet.Part {
    /// The compiled template and the partials it may include, when the compiled walk can render it
    /// all; nil when swift-mustache must (the part, or a partial it includes, needs it).
    func compiledWalk(in scope: TemplateSet.PartialScope) -> (CompiledTemplate, CompiledTemplate.Partials)? {
        guard let compiled else { return nil }
        guard compiled.includesPartials else { return (compiled, .none) }
        guard let partials = isHTML ? scope.htmlPartials : scope.textPartials else { return nil }
        return (compiled, partials)
    }
}
