import Foundation
import Synchronization

/// How a language writes amounts and dates. Table-driven, so a new language is one entry.
///
/// Foundation's formatters are not used: their output differs between platforms and releases and
/// emits characters (U+2212, NBSP) that must be controlled for SMS anyway.
public struct LocaleFormat: Sendable, Hashable {
    public enum CurrencyPlacement: Sendable, Hashable {
        /// `1 250,00 kr`
        case after
        /// `€1,250.00`, or `NOK 1,250.00` for a code
        case before
    }

    public enum DateStyle: Sendable, Hashable {
        /// `01.11.2026`
        case dayMonthYearDotted
        /// `1.11.2026`
        case dayMonthYearDottedUnpadded
        /// `2026-11-01`
        case iso
        /// `1 November 2026`
        case dayMonthNameYear(months: [String])
    }

    /// How the integer digits are grouped.
    public enum Grouping: Sendable, Hashable {
        /// `1,234,567`
        case thousands
        /// `12,34,567`: the last three digits, then pairs (India: lakh and crore).
        case indian
    }

    public let groupSeparator: String
    public let decimalSeparator: String
    public let currencyPlacement: CurrencyPlacement
    /// The minus sign: U+2212 where the language's typography uses it.
    public let minusSign: String
    /// Currency symbols the language writes instead of the ISO code.
    public var currencySymbols: [String: String] {
        didSet { abbreviationStops = Self.abbreviationStops(of: currencySymbols) }
    }
    public let dateStyle: DateStyle
    public var grouping: Grouping
    /// The symbols that end in a period (`kr.`), in order: what `mergingAbbreviationStops` looks for
    /// in every rendered text, found once rather than for each.
    private var abbreviationStops: [String]

    init(
        groupSeparator: String, decimalSeparator: String, currencyPlacement: CurrencyPlacement, minusSign: String,
        currencySymbols: [String: String], dateStyle: DateStyle, grouping: Grouping = .thousands
    ) {
        self.groupSeparator = groupSeparator
        self.decimalSeparator = decimalSeparator
        self.currencyPlacement = currencyPlacement
        self.minusSign = minusSign
        self.currencySymbols = currencySymbols
        self.dateStyle = dateStyle
        self.grouping = grouping
        self.abbreviationStops = Self.abbreviationStops(of: currencySymbols)
    }

    private static func abbreviationStops(of symbols: [String: String]) -> [String] {
        Set(symbols.values).filter { $0.hasSuffix(".") }.sorted()
    }

    static let nbsp = "\u{00A0}"
    static let englishMonths = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December",
    ]

    /// Formats per language subtag. Languages without an entry use `fallback`.
    public static let byLanguage: [String: LocaleFormat] = [
        "nb": nordicSpace(symbols: ["NOK": "kr", "EUR": "€"], date: .dayMonthYearDotted),
        "nn": nordicSpace(symbols: ["NOK": "kr", "EUR": "€"], date: .dayMonthYearDotted),
        "sv": nordicSpace(symbols: ["SEK": "kr", "EUR": "€"], date: .iso),
        "fi": nordicSpace(symbols: ["EUR": "€"], date: .dayMonthYearDottedUnpadded),
        "da": LocaleFormat(
            groupSeparator: ".", decimalSeparator: ",", currencyPlacement: .after, minusSign: "-",
            currencySymbols: ["DKK": "kr.", "EUR": "€"], dateStyle: .dayMonthYearDotted),
        "de": LocaleFormat(
            groupSeparator: ".", decimalSeparator: ",", currencyPlacement: .after, minusSign: "-",
            currencySymbols: ["EUR": "€", "CHF": "CHF"], dateStyle: .dayMonthYearDotted),
        "pl": nordicSpace(symbols: ["PLN": "zł", "EUR": "€"], date: .dayMonthYearDotted),
        "en": fallback,
        // Scripts without a Nordic convention: unambiguous ISO dates and ISO currency codes.
        "ja": isoCode, "zh": isoCode, "ar": isoCode,
        // Hindi: lakh and crore grouping, the rupee sign, ISO dates.
        "hi": LocaleFormat(
            groupSeparator: ",", decimalSeparator: ".", currencyPlacement: .before, minusSign: "-", currencySymbols: ["INR": "₹"], dateStyle: .iso,
            grouping: .indian),
    ]

    /// Formats for a language in one region that differ from the language's own (`en-IN`).
    public static let byLanguageAndRegion: [String: LocaleFormat] = [
        "en-IN": {
            var india = fallback
            india.grouping = .indian
            india.currencySymbols["INR"] = "₹"
            return india
        }(),
    ]

    /// `NOK 1,250.00` and `2026-11-01`, for languages whose readers may not share Latin month names.
    public static let isoCode = LocaleFormat(
        groupSeparator: ",", decimalSeparator: ".", currencyPlacement: .before, minusSign: "-", currencySymbols: [:], dateStyle: .iso)

    /// English-style formatting, used for languages without an entry.
    public static let fallback = LocaleFormat(
        groupSeparator: ",", decimalSeparator: ".", currencyPlacement: .before, minusSign: "-",
        currencySymbols: ["EUR": "€", "GBP": "£", "USD": "$"], dateStyle: .dayMonthNameYear(months: englishMonths))

    private static func nordicSpace(symbols: [String: String], date: DateStyle) -> LocaleFormat {
        LocaleFormat(
            groupSeparator: nbsp, decimalSeparator: ",", currencyPlacement: .after, minusSign: "\u{2212}",
            currencySymbols: symbols, dateStyle: date)
    }

    /// The format for a locale tag (`nb-NO`, `nb`, `sv_SE`, `en-IN`): the language in its region
    /// where that differs, else the language's.
    public static func forLocale(_ tag: String) -> LocaleFormat {
        if let known = resolved.withLock({ $0[tag] }) { return known }
        let language = LocaleTag.language(of: tag)
        var format = byLanguage[language] ?? fallback
        if let region = LocaleTag.region(of: tag), let regional = byLanguageAndRegion["\(language)-\(region)"] { format = regional }
        // Tags come from messages: keep a bounded number, the few a deployment sees.
        resolved.withLock { if $0.count < 1_024 { $0[tag] = format } }
        return format
    }

    /// Tags already resolved: every render asks for its message's, and parsing the tag each time
    /// showed in the send loop's profile.
    private static let resolved = Mutex<[String: LocaleFormat]>([:])
}

extension LocaleFormat {
    /// A currency symbol that ends in a period (Danish `kr.`) at the end of a sentence takes the
    /// sentence's period, as Danish writes it: `… på 100,00 kr..` → `… på 100,00 kr.`.
    public func mergingAbbreviationStops(_ text: String) -> String {
        var result = text
        for symbol in abbreviationStops {
            result = result.replacingOccurrences(of: symbol + ".", with: symbol)
        }
        return result
    }
}
