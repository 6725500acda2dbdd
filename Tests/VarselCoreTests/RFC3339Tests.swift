import Foundation
import Testing
@testable import VarselCore

/// Strict RFC 3339 timestamps and `YYYY-MM-DD` dates.
///
/// Expected instants are Unix seconds computed outside Swift (`date -u -d … +%s`).
@Suite("RFC 3339")
struct RFC3339Tests {
    /// 2026-11-23T08:00:00Z
    private static let novemberMorning: TimeInterval = 1_795_420_800

    @Test(
        "timestamps with Z or an offset parse to the same instant",
        arguments: [
            "2026-11-23T08:00:00Z",
            "2026-11-23T09:00:00+01:00",
            "2026-11-23T02:30:00-05:30",
            "2026-11-23T08:00:00+00:00",
            "2026-11-23T08:00:00-00:00",
            "2026-11-23t08:00:00z",
            "2026-11-23T07:00:00-01:00",
        ])
    func sameInstant(text: String) throws {
        let date = try #require(RFC3339.parseTimestamp(text))
        #expect(date.timeIntervalSince1970 == Self.novemberMorning)
    }

    @Test("an offset crossing midnight moves the date")
    func offsetCrossesMidnight() throws {
        // 2026-11-23T00:30:00+01:00 is 2026-11-22T23:30:00Z = 1795420800 − 8.5 h.
        let date = try #require(RFC3339.parseTimestamp("2026-11-23T00:30:00+01:00"))
        #expect(date.timeIntervalSince1970 == Self.novemberMorning - 8.5 * 3600)
    }

    @Test("fractional seconds are kept", arguments: [("2026-11-23T08:00:00.250Z", 0.25), ("2026-11-23T08:00:00.5+00:00", 0.5), ("2026-11-23T08:00:00.123456789Z", 0.123456789)])
    func fractionalSeconds(text: String, fraction: Double) throws {
        let date = try #require(RFC3339.parseTimestamp(text))
        #expect(abs(date.timeIntervalSince1970 - (Self.novemberMorning + fraction)) < 0.000_01)
    }

    @Test("fractional seconds combine with an offset")
    func fractionWithOffset() throws {
        let date = try #require(RFC3339.parseTimestamp("2026-11-23T09:00:00.250+01:00"))
        #expect(abs(date.timeIntervalSince1970 - (Self.novemberMorning + 0.25)) < 0.000_01)
    }

    @Test(
        "known instants",
        arguments: [
            ("1970-01-01T00:00:00Z", 0.0),
            ("2000-03-01T00:00:00Z", 951_868_800.0),
            ("2026-12-01T00:00:00Z", 1_796_083_200.0),
            ("2028-02-29T12:00:00Z", 1_835_438_400.0),
            ("1969-12-31T23:59:59Z", -1.0),
        ])
    func knownInstants(text: String, seconds: Double) throws {
        let date = try #require(RFC3339.parseTimestamp(text))
        #expect(date.timeIntervalSince1970 == seconds)
    }

    @Test(
        "malformed or impossible timestamps are refused",
        arguments: [
            "2026-02-30T00:00:00Z",  // no 30 February
            "2027-02-29T00:00:00Z",  // 2027 is not a leap year
            "2100-02-29T00:00:00Z",  // century, not divisible by 400
            "2026-04-31T00:00:00Z",  // April has 30 days
            "2026-13-01T00:00:00Z",  // month 13
            "2026-00-10T00:00:00Z",  // month 0
            "2026-11-00T00:00:00Z",  // day 0
            "2026-11-23T08:00:00",  // no zone
            "2026-11-23T24:00:00Z",  // hour 24
            "2026-11-23T08:60:00Z",  // minute 60
            "2026-11-23T08:00:61Z",  // second 61
            "2026-11-23T08:00:00Zjunk",  // trailing junk
            "2026-11-23T08:00:00Z ",  // trailing space
            "2026-11-23T08:00:00+01:00x",  // junk after the offset
            "2026-11-23T08:00:00+0100",  // offset without colon
            "2026-11-23T08:00:00+01",  // short offset
            "2026-11-23T08:00:00+24:00",  // offset hour 24
            "2026-11-23T08:00:00.Z",  // dot without digits
            "2026-11-23X08:00:00Z",  // wrong separator
            "2026-11-23",  // a date is not a timestamp
            "26-11-23T08:00:00Z",  // two-digit year
            "2026-11-23T8:00:00Z",  // one-digit hour
            " 2026-11-23T08:00:00Z",  // leading space
            "",
            "tomorrow",
        ])
    func refused(text: String) {
        #expect(RFC3339.parseTimestamp(text) == nil)
    }

