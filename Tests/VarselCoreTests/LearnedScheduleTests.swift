import Foundation
import Testing
import VarselCore

/// A learned send hour placed on the calendar: inside the day's contact window, never in the past,
/// moved past closed days, and never at a wall-clock hour a daylight-saving change skips.
@Suite struct LearnedScheduleTests {
    static let oslo = TimeZone(identifier: "Europe/Oslo")!
    static let helsinki = TimeZone(identifier: "Europe/Helsinki")!

    /// A chooser that records what it was offered and takes the last (latest) hour.
    final class Recorder: @unchecked Sendable {
        var offered: [[Int]] = []
        func choose(_ hours: [Int]) -> LearnedSendHour.Choice? {
            offered.append(hours)
            return hours.last.map { LearnedSendHour.Choice(hour: $0, reason: "took \($0)") }
        }
    }

    static func local(_ text: String, _ zone: TimeZone) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = text.split(whereSeparator: { "-T:".contains($0) }).compactMap { Int($0) }
        return calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2], hour: parts[3], minute: parts[4]))!
    }

    @Test("a weekday in Norway offers 08–20 and the step goes at the chosen hour, local time")
    func weekday() throws {
        let recorder = Recorder()
        let timed = try #require(LearnedSchedule.sendTime(
            day: CalendarDate(year: 2026, month: 12, day: 8), now: Self.local("2026-12-01T10:00", Self.oslo), timeZone: Self.oslo, country: "NO",
            windows: .defaults, choose: recorder.choose))
        #expect(recorder.offered == [Array(8...20)])
        #expect(timed.sendAfter == Self.local("2026-12-08T20:00", Self.oslo) && timed.hour == 20 && timed.reason == "took 20")
    }

    @Test("a Sunday and a public holiday are skipped to the next open day, and the trail says so")
    func closedDays() throws {
        let recorder = Recorder()
        // Friday 25 and Saturday 26 December 2026 are holidays in Norway; 27 is a Sunday.
        let timed = try #require(LearnedSchedule.sendTime(
            day: CalendarDate(year: 2026, month: 12, day: 25), now: Self.local("2026-12-01T10:00", Self.oslo), timeZone: Self.oslo, country: "NO",
            windows: .defaults, choose: recorder.choose))
        #expect(timed.day == CalendarDate(year: 2026, month: 12, day: 28))
        #expect(timed.reason == "took 20; the step's day 2026-12-25 had no open hour left, so it goes on 2026-12-28 (no open hour on 2026-12-25, 2026-12-26, 2026-12-27)")
        // A Saturday that is open offers its shorter window.
        let saturday = Recorder()
        _ = LearnedSchedule.sendTime(
            day: CalendarDate(year: 2026, month: 12, day: 12), now: Self.local("2026-12-01T10:00", Self.oslo), timeZone: Self.oslo, country: "NO",
            windows: .defaults, choose: saturday.choose)
        #expect(saturday.offered == [Array(9...14)])
    }

    @Test("today only offers hours still ahead; when none is left the step goes the next open day")
    func today() throws {
        let recorder = Recorder()
        let now = Self.local("2026-12-08T17:30", Self.oslo)
        _ = LearnedSchedule.sendTime(day: CalendarDate(year: 2026, month: 12, day: 8), now: now, timeZone: Self.oslo, country: "NO", windows: .defaults, choose: recorder.choose)
        #expect(recorder.offered == [[18, 19, 20]])
        let late = Recorder()
        let timed = try #require(LearnedSchedule.sendTime(
            day: CalendarDate(year: 2026, month: 12, day: 8), now: Self.local("2026-12-08T20:30", Self.oslo), timeZone: Self.oslo, country: "NO",
            windows: .defaults, choose: late.choose))
        #expect(late.offered == [Array(8...20)] && timed.day == CalendarDate(year: 2026, month: 12, day: 9))
    }

    @Test("on a spring-forward day an hour the clock skips is never offered; without a window the daytime default applies")
    func daylightSaving() {
        // Finland: 29 March 2026, 03:00 becomes 04:00; a window from 03:00 shows the gap.
        var windows = ContactWindows.defaults
        let early = ClosedOpenTimeRange(start: LocalTime(hour: 2), end: LocalTime(hour: 6))
        windows.rules["FI"] = ContactWindowRule(open: Dictionary(uniqueKeysWithValues: (1...7).map { ($0, early) }), closedOnHolidays: false)
        let recorder = Recorder()
        _ = LearnedSchedule.sendTime(
            day: CalendarDate(year: 2026, month: 3, day: 29), now: Self.local("2026-03-01T10:00", Self.helsinki), timeZone: Self.helsinki, country: "FI",
            windows: windows, choose: recorder.choose)
        #expect(recorder.offered == [[2, 4, 5]])
        let nowhere = Recorder()
        _ = LearnedSchedule.sendTime(
            day: CalendarDate(year: 2026, month: 12, day: 8), now: Self.local("2026-12-01T10:00", Self.oslo), timeZone: Self.oslo, country: "US",
            windows: .defaults, choose: nowhere.choose)
        #expect(nowhere.offered == [LearnedSchedule.defaultHours])
    }

    @Test("every chosen time lies inside the contact window, over a year of days and real Thompson draws")
    func alwaysInsideWindow() {
        var rng = SeededRandom(seed: 7)
        let stats: [Int: HourStats] = [18: HourStats(sends: 200, paid: 60), 9: HourStats(sends: 200, paid: 20)]
        let now = Self.local("2026-01-01T00:00", Self.oslo)
        for offset in 0..<365 {
            let (y, m, d) = RFC3339.civilFromDays(CalendarDate(year: 2026, month: 1, day: 1).dayNumber + offset)
            guard let timed = LearnedSchedule.sendTime(
                day: CalendarDate(year: y, month: m, day: d), now: now, timeZone: Self.oslo, country: "NO", windows: .defaults,
                choose: { LearnedSendHour.choose(openHours: $0, stats: stats, using: &rng) })
            else {
                Issue.record("no time for \(y)-\(m)-\(d)")
                continue
            }
            #expect(ContactWindows.defaults.isAllowed(timed.sendAfter, country: "NO", timeZone: Self.oslo), "\(timed)")
        }
    }

    @Test("today: hours from the current one on; the current hour sends now, a later one waits for its start, none left is nil")
    func todaysHour() throws {
        func pick(_ hour: Int) -> ([Int]) -> LearnedSendHour.Choice? { { hours in hours.contains(hour) ? .init(hour: hour, reason: "r") : hours.first.map { .init(hour: $0, reason: "first") } } }
        var offered: [Int] = []
        let morning = Self.local("2026-12-08T09:30", Self.oslo)
        let wait = try #require(LearnedSchedule.today(now: morning, timeZone: Self.oslo, country: "NO", windows: .defaults) { offered = $0; return pick(18)($0) })
        #expect(offered == Array(9...20))
        #expect(wait.at == Self.local("2026-12-08T18:00", Self.oslo) && !wait.isNow && wait.hour == 18)
        let evening = Self.local("2026-12-08T18:10", Self.oslo)
        let now = try #require(LearnedSchedule.today(now: evening, timeZone: Self.oslo, country: "NO", windows: .defaults, choose: pick(18)))
        #expect(now.isNow && now.at == evening)
        #expect(LearnedSchedule.today(now: Self.local("2026-12-08T21:30", Self.oslo), timeZone: Self.oslo, country: "NO", windows: .defaults, choose: pick(18)) == nil)
        #expect(LearnedSchedule.today(now: Self.local("2026-12-13T10:00", Self.oslo), timeZone: Self.oslo, country: "NO", windows: .defaults, choose: pick(18)) == nil, "a Sunday")
    }

    @Test("seeded per hour: the hour chosen over a day's open hours is chosen again over the hours left when it comes, for any seed")
    func seededChoiceHolds() throws {
        let stats: [Int: HourStats] = [9: .init(sends: 40, paid: 6), 12: .init(sends: 30, paid: 6), 18: .init(sends: 50, paid: 12), 20: .init(sends: 3, paid: 1)]
        var hours: Set<Int> = []
        for seed in UInt64(0)..<500 {
            let first = try #require(LearnedSendHour.choose(openHours: Array(8...20), stats: stats, seed: seed))
            let again = try #require(LearnedSendHour.choose(openHours: Array(first.hour...20), stats: stats, seed: seed))
            #expect(again.hour == first.hour, "seed \(seed)")
            hours.insert(first.hour)
        }
        #expect(hours.count > 3, "different seeds explore different hours: \(hours.sorted())")
    }
}
