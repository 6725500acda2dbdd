import Foundation

/// An operator's collection plan (`plans/<name>.yaml`): the steps a case goes through, each a message
/// of a kind sent some days after the due date or after the previous step. Parsed and checked by
/// `PlanSetLoader` and `PlanCheck`; scheduled by `PlanSchedule` when a case is created.
public struct CollectionPlan: Sendable, Hashable {
    public var name: String
    /// The country whose collection rules the plan is checked against (ISO 3166-1 alpha-2).
    public var country: String
    public var steps: [PlanStep]
    /// The file it was read from, for messages.
    public var file: String
    /// What the plan is for, in the operator's words (`about:`).
    public var about: String = ""
    /// When in the day its steps go (`timing:`); nil: as configured for the country (`plans.timing`), else fixed.
    public var timing: PlanTiming?

    public init(name: String, country: String, steps: [PlanStep], file: String = "") {
        self.name = name
        self.country = country
        self.steps = steps
        self.file = file
    }
}

/// When in the day a plan's steps go.
public enum PlanTiming: String, Sendable, Hashable, Codable, CaseIterable {
    /// At `PlanSchedule.defaultHour` (09:00) in the debtor's time zone.
    case fixed
    /// At the hour of the contact window learned from earlier outcomes (`LearnedSendHour`).
    case learned
}

/// One step of a plan.
public struct PlanStep: Sendable, Hashable {
    /// What a step's offset counts from.
    public enum Anchor: String, Sendable, Hashable, CaseIterable {
        /// The invoice's due date (`data.due_date`).
        case dueDate = "due_date"
        /// The day the previous step is scheduled.
        case previous
    }

    /// Unique within the plan: `reminder-1`, `notice`.
    public var name: String
    /// A configured kind (`reminder`, `collection_notice`, …).
    public var kind: String
    public var anchor: Anchor
    /// Days after the anchor.
    public var days: Int
    /// The channels this step may use, in order; nil: the recipient's preference or the configured order.
    public var channels: [Channel]?
    /// The reminder fee this step charges (`data.fee`), in the case's currency; nil: none.
    public var fee: String?
    /// For a step whose kind states a deadline: the days to pay, counted when it is sent; at least the
    /// country's minimum for the channel it goes by, so a delay never shortens it.
    public var deadlineDays: Int?
    /// Skipped when the case's amount is above this.
    public var skipIfAmountAbove: String?
    /// Taken only when the case's amount is above this.
    public var onlyIfAmountAbove: String?
    /// The line of the step in its file, for messages.
    public var line: Int

    public init(
        name: String, kind: String, anchor: Anchor, days: Int, channels: [Channel]? = nil, fee: String? = nil, deadlineDays: Int? = nil,
        skipIfAmountAbove: String? = nil, onlyIfAmountAbove: String? = nil, line: Int = 0
    ) {
        self.name = name
        self.kind = kind
        self.anchor = anchor
        self.days = days
        self.channels = channels
        self.fee = fee
        self.deadlineDays = deadlineDays
        self.skipIfAmountAbove = skipIfAmountAbove
        self.onlyIfAmountAbove = onlyIfAmountAbove
        self.line = line
    }

    /// Whether the step applies to a case of `amount` (conditions on the amount).
    public func applies(toAmount amount: Decimal) -> Bool {
        let posix = Locale(identifier: "en_US_POSIX")
        if let limit = skipIfAmountAbove.flatMap({ Decimal(string: $0, locale: posix) }), amount > limit { return false }
        if let limit = onlyIfAmountAbove.flatMap({ Decimal(string: $0, locale: posix) }), amount <= limit { return false }
        return true
    }
}
