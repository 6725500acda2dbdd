import Foundation
import Testing
@testable import VarselCore

/// Contact windows in the debtor's local time: weekday hours, public holidays and DST changes.
/// Every instant is written as RFC 3339 with the local offset; expected openings were worked out by hand
/// from the calendar (holiday dates cross-checked with the PyPI `holidays` package).
@Suite("Contact windows")
struct ContactWindowsTests {
    /// One request and the instant it may be sent at.
    struct Case: Sendable, CustomTestStringConvertible {
        let label: String
        let country: String
        let zone: String
        let at: String
        let expected: String

        init(_ label: String, _ country: String, _ zone: String, _ at: String, _ expected: String) {
            self.label = label
            self.country = country
            self.zone = zone
            self.at = at
            self.expected = expected
        }

        var testDescription: String { "\(label): \(country) \(at) → \(expected)" }
    }

    private static func instant(_ text: String) -> Date {
        guard let date = RFC3339.parseTimestamp(text) else { fatalError("bad test timestamp \(text)") }
        return date
    }

    private static func zone(_ identifier: String) -> TimeZone {
        guard let zone = TimeZone(identifier: identifier) else { fatalError("unknown zone \(identifier)") }
        return zone
    }

    private static func check(_ windows: ContactWindows, _ item: Case) {
        let at = instant(item.at)
        let expected = instant(item.expected)
        let tz = zone(item.zone)
        #expect(windows.earliestAllowed(at: at, country: item.country, timeZone: tz) == expected)
        #expect(windows.isAllowed(at, country: item.country, timeZone: tz) == (at == expected))
        // The answer itself is allowed.
        #expect(windows.isAllowed(expected, country: item.country, timeZone: tz))
    }

    @Test(
        "Norway on ordinary days: Mon–Fri 08–21, Sat 09–15, Sunday closed",
        arguments: [
            Case("weekday 10:00 is allowed", "NO", "Europe/Oslo", "2027-09-13T10:00:00+02:00", "2027-09-13T10:00:00+02:00"),
            Case("weekday 08:00 is allowed", "NO", "Europe/Oslo", "2027-09-13T08:00:00+02:00", "2027-09-13T08:00:00+02:00"),
            Case("weekday 20:59:59 is allowed", "NO", "Europe/Oslo", "2027-09-13T20:59:59+02:00", "2027-09-13T20:59:59+02:00"),
            Case("weekday 07:59 waits for 08:00", "NO", "Europe/Oslo", "2027-09-13T07:59:00+02:00", "2027-09-13T08:00:00+02:00"),
            Case("weekday 07:59:59.5 waits for 08:00", "NO", "Europe/Oslo", "2027-09-13T07:59:59.500+02:00", "2027-09-13T08:00:00+02:00"),
            Case("weekday 00:30 waits for 08:00", "NO", "Europe/Oslo", "2027-09-14T00:30:00+02:00", "2027-09-14T08:00:00+02:00"),
            Case("21:00 is the exclusive end: next day 08:00", "NO", "Europe/Oslo", "2027-09-13T21:00:00+02:00", "2027-09-14T08:00:00+02:00"),
            Case("Friday 22:00 waits for Saturday 09:00", "NO", "Europe/Oslo", "2027-09-17T22:00:00+02:00", "2027-09-18T09:00:00+02:00"),
            Case("Saturday 08:30 waits for 09:00", "NO", "Europe/Oslo", "2027-09-18T08:30:00+02:00", "2027-09-18T09:00:00+02:00"),
            Case("Saturday 14:59 is allowed", "NO", "Europe/Oslo", "2027-09-18T14:59:00+02:00", "2027-09-18T14:59:00+02:00"),
            Case("Saturday 15:00 waits for Monday 08:00", "NO", "Europe/Oslo", "2027-09-18T15:00:00+02:00", "2027-09-20T08:00:00+02:00"),
            Case("Saturday 15:30 waits for Monday 08:00", "NO", "Europe/Oslo", "2027-09-18T15:30:00+02:00", "2027-09-20T08:00:00+02:00"),
            Case("Sunday waits for Monday 08:00", "NO", "Europe/Oslo", "2027-09-19T12:00:00+02:00", "2027-09-20T08:00:00+02:00"),
            Case("an instant given in UTC is judged in local time", "NO", "Europe/Oslo", "2027-09-13T05:30:00Z", "2027-09-13T06:00:00Z"),
            Case("lower-case country code", "no", "Europe/Oslo", "2027-09-19T12:00:00+02:00", "2027-09-20T08:00:00+02:00"),
        ])
    func norwayOrdinaryDays(item: Case) {
        Self.check(.defaults, item)
    }

