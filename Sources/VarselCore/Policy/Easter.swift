/// Gregorian (Western) Easter Sunday.
///
/// Computed with the anonymous Gregorian algorithm (Meeus–Jones–Butcher), exact for every year of the
/// Gregorian calendar, 1583...9999. Pure integer arithmetic: no allocation, no calendar or time zone.
/// Other years get the same rule applied to the proleptic Gregorian calendar (floored division, so the
/// function never traps); such dates have no historical meaning.
public enum Easter {
    /// The date of Easter Sunday in `year` (for 1583...9999 always between 22 March and 25 April).
    public static func sunday(year: Int) -> CalendarDate {
        let a = floorMod(year, 19)
        let b = floorDiv(year, 100)
        let c = floorMod(year, 100)
        let d = floorDiv(b, 4)
        let e = floorMod(b, 4)
        let f = floorDiv(b + 8, 25)
        let g = floorDiv(b - f + 1, 3)
        let h = floorMod(19 * a + b - d - g + 15, 30)
        let i = c / 4
        let k = c % 4
        let l = floorMod(32 + 2 * e + 2 * i - h - k, 7)
        let m = (a + 11 * h + 22 * l) / 451
        let n = h + l - 7 * m + 114
        return CalendarDate(year: year, month: n / 31, day: n % 31 + 1)
    }

    private static func floorDiv(_ x: Int, _ y: Int) -> Int {
        let q = x / y
        return (x % y != 0 && (x < 0) != (y < 0)) ? q - 1 : q
    }

    private static func floorMod(_ x: Int, _ y: Int) -> Int {
        let r = x % y
        return r < 0 ? r + y : r
    }
}
