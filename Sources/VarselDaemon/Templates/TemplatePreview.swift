import Foundation
import VarselCore
import VarselTemplates

/// `varsel templates preview`: renders a kind for a channel, locale and tone with the kind's sample
/// data (`templates/_samples/<kind>.json`) or given data, through the same planning and rendering as
/// a real send.
public enum TemplatePreview {
    public struct Output: Sendable {
        /// What to print.
        public let summary: String
        /// Files to write, by name: email and letter HTML.
        public let files: [String: String]
    }

    /// - Parameters:
    ///   - data: a message JSON (whose `data` replaces the sample's) or a bare data object, if given.
    public static func render(
        directory: String, kind: String, channel: Channel, locale: String, tone: Tone?, data: Data?, policy: PlanningPolicy
    ) throws -> Output {
        let set = try TemplateSetLoader.load(from: directory)
        var message = try sample(directory: directory, kind: kind, policy: policy)
        if let data {
            guard case .object(let object) = try JSONDecoder().decode(JSONValue.self, from: data) else {
                throw CommandError("--data must hold a JSON object")
            }
            if case .object(let given)? = object["data"] { message.data = given } else { message.data = object }
        }
        message.recipient.locale = locale
        message.recipient.tone = tone
        message.recipient.channels = [channel]
        message.recipient.optOut = []
        var planning = policy
        planning.availableChannels = nil
        planning.kinds[kind] = KindRule(name: kind)  // preview any channel, even one the kind forbids for sending
        let id = "msg_preview"
        switch Planner(policy: planning).plan(message, catalog: set) {
        case .unplannable(let reason, let decisions):
            throw CommandError("cannot preview: \(reason)\n  " + decisions.joined(separator: "\n  "))
        case .planned(let plan):
            let content: RenderedContent
            switch set.render(message, messageID: id, plan: plan) {
            case .success(let rendered): content = rendered
            case .failure(let failure): throw CommandError(failure.reason)
            }
            return describe(content, plan: plan)
        }
    }

    static func describe(_ content: RenderedContent, plan: Plan) -> Output {
        var lines = ["template \(content.templateID) \(content.templateVersion)"]
        lines += plan.decisions.filter { $0.hasPrefix("locale") || $0.hasPrefix("tone") }.map { "  \($0)" }
        var files: [String: String] = [:]
        let base = content.templateID.replacingOccurrences(of: "/", with: "-")
        switch content.channel {
        case .sms:
            let encoding = SMSEncoding(text: content.text)
            var line = "sms: \(encoding.scheme.rawValue), \(encoding.segments) segment\(encoding.segments == 1 ? "" : "s"), \(encoding.units) \(encoding.scheme == .gsm7 ? "septets" : "UTF-16 units")"
            if let offender = encoding.firstNonGSM7 {
                line += "; UCS-2 forced by U+\(String(offender.scalar.value, radix: 16, uppercase: true).leftPadded(to: 4)) '\(offender.scalar)' at character \(offender.offset + 1)"
            }
            lines.append(line)
            lines.append(content.text)
        case .email:
            lines.append("subject: \(content.subject ?? "")")
            lines.append(content.text)
            if let html = content.html {
                files["\(base).html"] = html
            }
        case .letter:
            lines.append(content.text)
            files["\(base).html"] = content.html ?? ""
        }
        return Output(summary: lines.joined(separator: "\n"), files: files)
    }

    /// The CLI's entry: names as typed, the shipped planning defaults.
    public static func render(directory: String, kind: String, channel: String, locale: String, tone: String?, data: Data?) throws -> Output {
        guard let channelValue = Channel(rawValue: channel) else { throw CommandError("--channel: use sms, email or letter") }
        var toneValue: Tone?
        if let tone {
            guard let value = Tone(rawValue: tone) else { throw CommandError("--tone: use direct or indirect") }
            toneValue = value
        }
        guard LocaleTag.isWellFormed(locale) else { throw CommandError("--locale: '\(locale)' is not a language tag such as nb-NO") }
        return try render(
            directory: directory, kind: kind, channel: channelValue, locale: LocaleTag.normalise(locale), tone: toneValue, data: data,
            policy: PlanningPolicy())
    }

    /// `--all` with the shipped planning defaults.
    public static func all(directory: String) throws -> [String: String] { try all(directory: directory, policy: PlanningPolicy()) }

    /// Every kind × channel × locale × tone in the set, for `--all`: file name → HTML page.
    public static func all(directory: String, policy: PlanningPolicy) throws -> [String: String] {
        let set = try TemplateSetLoader.load(from: directory)
        var pages: [String: String] = [:]
        var index = ["<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Varsel template preview</title></head><body><h1>Template preview</h1><ul>"]
        for key in set.keys {
            let output = try render(
                directory: directory, kind: key.kind, channel: key.channel, locale: key.locale, tone: key.tone, data: nil, policy: policy)
            let base = key.description.replacingOccurrences(of: "/", with: "-")
            let text = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>\(key)</title></head><body><pre>"
                + escape(output.summary) + "</pre></body></html>"
            pages["\(base).txt.html"] = text
            index.append("<li>\(key): <a href=\"\(base).txt.html\">text</a>")
            for (name, html) in output.files {
                pages[name] = html
                index.append(" · <a href=\"\(name)\">HTML</a>")
            }
            index.append("</li>")
        }
        index.append("</ul></body></html>")
        pages["index.html"] = index.joined()
        return pages
    }

    static func sample(directory: String, kind: String, policy: PlanningPolicy) throws -> MessageRequest {
        let path = URL(fileURLWithPath: directory).appendingPathComponent("_samples/\(kind).json").path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandError("no sample data for kind \(kind): add \(path) or pass --data FILE")
        }
        // A preview renders sample data with fixed dates: the country rules judge real messages, at
        // enqueue and at send, not a preview.
        let validator = MessageValidator(kinds: policy.kinds.merging([kind: KindRule(name: kind)]) { old, _ in old }, collectionRules: CollectionRules(countries: [:]))
        switch validator.validate(json: Array(data)) {
        case .success(let message): return message
        case .failure(let failure): throw CommandError("\(path): \(failure)")
        }
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}

