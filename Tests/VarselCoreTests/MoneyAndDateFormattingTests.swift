import Foundation
import Testing
@testable import VarselCore

/// Amounts and dates written the way each language writes them (table-driven, no Foundation formatters).
@Suite("Money and date formatting")
struct MoneyAndDateFormattingTests {
    private static let nbsp = "\u{00A0}"
    private static let minus = "\u{2212}"

    private func format(_ amount: String, _ currency: String, _ locale: String) throws -> String {
        let money = try #require(Money(amount, currency: currency), "'\(amount)' must parse")
        return money.formatted(LocaleFormat.forLocale(locale))
    }

    /// Compares scalar by scalar, so a plain space can never pass for a no-break space.
    private func expectScalars(_ actual: String, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(
            actual.unicodeScalars.map(\.value) == expected.unicodeScalars.map(\.value),
            "\(actual.debugDescription) ≠ \(expected.debugDescription)", sourceLocation: sourceLocation)
    }

    @Test("5,000 seeded amounts (leading zeros, up to 25 integer and 6 fraction digits) round half up and group as Decimal arithmetic says")
    func seededAmountsAgainstDecimal() throws {
        var random = SeededRandom(seed: 4217)
        let digits = Array("0123456789")
        for round in 0..<5_000 {
            let negative = Bool.random(using: &random)
            let integer = String((0..<Int.random(in: 1...25, using: &random)).map { _ in digits.randomElement(using: &random)! })
            let fraction = String((0..<Int.random(in: 0...6, using: &random)).map { _ in digits.randomElement(using: &random)! })
            let text = (negative ? "-" : "") + integer + (fraction.isEmpty ? "" : "." + fraction)
            let (currency, scale) = [("JPY", 0), ("EUR", 2), ("KWD", 3), ("NOK", 2)].randomElement(using: &random)!
            let locale = ["en", "nb", "da", "hi-IN"].randomElement(using: &random)!
            let format = LocaleFormat.forLocale(locale)

            // The reference: Decimal's rounding half away from zero, the digits grouped by hand.
            var exact = try #require(Decimal(string: integer + "." + (fraction.isEmpty ? "0" : fraction), locale: Locale(identifier: "en_US_POSIX")))
            var rounded = Decimal()
            NSDecimalRound(&rounded, &exact, scale, .plain)
            let plain = "\(rounded)".split(separator: ".", omittingEmptySubsequences: false)
            let integerDigits = String(plain[0])
            let fractionDigits = (plain.count > 1 ? String(plain[1]) : "").padding(toLength: scale, withPad: "0", startingAt: 0)
            var groups: [String] = []
            var rest = Substring(integerDigits)
            while !rest.isEmpty {
                let size = format.grouping == .indian && !groups.isEmpty ? 2 : 3
                groups.insert(String(rest.suffix(size)), at: 0)
                rest = rest.dropLast(size)
            }
            let number = groups.joined(separator: format.groupSeparator) + (scale > 0 ? format.decimalSeparator + fractionDigits : "")
            let sign = negative && !rounded.isZero ? format.minusSign : ""
            let symbol = format.currencySymbols[currency]
            let expected = switch format.currencyPlacement {
            case .after: sign + number + Self.nbsp + (symbol ?? currency)
            case .before: symbol.map { sign + $0 + number } ?? sign + currency + Self.nbsp + number
            }
            let actual = try self.format(text, currency, locale)
            #expect(actual == expected, "round \(round): \(text) \(currency) \(locale)")
        }
    }

    // MARK: Separators and currency placement per language

    @Test("Norwegian: 1250.00 NOK is '1 250,00 kr' with no-break spaces as group separator and before kr")
    func norwegianKroner() throws {
        let text = try format("1250.00", "NOK", "nb-NO")
        expectScalars(text, "1" + Self.nbsp + "250,00" + Self.nbsp + "kr")
        #expect(Array(text.unicodeScalars)[1].value == 0x00A0)
        #expect(Array(text.unicodeScalars)[8].value == 0x00A0)
        #expect(!text.contains(" "), "no plain spaces")
    }

    @Test(
        "each language writes 1250.00 in its own way",
        arguments: [
            ("nb-NO", "NOK", "1\u{00A0}250,00\u{00A0}kr"),
            ("nn-NO", "NOK", "1\u{00A0}250,00\u{00A0}kr"),
            ("sv-SE", "SEK", "1\u{00A0}250,00\u{00A0}kr"),
            ("da-DK", "DKK", "1.250,00\u{00A0}kr."),
            ("fi-FI", "EUR", "1\u{00A0}250,00\u{00A0}€"),
            ("de-DE", "EUR", "1.250,00\u{00A0}€"),
            ("en", "EUR", "€1,250.00"),
            ("en-GB", "GBP", "£1,250.00"),
            ("en-US", "USD", "$1,250.00"),
            ("en", "NOK", "NOK\u{00A0}1,250.00"),
            ("nb-NO", "SEK", "1\u{00A0}250,00\u{00A0}SEK"),
        ])
    func perLanguage(locale: String, currency: String, expected: String) throws {
        expectScalars(try format("1250.00", currency, locale), expected)
    }

