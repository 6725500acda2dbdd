/// Whether a recipient can be reached on a channel, and if not, why — in words for the decision trail.
public enum ContactCheck {
    /// `nil` when the channel's contact point is present and valid; otherwise the reason it is not.
    public static func problem(for channel: Channel, recipient: Recipient) -> String? {
        switch channel {
        case .sms:
            guard let phone = recipient.phone, !phone.isEmpty else { return "no phone number" }
            switch PhoneNumber.parse(phone) {
            case .success: return nil
            case .failure(let problem): return "phone \(Masking.phone(phone)) \(problem)"
            }
        case .email:
            guard let email = recipient.email, !email.isEmpty else { return "no email address" }
            if let problem = EmailAddress.problem(email) { return "email \(Masking.email(email)) \(problem)" }
            return nil
        case .letter:
            guard let address = recipient.address else { return "no postal address" }
            var missing: [String] = []
            if (recipient.name ?? "").trimmed.isEmpty { missing.append("name") }
            if !address.lines.contains(where: { !$0.trimmed.isEmpty }) { missing.append("address line") }
            if (address.postalCode ?? "").trimmed.isEmpty { missing.append("postal code") }
            if (address.city ?? "").trimmed.isEmpty { missing.append("city") }
            if (address.country ?? "").trimmed.isEmpty { missing.append("country") }
            return missing.isEmpty ? nil : "address lacks " + missing.joined(separator: ", ")
        }
    }

    /// Words for the trail when a channel is usable, e.g. "+47 number valid".
    public static func summary(for channel: Channel, recipient: Recipient) -> String {
        switch channel {
        case .sms:
            if case .success(let number)? = recipient.phone.map(PhoneNumber.parse) {
                return "+\(number.callingCode) number valid"
            }
            return "phone valid"
        case .email: return "email address valid"
        case .letter: return "postal address complete"
        }
    }
}
