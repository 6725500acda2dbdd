extension ContactWindows {
    /// The local hours (0...23) whose whole hour [h:00, h+1:00) lies inside the contact window of `date` in
    /// `country`, in ascending order: the hours a learned send hour may choose from.
    ///
    /// A window 08:00–21:00 gives 8...20, 09:00–15:00 gives 9...14, and 08:30–12:00 gives 9...11 (08:30–09:00
    /// is not a whole hour). `[]` when the day is closed (a weekday without a window, or a public holiday
    /// where the rule closes on holidays); `nil` when nothing restricts contact (windows disabled, `nil`
    /// country, a country without a rule), and the caller uses its own default hours. Wall-clock hours:
    /// on a day the clock changes an hour may be skipped or repeated; `earliestAllowed(at:country:timeZone:)`
    /// still guards the actual send.
    public func openHours(on date: CalendarDate, country: String?) -> [Int]? {
        guard let (rule, key) = activeRule(for: country) else { return nil }
        guard let window = rule.window(on: date, country: key) else { return [] }
        // First hour starting at or after the opening; last hour ending at or before the close.
        let first = (window.start.minutes + 59) / 60
        let last = window.end.minutes / 60 - 1
        return first <= last ? Array(first...last) : []
    }
}
