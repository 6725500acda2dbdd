/// Public holidays of Norway, Sweden, Denmark and Finland for any year, movable feasts included, plus the
/// de facto days off on which a creditor must not contact debtors (Swedish and Finnish Midsummer Eve,
/// Christmas Eve in SE/DK/FI, New Year's Eve in SE/DK).
///
/// The calendars follow today's law for every year (Swedish National Day and the absence of Swedish Whit
/// Monday are applied before 2005 too); the one dated change is the Danish Great Prayer Day, observed only
/// before 2024. Pure arithmetic on `CalendarDate`: no Foundation calendar, no time zone, no allocation in
/// `isHoliday`. Country codes are ISO 3166-1 alpha-2, upper or lower case.
public enum PublicHolidays {
    /// Countries with a calendar: `["DK", "FI", "NO", "SE"]`.
    public static let countries: Set<String> = ["DK", "FI", "NO", "SE"]

    /// Holiday dates of `country` in `year` with their English names; empty for an unknown country.
    /// Two holidays on one date share an entry whose name joins both with "; " (e.g. 17 May 2027 in Norway:
    /// "Constitution Day; Whit Monday").
    public static func holidays(country: String, year: Int) -> [CalendarDate: String] {
        guard let rules = rules(for: country) else { return [:] }
        let easter = Easter.sunday(year: year).dayNumber
        var result: [CalendarDate: String] = [:]
        for rule in rules where rule.isObserved(in: year) {
            let date = calendarDate(dayNumber: rule.dayNumber(year: year, easter: easter))
            if let existing = result[date] {
                result[date] = existing + "; " + rule.name
            } else {
                result[date] = rule.name
            }
        }
        return result
    }

    /// Whether `date` is a holiday (or de facto day off) in `country`; false for an unknown country.
    public static func isHoliday(_ date: CalendarDate, country: String) -> Bool {
        guard let rules = rules(for: country) else { return false }
        let year = date.year
        let day = date.dayNumber
        let easter = Easter.sunday(year: year).dayNumber
        for rule in rules where rule.isObserved(in: year) && rule.dayNumber(year: year, easter: easter) == day {
            return true
        }
        return false
    }

    // MARK: - Rules

    /// How one holiday falls in a year.
    struct Rule: Sendable {
        enum Placement: Sendable {
            /// The same month and day every year.
            case fixed(month: Int, day: Int)
            /// A number of days after (or before, if negative) Easter Sunday.
            case easter(offset: Int)
            /// The first ISO weekday (1 = Monday ... 7 = Sunday) on or after a month and day.
            case weekday(Int, onOrAfterMonth: Int, day: Int)
        }

        let name: String
        let placement: Placement
        /// Last year in which the holiday is observed, if it was abolished.
        var lastYear: Int? = nil

        func isObserved(in year: Int) -> Bool {
            lastYear.map { year <= $0 } ?? true
        }

        /// Days since 1970-01-01 of this holiday in `year`, given Easter Sunday's day number.
        func dayNumber(year: Int, easter: Int) -> Int {
            switch placement {
            case let .fixed(month, day):
                return RFC3339.daysFromCivil(year: year, month: month, day: day)
            case let .easter(offset):
                return easter + offset
            case let .weekday(weekday, month, day):
                let start = RFC3339.daysFromCivil(year: year, month: month, day: day)
                return start + (weekday - PublicHolidays.isoWeekday(dayNumber: start) + 7) % 7
            }
        }
    }

    static func rules(for country: String) -> [Rule]? {
        switch country {
        case "NO", "no": norway
        case "SE", "se": sweden
        case "DK", "dk": denmark
        case "FI", "fi": finland
        default:
            // Mixed case is rare; only then pay for an upper-cased copy.
            switch country.uppercased() {
            case "NO": norway
            case "SE": sweden
            case "DK": denmark
            case "FI": finland
            default: nil
            }
        }
    }

    static let norway: [Rule] = [
        Rule(name: "New Year's Day", placement: .fixed(month: 1, day: 1)),
        Rule(name: "Maundy Thursday", placement: .easter(offset: -3)),
        Rule(name: "Good Friday", placement: .easter(offset: -2)),
        Rule(name: "Easter Sunday", placement: .easter(offset: 0)),
        Rule(name: "Easter Monday", placement: .easter(offset: 1)),
        Rule(name: "Labour Day", placement: .fixed(month: 5, day: 1)),
        Rule(name: "Constitution Day", placement: .fixed(month: 5, day: 17)),
        Rule(name: "Ascension Day", placement: .easter(offset: 39)),
        Rule(name: "Whit Sunday", placement: .easter(offset: 49)),
        Rule(name: "Whit Monday", placement: .easter(offset: 50)),
        Rule(name: "Christmas Day", placement: .fixed(month: 12, day: 25)),
        Rule(name: "Second Day of Christmas", placement: .fixed(month: 12, day: 26)),
    ]