    @Test(
        "Norway is closed on public holidays, across the DST changes",
        arguments: [
            Case("Maundy Thursday closed, Good Friday closed: Saturday 09:00", "NO", "Europe/Oslo", "2027-03-25T09:00:00+01:00", "2027-03-27T09:00:00+01:00"),
            Case("Saturday after 15:00: Easter Sunday (DST starts) and Monday closed, Tuesday 08:00 CEST", "NO", "Europe/Oslo", "2027-03-27T16:00:00+01:00", "2027-03-30T06:00:00Z"),
            Case("Wednesday before Easter 21:30: Saturday 09:00", "NO", "Europe/Oslo", "2027-03-24T21:30:00+01:00", "2027-03-27T09:00:00+01:00"),
            Case("17 May 2027 (also Whit Monday) closed: Tuesday 08:00", "NO", "Europe/Oslo", "2027-05-17T10:00:00+02:00", "2027-05-18T08:00:00+02:00"),
            Case("Whit Sunday: Tuesday 08:00", "NO", "Europe/Oslo", "2027-05-16T12:00:00+02:00", "2027-05-18T08:00:00+02:00"),
            Case("Ascension Day: Friday 08:00", "NO", "Europe/Oslo", "2027-05-06T12:00:00+02:00", "2027-05-07T08:00:00+02:00"),
            Case("Christmas Eve is not a Norwegian holiday", "NO", "Europe/Oslo", "2027-12-24T10:00:00+01:00", "2027-12-24T10:00:00+01:00"),
            Case("Christmas Day and Boxing Day on a weekend: Monday 08:00", "NO", "Europe/Oslo", "2027-12-24T21:00:00+01:00", "2027-12-27T08:00:00+01:00"),
            Case("1 January 2027 (Friday): Saturday 09:00", "NO", "Europe/Oslo", "2027-01-01T11:00:00+01:00", "2027-01-02T09:00:00+01:00"),
        ])
    func norwayHolidays(item: Case) {
        Self.check(.defaults, item)
    }

    @Test(
        "window openings stay at 08:00/09:00 local time on both sides of a DST change",
        arguments: [
            Case("Friday before spring forward: Saturday 09:00 CET", "NO", "Europe/Oslo", "2027-03-19T22:00:00+01:00", "2027-03-20T08:00:00Z"),
            Case("Saturday after fall back: Sunday closed, Monday 08:00 CET", "NO", "Europe/Oslo", "2027-10-30T16:00:00+02:00", "2027-11-01T07:00:00Z"),
            Case("Friday before fall back: Saturday 09:00 CEST", "NO", "Europe/Oslo", "2027-10-29T22:00:00+02:00", "2027-10-30T07:00:00Z"),
            Case("Sunday of fall back at 02:30 (first occurrence): Monday 08:00 CET", "NO", "Europe/Oslo", "2027-10-31T00:30:00Z", "2027-11-01T07:00:00Z"),
            Case("Stockholm Monday after spring forward", "SE", "Europe/Stockholm", "2026-03-28T16:00:00+01:00", "2026-03-30T06:00:00Z"),
        ])
    func dstDefaults(item: Case) {
        Self.check(.defaults, item)
    }

