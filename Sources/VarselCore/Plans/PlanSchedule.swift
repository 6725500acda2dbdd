import Foundation

/// Which plan step a message is, and what its deadline is to be when it is sent.
public struct PlanStepRef: Sendable, Hashable, Codable {
    public var plan: String
    public var step: String
    /// Days to pay, counted on the day it is sent (at least the country's minimum for its channel).
    public var deadlineDays: Int
    /// `learned`: the dispatcher chooses the hour when the step's day comes; nil or `fixed`: it goes when scheduled.
    public var timing: PlanTiming?

    public init(plan: String, step: String, deadlineDays: Int, timing: PlanTiming? = nil) {
        self.plan = plan
        self.step = step
        self.deadlineDays = deadlineDays
        self.timing = timing
    }

    enum CodingKeys: String, CodingKey {
        case plan, step
        case deadlineDays = "deadline_days"
        case timing
    }
}

/// When each step of a plan goes for one case: the step's day counted from the due date (and the
/// previous steps), at the plan's hour in the debtor's time zone. Days are calendar days in that
/// zone, so a step keeps its local hour across a daylight-saving change; the contact windows and
/// holidays are applied when it is about to go, as for every message.
public enum PlanSchedule {
    /// The local hour steps are scheduled at.
    public static let defaultHour = 9
    /// Days to pay a step gives when the plan says nothing (reminders).
    public static let defaultDeadlineDays = 14

    public struct Scheduled: Sendable, Hashable {
        public let step: PlanStep
        /// The step's day, counted from the due date.
        public let day: CalendarDate
        public let sendAfter: Date
    }

    /// The steps that apply to a case of `amount` due on `dueDate`, in order, with their times.
    /// Skipped steps (conditions) do not move the ones after them: offsets from `previous` count
    /// from the previous step in the plan. A case created late keeps the plan's gaps: its schedule
    /// moves forward so that no step falls before today, and the first step due today or earlier
    /// goes now (a late case never gets several steps at once).
    public static func schedule(_ plan: CollectionPlan, dueDate: CalendarDate, amount: Decimal, timeZone: TimeZone, now: Date, hour: Int = defaultHour) -> [Scheduled] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        var previous = dueDate.dayNumber
        var planned: [(step: PlanStep, day: Int)] = []
        for step in plan.steps {
            let dayNumber = (step.anchor == .dueDate ? dueDate.dayNumber : previous) + step.days
            previous = dayNumber
            if step.applies(toAmount: amount) { planned.append((step, dayNumber)) }
        }
        let today = ValueRules.today(now, in: timeZone).dayNumber
        let shift = max(0, today - (planned.first?.day ?? today))
        return planned.enumerated().map { index, entry in
            let (year, month, day) = RFC3339.civilFromDays(entry.day + shift)
            let local = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour)) ?? now
            // A late case's first step goes now, also before the step hour: its day has already passed.
            let sendAfter = index == 0 && shift > 0 ? now : max(local, now)
            return Scheduled(step: entry.step, day: CalendarDate(year: year, month: month, day: day), sendAfter: sendAfter)
        }
    }

    /// The deadline a plan message states when sent on `sendDate` by `channel`: its days, or the
    /// country's minimum for that channel when longer (for no channel yet, the quickest written one).
    public static func deadline(sendDate: CalendarDate, deadlineDays: Int, rules: CountryRules?, channel: Channel?) -> CalendarDate {
        let days = max(deadlineDays, rules?.noticeDays(channel: channel) ?? 0)
        let (year, month, day) = RFC3339.civilFromDays(sendDate.dayNumber + days)
        return CalendarDate(year: year, month: month, day: day)
    }
}
