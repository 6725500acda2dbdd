import VarselCore

/// The values a template sees: the message's data with amounts and dates formatted for the template's
/// locale (plain spaces and ASCII minus for SMS), the recipient's name and address, and `raw.*`.
enum RenderContext {
    static func make(message: MessageRequest, messageID: String, locale: String, channel: Channel) -> [String: Any] {
        let format = LocaleFormat.forLocale(locale)
        let currency = message.data["currency"]?.scalarText ?? ""
        var context: [String: Any] = [:]
        var raw: [String: Any] = [:]
        for (name, value) in message.data {
            raw[name] = plain(value)
            var shown: Any = plain(value)
            switch DataFieldType.of(name) {
            case .money:
                if let text = MessageValidator.moneyText(value), let money = Money(text, currency: currency) {
                    shown = money.formatted(format)
                }
            case .date:
                if let text = value.scalarText, let date = RFC3339.parseDate(text) {
                    shown = DateText.format(date, format)
                }
            case .currency, .url, .text:
                break
            }
            if channel == .sms, let text = shown as? String {
                shown = SMSText.normaliseFormattedValue(text)
            }
            context[name] = shown
        }
        context["raw"] = raw
        context["message_id"] = messageID
        context["case_ref"] = message.caseRef ?? ""
        var recipient: [String: Any] = [:]
        if let name = message.recipient.name { recipient["name"] = name }
        if let address = message.recipient.address {
            var fields: [String: Any] = ["lines": address.lines]
            if let postalCode = address.postalCode { fields["postal_code"] = postalCode }
            if let city = address.city { fields["city"] = city }
            if let country = address.country { fields["country"] = country }
            recipient["address"] = fields
        }
        context["recipient"] = recipient
        return context
    }

    /// JSON as Mustache-friendly values: strings, booleans, arrays and dictionaries.
    private static func plain(_ value: JSONValue) -> Any {
        switch value {
        case .null: return false
        case .bool(let flag): return flag
        case .number, .string: return value.scalarText ?? ""
        case .array(let items): return items.map(plain)
        case .object(let fields): return fields.mapValues(plain)
        }
    }
}