    @Test(
        "Sweden, Denmark and Finland defaults",
        arguments: [
            Case("SE Midsummer Eve (Friday) closed, Midsummer Day and Sunday too: Monday 08:00", "SE", "Europe/Stockholm", "2027-06-25T10:00:00+02:00", "2027-06-28T08:00:00+02:00"),
            Case("SE Thursday before Midsummer after hours: Monday 08:00", "SE", "Europe/Stockholm", "2027-06-24T21:30:00+02:00", "2027-06-28T08:00:00+02:00"),
            Case("SE National Day 2028 (Tuesday): Wednesday 08:00", "SE", "Europe/Stockholm", "2028-06-06T10:00:00+02:00", "2028-06-07T08:00:00+02:00"),
            Case("SE Christmas Eve (Friday) through Boxing Day: Monday 08:00", "SE", "Europe/Stockholm", "2027-12-24T10:00:00+01:00", "2027-12-27T08:00:00+01:00"),
            Case("SE New Year's Eve (Friday) and New Year's Day: Monday 08:00", "SE", "Europe/Stockholm", "2027-12-31T10:00:00+01:00", "2028-01-03T08:00:00+01:00"),
            Case("SE ordinary weekday allowed", "SE", "Europe/Stockholm", "2027-09-15T10:00:00+02:00", "2027-09-15T10:00:00+02:00"),
            Case("DK Constitution Day 2026 (Friday) closed: Saturday 09:00", "DK", "Europe/Copenhagen", "2026-06-05T10:00:00+02:00", "2026-06-06T09:00:00+02:00"),
            Case("DK Great Prayer Day 2023 closed: Saturday 09:00", "DK", "Europe/Copenhagen", "2023-05-05T10:00:00+02:00", "2023-05-06T09:00:00+02:00"),
            Case("DK Easter + 26 in 2024 is a working day", "DK", "Europe/Copenhagen", "2024-04-26T10:00:00+02:00", "2024-04-26T10:00:00+02:00"),
            Case("FI 23:00: next day 07:00", "FI", "Europe/Helsinki", "2027-09-13T23:00:00+03:00", "2027-09-14T07:00:00+03:00"),
            Case("FI 06:59: 07:00", "FI", "Europe/Helsinki", "2027-09-14T06:59:00+03:00", "2027-09-14T07:00:00+03:00"),
            Case("FI 21:59 allowed", "FI", "Europe/Helsinki", "2027-09-14T21:59:00+03:00", "2027-09-14T21:59:00+03:00"),
            Case("FI 22:00: next day 07:00", "FI", "Europe/Helsinki", "2027-09-14T22:00:00+03:00", "2027-09-15T07:00:00+03:00"),
            Case("FI Sunday allowed", "FI", "Europe/Helsinki", "2027-09-19T12:00:00+03:00", "2027-09-19T12:00:00+03:00"),
            Case("FI Independence Day 12:00 allowed", "FI", "Europe/Helsinki", "2027-12-06T12:00:00+02:00", "2027-12-06T12:00:00+02:00"),
            Case("FI Midsummer Eve allowed", "FI", "Europe/Helsinki", "2027-06-25T12:00:00+03:00", "2027-06-25T12:00:00+03:00"),
            Case("FI Saturday night after fall back: 07:00 EET", "FI", "Europe/Helsinki", "2027-10-30T23:30:00+03:00", "2027-10-31T05:00:00Z"),
        ])
    func otherCountries(item: Case) {
        Self.check(.defaults, item)
    }

