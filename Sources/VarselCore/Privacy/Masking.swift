/// Masks personal data before it reaches a log line or an error message.
public enum Masking {
    /// `+4791234567` → `+47******67`, `+358401234567` → `+358*******67`: the country calling code
    /// and the last two digits stay.
    public static func phone(_ text: String) -> String {
        let chars = Array(text)
        guard chars.count > 5 else { return String(repeating: "*", count: chars.count) }
        var keepHead = chars.first == "+" ? 3 : 2
        if case .success(let number) = PhoneNumber.parse(text) { keepHead = 1 + number.callingCode.count }
        return String(chars.prefix(keepHead)) + String(repeating: "*", count: chars.count - keepHead - 2)
            + String(chars.suffix(2))
    }

    /// `kari@example.no` → `k***@example.no`.
    public static func email(_ text: String) -> String {
        guard let at = text.lastIndex(of: "@"), at != text.startIndex else { return "***" }
        return String(text[text.startIndex]) + "***" + text[at...]
    }

    /// An address is never logged: only its country, if known.
    public static func address(_ address: PostalAddress) -> String {
        "[address" + (address.country.map { " in \($0)" } ?? "") + "]"
    }
}

extension Masking {
    /// Masks what looks like personal data or a credential anywhere in free text (a gateway's error
    /// reply, an exception's description): E.164 phone numbers, email addresses and bearer tokens.
    /// The last line of defence for log lines; code masks structured fields itself.
    public static func scrub(_ text: String) -> String {
        guard text.contains("@") || text.contains("+") || text.contains("earer") else { return text }
        var result = text
        result.replace(#/\+[1-9][0-9]{6,14}/#) { phone(String($0.output)) }
        result.replace(#/[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}/#) { email(String($0.output)) }
        result.replace(#/([Bb]earer)\s+[A-Za-z0-9._~+\/=\-]{8,}/#) { "\($0.output.1) [redacted]" }
        return result
    }
}

extension Masking {
    /// `scrub`, after first masking this recipient's own contact data wherever it appears in the
    /// text, also in the forms gateways echo it in: the number without `+`, with `00`, URL-encoded;
    /// the email URL-encoded; the name and address lines.
    public static func scrub(_ text: String, knownContact recipient: Recipient) -> String {
        var result = text
        func replace(_ value: String?, with masked: String) {
            guard let value, value.count >= 3 else { return }
            result = result.replacing(value, with: masked)
        }
        if let phone = recipient.phone {
            let digits = String(phone.drop { $0 == "+" })
            let masked = Masking.phone(phone)
            for form in ["%2B" + digits, "%2b" + digits, "00" + digits, phone, digits] { replace(form, with: masked) }
        }
        if let email = recipient.email {
            let masked = Masking.email(email)
            for form in [email.replacing("@", with: "%40"), email] { replace(form, with: masked) }
        }
        if let address = recipient.address {
            for line in address.lines { replace(line, with: "[address]") }
        }
        replace(recipient.name, with: "[name]")
        return scrub(result)
    }
}
