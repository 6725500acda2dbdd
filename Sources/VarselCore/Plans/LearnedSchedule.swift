import Foundation

/// When a plan step with a learned send hour goes: on the step's day, or the first day after it that
/// has an open hour still ahead, at the hour `LearnedSendHour` chooses among that day's open hours.
/// Pure: the caller brings the clock, the windows and the chooser.
public enum LearnedSchedule {
    /// The hours offered where no contact window restricts contact (a country without a rule, or
    /// windows disabled): daytime, as a debtor would expect a collector to write.
    public static let defaultHours = Array(8...20)
    /// How many days after the step's day are searched for one with an open hour.
    public static let searchDays = 14

    public struct Timed: Sendable, Hashable {
        public let sendAfter: Date
        /// The day it goes, in the debtor's time zone (later than the step's day when that one was closed).
        public let day: CalendarDate
        public let hour: Int
        /// For the trail: the choice's reason, and why the day moved if it did.
        public let reason: String
    }

    /// The learned hour of today for a message about to go at `now`: among today's open hours from the
    /// current one on, the one `choose` picks. `now` when that is the current hour, else the start of
    /// the chosen hour (`isNow` false: wait until then). Nil when no open hour is left today (the
    /// contact window defers the message to the next opening, where it is chosen again).
    public static func today(
        now: Date, timeZone: TimeZone, country: String?, windows: ContactWindows, choose: ([Int]) -> LearnedSendHour.Choice?
    ) -> (at: Date, hour: Int, isNow: Bool, reason: String)? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour], from: now)
        guard let year = parts.year, let month = parts.month, let day = parts.day, let current = parts.hour else { return nil }
        func start(_ hour: Int) -> Date? { calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour)) }
        let open = (windows.openHours(on: CalendarDate(year: year, month: month, day: day), country: country) ?? defaultHours).filter { hour in
            guard hour >= current, let instant = start(hour) else { return false }
            return calendar.component(.hour, from: instant) == hour
        }
        guard !open.isEmpty, let choice = choose(open) else { return nil }
        if choice.hour == current { return (now, current, true, choice.reason) }
        guard let at = start(choice.hour) else { return nil }
        return (max(at, now), choice.hour, false, choice.reason)
    }

    /// The first day from `day` (at most `searchDays` later) with an open hour starting at or after
    /// `now`, and the hour `choose` picks among those hours. Nil when no such day is found (the
    /// caller keeps the fixed time, and the contact window applies at send as always).
    public static func sendTime(
        day: CalendarDate, now: Date, timeZone: TimeZone, country: String?, windows: ContactWindows,
        choose: ([Int]) -> LearnedSendHour.Choice?
    ) -> Timed? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        var closed: [String] = []
        for offset in 0...searchDays {
            let (year, month, dayOfMonth) = RFC3339.civilFromDays(day.dayNumber + offset)
            let date = CalendarDate(year: year, month: month, day: dayOfMonth)
            func start(_ hour: Int) -> Date? { calendar.date(from: DateComponents(year: year, month: month, day: dayOfMonth, hour: hour)) }
            let open = (windows.openHours(on: date, country: country) ?? defaultHours).filter { hour in
                // An hour a daylight-saving change skips resolves to another wall-clock hour: not offered.
                guard let instant = start(hour), calendar.component(.hour, from: instant) == hour else { return false }
                return instant >= now
            }
            guard !open.isEmpty else {
                closed.append(date.description)
                continue
            }
            guard let choice = choose(open), let sendAfter = start(choice.hour) else { return nil }
            var reason = choice.reason
            if !closed.isEmpty {
                reason += "; the step's day \(day) had no open hour left, so it goes on \(date)"
                    + (closed.count > 1 ? " (no open hour on \(closed.joined(separator: ", ")))" : "")
            }
            return Timed(sendAfter: sendAfter, day: date, hour: choice.hour, reason: reason)
        }
        return nil
    }
}
