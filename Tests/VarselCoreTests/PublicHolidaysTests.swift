import Testing
@testable import VarselCore

/// Easter and the Nordic holiday calendars. Expected dates were checked against the PyPI `holidays`
/// package 0.109 and `dateutil.easter` (see scripts/check_holidays.py), or by hand.
@Suite("Public holidays")
struct PublicHolidaysTests {
    private static func day(_ text: String) -> CalendarDate {
        guard let date = RFC3339.parseDate(text) else { fatalError("bad test date \(text)") }
        return date
    }

    @Test(
        "Easter Sunday matches known dates, including the earliest (22 March) and latest (25 April) cases",
        arguments: [
            (1583, "1583-04-10"), (1818, "1818-03-22"), (1943, "1943-04-25"), (2000, "2000-04-23"),
            (2008, "2008-03-23"), (2011, "2011-04-24"), (2024, "2024-03-31"), (2025, "2025-04-20"),
            (2026, "2026-04-05"), (2027, "2027-03-28"), (2028, "2028-04-16"), (2038, "2038-04-25"),
            (2285, "2285-03-22"), (3000, "3000-04-13"), (9999, "9999-03-28"),
        ])
    func easterSunday(year: Int, expected: String) {
        #expect(Easter.sunday(year: year) == Self.day(expected))
    }

    @Test("the countries with a calendar are DK, FI, NO and SE")
    func countries() {
        #expect(PublicHolidays.countries == ["DK", "FI", "NO", "SE"])
    }

    @Test("Norway 2027: the full list of dates, with 17 May shared by Constitution Day and Whit Monday")
    func norway2027() {
        let holidays = PublicHolidays.holidays(country: "NO", year: 2027)
        let expected = [
            "2027-01-01", "2027-03-25", "2027-03-26", "2027-03-28", "2027-03-29", "2027-05-01",
            "2027-05-06", "2027-05-16", "2027-05-17", "2027-12-25", "2027-12-26",
        ].map(Self.day)
        #expect(Set(holidays.keys) == Set(expected))
        #expect(holidays[Self.day("2027-03-25")] == "Maundy Thursday")
        #expect(holidays[Self.day("2027-03-26")] == "Good Friday")
        #expect(holidays[Self.day("2027-03-29")] == "Easter Monday")
        #expect(holidays[Self.day("2027-05-06")] == "Ascension Day")
        #expect(holidays[Self.day("2027-05-17")] == "Constitution Day; Whit Monday")
    }

    @Test(
        "Norwegian holidays are holidays",
        arguments: [
            "2027-03-25", "2027-03-26", "2027-03-28", "2027-03-29", "2027-05-06", "2027-05-17",
            "2026-05-17", "2026-05-25", "2026-01-01", "2026-05-01", "2026-12-25", "2026-12-26",
        ])
    func norwegianHolidays(date: String) {
        #expect(PublicHolidays.isHoliday(Self.day(date), country: "NO"))
    }

    @Test(
        "ordinary days are not Norwegian holidays (including Christmas Eve and a normal weekday)",
        arguments: ["2027-03-24", "2027-03-27", "2027-03-30", "2027-05-18", "2027-06-25", "2027-12-24", "2027-12-31", "2026-11-24"])
    func norwegianWorkdays(date: String) {
        #expect(!PublicHolidays.isHoliday(Self.day(date), country: "NO"))
    }

    @Test("Sweden: Midsummer Eve and Day, All Saints' Day and National Day move or stay as the law says")
    func sweden() {
        let y2026 = PublicHolidays.holidays(country: "SE", year: 2026)
        let y2027 = PublicHolidays.holidays(country: "SE", year: 2027)
        #expect(y2027[Self.day("2027-06-25")] == "Midsummer Eve")
        #expect(y2027[Self.day("2027-06-26")] == "Midsummer Day")
        #expect(y2026[Self.day("2026-06-19")] == "Midsummer Eve")
        #expect(y2026[Self.day("2026-06-20")] == "Midsummer Day")
        #expect(y2026[Self.day("2026-10-31")] == "All Saints' Day")
        #expect(y2027[Self.day("2027-11-06")] == "All Saints' Day")
        #expect(y2027[Self.day("2027-06-06")] == "National Day")
        #expect(y2027[Self.day("2027-01-06")] == "Epiphany")
        #expect(y2027[Self.day("2027-12-24")] == "Christmas Eve")
        #expect(y2027[Self.day("2027-12-31")] == "New Year's Eve")
        #expect(y2027[Self.day("2027-05-17")] == nil)  // no Whit Monday in Sweden
        #expect(y2027[Self.day("2027-03-25")] == nil)  // no Maundy Thursday in Sweden
        #expect(y2027.count == 16)
        #expect(!PublicHolidays.isHoliday(Self.day("2027-06-24"), country: "SE"))
        #expect(!PublicHolidays.isHoliday(Self.day("2026-11-07"), country: "SE"))
    }

