/// Calendar dates written the way a language writes them.
public enum DateText {
    public static func format(_ date: CalendarDate, _ format: LocaleFormat) -> String {
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        switch format.dateStyle {
        case .dayMonthYearDotted: return "\(two(date.day)).\(two(date.month)).\(date.year)"
        case .dayMonthYearDottedUnpadded: return "\(date.day).\(date.month).\(date.year)"
        case .iso: return date.description
        case .dayMonthNameYear(let months): return "\(date.day) \(months[date.month - 1]) \(date.year)"
        }
    }
}
