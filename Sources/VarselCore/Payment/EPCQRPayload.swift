/// The text of an EPC QR code for a SEPA credit transfer (the European Payments Council's EPC069-12,
/// "Quick Response Code: Guidelines to Enable Data Capture for the Initiation of a SEPA Credit
/// Transfer"; docs/payments.md). Banking apps in Finland, Germany, Austria, the Netherlands and
/// elsewhere scan it to fill in a transfer.
///
/// Version 002 (the BIC may be empty), character set 1 (UTF-8), identification `SCT`, one element a
/// line, separated by LF, the last populated element not followed by a separator:
/// ```
/// BCD
/// 002
/// 1
/// SCT
/// NDEAFIHH                 BIC, or empty
/// Fjordkraft AS            beneficiary name, at most 70 characters
/// FI2112345600000785       IBAN
/// EUR1285.00               amount: 0.01 to 999999999.99, two decimals
///                          purpose code: empty
/// RF111232                 structured reference (ISO 11649), or empty and then
/// Invoice 10023            unstructured remittance text, at most 140 characters
/// ```
/// At most 331 bytes in all; the symbol is encoded with error correction level M.
public struct EPCQRPayload: Sendable, Hashable, CustomStringConvertible {
    /// The lines joined by LF, as the QR code carries them (UTF-8).
    public let text: String

    public static let maximumBytes = 331
    public static let maximumNameCharacters = 70
    public static let maximumTextCharacters = 140
    /// 0.01 € to 999 999 999.99 €.
    public static let centsRange = 1...99_999_999_999

    public var description: String { text }

    /// The payload for paying `due` to `payment`'s IBAN, to `beneficiary` (the creditor's name);
    /// nil unless the currency is EUR, there is an IBAN, the amount is in range and the name is not
    /// empty.
    ///
    /// The reference goes into the structured field when it has an RF form (an RF reference, or a
    /// Finnish reference converted, `PaymentDetails.creditorReference`); any other reference (KID,
    /// OCR, FIK, an `iban_only` message) is the unstructured text, and without one `remittance`
    /// (e.g. the invoice number) is.
    public init?(payment: PaymentDetails, due: PaymentDue, beneficiary: String, remittance: String? = nil) {
        guard due.currency == "EUR", let iban = payment.iban, let cents = due.cents, Self.centsRange.contains(cents) else { return nil }
        let name = Self.element(beneficiary, maximum: Self.maximumNameCharacters)
        guard !name.isEmpty else { return nil }
        let amount = "EUR\(cents / 100).\(cents % 100 < 10 ? "0" : "")\(cents % 100)"
        var lines = ["BCD", "002", "1", "SCT", payment.bic ?? "", name, iban, amount, ""]
        if let structured = payment.creditorReference {
            lines.append(structured)
        } else {
            var text = Self.element(payment.reference ?? remittance ?? "", maximum: Self.maximumTextCharacters)
            // A long name and text in letters of two or more bytes can pass 331 bytes: the text gives way.
            let before = (lines + ["", ""]).joined(separator: "\n").utf8.count
            while !text.isEmpty, before + text.utf8.count > Self.maximumBytes { text.removeLast() }
            if !text.isEmpty { lines += ["", text] }
        }
        while lines.last == "" { lines.removeLast() }
        let joined = lines.joined(separator: "\n")
        guard joined.utf8.count <= Self.maximumBytes else { return nil }
        text = joined
    }

    /// One element: line breaks and other control characters become spaces (they would start another
    /// element), runs of white space one space, at most `maximum` characters (Unicode scalars, so a
    /// character of several scalars is kept whole or dropped whole).
    static func element(_ value: String, maximum: Int) -> String {
        var result = ""
        var scalars = 0
        var pendingSpace = false
        for character in value {
            if character.unicodeScalars.allSatisfy({ $0.properties.isWhitespace || $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) {
                pendingSpace = !result.isEmpty
                continue
            }
            let count = character.unicodeScalars.count + (pendingSpace ? 1 : 0)
            guard scalars + count <= maximum else { break }
            if pendingSpace { result.append(" ") }
            result.append(character)
            scalars += count
            pendingSpace = false
        }
        return result
    }
}
