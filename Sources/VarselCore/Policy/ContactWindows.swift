import Foundation

/// A local wall-clock time of day, as minutes since midnight: 0 (00:00) ... 1440 (24:00, the end of the day).
///
/// Carries no date and no zone. `init(hour:minute:)` traps on a value outside 00:00...24:00 (a programming
/// error); use `init?(minutes:)` for values read from configuration.
public struct LocalTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Minutes since midnight, 0...1440.
    public let minutes: Int

    /// `hour` 0...24 and `minute` 0...59, at most 24:00.
    public init(hour: Int, minute: Int = 0) {
        precondition((0...24).contains(hour) && (0...59).contains(minute) && hour * 60 + minute <= 1440,
                     "LocalTime must lie within 00:00...24:00")
        self.minutes = hour * 60 + minute
    }

    /// Minutes since midnight; `nil` outside 0...1440.
    public init?(minutes: Int) {
        guard (0...1440).contains(minutes) else { return nil }
        self.minutes = minutes
    }

    /// 00:00.
    public static let startOfDay = LocalTime(hour: 0)
    /// 24:00, the exclusive end of a day.
    public static let endOfDay = LocalTime(hour: 24)

    public var hour: Int { minutes / 60 }
    public var minute: Int { minutes % 60 }

    /// `HH:MM`, e.g. `08:00`, `24:00`.
    public var description: String {
        let h = hour, m = minute
        return (h < 10 ? "0" : "") + String(h) + ":" + (m < 10 ? "0" : "") + String(m)
    }

    public static func < (lhs: LocalTime, rhs: LocalTime) -> Bool { lhs.minutes < rhs.minutes }
}

/// A half-open interval `[start, end)` of local time within one day; `start < end` always holds
/// (the initialiser traps otherwise). `end` may be 24:00.
public struct ClosedOpenTimeRange: Sendable, Hashable, CustomStringConvertible {
    public let start: LocalTime
    public let end: LocalTime

    public init(start: LocalTime, end: LocalTime) {
        precondition(start < end, "ClosedOpenTimeRange needs start < end")
        self.start = start
        self.end = end
    }

    /// `nil` unless `start < end`.
    public static func validated(start: LocalTime, end: LocalTime) -> ClosedOpenTimeRange? {
        start < end ? ClosedOpenTimeRange(start: start, end: end) : nil
    }

    /// Whether a local time, in seconds since midnight, lies in `[start, end)`.
    public func contains(secondOfDay: Int) -> Bool {
        secondOfDay >= start.minutes * 60 && secondOfDay < end.minutes * 60
    }

    /// `HH:MM–HH:MM`.
    public var description: String { "\(start)–\(end)" }
}

/// When a country's debtors may be contacted, in their local time.
///
/// Each ISO weekday (1 = Monday ... 7 = Sunday) has at most one open interval; a weekday without an entry
/// (or with a key outside 1...7, which is ignored) is closed all day.
public struct ContactWindowRule: Sendable, Hashable {
    /// Per weekday (1 = Monday ... 7 = Sunday, ISO 8601) the open interval [start, end); a missing day is closed all day.
    public var open: [Int: ClosedOpenTimeRange]
    /// Closed all day on the country's public holidays (PublicHolidays). No effect for a country without a
    /// holiday calendar.
    public var closedOnHolidays: Bool

    public init(open: [Int: ClosedOpenTimeRange], closedOnHolidays: Bool) {
        self.open = open
        self.closedOnHolidays = closedOnHolidays
    }

    /// The open interval on a local date in `country`, or `nil` when that day is closed.
    func window(on date: CalendarDate, country: String) -> ClosedOpenTimeRange? {
        guard let range = open[PublicHolidays.isoWeekday(dayNumber: date.dayNumber)] else { return nil }
        if closedOnHolidays, PublicHolidays.isHoliday(date, country: country) { return nil }
        return range
    }
}

