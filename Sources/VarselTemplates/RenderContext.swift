import Foundation
import VarselCodes
import VarselCore

/// The values a template sees: the message's data with amounts and dates formatted for the template's
/// locale (plain spaces and ASCII minus for SMS), the recipient's name and address, and `raw.*`.
enum RenderContext {
    static func make(message: MessageRequest, messageID: String, locale: String, channel: Channel, schema: KindSchema? = nil) -> TemplateValue {
        // The recipient's own locale when the template is in its language (`en-IN` reads the `en`
        // templates with Indian digit grouping), else the template's.
        let recipientLocale = message.recipient.locale.flatMap { LocaleTag.language(of: $0) == LocaleTag.language(of: locale) ? $0 : nil }
        let format = LocaleFormat.forLocale(recipientLocale ?? locale)
        let currency = message.data["currency"]?.scalarText ?? ""
        // Sized once: the data's fields and the few added below (grown entry by entry, each table was
        // allocated again several times a message).
        var context = [String: TemplateValue](minimumCapacity: message.data.count + 6)
        var raw = [String: TemplateValue](minimumCapacity: message.data.count + 1)
        for (name, value) in message.data {
            raw[name] = plain(value)
            context[name] = shown(name: name, value: value, declared: schema?.fields[name]?.type, format: format, currency: currency, channel: channel)
        }
        // How to pay, checked and printed by its scheme, with labels for the scheme and language; the
        // payment codes that apply: the virtual barcode's digits among the lines, the images (not in SMS).
        let codes = PaymentCodes.of(kind: message.kind, data: message.data)
        if let lines = PaymentLines.make(message.data["payment"], locale: locale, barcode: codes?.barcode) {
            var payment: [String: TemplateValue] = [:]
            if case .object(let fields)? = context["payment"] { payment = fields }
            payment["lines"] = .list(lines.map { line in .object(line.mapValues(TemplateValue.text)) })
            if channel != .sms, let codes {
                payment.merge(images(of: codes, channel: channel)) { _, image in image }
            }
            context["payment"] = .object(payment)
        }
        // What to pay in all when a fee is charged: the amount and the fee together.
        if let total = total(of: message.data, currency: currency) {
            raw["total"] = .text(total)
            context["total"] = shown(name: "amount", value: .string(total), declared: .money, format: format, currency: currency, channel: channel)
        }
        context["raw"] = .object(raw)
        context["message_id"] = .text(messageID)
        context["case_ref"] = .text(message.caseRef ?? "")
        var recipient: [String: TemplateValue] = [:]
        if let name = message.recipient.name { recipient["name"] = .text(name) }
        if let address = message.recipient.address {
            var fields: [String: TemplateValue] = ["lines": .list(address.lines.map(TemplateValue.text))]
            if let postalCode = address.postalCode { fields["postal_code"] = .text(postalCode) }
            if let city = address.city { fields["city"] = .text(city) }
            if let country = address.country { fields["country"] = .text(country) }
            // Domestic post (the country the letter is posted from, `data.sender_country`, is the
            // address's) carries no country line; unknown or another country does.
            let sender = message.data["sender_country"]?.scalarText?.uppercased()
            fields["domestic"] = .flag(sender != nil && sender == address.country?.uppercased())
            recipient["address"] = .object(fields)
        }
        context["recipient"] = .object(recipient)
        return .object(context)
    }

