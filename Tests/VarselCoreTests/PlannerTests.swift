import Testing
@testable import VarselCore

/// A template set reduced to the variants the planner may ask for.
struct FakeCatalog: TemplateCatalog {
    struct Variant: Hashable, Sendable {
        let kind: String
        let locale: String
        let tone: Tone
        let channel: Channel
    }

    let variants: Set<Variant>

    init(_ variants: [(kind: String, locale: String, tone: Tone, channel: Channel)]) {
        self.variants = Set(variants.map { Variant(kind: $0.kind, locale: $0.locale, tone: $0.tone, channel: $0.channel) })
    }

    /// Every tone and channel of the given kinds in the given locales.
    static func complete(kinds: [String] = ["reminder", "collection_notice"], locales: [String]) -> FakeCatalog {
        var list: [(kind: String, locale: String, tone: Tone, channel: Channel)] = []
        for kind in kinds {
            for locale in locales {
                for tone in Tone.allCases {
                    for channel in Channel.allCases { list.append((kind, locale, tone, channel)) }
                }
            }
        }
        return FakeCatalog(list)
    }

    func hasTemplate(kind: String, locale: String, tone: Tone, channel: Channel) -> Bool {
        variants.contains(Variant(kind: kind, locale: locale, tone: tone, channel: channel))
    }
}

/// Channel, locale and tone decisions, and the trail that explains them.
@Suite("Planner")
struct PlannerTests {
    static let oslo = PostalAddress(lines: ["Storgata 1"], postalCode: "0155", city: "Oslo", country: "NO")

    /// Kari of the docs/message.md example, reachable on every channel, with no preferences of her own.
    static let kari = Recipient(
        id: "debtor-42", name: "Kari Nordmann", locale: "nb-NO", country: "NO", timezone: "Europe/Oslo",
        phone: "+4791234567", email: "kari@example.no", address: oslo)

    static let nordic = FakeCatalog.complete(locales: ["nb", "sv", "da", "fi", "en"])

    func plan(
        _ recipient: Recipient, kind: String = "reminder", policy: PlanningPolicy = PlanningPolicy(),
        catalog: FakeCatalog = nordic, excluding: Set<Channel> = []
    ) -> PlanOutcome {
        Planner(policy: policy).plan(
            MessageRequest(kind: kind, recipient: recipient, data: [:]), catalog: catalog, excluding: excluding)
    }