/// The hours in which debtors may be contacted, per country, evaluated in the debtor's local time.
///
/// Contract: `earliestAllowed(at:country:timeZone:)` returns the earliest instant at or after the given one
/// whose local date and wall-clock time (in the given zone) fall in that date's open interval, looking at
/// most `maximumSearchDays` local days ahead. Disabled windows, a `nil` country, or a country without a rule
/// impose no restriction. Local dates and times come from a Gregorian `Calendar` in the given zone, so days of
/// 23 or 25 hours are handled: a window opening at a local time that the zone skips (spring-forward gap)
/// opens at the first instant after the gap, and one opening at a repeated local time (fall-back) opens at
/// its first occurrence that is not in the past. Country codes are matched exactly, then upper-cased.
public struct ContactWindows: Sendable, Hashable {
    public var enabled: Bool
    /// Rules by ISO country code.
    public var rules: [String: ContactWindowRule]

    /// How many local days after the current one are searched for an opening.
    public static let maximumSearchDays = 30

    public init(enabled: Bool = true, rules: [String: ContactWindowRule]) {
        self.enabled = enabled
        self.rules = rules
    }

    /// Defaults (docs/domain.md): NO, SE, DK: Mon–Fri 08:00–21:00, Sat 09:00–15:00, Sunday closed, closed on public holidays.
    /// FI: every day 07:00–22:00 ("no contact 22–07"), holidays not closed. Countries without a rule: no restriction.
    public static let defaults: ContactWindows = {
        let weekday = ClosedOpenTimeRange(start: LocalTime(hour: 8), end: LocalTime(hour: 21))
        let saturday = ClosedOpenTimeRange(start: LocalTime(hour: 9), end: LocalTime(hour: 15))
        let scandinavian = ContactWindowRule(
            open: [1: weekday, 2: weekday, 3: weekday, 4: weekday, 5: weekday, 6: saturday],
            closedOnHolidays: true)
        let finnishDay = ClosedOpenTimeRange(start: LocalTime(hour: 7), end: LocalTime(hour: 22))
        let finnish = ContactWindowRule(
            open: Dictionary(uniqueKeysWithValues: (1...7).map { ($0, finnishDay) }),
            closedOnHolidays: false)
        return ContactWindows(enabled: true, rules: ["NO": scandinavian, "SE": scandinavian, "DK": scandinavian, "FI": finnish])
    }()

    /// The rule that applies, with the key it was found under; `nil` when nothing restricts contact.
    func activeRule(for country: String?) -> (rule: ContactWindowRule, country: String)? {
        guard enabled, let country else { return nil }
        if let rule = rules[country] { return (rule, country) }
        let upper = country.uppercased()
        guard upper != country, let rule = rules[upper] else { return nil }
        return (rule, upper)
    }

    /// The earliest instant at or after `instant` when contacting a debtor in `country` (local time in `timeZone`) is allowed.
    /// Returns `instant` unchanged when it is allowed, when windows are disabled, or when the country has no rule.
    /// Searches the current local day and at most `maximumSearchDays` days ahead; `nil` if none of them opens
    /// (e.g. a rule with no open time at all).
    public func earliestAllowed(at instant: Date, country: String?, timeZone: TimeZone) -> Date? {
        guard let (rule, key) = activeRule(for: country) else { return instant }
        let local = LocalClock(timeZone: timeZone)
        let now = local.components(of: instant)
        let todayNumber = now.date.dayNumber

        for offset in 0...Self.maximumSearchDays {
            let date = offset == 0 ? now.date : PublicHolidays.calendarDate(dayNumber: todayNumber + offset)
            guard let window = rule.window(on: date, country: key) else { continue }
            if offset == 0 {
                if window.contains(secondOfDay: now.secondOfDay) { return instant }
                if now.secondOfDay >= window.end.minutes * 60 {
                    // Past today's window, unless a fall-back later today turns the clock back into it.
                    if let reopened = local.rewoundOpening(after: instant, on: date, window: window) { return reopened }
                    continue
                }
            }
            if let opening = local.opening(of: window, on: date, notBefore: instant) { return opening }
        }
        return nil
    }

