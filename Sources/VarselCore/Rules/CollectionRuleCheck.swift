import Foundation

/// What part of the collection process a kind is, for the country rules (`kinds.<kind>.legal_step`).
public enum LegalStep: String, Sendable, Hashable, CaseIterable {
    case reminder
    case collectionNotice = "collection_notice"
    case none
}

/// A message of a case a gateway accepted: the history the send-time rules are judged against.
public struct CaseStep: Sendable, Hashable {
    public let messageID: String
    public let kind: String
    public let at: Date
    /// Whether it charged a fee (`data.fee` more than zero).
    public let feeBearing: Bool

    public init(messageID: String, kind: String, at: Date, feeBearing: Bool) {
        self.messageID = messageID
        self.kind = kind
        self.at = at
        self.feeBearing = feeBearing
    }

    /// Whether a stored `data.fee` (its text) charges anything.
    public static func charges(fee: String?) -> Bool {
        fee.flatMap { Decimal(string: $0, locale: CollectionRules.posix) }.map { $0 > 0 } ?? false
    }
}

/// The country rules applied to one message: at enqueue (what the message itself shows) and at send
/// (against the case's real send history). Pure: the callers bring the facts.
public enum CollectionRuleCheck {
    /// Problems a message shows at enqueue, each naming its field, the rule and its source.
    public static func enqueueProblems(_ request: MessageRequest, step: LegalStep, rules: CountryRules, now: Date) -> [ValidationError] {
        guard step != .none else { return [] }
        var problems: [ValidationError] = []
        let zone = RecipientTimeZone.of(request.recipient)
        let sendDate = ValueRules.today(request.sendAfter.map { max($0, now) } ?? now, in: zone)
        let due = request.data["due_date"]?.scalarText.flatMap(RFC3339.parseDate)
        let country = rules.country
        if step == .reminder, let due, sendDate.dayNumber - due.dayNumber < rules.reminderEarliestDaysAfterDue {
            problems.append(ValidationError(
                field: "send_after",
                problem: "a reminder may go at the earliest \(rules.reminderEarliestDaysAfterDue) days after the due date \(due) in \(country)\(rules.source("reminder_earliest_days_after_due")); it would go on \(sendDate)"))
        }
        // A reminder's fee (a notice's `fee` is the collection cost that may follow, not charged now).
        if step == .reminder, let fee = fee(of: request), fee > 0 {
            let currency = request.data["currency"]?.scalarText?.uppercased()
            if let capText = rules.feeCap, let cap = Decimal(string: capText, locale: CollectionRules.posix), currency == rules.feeCurrency, fee > cap {
                problems.append(ValidationError(
                    field: "data.fee", problem: "\(fee) \(currency ?? "") is above the reminder fee cap of \(capText) \(rules.feeCurrency ?? "") in \(country)\(rules.source("fee_cap"))"))
            }
            if rules.feeRequiresAgreement, request.data["fee_agreed"] != .bool(true) {
                problems.append(ValidationError(
                    field: "data.fee", problem: "a reminder fee in \(country) needs the debtor's agreement when the debt arose: send data.fee_agreed: true, or no fee\(rules.source("fee_requires_agreement"))"))
            }
            if let due, sendDate.dayNumber - due.dayNumber < rules.feeEarliestDaysAfterDue {
                problems.append(ValidationError(
                    field: "data.fee", problem: "a fee may be charged in \(country) only on a reminder sent at least \(rules.feeEarliestDaysAfterDue) days after the due date \(due)\(rules.source("fee_earliest_days_after_due")); this one would go on \(sendDate)"))
            }
        }
        if step == .collectionNotice, let deadline = request.data["deadline"]?.scalarText.flatMap(RFC3339.parseDate) {
            let needed = rules.noticeDays(channel: nil)
            let days = deadline.dayNumber - sendDate.dayNumber
            if days < needed {
                problems.append(ValidationError(
                    field: "data.deadline",
                    problem: "a collection notice in \(country) needs at least \(needed) days to its deadline\(rules.source("notice_minimum_days")); \(deadline) is \(days) after \(sendDate), the earliest it would go"))
            }
        }
        return problems
    }