    @Test("29 February exists in 2028 and 2000 but not in 2027 or 1900")
    func leapYears() {
        #expect(RFC3339.parseTimestamp("2028-02-29T00:00:00Z") != nil)
        #expect(RFC3339.parseDate("2028-02-29") == CalendarDate(year: 2028, month: 2, day: 29))
        #expect(RFC3339.parseDate("2000-02-29") != nil)
        #expect(RFC3339.parseDate("2027-02-29") == nil)
        #expect(RFC3339.parseDate("1900-02-29") == nil)
    }

    @Test("format writes UTC with second precision and Z")
    func formatUTC() {
        #expect(RFC3339.format(Date(timeIntervalSince1970: Self.novemberMorning)) == "2026-11-23T08:00:00Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: 1_835_438_400)) == "2028-02-29T12:00:00Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: -1)) == "1969-12-31T23:59:59Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: Self.novemberMorning + 0.75)) == "2026-11-23T08:00:00Z")
    }

    @Test("format agrees with an independent formatter (ISO8601DateFormatter) on 20,000 seeded instants from 1600 to 9999")
    func formatAgreesWithFoundation() {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = [.withInternetDateTime]
        var random = SeededRandom(seed: 3339)
        // 1600-01-01 to 9999-12-31 (the formatter counts days before 1582 by the Julian calendar, RFC 3339
        // by the Gregorian), and the edges of days.
        let first = -11_676_096_000.0, last = 253_402_300_799.0
        for round in 0..<20_000 {
            // Whole seconds: the formatter rounds a fraction where this one drops it (tested above).
            var seconds = Double.random(in: first...last, using: &random).rounded(.down)
            if round % 7 == 0 { seconds = (seconds / 86_400).rounded(.down) * 86_400 + [0, 59, 86_399][round % 3] }
            let date = Date(timeIntervalSince1970: seconds)
            #expect(RFC3339.format(date) == formatter.string(from: date), "\(seconds)")
        }
    }

    @Test(
        "parse then format gives the UTC form of the same instant",
        arguments: [
            ("2026-11-23T08:00:00Z", "2026-11-23T08:00:00Z"),
            ("2026-11-23T09:00:00+01:00", "2026-11-23T08:00:00Z"),
            ("2026-11-23T02:30:00-05:30", "2026-11-23T08:00:00Z"),
            ("2026-12-31T23:59:59-01:00", "2027-01-01T00:59:59Z"),
            ("2028-02-29T23:00:00-02:00", "2028-03-01T01:00:00Z"),
        ])
    func roundTrip(text: String, utc: String) throws {
        let date = try #require(RFC3339.parseTimestamp(text))
        #expect(RFC3339.format(date) == utc)
        #expect(RFC3339.parseTimestamp(utc) == date)
    }

    @Test("calendar dates parse strictly as YYYY-MM-DD")
    func calendarDates() {
        #expect(RFC3339.parseDate("2026-11-01") == CalendarDate(year: 2026, month: 11, day: 1))
        #expect(RFC3339.parseDate("2026-11-01")?.description == "2026-11-01")
        for text in ["2026-11-1", "01.11.2026", "2026-11-01T00:00:00Z", "2026/11/01", "2026-11-31", ""] {
            #expect(RFC3339.parseDate(text) == nil, "\(text) must be refused")
        }
    }

    @Test("calendar dates order by day")
    func calendarDateOrder() {
        #expect(CalendarDate(year: 2026, month: 11, day: 30) < CalendarDate(year: 2026, month: 12, day: 1))
        #expect(CalendarDate(year: 2026, month: 12, day: 8).dayNumber - CalendarDate(year: 2026, month: 11, day: 24).dayNumber == 14)
        #expect(CalendarDate(year: 1970, month: 1, day: 1).dayNumber == 0)
    }

    @Test("a calendar date prints as YYYY-MM-DD, zero-padded, as C's printf would; out of its range too")
    func calendarDateText() {
        #expect(CalendarDate(year: 2026, month: 1, day: 5).description == "2026-01-05")
        #expect(CalendarDate(year: 7, month: 12, day: 31).description == "0007-12-31")
        for year in [-20, -1, 0, 1, 7, 10, 99, 100, 999, 1000, 2026, 9999, 10_000, 12_345] {
            for month in [-1, 0, 1, 9, 10, 12, 99, 100] {
                for day in [-1, 0, 1, 9, 10, 31, 99, 100] {
                    #expect(CalendarDate(year: year, month: month, day: day).description == String(format: "%04d-%02d-%02d", year, month, day))
                }
            }
        }
    }
}