    @Test("Indian digit grouping (lakh, crore) with the rupee sign for Hindi and English in India; plain English keeps thousands")
    func indianGrouping() throws {
        #expect(try format("1234567.50", "INR", "hi") == "₹12,34,567.50")
        #expect(try format("1234567.50", "INR", "en-IN") == "₹12,34,567.50")
        #expect(try format("123456789.00", "INR", "hi-IN") == "₹12,34,56,789.00")
        #expect(try format("999.00", "INR", "en-IN") == "₹999.00")
        #expect(try format("1000.00", "INR", "en-IN") == "₹1,000.00")
        #expect(try format("100000.00", "INR", "en-IN") == "₹1,00,000.00")
        #expect(try format("-1234567.00", "INR", "en-IN") == "-₹12,34,567.00")
        #expect(try format("1234567.50", "USD", "en-IN") == "$12,34,567.50", "a rupee-area reader groups every amount the same way")
        #expect(try format("1234567.50", "INR", "en") == "INR" + Self.nbsp + "1,234,567.50")
        #expect(try format("1234567.50", "USD", "en-US") == "$1,234,567.50")
    }

    @Test("Danish kr. at the end of a sentence takes the sentence's period: no 'kr..'")
    func danishAbbreviationStop() throws {
        let danish = LocaleFormat.forLocale("da-DK")
        let fee = try format("100.00", "DKK", "da-DK")
        #expect(danish.mergingAbbreviationStops("inkassoomkostninger på \(fee).") == "inkassoomkostninger på 100,00\u{00A0}kr.")
        #expect(danish.mergingAbbreviationStops("på \(fee), og") == "på 100,00\u{00A0}kr., og")
        #expect(LocaleFormat.forLocale("nb").mergingAbbreviationStops("1 250,00 kr.") == "1 250,00 kr.", "kr without a period is left alone")
        #expect(LocaleFormat.forLocale("nb").mergingAbbreviationStops("1 250,00 kr..") == "1 250,00 kr..", "nb's symbol has no period of its own")
        var edited = LocaleFormat.forLocale("nb")
        edited.currencySymbols["XTS"] = "tst."
        #expect(edited.mergingAbbreviationStops("10 tst.. 5 kr..") == "10 tst. 5 kr..", "a symbol added later is looked for too")
    }

    @Test("a language without its own entry is written the English way")
    func unknownLanguageFallsBackToEnglish() throws {
        expectScalars(try format("1250.00", "EUR", "xx-YY"), "€1,250.00")
    }

    @Test("the currency code is upper-cased when parsed")
    func currencyUpperCased() throws {
        let money = try #require(Money("1250", currency: "nok"))
        #expect(money.currency == "NOK")
        expectScalars(money.formatted(LocaleFormat.forLocale("nb")), "1" + Self.nbsp + "250,00" + Self.nbsp + "kr")
    }

    // MARK: Rounding

    @Test(
        "amounts round half up to the currency's minor units",
        arguments: [
            ("0.005", "0,01"),
            ("0.004", "0,00"),
            ("2.345", "2,35"),
            ("1.994", "1,99"),
            ("1.5", "1,50"),
            ("7", "7,00"),
            ("999.995", "1\u{00A0}000,00"),
            ("99.999", "100,00"),
            ("0.0049999", "0,00"),
        ])
    func roundsHalfUp(amount: String, expectedNumber: String) throws {
        expectScalars(try format(amount, "NOK", "nb"), expectedNumber + Self.nbsp + "kr")
    }

    @Test("leading zeros are dropped")
    func leadingZeros() throws {
        expectScalars(try format("0001250.00", "NOK", "nb"), "1" + Self.nbsp + "250,00" + Self.nbsp + "kr")
        expectScalars(try format("000", "NOK", "nb"), "0,00" + Self.nbsp + "kr")
    }

    // MARK: Sign

    @Test("a negative amount uses U+2212 in Norwegian, Swedish and Finnish")
    func negativeUsesMinusSign() throws {
        expectScalars(try format("-1250.50", "NOK", "nb"), Self.minus + "1" + Self.nbsp + "250,50" + Self.nbsp + "kr")
        expectScalars(try format("-1250.50", "SEK", "sv"), Self.minus + "1" + Self.nbsp + "250,50" + Self.nbsp + "kr")
        expectScalars(try format("-3", "EUR", "fi"), Self.minus + "3,00" + Self.nbsp + "€")
    }