    /// What the send-time rules say about a send at `sendAt`: wait (spacing), fail (a limit reached),
    /// or go, with notes for the trail.
    public enum SendVerdict: Sendable, Hashable {
        case wait(until: Date, reason: String)
        case fail(String)
    }

    public static func atSend(
        _ request: MessageRequest, messageID: String, step: LegalStep, rules: CountryRules, history: [CaseStep], steps: [String: LegalStep], sendAt: Date
    ) -> (verdict: SendVerdict?, notes: [String]) {
        guard step != .none else { return (nil, []) }
        let earlier = history.filter { $0.messageID != messageID && (steps[$0.kind] ?? LegalStep.none) != LegalStep.none }.sorted { $0.at < $1.at }
        let country = rules.country
        var notes: [String] = []
        if step == .reminder, (fee(of: request) ?? 0) > 0 {
            let charged = earlier.filter { $0.feeBearing && steps[$0.kind] == .reminder }
            if let max = rules.feeRemindersMax, charged.count >= max {
                return (.fail("at most \(max) fee-bearing reminders per case in \(country)\(rules.source("fee_reminders_max")); this case has had \(charged.count)"), [])
            }
            if let last = charged.last {
                let until = last.at.addingTimeInterval(Double(rules.feeRemindersMinDaysApart) * 86_400)
                if sendAt < until {
                    return (.wait(until: until, reason: "waiting until \(RFC3339.format(until)): fee-bearing reminders at least \(rules.feeRemindersMinDaysApart) days apart in \(country)\(rules.source("fee_reminders_min_days_apart")); the last went \(RFC3339.format(last.at))"), [])
                }
            }
        }
        if let last = earlier.last {
            let until = last.at.addingTimeInterval(Double(rules.stepsMinDaysApart) * 86_400)
            if sendAt < until {
                return (.wait(until: until, reason: "waiting until \(RFC3339.format(until)): steps of a case at least \(rules.stepsMinDaysApart) days apart in \(country)\(rules.source("steps_min_days_apart")); the last went \(RFC3339.format(last.at))"), [])
            }
            if let max = rules.stepsMaxDaysApart, sendAt.timeIntervalSince(last.at) > Double(max) * 86_400 {
                notes.append("note: \(Int(sendAt.timeIntervalSince(last.at) / 86_400)) days since the case's last step, more than the \(max) our guidance allows\(rules.source("steps_max_days_apart"))")
            }
        }
        return (nil, notes)
    }

    /// Why `channel` does not count as a written collection notice for this recipient at `at`, or nil.
    public static func noticeChannelProblem(_ channel: Channel, recipient: Recipient, rules: CountryRules, at: Date) -> String? {
        let condition = rules.noticeChannels[channel] ?? .never
        let country = rules.country
        switch condition {
        case .always: return nil
        case .never:
            return "\(channel.rawValue) does not count as a written collection notice in \(country)\(rules.source("notice_channels"))"
        case .usedAddress, .consent:
            let type: Consent.Kind = condition == .usedAddress ? .usedAddress : .electronicNotice
            if recipient.consents?.contains(where: { $0.holds(type, channel: channel, recipient: recipient, at: at) }) == true { return nil }
            let what = condition == .usedAddress ? "an address the debtor has used (a used_address consent)" : "the debtor's separate consent (an electronic_notice consent in force)"
            return "\(channel.rawValue) counts as a written collection notice in \(country) only to \(what)\(rules.source("notice_channels")); the recipient has none"
        }
    }

    /// The fee a message charges, if it states one.
    static func fee(of request: MessageRequest) -> Decimal? {
        request.data["fee"].flatMap(MessageValidator.moneyText).flatMap { Decimal(string: $0, locale: CollectionRules.posix) }
    }
}