    /// Whether contacting a debtor in `country` at `instant` (local time in `timeZone`) is allowed; always true
    /// when windows are disabled, the country is `nil` or has no rule. Agrees with
    /// `earliestAllowed(at:country:timeZone:) == instant`.
    public func isAllowed(_ instant: Date, country: String?, timeZone: TimeZone) -> Bool {
        guard let (rule, key) = activeRule(for: country) else { return true }
        let now = LocalClock(timeZone: timeZone).components(of: instant)
        guard let window = rule.window(on: now.date, country: key) else { return false }
        return window.contains(secondOfDay: now.secondOfDay)
    }
}

/// Conversions between instants and local dates and wall-clock times in one zone, through a Gregorian calendar.
private struct LocalClock {
    let calendar: Calendar
    let timeZone: TimeZone

    init(timeZone: TimeZone) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        self.calendar = calendar
        self.timeZone = timeZone
    }

    /// Local date and whole seconds since local midnight (wall clock) of an instant.
    func components(of instant: Date) -> (date: CalendarDate, secondOfDay: Int) {
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: instant)
        let date = CalendarDate(year: c.year ?? 1970, month: c.month ?? 1, day: c.day ?? 1)
        return (date, (c.hour ?? 0) * 3600 + (c.minute ?? 0) * 60 + (c.second ?? 0))
    }

    /// The first instant at or after `notBefore` on local `date` whose wall-clock time lies in `window`, looking
    /// only at times from `window.start` on; `nil` if the zone skips all of the window that day.
    func opening(of window: ClosedOpenTimeRange, on date: CalendarDate, notBefore: Date) -> Date? {
        let start = window.start.minutes
        let wanted = DateComponents(year: date.year, month: date.month, day: date.day, hour: start / 60, minute: start % 60)
        guard let guess = calendar.date(from: wanted) else { return nil }
        let found = components(of: guess)
        if found.date == date, found.secondOfDay == start * 60 {
            // The local time exists; Foundation resolves a repeated time to its first occurrence.
            if guess >= notBefore { return guess }
            // Only on a fall-back day: the first occurrence has passed, the second may not have.
            let later = guess.addingTimeInterval(
                TimeInterval(timeZone.secondsFromGMT(for: guess) - timeZone.secondsFromGMT(for: notBefore)))
            guard later >= notBefore else { return nil }
            let check = components(of: later)
            return check.date == date && window.contains(secondOfDay: check.secondOfDay) ? later : nil
        }
        // Skipped local time (spring-forward gap): Foundation moved it forward by the gap. The gap ends at the
        // zone's transition, which lies after `wanted` read with the offset that follows the gap.
        let wallSeconds = TimeInterval(date.dayNumber) * 86_400 + TimeInterval(start * 60)
        let lowerBound = Date(timeIntervalSince1970: wallSeconds - TimeInterval(timeZone.secondsFromGMT(for: guess)))
        var candidate = guess
        if let transition = timeZone.nextDaylightSavingTimeTransition(after: lowerBound), transition <= guess {
            candidate = transition
        }
        if candidate < notBefore { candidate = notBefore }
        let check = components(of: candidate)
        return check.date == date && window.contains(secondOfDay: check.secondOfDay) ? candidate : nil
    }

    /// After today's window has closed: if the clock is turned back later on `date` (fall-back) into `window`,
    /// the first instant that is back inside it.
    func rewoundOpening(after instant: Date, on date: CalendarDate, window: ClosedOpenTimeRange) -> Date? {
        guard let transition = timeZone.nextDaylightSavingTimeTransition(after: instant),
              timeZone.secondsFromGMT(for: transition) < timeZone.secondsFromGMT(for: instant)
        else { return nil }
        let atTransition = components(of: transition)
        guard atTransition.date == date, atTransition.secondOfDay < window.end.minutes * 60 else { return nil }
        let wait = max(0, window.start.minutes * 60 - atTransition.secondOfDay)
        let candidate = transition.addingTimeInterval(TimeInterval(wait))
        let check = components(of: candidate)
        return check.date == date && window.contains(secondOfDay: check.secondOfDay) ? candidate : nil
    }
}