    /// A data value as the template shows it: typed fields (amounts, dates) formatted for the locale,
    /// also inside lists and objects (e.g. `installments[].amount`), plain spaces and ASCII minus in SMS.
    /// The type is the kind's declared one (`declared`), else Varsel's built-in type for the name.
    private static func shown(
        name: String, value: JSONValue, declared: FieldType?, format: LocaleFormat, currency: String, channel: Channel
    ) -> TemplateValue {
        switch value {
        case .array(let items):
            var item: FieldType?
            if case .list(let declaredItem)? = declared { item = declaredItem }
            return .list(items.map { shown(name: name, value: $0, declared: item, format: format, currency: currency, channel: channel) })
        case .object(let fields):
            var declaredFields: [String: FieldSpec] = [:]
            if case .object(let inner)? = declared { declaredFields = inner }
            var result: [String: TemplateValue] = [:]
            for (key, field) in fields {
                result[key] = shown(name: key, value: field, declared: declaredFields[key]?.type, format: format, currency: currency, channel: channel)
            }
            return .object(result)
        default:
            break
        }
        var text = plain(value)
        switch declared?.formatting ?? DataFieldType.of(name) {
        case .money:
            if let amount = MessageValidator.moneyText(value), let money = Money(amount, currency: currency) {
                var formatted = money.formatted(format)
                // In an SMS a currency symbol outside GSM-7 (zł, ₹, ¥ is fine, ₩ is not) would force
                // UCS-2 for the whole message: the ISO code says the same in plain letters.
                if channel == .sms, SMSEncoding(text: SMSText.normaliseFormattedValue(formatted)).scheme == .ucs2 {
                    var plain = format
                    plain.currencySymbols[currency] = nil
                    formatted = money.formatted(plain)
                }
                text = .text(formatted)
            }
        case .date:
            if let raw = value.scalarText, let date = RFC3339.parseDate(raw) { text = .text(DateText.format(date, format)) }
        case .currency, .url, .text:
            break
        }
        if channel == .sms, case .text(let string) = text { return .text(SMSText.normaliseFormattedValue(string)) }
        return text
    }

    /// `payment.qr` (`src`, `pixels`: its side) in email and letters, when the EPC QR code applies;
    /// `payment.barcode` (`digits`, and in letters `image`: `src`, `width_mm`, `height_mm`) when the
    /// Finnish bank barcode does. Letters print the barcode at its exact module width; an email
    /// shows its digits only (they are also among `payment.lines`), as the payer pastes them.
    static func images(of codes: PaymentCodes, channel: Channel) -> [String: TemplateValue] {
        var values: [String: TemplateValue] = [:]
        if let payload = codes.qr, let image = PaymentCodeImage.qr(payload) {
            values["qr"] = .object(["src": .text(image.dataURI), "pixels": .text("\(image.width)")])
        }
        if let code = codes.barcode {
            var barcode: [String: TemplateValue] = ["digits": .text(code.digits)]
            if channel == .letter, let image = PaymentCodeImage.barcode(code) {
                barcode["image"] = .object([
                    "src": .text(image.dataURI), "width_mm": .text(PaymentCodeImage.printedMillimetres(pixels: image.width)),
                    "height_mm": .text(PaymentCodeImage.printedMillimetres(pixels: image.height)),
                ])
            }
            values["barcode"] = .object(barcode)
        }
        return values
    }

    /// `amount` + `fee`, exact, as a decimal string; nil unless both are amounts.
    static func total(of data: [String: JSONValue], currency: String) -> String? {
        guard let amount = data["amount"].flatMap(MessageValidator.moneyText), let fee = data["fee"].flatMap(MessageValidator.moneyText),
              let a = Decimal(string: amount, locale: Locale(identifier: "en_US_POSIX")), let b = Decimal(string: fee, locale: Locale(identifier: "en_US_POSIX"))
        else { return nil }
        let sum = a + b
        return Money("\(sum)", currency: currency) != nil ? "\(sum)" : nil
    }

    /// JSON as Mustache-friendly values: strings, booleans, arrays and dictionaries.
    private static func plain(_ value: JSONValue) -> TemplateValue {
        switch value {
        case .null: return .flag(false)
        case .bool(let flag): return .flag(flag)
        case .number, .string: return .text(value.scalarText ?? "")
        case .array(let items): return .list(items.map(plain))
        case .object(let fields): return .object(fields.mapValues(plain))
        }
    }
}