    func planned(
        _ recipient: Recipient, kind: String = "reminder", policy: PlanningPolicy = PlanningPolicy(),
        catalog: FakeCatalog = nordic, excluding: Set<Channel> = [], sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> Plan {
        switch plan(recipient, kind: kind, policy: policy, catalog: catalog, excluding: excluding) {
        case .planned(let plan): return plan
        case .unplannable(let reason, let decisions):
            Issue.record("expected a plan, got: \(reason); trail: \(decisions)", sourceLocation: sourceLocation)
            throw Unplanned()
        }
    }

    struct Unplanned: Error {}

    /// Whether some line of the trail contains the phrase.
    func trail(_ decisions: [String], mentions phrase: String) -> Bool {
        decisions.contains { $0.contains(phrase) }
    }

    // MARK: Channel order

    @Test("with no preferences, the configured order applies and the first usable channel wins")
    func configuredOrderFirstChoice() throws {
        let plan = try planned(Self.kari)
        #expect(plan.channel == .sms)
        #expect(plan.locale == "nb")
        #expect(plan.tone == .direct)
        #expect(plan.templateID == "reminder/nb/direct/sms")
        #expect(plan.decisions.contains("channel order from configuration: sms, email, letter"))
        #expect(plan.decisions.contains("sms chosen: first preference, +47 number valid"))
    }

    @Test("a configured order other than the default is followed")
    func configuredOrderFollowed() throws {
        let policy = PlanningPolicy(channelOrder: [.letter, .email, .sms])
        let plan = try planned(Self.kari, policy: policy)
        #expect(plan.channel == .letter)
        #expect(plan.templateID == "reminder/nb/direct/letter")
        #expect(plan.decisions.contains("channel order from configuration: letter, email, sms"))
        #expect(trail(plan.decisions, mentions: "letter chosen: first preference, postal address complete"))
    }

    @Test("the recipient's own channel order wins over the configured one")
    func recipientOrderFollowed() throws {
        var recipient = Self.kari
        recipient.channels = [.email, .sms]
        let plan = try planned(recipient, policy: PlanningPolicy(channelOrder: [.sms, .email, .letter]))
        #expect(plan.channel == .email)
        #expect(plan.templateID == "reminder/nb/direct/email")
        #expect(plan.decisions.contains("channel order from recipient: email, sms"))
        #expect(trail(plan.decisions, mentions: "email chosen: first preference, email address valid"))
    }

    @Test("a channel the recipient does not list is never used")
    func unlistedChannelNeverUsed() throws {
        var recipient = Self.kari
        recipient.channels = [.letter]
        recipient.address = nil
        guard case .unplannable(let reason, let decisions) = plan(recipient) else {
            Issue.record("only letter was allowed and there is no address")
            return
        }
        #expect(reason.hasPrefix("no usable channel"))
        #expect(trail(decisions, mentions: "letter skipped: no postal address"))
        #expect(!trail(decisions, mentions: "sms chosen"))
    }

    @Test("an empty channel list leaves nothing to plan")
    func emptyRecipientOrder() {
        var recipient = Self.kari
        recipient.channels = []
        guard case .unplannable(let reason, _) = plan(recipient) else {
            Issue.record("an empty channel list cannot be planned")
            return
        }
        #expect(reason.hasPrefix("no usable channel"))
    }

    // MARK: Skipped channels

    @Test("an opted-out channel is skipped and the next one is chosen")
    func optOutSkipped() throws {
        var recipient = Self.kari
        recipient.optOut = [.sms]
        let plan = try planned(recipient)
        #expect(plan.channel == .email)
        #expect(plan.decisions.contains("sms skipped: recipient opted out"))
        #expect(trail(plan.decisions, mentions: "email chosen: preference 2 of 3 after 1 skipped"))
    }

    @Test("an opt-out wins even over the recipient's own first preference")
    func optOutWinsOverPreference() throws {
        var recipient = Self.kari
        recipient.channels = [.sms, .letter]
        recipient.optOut = [.sms]
        let plan = try planned(recipient)
        #expect(plan.channel == .letter)
        #expect(plan.decisions.contains("sms skipped: recipient opted out"))
    }

    @Test("an implausible phone number is skipped with the reason, masked")
    func invalidPhoneSkipped() throws {
        var recipient = Self.kari
        recipient.phone = "+471234567"  // 7 digits after +47
        let plan = try planned(recipient)
        #expect(plan.channel == .email)
        let line = try #require(plan.decisions.first { $0.hasPrefix("sms skipped: ") })
        #expect(line.contains("7 digits"))
        #expect(line.contains("expected 8"))
        #expect(!line.contains("1234567"), "the number is masked in the trail: \(line)")
    }

    @Test("a missing contact point is skipped with the reason")
    func missingPhoneSkipped() throws {
        var recipient = Self.kari
        recipient.phone = nil
        let plan = try planned(recipient)
        #expect(plan.channel == .email)
        #expect(plan.decisions.contains("sms skipped: no phone number"))
    }

    @Test("an invalid email address is skipped with the reason")
    func invalidEmailSkipped() throws {
        var recipient = Self.kari
        recipient.channels = [.email, .letter]
        recipient.email = "kari@localhost"
        let plan = try planned(recipient)
        #expect(plan.channel == .letter)
        #expect(plan.decisions.contains { $0.hasPrefix("email skipped: email k***@localhost") })
    }

    @Test("an incomplete postal address is skipped, naming what is missing")
    func incompleteAddressSkipped() throws {
        var recipient = Self.kari
        recipient.channels = [.letter, .email]
        recipient.address = PostalAddress(lines: ["Storgata 1"], postalCode: "0155", city: nil, country: "NO")
        let plan = try planned(recipient)
        #expect(plan.channel == .email)
        #expect(plan.decisions.contains("letter skipped: address lacks city"))
    }

    @Test("a channel without a gateway is skipped with a reason")
    func channelWithoutGatewaySkipped() throws {
        var policy = PlanningPolicy()
        policy.availableChannels = [.email, .letter]
        let plan = try planned(Self.kari, policy: policy)
        #expect(plan.channel == .email)
        #expect(plan.decisions.contains("sms skipped: no gateway configured for sms"))
    }

    @Test("excluded channels are skipped as already tried")
    func excludedChannelsSkipped() throws {
        let plan = try planned(Self.kari, excluding: [.sms, .email])
        #expect(plan.channel == .letter)
        #expect(plan.decisions.contains("sms skipped: already tried"))
        #expect(plan.decisions.contains("email skipped: already tried"))
        #expect(trail(plan.decisions, mentions: "letter chosen: preference 3 of 3 after 2 skipped"))
    }

    @Test("a channel with no template in any locale of the chain is skipped")
    func channelWithoutTemplateSkipped() throws {
        let catalog = FakeCatalog([("reminder", "nb", .direct, .email)])
        let plan = try planned(Self.kari, catalog: catalog)
        #expect(plan.channel == .email)
        #expect(plan.decisions.contains("sms skipped: no reminder template for sms in nb-NO, nb, en"))
    }

    // MARK: Kind rules

    @Test("a collection notice never goes by SMS, even when SMS comes first")
    func collectionNoticeAvoidsSMS() throws {
        let plan = try planned(Self.kari, kind: "collection_notice")
        #expect(plan.channel == .email)
        #expect(plan.templateID == "collection_notice/nb/direct/email")
        #expect(trail(plan.decisions, mentions: "sms skipped: a collection notice must be written"))
    }

    @Test("a collection notice to a recipient with only a phone number cannot be planned")
    func collectionNoticePhoneOnly() {
        let recipient = Recipient(locale: "nb-NO", country: "NO", phone: "+4791234567")
        guard case .unplannable(let reason, let decisions) = plan(recipient, kind: "collection_notice") else {
            Issue.record("SMS alone never counts as a collection notice")
            return
        }
        #expect(reason.hasPrefix("no usable channel"))
        #expect(trail(decisions, mentions: "sms skipped: a collection notice must be written"))
        #expect(decisions.contains("email skipped: no email address"))
        #expect(decisions.contains("letter skipped: no postal address"))
        #expect(decisions.last == reason)
    }

    // MARK: Locale

    @Test("a template in the exact locale is used without fallback")
    func exactLocale() throws {
        let catalog = FakeCatalog.complete(locales: ["nb-NO", "nb", "en"])
        let plan = try planned(Self.kari, catalog: catalog)
        #expect(plan.locale == "nb-NO")
        #expect(plan.templateID == "reminder/nb-NO/direct/sms")
        #expect(plan.decisions.contains("locale nb-NO"))
    }

    @Test("nb-NO falls back to nb, and the trail says so")
    func localeFallsBackToLanguage() throws {
        let plan = try planned(Self.kari, catalog: FakeCatalog.complete(locales: ["nb", "en"]))
        #expect(plan.locale == "nb")
        #expect(plan.decisions.contains("locale nb used: no reminder/sms template for nb-NO"))
    }

    @Test("nb-NO falls back to the default en when there is no Norwegian template")
    func localeFallsBackToDefault() throws {
        let plan = try planned(Self.kari, catalog: FakeCatalog.complete(locales: ["sv", "en"]))
        #expect(plan.locale == "en")
        #expect(plan.templateID == "reminder/en/direct/sms")
        #expect(plan.decisions.contains("locale en used: no reminder/sms template for nb-NO, nb"))
    }

    @Test("the configured default locale ends the chain")
    func configuredDefaultLocale() throws {
        var recipient = Self.kari
        recipient.locale = "de-DE"
        let policy = PlanningPolicy(defaultLocale: "nb")
        let plan = try planned(recipient, policy: policy, catalog: FakeCatalog.complete(locales: ["nb"]))
        #expect(plan.locale == "nb")
        #expect(plan.decisions.contains("locale nb used: no reminder/sms template for de-DE, de"))
    }

    @Test("an aliased language reads the templates of its alias: no-NO → no → nb")
    func aliasInChain() throws {
        var recipient = Self.kari
        recipient.locale = "no-NO"
        let plan = try planned(recipient, catalog: FakeCatalog.complete(locales: ["nb", "en"]))
        #expect(plan.locale == "nb")
        #expect(plan.decisions.contains("locale nb used: no reminder/sms template for no-NO, no"))
    }

    @Test("without a recipient locale, the country's locale is used")
    func localeFromCountry() throws {
        let recipient = Recipient(country: "SE", phone: "+46701234567")
        let plan = try planned(recipient)
        #expect(plan.locale == "sv")
        #expect(plan.templateID == "reminder/sv/direct/sms")
        #expect(plan.decisions.contains("locale sv used: no reminder/sms template for sv-SE"))
    }

    @Test("without locale or country, the default locale is used")
    func localeDefault() throws {
        let recipient = Recipient(phone: "+14155552671")
        let plan = try planned(recipient)
        #expect(plan.locale == "en")
        #expect(plan.decisions.contains("locale en"))
    }

    // MARK: Tone

    @Test("the recipient's tone wins over the country's")
    func toneFromRecipient() throws {
        var recipient = Self.kari
        recipient.tone = .indirect
        let plan = try planned(recipient)
        #expect(plan.tone == .indirect)
        #expect(plan.templateID == "reminder/nb/indirect/sms")
        #expect(plan.decisions.contains("tone indirect: recipient preference"))
    }

    @Test(
        "without a recipient tone, the country decides",
        arguments: [("NO", Tone.direct), ("IN", .indirect), ("JP", .indirect), ("DE", .direct)])
    func toneFromCountry(country: String, tone: Tone) throws {
        let recipient = Recipient(country: country, email: "debtor@example.com")
        let plan = try planned(recipient)
        #expect(plan.tone == tone)
        #expect(plan.decisions.contains("tone \(tone.rawValue): default for country \(country)"))
    }

    @Test("a recipient from India gets the indirect English reminder")
    func indianRecipient() throws {
        let recipient = Recipient(name: "Asha Rao", country: "IN", phone: "+919812345678")
        let plan = try planned(recipient)
        #expect(plan.channel == .sms)
        #expect(plan.templateID == "reminder/en/indirect/sms")
        #expect(plan.decisions.contains("sms chosen: first preference, +91 number valid"))
    }

    @Test("the address's country counts when the recipient has none")
    func toneFromAddressCountry() throws {
        let address = PostalAddress(lines: ["MG Road 1"], postalCode: "560001", city: "Bengaluru", country: "IN")
        let recipient = Recipient(name: "Asha Rao", email: "asha@example.in", address: address)
        let plan = try planned(recipient)
        #expect(plan.tone == .indirect)
        #expect(plan.decisions.contains("tone indirect: default for country IN"))
    }

    @Test("the country wins over the locale's region")
    func countryBeatsLocaleRegion() throws {
        let recipient = Recipient(locale: "hi-IN", country: "NO", email: "asha@example.no")
        let plan = try planned(recipient)
        #expect(plan.tone == .direct)
        #expect(plan.decisions.contains("tone direct: default for country NO"))
    }

    @Test("without a country, the locale's region decides the tone")
    func toneFromLocaleRegion() throws {
        let recipient = Recipient(locale: "hi-IN", email: "asha@example.in")
        let plan = try planned(recipient)
        #expect(plan.tone == .indirect)
        #expect(plan.locale == "en")
        #expect(plan.decisions.contains("tone indirect: default for locale region IN"))
    }

    @Test("with nothing to go on, the configured default tone applies")
    func defaultTone() throws {
        let recipient = Recipient(locale: "en", email: "someone@example.com")
        let plan = try planned(recipient, policy: PlanningPolicy(defaultTone: .indirect))
        #expect(plan.tone == .indirect)
        #expect(plan.decisions.contains("tone indirect: default"))
    }

    @Test("an unmapped country falls through to the default tone")
    func unmappedCountryDefaultTone() throws {
        let recipient = Recipient(country: "BR", email: "someone@example.com")
        let plan = try planned(recipient, policy: PlanningPolicy(defaultTone: .indirect))
        #expect(plan.tone == .indirect)
        #expect(plan.decisions.contains("tone indirect: default"))
    }

    @Test("a missing tone variant falls back to the other tone, and the trail says so")
    func toneFallsBack() throws {
        var recipient = Self.kari
        recipient.tone = .indirect
        let catalog = FakeCatalog([("reminder", "nb", .direct, .sms)])
        let plan = try planned(recipient, catalog: catalog)
        #expect(plan.tone == .direct)
        #expect(plan.locale == "nb")
        #expect(plan.templateID == "reminder/nb/direct/sms")
        #expect(plan.decisions.contains("tone direct used: no indirect template reminder/nb/indirect/sms"))
    }

    @Test("the same locale in the other tone is preferred over another locale in the asked tone")
    func toneFallbackPrefersSameLocale() throws {
        var recipient = Self.kari
        recipient.tone = .indirect
        let catalog = FakeCatalog([("reminder", "nb", .direct, .sms), ("reminder", "en", .indirect, .sms)])
        let plan = try planned(recipient, catalog: catalog)
        #expect(plan.locale == "nb")
        #expect(plan.tone == .direct)
    }

    @Test("the asked tone is used when both tones exist")
    func askedToneWhenBothExist() throws {
        var recipient = Self.kari
        recipient.tone = .indirect
        let plan = try planned(recipient)
        #expect(plan.tone == .indirect)
        #expect(!trail(plan.decisions, mentions: "tone direct used"))
    }
}
