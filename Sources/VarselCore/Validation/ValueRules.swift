import Foundation

/// What every value of a message is held to, whatever its kind: text without control characters,
/// amounts exact for their currency, dates in a plausible range.
public enum ValueRules {
    /// Years a date in a message may lie in.
    public static let plausibleYears = 1900...2199
    /// Digits before the decimal point of an amount, at most.
    public static let maxAmountIntegerDigits = 15

    /// Why `text` may not stand in a field: a control character anywhere (C0, DEL, C1); in a
    /// single-line field also a line break (LF, CR, U+2028, U+2029). A multi-line field may hold
    /// LF, CR and tabs.
    public static func textProblem(_ text: String, multiline: Bool) -> String? {
        guard mayHoldAControlOrLineBreak(text) else { return nil }
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0A, 0x0D, 0x2028, 0x2029:
                if !multiline { return "contains a line break; this field is a single line" }
            case 0x09 where multiline:
                continue
            case 0x00...0x1F, 0x7F...0x9F:
                return "contains the control character U+" + String(format: "%04X", scalar.value)
            default:
                continue
            }
        }
        return nil
    }

    /// False when no UTF-8 byte of `text` can begin a character `textProblem` refuses, eight bytes at a
    /// time: those are the bytes below 0x20, DEL (0x7F), and the lead bytes 0xC2 (U+0080–U+00BF,
    /// the C1 controls among them) and 0xE2 (U+2000–U+2FFF, with U+2028 and U+2029). Nearly every
    /// value passes here without its characters being decoded.
    public static func mayHoldAControlOrLineBreak(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { utf8 in
            var index = 0
            if let base = utf8.baseAddress {
                while index + 8 <= utf8.count {
                    if suspect(UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)) { return true }
                    index += 8
                }
            }
            while index < utf8.count {
                let byte = utf8[index]
                if byte < 0x20 || byte == 0x7F || byte == 0xC2 || byte == 0xE2 { return true }
                index += 1
            }
            return false
        }
    }

    /// Whether a byte of `word` is below 0x20, or 0x7F, 0xC2 or 0xE2.
    @inline(__always)
    private static func suspect(_ word: UInt64) -> Bool {
        ByteWord.hasByte(word, below: 0x20) || ByteWord.hasByte(word, equalTo: 0x7F)
            || ByteWord.hasByte(word, equalTo: 0xC2) || ByteWord.hasByte(word, equalTo: 0xE2)
    }

    /// The amount `value` holds (a decimal string, or a JSON number), or why it is not an amount of
    /// `currency`: not a plain decimal, implausibly large, or with more decimals than the currency
    /// has (never rounded silently: `1234.50 JPY` is refused).
    public static func money(_ value: JSONValue, currency: String?) -> Result<Money, ValueProblem> {
        let text: String
        switch value {
        case .string(let string): text = string
        case .number(let number): text = "\(number)"
        default: return .failure(ValueProblem("expected a decimal amount such as \"1250.00\", got \(value.typeName)"))
        }
        guard let money = Money(text, currency: currency ?? "XXX") else {
            return .failure(ValueProblem("'\(text.prefix(40))' is not a decimal amount such as \"1250.00\" (digits, an optional - and one optional .)"))
        }
        guard money.integerDigits.count <= maxAmountIntegerDigits else {
            return .failure(ValueProblem("more than \(maxAmountIntegerDigits) digits before the decimal point"))
        }
        if let currency, let units = ISO4217.minorUnits[currency], money.fractionDigits.count > units {
            return .failure(ValueProblem(
                "'\(text)' has \(money.fractionDigits.count) decimal\(money.fractionDigits.count == 1 ? "" : "s"); \(currency) has \(units) (amounts are never rounded: send the exact amount)"))
        }
        return .success(money)
    }

    /// Why `value` is not an ISO 4217 currency code in use.
    public static func currencyProblem(_ value: JSONValue) -> String? {
        guard case .string(let code) = value else { return "expected an ISO 4217 currency code such as NOK, got \(value.typeName)" }
        guard ISO4217.isKnown(code) else {
            return "'\(code.prefix(10))' is not an ISO 4217 currency code in use (such as NOK, SEK, DKK, EUR, ISK)"
        }
        return nil
    }

    /// The date `value` holds, or why it is not a date `YYYY-MM-DD` in a plausible year.
    public static func date(_ value: JSONValue) -> Result<CalendarDate, ValueProblem> {
        guard case .string(let text) = value, let date = RFC3339.parseDate(text) else {
            return .failure(ValueProblem("expected a date YYYY-MM-DD"))
        }
        guard plausibleYears.contains(date.year) else {
            return .failure(ValueProblem("\(text) is not a plausible date: the year must lie between \(plausibleYears.lowerBound) and \(plausibleYears.upperBound)"))
        }
        return .success(date)
    }

    /// Whether `text` is an `http://` or `https://` URL with a host, as `URL(string:)` reads it. The
    /// common shape (scheme, a host of letters, digits, hyphens and dots, a port, then a path, query
    /// and fragment of the characters RFC 3986 allows) is recognised byte by byte, without building a
    /// `URL` (which showed in enqueue's profile); anything else is left to `URL(string:)`.
    public static func isHTTPURL(_ text: String) -> Bool {
        if isPlainHTTPURL(text) { return true }
        return isHTTPURLByFoundation(text)
    }

    /// The rule itself, as Foundation's URL parser applies it.
    static func isHTTPURLByFoundation(_ text: String) -> Bool {
        guard let url = URL(string: text), ["https", "http"].contains(url.scheme?.lowercased() ?? "") else { return false }
        return url.host?.isEmpty == false
    }

    /// A URL of the plain shape, which `URL(string:)` always reads with its scheme and host:
    /// `http[s]://` (any case), a host starting with a letter or digit, an optional port of one to
    /// five digits, then nothing or `/`, `?` or `#` and RFC 3986's characters (at most one `#`).
    static func isPlainHTTPURL(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            var index = 0
            func lower(_ byte: UInt8) -> UInt8 { byte | 0x20 }
            func take(_ word: StaticString) -> Bool {
                let count = word.utf8CodeUnitCount
                guard index + count <= bytes.count else { return false }
                for offset in 0..<count where lower(bytes[index + offset]) != word.utf8Start[offset] { return false }
                index += count
                return true
            }
            guard take("http") else { return false }
            if index < bytes.count, lower(bytes[index]) == UInt8(ascii: "s") { index += 1 }
            guard index + 3 <= bytes.count, bytes[index] == UInt8(ascii: ":"), bytes[index + 1] == UInt8(ascii: "/"),
                  bytes[index + 2] == UInt8(ascii: "/")
            else { return false }
            index += 3
            let hostStart = index
            while index < bytes.count, bytes[index].isHostByte { index += 1 }
            guard index > hostStart, bytes[hostStart].isASCIILetterOrDigit else { return false }
            if index < bytes.count, bytes[index] == UInt8(ascii: ":") {
                index += 1
                let portStart = index
                while index < bytes.count, bytes[index].isASCIIDigit { index += 1 }
                guard (1...5).contains(index - portStart) else { return false }
            }
            guard index < bytes.count else { return true }
            guard bytes[index] == UInt8(ascii: "/") || bytes[index] == UInt8(ascii: "?") || bytes[index] == UInt8(ascii: "#") else { return false }
            var fragment = false
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "#") {
                    guard !fragment else { return false }
                    fragment = true
                } else if !byte.isURIByte {
                    return false
                }
                index += 1
            }
            return true
        }
    }

    /// Today's date in `zone`.
    public static func today(_ now: Date, in zone: TimeZone) -> CalendarDate {
        // The zone's offset at that instant, then the civil date of the shifted day count: a Calendar
        // and its date components for every message showed in the profile of an enqueue.
        let local = now.timeIntervalSince1970 + Double(zone.secondsFromGMT(for: now))
        let civil = RFC3339.civilFromDays(Int((local / 86_400).rounded(.down)))
        return CalendarDate(year: civil.year, month: civil.month, day: civil.day)
    }
}

/// Why a value was refused, in words for the producer.
public struct ValueProblem: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension UInt8 {
    fileprivate var isASCIILetterOrDigit: Bool { isASCIILetter || isASCIIDigit }
    /// A letter, digit, hyphen or dot: what a plain host name is made of.
    fileprivate var isHostByte: Bool { isASCIILetterOrDigit || self == UInt8(ascii: "-") || self == UInt8(ascii: ".") }
    /// A byte RFC 3986 allows in a path, query or fragment: unreserved, sub-delims, `:`, `@`, `/`,
    /// `?` and `%` (the characters Foundation would percent-encode are not among them).
    fileprivate var isURIByte: Bool {
        if isASCIILetterOrDigit { return true }
        switch self {
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"),
             UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"),
             UInt8(ascii: "="), UInt8(ascii: ":"), UInt8(ascii: "@"), UInt8(ascii: "/"), UInt8(ascii: "?"), UInt8(ascii: "%"):
            return true
        default:
            return false
        }
    }
}
