import Foundation

/// The per-country rule table and each creditor's stricter overrides.
public struct CollectionRules: Sendable, Hashable {
    public var countries: [String: CountryRules]
    /// Creditor name (`data.creditor`) → country → the creditor's rules: the country's, made stricter.
    public var creditors: [String: [String: CountryRules]]

    public init(countries: [String: CountryRules], creditors: [String: [String: CountryRules]] = [:]) {
        self.countries = countries
        self.creditors = creditors
    }

    /// The rules for a message to a debtor in `country` on behalf of `creditor`; nil for a country
    /// without rules.
    public func rules(country: String?, creditor: String?) -> CountryRules? {
        guard let country else { return nil }
        if let creditor, let own = creditors[creditor]?[country] { return own }
        return countries[country]
    }

    public static let shipped = CollectionRules(countries: [
        "NO": CountryRules(
            country: "NO", noticeMinimumDays: 14, noticeCountsFrom: .sending, feeEarliestDaysAfterDue: 14, feeCap: "35.00", feeCurrency: "NOK",
            feeRemindersMax: 2, feeRemindersMinDaysApart: 14, stepsMaxDaysApart: 60,
            noticeChannels: [.letter: .always, .email: .usedAddress],
            sources: [
                "notice_minimum_days": "inkassoloven § 9", "notice_channels": "inkassoloven § 9 and inkassoforskriften: written, electronically to an address the debtor has used",
                "fee_earliest_days_after_due": "inkassoforskriften § 1-2", "fee_cap": "inkassoforskriften § 1-2: 1/20 of the inkassosats",
                "fee_reminders_max": "inkassoforskriften § 1-3", "fee_reminders_min_days_apart": "inkassoforskriften § 1-3",
                "steps_max_days_apart": "Varsel guidance: a fixed plan without long pauses",
            ]),
        "SE": CountryRules(
            country: "SE", noticeMinimumDays: 8, noticeCountsFrom: .sending, feeCap: "60.00", feeCurrency: "SEK", feeRequiresAgreement: true,
            stepsMaxDaysApart: 60, noticeChannels: [.letter: .always, .email: .always],
            sources: [
                "notice_minimum_days": "inkassolagen (1974:182) 5 § and IMY guidance: normally 8 days",
                "fee_cap": "förordningen (1981:1057) om ersättning för inkassokostnader m.m.",
                "fee_requires_agreement": "lagen (1981:739) om ersättning för inkassokostnader m.m. 2 §: only if agreed when the debt arose",
                "steps_max_days_apart": "Varsel guidance: a fixed plan without long pauses",
            ]),
        "DK": CountryRules(
            country: "DK", noticeMinimumDays: 10, noticeCountsFrom: .sending, feeCap: "100.00", feeCurrency: "DKK", feeRemindersMax: 3,
            feeRemindersMinDaysApart: 10, stepsMaxDaysApart: 60, noticeChannels: [.letter: .always, .email: .always],
            sources: [
                "notice_minimum_days": "inkassoloven § 10 (inkassovarsel, 10 days)",
                "fee_cap": "renteloven § 9 b, stk. 1", "fee_reminders_max": "renteloven § 9 b, stk. 1",
                "fee_reminders_min_days_apart": "renteloven § 9 b, stk. 1",
                "steps_max_days_apart": "Varsel guidance: a fixed plan without long pauses",
            ]),
        "FI": CountryRules(
            country: "FI", noticeMinimumDays: 10, noticeCountsFrom: .presumedReceipt, presumedReceiptDays: [.letter: 7, .email: 0],
            feeCap: "5.00", feeCurrency: "EUR", feeRemindersMax: 3, feeRemindersMinDaysApart: 15, stepsMinDaysApart: 15, stepsMaxDaysApart: 60,
            noticeChannels: [.letter: .always, .email: .consent],
            sources: [
                "notice_minimum_days": "laki saatavien perinnästä (513/1999) 5 §: time to pay from presumed receipt",
                "presumed_receipt_days": "a letter is presumed received on the 7th day after sending, an email on the day sent",
                "fee_cap": "laki saatavien perinnästä 10 e §: consumer reminder fee",
                "fee_reminders_max": "laki saatavien perinnästä 10 c §", "fee_reminders_min_days_apart": "laki saatavien perinnästä 10 b §: more than 14 days",
                "steps_min_days_apart": "Finnish regulator's guidance on good collection practice: more than 14 days between steps",
                "notice_channels": "laki saatavien perinnästä 5 §: electronically only with the debtor's separate consent",
                "steps_max_days_apart": "Varsel guidance: a fixed plan without long pauses",
            ]),
    ])

    /// The keys in which `override` is looser than `base` (a creditor may only be stricter).
    public static func looser(_ override: CountryRules, than base: CountryRules) -> [String] {
        var keys: [String] = []
        if override.noticeMinimumDays < base.noticeMinimumDays { keys.append("notice_minimum_days") }
        if base.noticeCountsFrom == .presumedReceipt && override.noticeCountsFrom == .sending { keys.append("notice_counts_from") }
        for (channel, days) in base.presumedReceiptDays where (override.presumedReceiptDays[channel] ?? 0) < days {
            keys.append("presumed_receipt_days.\(channel.rawValue)")
        }
        if override.reminderEarliestDaysAfterDue < base.reminderEarliestDaysAfterDue { keys.append("reminder_earliest_days_after_due") }
        if override.feeEarliestDaysAfterDue < base.feeEarliestDaysAfterDue { keys.append("fee_earliest_days_after_due") }
        if let cap = base.feeCap {
            if override.feeCap.flatMap({ Decimal(string: $0, locale: posix) }).map({ $0 > (Decimal(string: cap, locale: posix) ?? 0) }) ?? true
                || override.feeCurrency != base.feeCurrency
            {
                keys.append("fee_cap")
            }
        }
        if base.feeRequiresAgreement && !override.feeRequiresAgreement { keys.append("fee_requires_agreement") }
        if let max = base.feeRemindersMax, (override.feeRemindersMax ?? Int.max) > max { keys.append("fee_reminders_max") }
        if override.feeRemindersMinDaysApart < base.feeRemindersMinDaysApart { keys.append("fee_reminders_min_days_apart") }
        if override.stepsMinDaysApart < base.stepsMinDaysApart { keys.append("steps_min_days_apart") }
        if let max = base.stepsMaxDaysApart, (override.stepsMaxDaysApart ?? Int.max) > max { keys.append("steps_max_days_apart") }
        let strictness: [CountryRules.WrittenNotice: Int] = [.always: 0, .usedAddress: 1, .consent: 2, .never: 3]
        for channel in Channel.allCases where strictness[override.noticeChannels[channel] ?? .never]! < strictness[base.noticeChannels[channel] ?? .never]! {
            keys.append("notice_channels.\(channel.rawValue)")
        }
        return keys
    }

    static let posix = Locale(identifier: "en_US_POSIX")
}
