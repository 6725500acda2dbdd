import VarselCore

/// Names one template variant: `reminder/nb/direct/sms`.
public struct TemplateKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let kind: String
    public let locale: String
    public let tone: Tone
    public let channel: Channel

    public init(kind: String, locale: String, tone: Tone, channel: Channel) {
        self.kind = kind
        self.locale = locale
        self.tone = tone
        self.channel = channel
    }

    /// The template id of the status contract.
    public var description: String { "\(kind)/\(locale)/\(tone.rawValue)/\(channel.rawValue)" }

    public static func < (lhs: TemplateKey, rhs: TemplateKey) -> Bool { lhs.description < rhs.description }
}

/// The files a channel's variant is made of, each `<part>.mustache` in the variant's folder.
public enum TemplatePartName {
    public static func required(for channel: Channel) -> [String] {
        switch channel {
        case .sms: ["sms"]
        case .email: ["email.subject", "email.text"]
        case .letter: ["letter.html"]
        }
    }

    public static func optional(for channel: Channel) -> [String] {
        switch channel {
        case .sms: []
        case .email: ["email.html"]
        case .letter: ["letter.text"]
        }
    }

    /// Which channel a part belongs to (`email.subject` → email).
    public static func channel(of part: String) -> Channel? {
        Channel.allCases.first { (required(for: $0) + optional(for: $0)).contains(part) }
    }

    /// A file's part and experiment variant: `sms` → (sms, nil), `sms.b` → (sms, b), `email.b.subject` →
    /// (email.subject, b). Nil when the name is neither a part nor a part with a variant.
    public static func split(_ base: String) -> (part: String, variant: String?)? {
        if channel(of: base) != nil { return (base, nil) }
        let pieces = base.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard pieces.count >= 2, let channel = Channel(rawValue: pieces[0]) else { return nil }
        let part = ([pieces[0]] + pieces.dropFirst(2)).joined(separator: ".")
        guard Self.channel(of: part) == channel else { return nil }
        return (part, pieces[1])
    }

    /// Parts rendered as HTML (escaped); the rest are plain text.
    public static func isHTML(_ part: String) -> Bool { part.hasSuffix(".html") || part.hasSuffix("_html") }

    /// Parts a reader reads in full (not the subject line): each must carry the kind's facts.
    static func isBody(_ part: String) -> Bool { part != "email.subject" }
}
