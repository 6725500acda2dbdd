/// The planner's decision for one message: how it goes out, and the trail of why.
public struct Plan: Sendable, Hashable {
    public let channel: Channel
    /// The template locale actually used, after fallback.
    public let locale: String
    /// The template tone actually used, after fallback.
    public let tone: Tone
    public let decisions: [String]

    public var templateID: String { "\(kindName)/\(locale)/\(tone.rawValue)/\(channel.rawValue)" }
    let kindName: String

    public init(kind: String, channel: Channel, locale: String, tone: Tone, decisions: [String]) {
        self.kindName = kind
        self.channel = channel
        self.locale = locale
        self.tone = tone
        self.decisions = decisions
    }
}

/// A plan, or why no channel can carry the message.
public enum PlanOutcome: Sendable, Hashable {
    case planned(Plan)
    case unplannable(reason: String, decisions: [String])
}