    static let sweden: [Rule] = [
        Rule(name: "New Year's Day", placement: .fixed(month: 1, day: 1)),
        Rule(name: "Epiphany", placement: .fixed(month: 1, day: 6)),
        Rule(name: "Good Friday", placement: .easter(offset: -2)),
        Rule(name: "Easter Sunday", placement: .easter(offset: 0)),
        Rule(name: "Easter Monday", placement: .easter(offset: 1)),
        Rule(name: "May Day", placement: .fixed(month: 5, day: 1)),
        Rule(name: "Ascension Day", placement: .easter(offset: 39)),
        Rule(name: "National Day", placement: .fixed(month: 6, day: 6)),
        Rule(name: "Whit Sunday", placement: .easter(offset: 49)),
        Rule(name: "Midsummer Eve", placement: .weekday(5, onOrAfterMonth: 6, day: 19)),
        Rule(name: "Midsummer Day", placement: .weekday(6, onOrAfterMonth: 6, day: 20)),
        Rule(name: "All Saints' Day", placement: .weekday(6, onOrAfterMonth: 10, day: 31)),
        Rule(name: "Christmas Eve", placement: .fixed(month: 12, day: 24)),
        Rule(name: "Christmas Day", placement: .fixed(month: 12, day: 25)),
        Rule(name: "Second Day of Christmas", placement: .fixed(month: 12, day: 26)),
        Rule(name: "New Year's Eve", placement: .fixed(month: 12, day: 31)),
    ]

    static let denmark: [Rule] = [
        Rule(name: "New Year's Day", placement: .fixed(month: 1, day: 1)),
        Rule(name: "Maundy Thursday", placement: .easter(offset: -3)),
        Rule(name: "Good Friday", placement: .easter(offset: -2)),
        Rule(name: "Easter Sunday", placement: .easter(offset: 0)),
        Rule(name: "Easter Monday", placement: .easter(offset: 1)),
        Rule(name: "Great Prayer Day", placement: .easter(offset: 26), lastYear: 2023),
        Rule(name: "Ascension Day", placement: .easter(offset: 39)),
        Rule(name: "Whit Sunday", placement: .easter(offset: 49)),
        Rule(name: "Whit Monday", placement: .easter(offset: 50)),
        Rule(name: "Constitution Day", placement: .fixed(month: 6, day: 5)),
        Rule(name: "Christmas Eve", placement: .fixed(month: 12, day: 24)),
        Rule(name: "Christmas Day", placement: .fixed(month: 12, day: 25)),
        Rule(name: "Second Day of Christmas", placement: .fixed(month: 12, day: 26)),
        Rule(name: "New Year's Eve", placement: .fixed(month: 12, day: 31)),
    ]

    static let finland: [Rule] = [
        Rule(name: "New Year's Day", placement: .fixed(month: 1, day: 1)),
        Rule(name: "Epiphany", placement: .fixed(month: 1, day: 6)),
        Rule(name: "Good Friday", placement: .easter(offset: -2)),
        Rule(name: "Easter Sunday", placement: .easter(offset: 0)),
        Rule(name: "Easter Monday", placement: .easter(offset: 1)),
        Rule(name: "May Day", placement: .fixed(month: 5, day: 1)),
        Rule(name: "Ascension Day", placement: .easter(offset: 39)),
        Rule(name: "Whit Sunday", placement: .easter(offset: 49)),
        Rule(name: "Midsummer Eve", placement: .weekday(5, onOrAfterMonth: 6, day: 19)),
        Rule(name: "Midsummer Day", placement: .weekday(6, onOrAfterMonth: 6, day: 20)),
        Rule(name: "All Saints' Day", placement: .weekday(6, onOrAfterMonth: 10, day: 31)),
        Rule(name: "Independence Day", placement: .fixed(month: 12, day: 6)),
        Rule(name: "Christmas Eve", placement: .fixed(month: 12, day: 24)),
        Rule(name: "Christmas Day", placement: .fixed(month: 12, day: 25)),
        Rule(name: "Second Day of Christmas", placement: .fixed(month: 12, day: 26)),
    ]

    // MARK: - Day arithmetic

    /// ISO 8601 weekday (1 = Monday ... 7 = Sunday) of a day number (days since 1970-01-01, a Thursday).
    static func isoWeekday(dayNumber: Int) -> Int {
        let r = (dayNumber + 3) % 7
        return (r < 0 ? r + 7 : r) + 1
    }

    /// The calendar date of a day number (days since 1970-01-01).
    static func calendarDate(dayNumber: Int) -> CalendarDate {
        let civil = RFC3339.civilFromDays(dayNumber)
        return CalendarDate(year: civil.year, month: civil.month, day: civil.day)
    }
}
