/// How a message is worded: `direct` (factual, Nordic/German) or `indirect` (polite, relationship-first).
/// Tone changes wording, never facts.
public enum Tone: String, Sendable, Codable, CaseIterable, Hashable {
    case direct
    case indirect

    /// The tone used when a template set has no variant for this one.
    public var other: Tone { self == .direct ? .indirect : .direct }
}
