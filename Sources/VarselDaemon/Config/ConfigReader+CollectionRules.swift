import Foundation
import VarselCore

/// `collection_rules`: the per-country rule table over its shipped defaults, and creditors'
/// overrides, which may only be stricter (docs/collection-rules.md).
extension ConfigReader {
    static let countryRuleKeys = [
        "notice_minimum_days", "notice_counts_from", "presumed_receipt_days", "reminder_earliest_days_after_due", "fee_earliest_days_after_due",
        "fee_cap", "fee_currency", "fee_requires_agreement", "fee_reminders_max", "fee_reminders_min_days_apart", "steps_min_days_apart",
        "steps_max_days_apart", "notice_channels", "sources",
    ]

    mutating func readCollectionRules(_ node: ConfigTree?) -> CollectionRules {
        checkKeys(node, "collection_rules", allowed: ["countries", "creditors"])
        var rules = CollectionRules.shipped
        for country in node?["countries"]?.keys ?? [] {
            let code = country.uppercased()
            let path = "collection_rules.countries.\(country)"
            guard code.count == 2, code.allSatisfy({ ("A"..."Z").contains($0) }) else {
                fail(path, "expected an ISO 3166-1 alpha-2 country code such as NO")
                continue
            }
            rules.countries[code] = readCountryRules(node?["countries"]?[country], path: path, over: rules.countries[code] ?? CountryRules(country: code))
        }
        for creditor in node?["creditors"]?.keys ?? [] {
            for country in node?["creditors"]?[creditor]?.keys ?? [] {
                let code = country.uppercased()
                let path = "collection_rules.creditors.\(creditor).\(country)"
                guard let base = rules.countries[code] else {
                    fail(path, "no rules for \(code) to make stricter; add collection_rules.countries.\(code) first")
                    continue
                }
                let own = readCountryRules(node?["creditors"]?[creditor]?[country], path: path, over: base)
                for key in CollectionRules.looser(own, than: base) {
                    fail("\(path).\(key)", "a creditor's rules may only be stricter than \(code)'s, never looser")
                }
                rules.creditors[creditor, default: [:]][code] = own
            }
        }
        return rules
    }

    /// A country's rules: the keys given, over `base`.
    mutating func readCountryRules(_ node: ConfigTree?, path: String, over base: CountryRules) -> CountryRules {
        checkKeys(node, path, allowed: Self.countryRuleKeys)
        var rules = base
        func days(_ key: String) -> Int? { node?[key] == nil ? nil : int(node?[key], "\(path).\(key)", range: 0...365) }
        func optionalDays(_ key: String, current: Int?) -> Int? {
            guard let value = node?[key] else { return current }
            return value == .null ? nil : int(value, "\(path).\(key)", range: 0...365)
        }
        rules.noticeMinimumDays = days("notice_minimum_days") ?? rules.noticeMinimumDays
        if let text = string(node?["notice_counts_from"], "\(path).notice_counts_from") {
            if let start = CountryRules.NoticeStart(rawValue: text) { rules.noticeCountsFrom = start } else { fail("\(path).notice_counts_from", "use sending or presumed_receipt") }
        }
        checkKeys(node?["presumed_receipt_days"], "\(path).presumed_receipt_days", allowed: Channel.allCases.map(\.rawValue))
        for channel in Channel.allCases where node?["presumed_receipt_days"]?[channel.rawValue] != nil {
            rules.presumedReceiptDays[channel] = int(node?["presumed_receipt_days"]?[channel.rawValue], "\(path).presumed_receipt_days.\(channel.rawValue)", range: 0...60)
        }
        rules.reminderEarliestDaysAfterDue = days("reminder_earliest_days_after_due") ?? rules.reminderEarliestDaysAfterDue
        rules.feeEarliestDaysAfterDue = days("fee_earliest_days_after_due") ?? rules.feeEarliestDaysAfterDue
        if let cap = node?["fee_cap"] {
            if cap == .null {
                rules.feeCap = nil
            } else if let text = string(cap, "\(path).fee_cap"), let money = Money(text, currency: "XXX"), !money.negative {
                rules.feeCap = text
            } else {
                fail("\(path).fee_cap", "expected an amount such as \"35.00\", or null for no cap")
            }
        }
        if let currency = string(node?["fee_currency"], "\(path).fee_currency") {
            if ISO4217.isKnown(currency) { rules.feeCurrency = currency } else { fail("\(path).fee_currency", "'\(currency)' is not an ISO 4217 code such as NOK") }
        }
        if rules.feeCap != nil && rules.feeCurrency == nil { fail("\(path).fee_currency", "required with fee_cap: the currency the cap is in") }
        if node?["fee_requires_agreement"] != nil { rules.feeRequiresAgreement = bool(node?["fee_requires_agreement"], "\(path).fee_requires_agreement") }
        rules.feeRemindersMax = optionalDays("fee_reminders_max", current: rules.feeRemindersMax)
        rules.feeRemindersMinDaysApart = days("fee_reminders_min_days_apart") ?? rules.feeRemindersMinDaysApart
        rules.stepsMinDaysApart = days("steps_min_days_apart") ?? rules.stepsMinDaysApart
        rules.stepsMaxDaysApart = optionalDays("steps_max_days_apart", current: rules.stepsMaxDaysApart)
        if let max = rules.stepsMaxDaysApart, max < rules.stepsMinDaysApart {
            fail("\(path).steps_max_days_apart", "less than steps_min_days_apart (\(rules.stepsMinDaysApart))")
        }
        checkKeys(node?["notice_channels"], "\(path).notice_channels", allowed: Channel.allCases.map(\.rawValue))
        for channel in Channel.allCases {
            guard let text = string(node?["notice_channels"]?[channel.rawValue], "\(path).notice_channels.\(channel.rawValue)") else { continue }
            if let condition = CountryRules.WrittenNotice(rawValue: text) {
                rules.noticeChannels[channel] = condition
            } else {
                fail("\(path).notice_channels.\(channel.rawValue)", "use always, never, used_address or consent")
            }
        }
        checkKeys(node?["sources"], "\(path).sources", allowed: Self.countryRuleKeys.filter { $0 != "sources" })
        for key in node?["sources"]?.keys ?? [] {
            if let text = string(node?["sources"]?[key], "\(path).sources.\(key)") { rules.sources[key] = text }
        }
        return rules
    }
}
