import Foundation

/// Strict RFC 3339 timestamps (`2026-11-23T08:00:00Z`, `2026-11-23T09:00:00.250+01:00`) and dates
/// (`2026-12-08`), parsed without locale or calendar surprises.
public enum RFC3339 {
    /// Parses a full timestamp with a `Z` or `±hh:mm` offset. Returns `nil` for anything else.
    public static func parseTimestamp(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20 else { return nil }
        guard let date = parseDateFields(bytes), bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t") else {
            return nil
        }
        guard let hour = number(bytes, 11, 2), bytes[13] == UInt8(ascii: ":"),
              let minute = number(bytes, 14, 2), bytes[16] == UInt8(ascii: ":"),
              let second = number(bytes, 17, 2),
              hour <= 23, minute <= 59, second <= 60
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            let start = index
            while index < bytes.count, let digit = digitValue(bytes[index]) {
                fraction += Double(digit) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        guard index < bytes.count else { return nil }
        var offsetSeconds = 0
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            index += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            guard bytes.count == index + 6, let oh = number(bytes, index + 1, 2),
                  bytes[index + 3] == UInt8(ascii: ":"), let om = number(bytes, index + 4, 2),
                  oh <= 23, om <= 59
            else { return nil }
            offsetSeconds = sign * (oh * 3600 + om * 60)
            index += 6
        default:
            return nil
        }
        guard index == bytes.count else { return nil }
        let days = daysFromCivil(year: date.year, month: date.month, day: date.day)
        let seconds = Double(days) * 86_400 + Double(hour * 3600 + minute * 60 + min(second, 59)) + fraction
        return Date(timeIntervalSince1970: seconds - Double(offsetSeconds))
    }

    /// Parses a calendar date `YYYY-MM-DD`.
    public static func parseDate(_ text: String) -> CalendarDate? {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, let fields = parseDateFields(bytes) else { return nil }
        return CalendarDate(year: fields.year, month: fields.month, day: fields.day)
    }

    /// Formats a timestamp in UTC with second precision and a `Z` suffix.
    public static func format(_ date: Date) -> String {
        let total = Int(floor(date.timeIntervalSince1970))
        let days = Int(floor(Double(total) / 86_400))
        let secondsOfDay = total - days * 86_400
        let civil = civilFromDays(days)
        guard (0...9999).contains(civil.year) else {
            return String(
                format: "%04d-%02d-%02dT%02d:%02d:%02dZ", civil.year, civil.month, civil.day,
                secondsOfDay / 3600, secondsOfDay / 60 % 60, secondsOfDay % 60)
        }
        // Digit by digit: `String(format:)` was a thirtieth of an enqueue.
        return String(unsafeUninitializedCapacity: 20) { buffer in
            func put(_ value: Int, digits: Int, at offset: Int) { putDigits(value, digits, at: offset, in: buffer) }
            put(civil.year, digits: 4, at: 0)
            buffer[4] = UInt8(ascii: "-")
            put(civil.month, digits: 2, at: 5)
            buffer[7] = UInt8(ascii: "-")
            put(civil.day, digits: 2, at: 8)
            buffer[10] = UInt8(ascii: "T")
            put(secondsOfDay / 3600, digits: 2, at: 11)
            buffer[13] = UInt8(ascii: ":")
            put(secondsOfDay / 60 % 60, digits: 2, at: 14)
            buffer[16] = UInt8(ascii: ":")
            put(secondsOfDay % 60, digits: 2, at: 17)
            buffer[19] = UInt8(ascii: "Z")
            return 20
        }
    }

    private static func parseDateFields(_ bytes: [UInt8]) -> (year: Int, month: Int, day: Int)? {
        guard bytes.count >= 10, let year = number(bytes, 0, 4), bytes[4] == UInt8(ascii: "-"),
              let month = number(bytes, 5, 2), bytes[7] == UInt8(ascii: "-"), let day = number(bytes, 8, 2),
              (1...12).contains(month), day >= 1, day <= CalendarDate.daysInMonth(year: year, month: month)
        else { return nil }
        return (year, month, day)
    }

    private static func digitValue(_ byte: UInt8) -> Int? {
        byte >= 48 && byte <= 57 ? Int(byte - 48) : nil
    }

    private static func number(_ bytes: [UInt8], _ start: Int, _ length: Int) -> Int? {
        guard start + length <= bytes.count else { return nil }
        var value = 0
        for index in start..<(start + length) {
            guard let digit = digitValue(bytes[index]) else { return nil }
            value = value * 10 + digit
        }
        return value
    }

    /// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The civil (proleptic Gregorian) date of a day counted from 1970-01-01.
    public static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

/// A date without time or zone, as in `due_date` and `deadline`.
public struct CalendarDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// `YYYY-MM-DD`; written digit by digit (`String(format:)` showed in the profile of every render
    /// of a due date).
    public var description: String {
        guard (0...9999).contains(year), (0...99).contains(month), (0...99).contains(day) else {
            return String(format: "%04d-%02d-%02d", year, month, day)
        }
        return String(unsafeUninitializedCapacity: 10) { buffer in
            putDigits(year, 4, at: 0, in: buffer)
            buffer[4] = UInt8(ascii: "-")
            putDigits(month, 2, at: 5, in: buffer)
            buffer[7] = UInt8(ascii: "-")
            putDigits(day, 2, at: 8, in: buffer)
            return 10
        }
    }

    /// Days since 1970-01-01.
    public var dayNumber: Int { RFC3339.daysFromCivil(year: year, month: month, day: day) }

    public static func < (lhs: CalendarDate, rhs: CalendarDate) -> Bool { lhs.dayNumber < rhs.dayNumber }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

/// Writes the `digits` last decimal digits of a non-negative `value` at `offset`, zero-padded.
private func putDigits(_ value: Int, _ digits: Int, at offset: Int, in buffer: UnsafeMutableBufferPointer<UInt8>) {
    var value = value
    for index in stride(from: offset + digits - 1, through: offset, by: -1) {
        buffer[index] = UInt8(ascii: "0") + UInt8(value % 10)
        value /= 10
    }
}
