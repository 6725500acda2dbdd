/// The debtor a message is for: preferences and contact points, as the message contract carries them.
public struct Recipient: Sendable, Hashable, Codable {
    public var id: String?
    public var name: String?
    /// BCP 47 language tag as given (`nb-NO`); normalised when the locale chain is built.
    public var locale: String?
    /// ISO 3166-1 alpha-2, upper case.
    public var country: String?
    /// IANA time zone id.
    public var timezone: String?
    public var tone: Tone?
    /// Preferred channels, most preferred first; `nil` means the configured default order.
    public var channels: [Channel]?
    public var optOut: [Channel]
    /// E.164 (`+4791234567`).
    public var phone: String?
    public var email: String?
    public var address: PostalAddress?
    /// Dated consents the country rules ask for (a used email address, electronic notices); nil: none.
    public var consents: [Consent]?

    public init(
        id: String? = nil, name: String? = nil, locale: String? = nil, country: String? = nil,
        timezone: String? = nil, tone: Tone? = nil, channels: [Channel]? = nil, optOut: [Channel] = [],
        phone: String? = nil, email: String? = nil, address: PostalAddress? = nil
    ) {
        self.id = id
        self.name = name
        self.locale = locale
        self.country = country
        self.timezone = timezone
        self.tone = tone
        self.channels = channels
        self.optOut = optOut
        self.phone = phone
        self.email = email
        self.address = address
    }

    enum CodingKeys: String, CodingKey {
        case id, name, locale, country, timezone, tone, channels
        case optOut = "opt_out"
        case phone, email, address, consents
    }

    /// The country used for tone, locale and phone rules: the recipient's, else the address's.
    public var effectiveCountry: String? { country ?? address?.country }
}
