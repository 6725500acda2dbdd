extension PaymentDetails {
    /// The reference as an ISO 11649 creditor reference (`RF…`, no spaces), the form the EPC QR
    /// code's structured field and the version 5 bank barcode take: an RF reference as it is, a
    /// Finnish national reference in its RF form, and nil for the other schemes.
    ///
    /// The RF form of a Finnish reference is `RF`, the two MOD 97-10 check digits, then the national
    /// reference itself (its own check digit included, leading zeros dropped): the form Finnish banks
    /// convert back to the national reference when the payment arrives.
    public var creditorReference: String? {
        guard let reference else { return nil }
        switch scheme {
        case .rf:
            return reference
        case .fiRef:
            return Self.creditorReference(finnish: reference)
        case .kid, .ocr, .fik, .ibanOnly:
            return nil
        }
    }

    /// `1232` → `RF111232`; nil when `finnish` is not 1–21 digits.
    public static func creditorReference(finnish: String) -> String? {
        let trimmed = finnish.drop { $0 == "0" }
        let body = trimmed.isEmpty ? "0" : String(trimmed)
        guard body.count <= 21, CheckDigits.digits(body) != nil, let check = CheckDigits.expectedMod97(prefix: "RF", body: body) else {
            return nil
        }
        return "RF" + (check < 10 ? "0" : "") + "\(check)" + body
    }
}
