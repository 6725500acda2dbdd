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
        var text = text
        guard let parts = text.withUTF8({ Self.parse($0) }) else { return nil }
        (negative, integerDigits, fractionDigits) = parts
        self.currency = currency.uppercased()
    }

    /// Sign, integer digits without leading zeros, fraction digits; nil unless `-`? digits (`.` digits)?.
    private static func parse(_ utf8: UnsafeBufferPointer<UInt8>) -> (Bool, String, String)? {
        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        let negative = utf8.first == UInt8(ascii: "-")
        var index = negative ? 1 : 0
        let integerStart = index
        while index < utf8.count, isDigit(utf8[index]) { index += 1 }
        let integerEnd = index
        guard integerEnd > integerStart else { return nil }
        var fraction = integerEnd..<integerEnd
        if index < utf8.count {
            guard utf8[index] == UInt8(ascii: ".") else { return nil }
            index += 1
            let fractionStart = index
            while index < utf8.count, isDigit(utf8[index]) { index += 1 }
            guard index > fractionStart, index == utf8.count else { return nil }
            fraction = fractionStart..<index
        }
        var significant = integerStart
        while significant < integerEnd - 1, utf8[significant] == UInt8(ascii: "0") { significant += 1 }
        if utf8[significant] == UInt8(ascii: "0") { significant = integerEnd }
        let integer = significant == integerEnd ? "0" : String(decoding: UnsafeBufferPointer(rebasing: utf8[significant..<integerEnd]), as: UTF8.self)
        return (negative, integer, String(decoding: UnsafeBufferPointer(rebasing: utf8[fraction]), as: UTF8.self))
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
        let (integer, fraction) = Self.round(integer: integerDigits, fraction: fractionDigits, scale: scale)
        let isZero = integer.allSatisfy { $0 == UInt8(ascii: "0") } && fraction.allSatisfy { $0 == UInt8(ascii: "0") }
        var number = Self.group(integer, separator: format.groupSeparator, grouping: format.grouping)
        if scale > 0 { number += format.decimalSeparator + String(decoding: fraction, as: UTF8.self) }
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

    /// The digits rounded half up to `scale` fraction digits (padded with zeros when fewer): integer
    /// and fraction digits as ASCII bytes.
    private static func round(integer: String, fraction: String, scale: Int) -> ([UInt8], [UInt8]) {
        var digits = Array(integer.utf8)
        digits.reserveCapacity(digits.count + max(scale, fraction.utf8.count))
        digits.append(contentsOf: fraction.utf8)
        let keep = integer.utf8.count + scale
        if digits.count < keep { digits.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: keep - digits.count)) }
        let roundUp = digits.count > keep && digits[keep] >= UInt8(ascii: "5")
        digits.removeSubrange(keep...)
        if roundUp {
            var index = digits.count - 1
            while index >= 0, digits[index] == UInt8(ascii: "9") {
                digits[index] = UInt8(ascii: "0")
                index -= 1
            }
            if index >= 0 { digits[index] += 1 } else { digits.insert(UInt8(ascii: "1"), at: 0) }
        }
        let integerCount = digits.count - scale
        return (Array(digits[..<integerCount]), Array(digits[integerCount...]))
    }

    /// The integer digits with `separator` between groups: of three, or (Indian) three at the right
    /// and pairs before them.
    private static func group(_ digits: [UInt8], separator: String, grouping: LocaleFormat.Grouping) -> String {
        var groups: [ArraySlice<UInt8>] = []
        var end = digits.count
        while end > 0 {
            let size = grouping == .indian && !groups.isEmpty ? 2 : 3
            let start = max(0, end - size)
            groups.append(digits[start..<end])
            end = start
        }
        var text = ""
        for (index, group) in groups.reversed().enumerated() {
            if index > 0 { text += separator }
            text += String(decoding: group, as: UTF8.self)
        }
        return text
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