    @Test("the country's local time decides, not the zone of the caller: Helsinki 07:30 is Oslo 06:30")
    func zoneMatters() {
        let at = Self.instant("2027-09-14T04:30:00Z")  // 07:30 in Helsinki, 06:30 in Oslo
        #expect(ContactWindows.defaults.isAllowed(at, country: "FI", timeZone: Self.zone("Europe/Helsinki")))
        #expect(!ContactWindows.defaults.isAllowed(at, country: "FI", timeZone: Self.zone("Europe/Oslo")))
        #expect(ContactWindows.defaults.earliestAllowed(at: at, country: "FI", timeZone: Self.zone("Europe/Oslo"))
                == Self.instant("2027-09-14T07:00:00+02:00"))
    }

    @Test("disabled windows, an unknown country and no country leave the instant unchanged")
    func noRestriction() {
        let sundayNight = Self.instant("2027-09-19T23:30:00+02:00")
        let oslo = Self.zone("Europe/Oslo")
        var disabled = ContactWindows.defaults
        disabled.enabled = false
        #expect(disabled.earliestAllowed(at: sundayNight, country: "NO", timeZone: oslo) == sundayNight)
        #expect(disabled.isAllowed(sundayNight, country: "NO", timeZone: oslo))
        #expect(ContactWindows.defaults.earliestAllowed(at: sundayNight, country: "DE", timeZone: oslo) == sundayNight)
        #expect(ContactWindows.defaults.isAllowed(sundayNight, country: "DE", timeZone: oslo))
        #expect(ContactWindows.defaults.earliestAllowed(at: sundayNight, country: nil, timeZone: oslo) == sundayNight)
        #expect(ContactWindows.defaults.isAllowed(sundayNight, country: nil, timeZone: oslo))
        // The same instant is restricted for Norway.
        #expect(!ContactWindows.defaults.isAllowed(sundayNight, country: "NO", timeZone: oslo))
    }

    @Test("a rule with no open time at all gives nil and never allows contact")
    func neverOpen() {
        let windows = ContactWindows(rules: ["NO": ContactWindowRule(open: [:], closedOnHolidays: true)])
        let at = Self.instant("2027-09-13T10:00:00+02:00")
        #expect(windows.earliestAllowed(at: at, country: "NO", timeZone: Self.zone("Europe/Oslo")) == nil)
        #expect(!windows.isAllowed(at, country: "NO", timeZone: Self.zone("Europe/Oslo")))
    }

    @Test("a rule whose only open weekday key is out of range is closed; the search stops after 30 days")
    func invalidWeekdayKey() {
        let range = ClosedOpenTimeRange(start: LocalTime(hour: 8), end: LocalTime(hour: 21))
        let windows = ContactWindows(rules: ["SE": ContactWindowRule(open: [0: range, 8: range], closedOnHolidays: false)])
        #expect(windows.earliestAllowed(at: Self.instant("2027-09-13T10:00:00+02:00"), country: "SE",
                                        timeZone: Self.zone("Europe/Stockholm")) == nil)
    }

    /// A custom rule: open on Sundays only, `start`–`end`, holidays not closed.
    private static func sundays(_ start: LocalTime, _ end: LocalTime) -> ContactWindows {
        ContactWindows(rules: ["NO": ContactWindowRule(
            open: [7: ClosedOpenTimeRange(start: start, end: end)], closedOnHolidays: false)])
    }

    @Test(
        "Sunday 08:00 on the DST Sundays themselves is 08:00 local",
        arguments: [
            Case("spring forward: 08:00 CEST", "NO", "Europe/Oslo", "2027-03-27T22:00:00+01:00", "2027-03-28T06:00:00Z"),
            Case("fall back: 08:00 CET", "NO", "Europe/Oslo", "2027-10-30T22:00:00+02:00", "2027-10-31T07:00:00Z"),
            Case("fall back, asked during the repeated hour", "NO", "Europe/Oslo", "2027-10-31T02:30:00+01:00", "2027-10-31T07:00:00Z"),
        ])
    func dstSundays(item: Case) {
        Self.check(Self.sundays(LocalTime(hour: 8), LocalTime(hour: 21)), item)
    }

    @Test(
        "an opening inside the spring-forward gap opens when the gap ends",
        arguments: [
            Case("from the evening before", "NO", "Europe/Oslo", "2027-03-27T22:00:00+01:00", "2027-03-28T03:00:00+02:00"),
            Case("from just before the gap", "NO", "Europe/Oslo", "2027-03-28T01:50:00+01:00", "2027-03-28T01:00:00Z"),
        ])
    func springGap(item: Case) {
        Self.check(Self.sundays(LocalTime(hour: 2, minute: 30), LocalTime(hour: 5)), item)
    }

    @Test("a window that lies wholly inside the spring-forward gap is closed that day")
    func windowInsideGap() {
        let range = ClosedOpenTimeRange(start: LocalTime(hour: 2), end: LocalTime(hour: 2, minute: 45))
        let windows = ContactWindows(rules: ["NO": ContactWindowRule(
            open: Dictionary(uniqueKeysWithValues: (1...7).map { ($0, range) }), closedOnHolidays: false)])
        Self.check(windows, Case("next day 02:00", "NO", "Europe/Oslo", "2027-03-27T22:00:00+01:00", "2027-03-29T02:00:00+02:00"))
    }

    @Test(
        "an opening at a repeated local time (fall back) is its first occurrence not yet past",
        arguments: [
            Case("first occurrence of 02:30 (CEST)", "NO", "Europe/Oslo", "2027-10-30T22:00:00+02:00", "2027-10-31T02:30:00+02:00"),
            Case("asked at the second 02:10 (CET): the second 02:30", "NO", "Europe/Oslo", "2027-10-31T02:10:00+01:00", "2027-10-31T02:30:00+01:00"),
            Case("asked at the first 02:10 (CEST): the first 02:30", "NO", "Europe/Oslo", "2027-10-31T02:10:00+02:00", "2027-10-31T02:30:00+02:00"),
        ])
    func fallBackOpening(item: Case) {
        Self.check(Self.sundays(LocalTime(hour: 2, minute: 30), LocalTime(hour: 4)), item)
    }

    @Test("after a window closes, falling back into it reopens it the same night")
    func fallBackReopens() {
        let windows = Self.sundays(LocalTime(hour: 0), LocalTime(hour: 2, minute: 30))
        // First 02:45 (CEST) is past the window; at 03:00 CEST the clock goes back to 02:00 CET.
        Self.check(windows, Case("reopens at 02:00 CET", "NO", "Europe/Oslo", "2027-10-31T02:45:00+02:00", "2027-10-31T01:00:00Z"))
        // Second 02:45 (CET): closed until next Sunday 00:00.
        Self.check(windows, Case("then next Sunday", "NO", "Europe/Oslo", "2027-10-31T02:45:00+01:00", "2027-11-07T00:00:00+01:00"))
    }

    @Test("a midnight opening skipped by DST (America/Santiago, 2027-09-05 00:00 → 01:00) opens at 01:00")
    func midnightGap() {
        let range = ClosedOpenTimeRange(start: LocalTime(hour: 0), end: LocalTime(hour: 12))
        let windows = ContactWindows(rules: ["CL": ContactWindowRule(
            open: Dictionary(uniqueKeysWithValues: (1...7).map { ($0, range) }), closedOnHolidays: true)])
        Self.check(windows, Case("Saturday 13:00 -04 to Sunday 01:00 -03", "CL", "America/Santiago", "2027-09-04T13:00:00-04:00", "2027-09-05T01:00:00-03:00"))
    }

    @Test("the defaults are the docs/domain.md windows")
    func defaultsShape() {
        let defaults = ContactWindows.defaults
        #expect(defaults.enabled)
        #expect(Set(defaults.rules.keys) == ["NO", "SE", "DK", "FI"])
        let no = defaults.rules["NO"]
        #expect(no?.closedOnHolidays == true)
        #expect(no?.open[1] == ClosedOpenTimeRange(start: LocalTime(hour: 8), end: LocalTime(hour: 21)))
        #expect(no?.open[6] == ClosedOpenTimeRange(start: LocalTime(hour: 9), end: LocalTime(hour: 15)))
        #expect(no?.open[7] == nil)
        #expect(defaults.rules["FI"]?.closedOnHolidays == false)
        #expect(defaults.rules["FI"]?.open.count == 7)
        #expect(defaults.rules["FI"]?.open[7] == ClosedOpenTimeRange(start: LocalTime(hour: 7), end: LocalTime(hour: 22)))
    }

    @Test("LocalTime: minutes, bounds and formatting")
    func localTime() {
        #expect(LocalTime(hour: 8, minute: 30).minutes == 510)
        #expect(LocalTime(hour: 24).minutes == 1440)
        #expect(LocalTime(minutes: 1441) == nil)
        #expect(LocalTime(minutes: -1) == nil)
        #expect(LocalTime(minutes: 75)?.description == "01:15")
        #expect(LocalTime(hour: 7) < LocalTime(hour: 7, minute: 1))
        #expect(ClosedOpenTimeRange.validated(start: LocalTime(hour: 9), end: LocalTime(hour: 9)) == nil)
        #expect(ClosedOpenTimeRange.validated(start: LocalTime(hour: 9), end: LocalTime(hour: 24))?.description == "09:00–24:00")
    }
}