    @Test(
        "Midsummer Eve is the Friday between 19 and 25 June, in Sweden and Finland",
        arguments: [("2024-06-21", 2024), ("2025-06-20", 2025), ("2026-06-19", 2026), ("2027-06-25", 2027), ("2032-06-25", 2032), ("2037-06-19", 2037)])
    func midsummerEve(date: String, year: Int) {
        for country in ["SE", "FI"] {
            let holidays = PublicHolidays.holidays(country: country, year: year)
            #expect(holidays.first { $0.value == "Midsummer Eve" }?.key == Self.day(date))
        }
    }

    @Test("Denmark: Constitution Day, Christmas Eve and New Year's Eve; Great Prayer Day only until 2023")
    func denmark() {
        #expect(PublicHolidays.isHoliday(Self.day("2026-06-05"), country: "DK"))
        #expect(PublicHolidays.isHoliday(Self.day("2027-06-05"), country: "DK"))
        #expect(PublicHolidays.holidays(country: "DK", year: 2027)[Self.day("2027-06-05")] == "Constitution Day")
        #expect(PublicHolidays.isHoliday(Self.day("2027-12-24"), country: "DK"))
        #expect(PublicHolidays.isHoliday(Self.day("2027-12-31"), country: "DK"))
        #expect(PublicHolidays.isHoliday(Self.day("2027-03-25"), country: "DK"))  // Maundy Thursday
        #expect(!PublicHolidays.isHoliday(Self.day("2027-05-01"), country: "DK"))  // 1 May is no public holiday

        #expect(PublicHolidays.holidays(country: "DK", year: 2023)[Self.day("2023-05-05")] == "Great Prayer Day")
        #expect(PublicHolidays.isHoliday(Self.day("2023-05-05"), country: "DK"))
        #expect(PublicHolidays.isHoliday(Self.day("2022-05-13"), country: "DK"))
        // Easter + 26 in 2024, 2025, 2027 is an ordinary Friday.
        for text in ["2024-04-26", "2025-05-16", "2027-04-23"] {
            #expect(!PublicHolidays.isHoliday(Self.day(text), country: "DK"))
        }
        #expect(!PublicHolidays.holidays(country: "DK", year: 2024).values.contains("Great Prayer Day"))
        #expect(PublicHolidays.holidays(country: "DK", year: 2023).count == 14)
        #expect(PublicHolidays.holidays(country: "DK", year: 2024).count == 13)
    }

    @Test("Finland: Independence Day, Epiphany, Midsummer, All Saints' Day and Christmas Eve, but no New Year's Eve")
    func finland() {
        let y2026 = PublicHolidays.holidays(country: "FI", year: 2026)
        #expect(y2026[Self.day("2026-12-06")] == "Independence Day")
        #expect(y2026[Self.day("2026-01-06")] == "Epiphany")
        #expect(y2026[Self.day("2026-06-19")] == "Midsummer Eve")
        #expect(y2026[Self.day("2026-06-20")] == "Midsummer Day")
        #expect(y2026[Self.day("2026-10-31")] == "All Saints' Day")
        #expect(y2026[Self.day("2026-12-24")] == "Christmas Eve")
        #expect(y2026[Self.day("2026-12-31")] == nil)
        #expect(y2026.count == 15)
        #expect(PublicHolidays.isHoliday(Self.day("2027-12-06"), country: "FI"))
        #expect(PublicHolidays.isHoliday(Self.day("2027-01-06"), country: "FI"))
        #expect(!PublicHolidays.isHoliday(Self.day("2027-12-07"), country: "FI"))
    }

    @Test("an unknown country has no holidays; lower-case codes are accepted")
    func unknownCountry() {
        #expect(PublicHolidays.holidays(country: "DE", year: 2027).isEmpty)
        #expect(!PublicHolidays.isHoliday(Self.day("2027-12-25"), country: "DE"))
        #expect(!PublicHolidays.isHoliday(Self.day("2027-12-25"), country: ""))
        #expect(PublicHolidays.isHoliday(Self.day("2027-05-17"), country: "no"))
        #expect(PublicHolidays.isHoliday(Self.day("2027-06-06"), country: "Se"))
    }

    // DK 2028: Whit Monday falls on Constitution Day (5 June), so one date fewer.
    @Test(
        "per year, isHoliday is true on exactly the listed dates, and the lists have the expected size",
        arguments: [
            ("NO", [12, 12, 12, 11, 12]), ("SE", [16, 16, 16, 16, 16]),
            ("DK", [13, 13, 13, 13, 12]), ("FI", [15, 15, 15, 15, 15]),
        ])
    func isHolidayAgreesWithList(country: String, counts: [Int]) {
        for (year, expectedCount) in zip(2024...2028, counts) {
            let listed = PublicHolidays.holidays(country: country, year: year)
            let first = RFC3339.daysFromCivil(year: year, month: 1, day: 1)
            let last = RFC3339.daysFromCivil(year: year, month: 12, day: 31)
            var count = 0
            for number in first...last {
                let civil = RFC3339.civilFromDays(number)
                let date = CalendarDate(year: civil.year, month: civil.month, day: civil.day)
                let holiday = PublicHolidays.isHoliday(date, country: country)
                #expect(holiday == (listed[date] != nil), "\(country) \(date)")
                if holiday { count += 1 }
            }
            #expect(listed.count == expectedCount, "\(country) \(year)")
            #expect(count == expectedCount, "\(country) \(year)")
        }
    }
}
