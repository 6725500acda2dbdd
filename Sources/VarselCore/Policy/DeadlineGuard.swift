import Foundation

/// The legal minimum between sending a notice and its stated deadline (docs/domain.md: a Norwegian
/// inkassovarsel ≥ 14 days, Danish 10, Swedish 8, Finnish 10). The numbers come from configuration
/// (`kinds.<kind>.minimum_deadline_days`), a table per country.
public enum DeadlineGuard {
    /// Why a notice sent at `sendAt` would state too short a deadline, or nil when it is long enough.
    /// Days are counted between calendar dates in the recipient's time zone.
    public static func problem(deadline: CalendarDate, sendAt: Date, timeZone: TimeZone, country: String, minimumDays: Int) -> String? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: sendAt)
        guard let year = parts.year, let month = parts.month, let day = parts.day else { return nil }
        let sendDate = CalendarDate(year: year, month: month, day: day)
        let days = deadline.dayNumber - sendDate.dayNumber
        guard days < minimumDays else { return nil }
        return "deadline too short: \(deadline) is \(days) day\(days == 1 ? "" : "s") after sending on \(sendDate); \(country) requires at least \(minimumDays)"
    }
}

/// The time zone to use for a recipient: theirs, else their country's, else UTC.
public enum RecipientTimeZone {
    static let byCountry: [String: String] = [
        "NO": "Europe/Oslo", "SE": "Europe/Stockholm", "DK": "Europe/Copenhagen", "FI": "Europe/Helsinki", "IS": "Atlantic/Reykjavik",
        "DE": "Europe/Berlin", "AT": "Europe/Vienna", "CH": "Europe/Zurich", "NL": "Europe/Amsterdam", "PL": "Europe/Warsaw",
        "GB": "Europe/London", "IE": "Europe/Dublin", "FR": "Europe/Paris", "ES": "Europe/Madrid", "IT": "Europe/Rome",
        "EE": "Europe/Tallinn", "LV": "Europe/Riga", "LT": "Europe/Vilnius", "IN": "Asia/Kolkata", "JP": "Asia/Tokyo",
        "CN": "Asia/Shanghai", "KR": "Asia/Seoul", "TH": "Asia/Bangkok", "VN": "Asia/Ho_Chi_Minh", "AE": "Asia/Dubai",
        "SA": "Asia/Riyadh", "PK": "Asia/Karachi", "PH": "Asia/Manila",
    ]

    /// `byCountry`'s zones, made once: a zone made for each message validated showed in the
    /// profile of a batch enqueue.
    private static let zoneByCountry = byCountry.compactMapValues(TimeZone.init(identifier:))
    private static let utc = TimeZone(identifier: "UTC")!

    public static func of(_ recipient: Recipient) -> TimeZone {
        if let zone = recipient.timezone.flatMap(TimeZone.init(identifier:)) { return zone }
        if let country = recipient.effectiveCountry, let zone = zoneByCountry[country] { return zone }
        return utc
    }
}
