/// The configured rules the planner applies: default channel order, kinds, tone and locale maps.
public struct PlanningPolicy: Sendable {
    public var channelOrder: [Channel]
    public var kinds: [String: KindRule]
    /// Country (ISO alpha-2) → tone.
    public var toneByCountry: [String: Tone]
    public var defaultTone: Tone
    /// The last locale of every fallback chain (`templates.default_locale`).
    public var defaultLocale: String
    /// Language → language whose templates it reads (`no` → `nb`).
    public var localeAliases: [String: String]
    /// Country → locale, used when the recipient gives none.
    public var localeByCountry: [String: String]
    /// Channels that have a gateway; `nil` means all. Others are skipped with a reason.
    public var availableChannels: Set<Channel>?
    /// The per-country collection rules (`collection_rules`).
    public var collectionRules: CollectionRules = .shipped
    /// Template experiments (`experiments`): which variant a message of a kind and channel reads.
    public var experiments = TemplateExperiments()

    public init(
        channelOrder: [Channel] = [.sms, .email, .letter], kinds: [String: KindRule] = KindRule.shipped,
        toneByCountry: [String: Tone] = PlanningPolicy.defaultToneByCountry, defaultTone: Tone = .direct,
        defaultLocale: String = "en", localeAliases: [String: String] = PlanningPolicy.defaultLocaleAliases,
        localeByCountry: [String: String] = PlanningPolicy.defaultLocaleByCountry
    ) {
        self.channelOrder = channelOrder
        self.kinds = kinds
        self.toneByCountry = toneByCountry
        self.defaultTone = defaultTone
        self.defaultLocale = defaultLocale
        self.localeAliases = localeAliases
        self.localeByCountry = localeByCountry
    }

    /// Direct where directness reads as professional; indirect where a polite, relationship-first
    /// wording works better (docs/domain.md, tone).
    public static let defaultToneByCountry: [String: Tone] = {
        var map: [String: Tone] = [:]
        for country in ["NO", "SE", "DK", "FI", "IS", "DE", "AT", "CH", "NL"] { map[country] = .direct }
        for country in ["IN", "JP", "CN", "KR", "TH", "VN", "ID", "SA", "AE", "QA", "KW", "BH", "OM", "MY", "PH", "PK", "BD", "LK", "TW", "HK", "SG"] {
            map[country] = .indirect
        }
        return map
    }()

    public static let defaultLocaleAliases: [String: String] = ["no": "nb", "nn": "nb", "se": "sv"]

    public static let defaultLocaleByCountry: [String: String] = [
        "NO": "nb-NO", "SE": "sv-SE", "DK": "da-DK", "FI": "fi-FI", "DE": "de-DE", "AT": "de-AT", "CH": "de-CH",
        "GB": "en-GB", "IE": "en-IE", "US": "en-US", "PL": "pl-PL", "IS": "is-IS",
    ]
}