    @Test("a negative amount uses a hyphen-minus where the language does")
    func negativeUsesHyphenMinus() throws {
        expectScalars(try format("-1250.50", "EUR", "en"), "-€1,250.50")
        expectScalars(try format("-1250.50", "DKK", "da"), "-1.250,50" + Self.nbsp + "kr.")
        expectScalars(try format("-1250.50", "NOK", "en"), "-NOK" + Self.nbsp + "1,250.50")
    }

    @Test(
        "zero is never negative, also when a negative amount rounds to zero",
        arguments: ["-0", "-0.00", "-0.004", "-000.0"])
    func zeroIsNeverNegative(amount: String) throws {
        expectScalars(try format(amount, "NOK", "nb"), "0,00" + Self.nbsp + "kr")
        expectScalars(try format(amount, "EUR", "en"), "€0.00")
    }

    @Test("a negative amount that rounds away from zero keeps its sign")
    func negativeHalfRoundsAwayFromZero() throws {
        expectScalars(try format("-0.005", "NOK", "nb"), Self.minus + "0,01" + Self.nbsp + "kr")
    }

    // MARK: Minor units and grouping

    @Test("yen has no decimals")
    func yenHasNoDecimals() throws {
        expectScalars(try format("1250", "JPY", "en"), "JPY" + Self.nbsp + "1,250")
        expectScalars(try format("1250.00", "JPY", "nb"), "1" + Self.nbsp + "250" + Self.nbsp + "JPY")
        expectScalars(try format("1250.5", "JPY", "en"), "JPY" + Self.nbsp + "1,251")
        expectScalars(try format("1250.49", "JPY", "en"), "JPY" + Self.nbsp + "1,250")
    }

    @Test("three-decimal currencies keep three decimals")
    func threeDecimalCurrency() throws {
        expectScalars(try format("1.2345", "KWD", "en"), "KWD" + Self.nbsp + "1.235")
    }

    @Test(
        "large amounts are grouped in threes from the right",
        arguments: [
            ("1234567.8", "nb", "NOK", "1\u{00A0}234\u{00A0}567,80\u{00A0}kr"),
            ("1234567.8", "de", "EUR", "1.234.567,80\u{00A0}€"),
            ("1234567.8", "en", "USD", "$1,234,567.80"),
            ("123456", "en", "USD", "$123,456.00"),
            ("999", "en", "USD", "$999.00"),
            ("1000", "en", "USD", "$1,000.00"),
        ])
    func grouping(amount: String, locale: String, currency: String, expected: String) throws {
        expectScalars(try format(amount, currency, locale), expected)
    }

    // MARK: Parsing amounts

    @Test(
        "only plain decimals parse as amounts",
        arguments: ["", "-", "1,250.00", "1 250", "1250.", ".5", "+5", "1e3", "12.3.4", "abc", "\u{2212}5", "٣"])
    func rejectsNonDecimal(text: String) {
        #expect(Money(text, currency: "NOK") == nil)
    }

    @Test("a parsed amount keeps its digits exactly")
    func parsedDigits() throws {
        let money = try #require(Money("-0012.30", currency: "NOK"))
        #expect(money.negative)
        #expect(money.integerDigits == "12")
        #expect(money.fractionDigits == "30")
    }

    // MARK: Dates

    @Test(
        "1 November 2026 is written per language",
        arguments: [
            ("nb-NO", "01.11.2026"),
            ("nn", "01.11.2026"),
            ("da-DK", "01.11.2026"),
            ("de-DE", "01.11.2026"),
            ("sv-SE", "2026-11-01"),
            ("fi-FI", "1.11.2026"),
            ("en", "1 November 2026"),
            ("en-GB", "1 November 2026"),
            ("xx", "1 November 2026"),
        ])
    func dates(locale: String, expected: String) {
        let date = CalendarDate(year: 2026, month: 11, day: 1)
        #expect(DateText.format(date, LocaleFormat.forLocale(locale)) == expected)
    }

    @Test("two-digit days and months are not padded further, and every month has its English name")
    func datesOtherValues() {
        let date = CalendarDate(year: 2026, month: 12, day: 24)
        #expect(DateText.format(date, LocaleFormat.forLocale("nb")) == "24.12.2026")
        #expect(DateText.format(date, LocaleFormat.forLocale("fi")) == "24.12.2026")
        #expect(DateText.format(date, LocaleFormat.forLocale("sv")) == "2026-12-24")
        #expect(DateText.format(date, LocaleFormat.forLocale("en")) == "24 December 2026")
        #expect(DateText.format(CalendarDate(year: 2027, month: 1, day: 5), LocaleFormat.forLocale("en")) == "5 January 2027")
        #expect(DateText.format(CalendarDate(year: 2027, month: 1, day: 5), LocaleFormat.forLocale("sv")) == "2027-01-05")
    }
}
