/// Decides per message which channel, template locale and tone to use, and records why.
///
/// Pure: the same message, policy and catalogue always give the same plan.
public struct Planner: Sendable {
    public let policy: PlanningPolicy
    /// The policy's locale fallback chains, each worked out once.
    let localeChains: LocaleChains

    public init(policy: PlanningPolicy) {
        self.policy = policy
        localeChains = LocaleChains(defaultLocale: policy.defaultLocale, aliases: policy.localeAliases)
    }

    /// Plans a message, optionally excluding channels already tried.
    public func plan(_ message: MessageRequest, catalog: some TemplateCatalog, excluding excluded: Set<Channel> = []) -> PlanOutcome {
        var trail: [String] = []
        let recipient = message.recipient
        let kind = policy.kinds[message.kind]

        let order: [Channel]
        if let preferred = recipient.channels {
            order = preferred
            trail.append("channel order from recipient: " + order.map(\.rawValue).joined(separator: ", "))
        } else {
            order = policy.channelOrder
            trail.append("channel order from configuration: " + order.map(\.rawValue).joined(separator: ", "))
        }

        let tone = resolveTone(recipient)
        trail.append(tone.reason)
        let localeTag = recipient.locale ?? recipient.effectiveCountry.flatMap { policy.localeByCountry[$0] }
        let chain = localeChains.chain(for: localeTag)

        var skipped = 0
        for (position, channel) in order.enumerated() {
            if excluded.contains(channel) {
                trail.append("\(channel.rawValue) skipped: already tried")
            } else if let available = policy.availableChannels, !available.contains(channel) {
                trail.append("\(channel.rawValue) skipped: no gateway configured for \(channel.rawValue)")
            } else if recipient.optOut.contains(channel) {
                trail.append("\(channel.rawValue) skipped: recipient opted out")
            } else if let allowed = kind?.allowedChannels, !allowed.contains(channel) {
                let why = kind?.channelRuleReason ?? "not allowed for \(message.kind)"
                trail.append("\(channel.rawValue) skipped: \(why)")
            } else if let problem = ContactCheck.problem(for: channel, recipient: recipient) {
                trail.append("\(channel.rawValue) skipped: \(problem)")
            } else if let variant = Self.templateVariant(kind: message.kind, channel: channel, chain: chain, tone: tone.tone, catalog: catalog) {
                let rank = position == 0 ? "first preference" : "preference \(position + 1) of \(order.count)"
                let after = skipped > 0 ? " after \(skipped) skipped" : ""
                trail.append("\(channel.rawValue) chosen: \(rank)\(after), \(ContactCheck.summary(for: channel, recipient: recipient))")
                trail.append(contentsOf: variant.notes)
                return .planned(Plan(kind: message.kind, channel: channel, locale: variant.locale, tone: variant.tone, decisions: trail))
            } else {
                trail.append("\(channel.rawValue) skipped: no \(message.kind) template for \(channel.rawValue) in \(chain.joined(separator: ", "))")
            }
            skipped += 1
        }
        let reason = "no usable channel: " + (order.isEmpty ? "recipient allows none" : "every channel was skipped")
        trail.append(reason)
        return .unplannable(reason: reason, decisions: trail)
    }

    private func resolveTone(_ recipient: Recipient) -> (tone: Tone, reason: String) {
        if let tone = recipient.tone { return (tone, "tone \(tone.rawValue): recipient preference") }
        if let country = recipient.effectiveCountry, let tone = policy.toneByCountry[country] {
            return (tone, "tone \(tone.rawValue): default for country \(country)")
        }
        if let region = recipient.locale.flatMap(LocaleTag.region(of:)), let tone = policy.toneByCountry[region] {
            return (tone, "tone \(tone.rawValue): default for locale region \(region)")
        }
        return (policy.defaultTone, "tone \(policy.defaultTone.rawValue): default")
    }

    /// The first locale in the chain with a template for the tone, else for the other tone, with the
    /// notes that explain a fallback.
    public static func templateVariant(
        kind: String, channel: Channel, chain: [String], tone: Tone, catalog: some TemplateCatalog
    ) -> (locale: String, tone: Tone, notes: [String])? {
        for locale in chain {
            for candidate in [tone, tone.other] where catalog.hasTemplate(kind: kind, locale: locale, tone: candidate, channel: channel) {
                var notes: [String] = []
                if locale != chain[0] {
                    notes.append("locale \(locale) used: no \(kind)/\(channel.rawValue) template for \(chain.prefix { $0 != locale }.joined(separator: ", "))")
                } else {
                    notes.append("locale \(locale)")
                }
                if candidate != tone {
                    notes.append("tone \(candidate.rawValue) used: no \(tone.rawValue) template \(kind)/\(locale)/\(tone.rawValue)/\(channel.rawValue)")
                }
                return (locale, candidate, notes)
            }
        }
        return nil
    }
}
