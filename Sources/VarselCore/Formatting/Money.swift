import Foundation

/// An amount of money as exact decimal digits, parsed from the message's `amount` field.
public struct Money: Sendable, Hashable {
    public let negative: Bool
    /// Integer digits without leading zeros ("0" for zero).
    public let integerDigits: String
    /// Fraction digits as given.
    public let fractionDigits: String
    /// ISO 4217 code, upper case.
    public let currency: String

    /// Parses `1250`, `1250.5`, `-12.30`. No exponent, no separators: amounts travel as plain decimals.
    public init?(_ text: String, currency: String) {
        var body = Substring(text)
        negative = body.hasPrefix("-")
        if negative { body = body.dropFirst() }
        let parts = body.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let integer = parts.first, !integer.isEmpty, integer.allSatisfy(\.isASCIIDigit) else { return nil }
        let fraction = parts.count == 2 ? parts[1] : ""
        guard parts.count == 1 || (!fraction.isEmpty && fraction.allSatisfy(\.isASCIIDigit)) else { return nil }
        let trimmed = integer.drop(while: { $0 == "0" })
        integerDigits = trimmed.isEmpty ? "0" : String(trimmed)
        fractionDigits = String(fraction)
        self.currency = currency.uppercased()
    }

    /// Minor-unit digits of a currency (ISO 4217); 2 for a code not in the table.
    public static func minorUnits(of currency: String) -> Int { ISO4217.minorUnits[currency] ?? 2 }

    /// Whether the amount is zero.
    public var isZero: Bool { integerDigits == "0" && fractionDigits.allSatisfy { $0 == "0" } }

    /// Compares two amounts of the same currency by value.
    public static func compare(_ a: Money, _ b: Money) -> ComparisonResult {
        if a.isZero && b.isZero { return .orderedSame }
        if a.negative != b.negative { return a.negative ? .orderedAscending : .orderedDescending }
        let width = max(a.fractionDigits.count, b.fractionDigits.count)
        func key(_ m: Money) -> (Int, String) {
            let fraction = m.fractionDigits.padding(toLength: width, withPad: "0", startingAt: 0)
            return (m.integerDigits.count, m.integerDigits + fraction)
        }
        let (ka, kb) = (key(a), key(b))
        let magnitude: ComparisonResult = ka == kb ? .orderedSame : (ka < kb ? .orderedAscending : .orderedDescending)
        guard a.negative else { return magnitude }
        return magnitude == .orderedAscending ? .orderedDescending : (magnitude == .orderedDescending ? .orderedAscending : .orderedSame)
    }

    /// Formats for a locale: `1 250,00 kr` (nb, with no-break spaces), `1.250,00 kr.` (da), `€1,250.00` (en).
    /// Rounds half up to the currency's minor units.
    public func formatted(_ format: LocaleFormat) -> String {
        let scale = Self.minorUnits(of: currency)
        var (integer, fraction) = Self.round(integer: integerDigits, fraction: fractionDigits, scale: scale)
        integer = Self.group(integer, separator: format.groupSeparator, grouping: format.grouping)
        let isZero = (integer + fraction).allSatisfy { $0 == "0" || !$0.isNumber }
        var number = integer
        if scale > 0 { number += format.decimalSeparator + fraction }
        let sign = negative && !isZero ? format.minusSign : ""
        let symbol = format.currencySymbols[currency]
        switch format.currencyPlacement {
        case .after:
            return sign + number + LocaleFormat.nbsp + (symbol ?? currency)
        case .before:
            if let symbol { return sign + symbol + number }
            return sign + currency + LocaleFormat.nbsp + number
        }
    }

    private static func round(integer: String, fraction: String, scale: Int) -> (String, String) {
        var digits = Array(integer + fraction + String(repeating: "0", count: max(0, scale - fraction.count)))
        let keep = integer.count + scale
        let roundUp = digits.count > keep && digits[keep] >= "5"
        digits = Array(digits.prefix(keep))
        if roundUp {
            var index = digits.count - 1
            while index >= 0 {
                if digits[index] == "9" {
                    digits[index] = "0"
                    index -= 1
                } else {
                    digits[index] = Character(String(digits[index].wholeNumberValue! + 1))
                    break
                }
            }
            if index < 0 { digits.insert("1", at: 0) }
        }
        let integerCount = digits.count - scale
        return (String(digits.prefix(integerCount)), String(digits.suffix(scale)))
    }

    private static func group(_ digits: String, separator: String, grouping: LocaleFormat.Grouping) -> String {
        var groups: [Substring] = []
        var end = digits.endIndex
        while end > digits.startIndex {
            // Indian grouping: three digits at the right, then pairs.
            let size = grouping == .indian && !groups.isEmpty ? 2 : 3
            let start = digits.index(end, offsetBy: -size, limitedBy: digits.startIndex) ?? digits.startIndex
            groups.insert(digits[start..<end], at: 0)
            end = start
        }
        return groups.joined(separator: separator)
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
