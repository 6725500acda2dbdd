import Foundation

/// A message a gateway accepted, with what the outcome report groups by.
public struct SentMessage: Sendable, Hashable {
    public let id: String
    /// Its case; a message without one is a case of its own (it can never be paid by an event).
    public let caseRef: String?
    public let kind: String
    public let channel: Channel
    public let locale: String?
    public let tone: String?
    public let templateVersion: String?
    public let country: String?
    /// The plan step that scheduled it, if a plan did.
    public let step: String?
    /// The template variant it used, if an experiment chose one.
    public let variant: String?
    /// When the gateway first accepted it.
    public let sentAt: Date
    /// The debtor's time zone: the hour and weekday of a send are the debtor's.
    public let timeZone: TimeZone

    public init(
        id: String, caseRef: String?, kind: String, channel: Channel, locale: String?, tone: String?, templateVersion: String?, country: String?,
        step: String?, variant: String?, sentAt: Date, timeZone: TimeZone
    ) {
        self.id = id
        self.caseRef = caseRef
        self.kind = kind
        self.channel = channel
        self.locale = locale
        self.tone = tone
        self.templateVersion = templateVersion
        self.country = country
        self.step = step
        self.variant = variant
        self.sentAt = sentAt
        self.timeZone = timeZone
    }

    var caseKey: String { caseRef ?? "message:" + id }
}

/// What the outcome report can group by (`by=channel,hour`).
public enum OutcomeDimension: String, Sendable, Hashable, CaseIterable {
    case channel, kind, step, locale, tone
    case templateVersion = "template_version"
    case variant, country, hour, weekday

    /// The group key of a message: "-" where it has none.
    public func value(of message: SentMessage) -> String {
        switch self {
        case .channel: return message.channel.rawValue
        case .kind: return message.kind
        case .step: return message.step ?? "-"
        case .locale: return message.locale ?? "-"
        case .tone: return message.tone ?? "-"
        case .templateVersion: return message.templateVersion ?? "-"
        case .variant: return message.variant ?? "-"
        case .country: return message.country ?? "-"
        case .hour, .weekday:
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = message.timeZone
            if self == .hour { return String(format: "%02d", calendar.component(.hour, from: message.sentAt)) }
            return ["sun", "mon", "tue", "wed", "thu", "fri", "sat"][calendar.component(.weekday, from: message.sentAt) - 1]
        }
    }
}
