/// The Finnish bank barcode (pankkiviivakoodi) as its 54 digits, the "virtual barcode"
/// (virtuaaliviivakoodi) a payer pastes into a Finnish bank's payment form, and the content of the
/// Code 128 symbol printed on paper (Finance Finland's "Pankkiviivakoodi-opas"; docs/payments.md).
///
/// ```
/// version 4 (national reference):
///   4 | IBAN without FI (16) | euros (6) | cents (2) | 000 | reference (20, zeros before) | YYMMDD
/// version 5 (RF reference):
///   5 | IBAN without FI (16) | euros (6) | cents (2) | RF check digits (2) | reference (21) | YYMMDD
/// ```
/// An amount of 1 000 000 € or more, or none, is written as zeros (the payer types it in); a missing
/// due date as `000000`. Only for a Finnish IBAN, euros and a reference: the code has no field for
/// anything else.
public struct FinnishVirtualBarcode: Sendable, Hashable, CustomStringConvertible {
    /// 54 digits.
    public let digits: String

    public var version: Int { digits.first == "5" ? 5 : 4 }
    public var description: String { digits }

    /// The barcode for paying `due` to `payment`; nil unless the IBAN is Finnish, the currency EUR and
    /// the scheme `fi_ref` (version 4) or an `rf` reference of digits only (version 5: the code has no
    /// room for letters).
    public init?(payment: PaymentDetails, due: PaymentDue) {
        guard due.currency == "EUR", let iban = payment.iban, iban.count == 18, iban.hasPrefix("FI"),
              CheckDigits.digits(String(iban.dropFirst(2))) != nil, let reference = payment.reference
        else { return nil }
        let version: String
        let referenceField: String
        switch payment.scheme {
        case .fiRef:
            guard reference.count <= 20, CheckDigits.digits(reference) != nil else { return nil }
            version = "4"
            referenceField = "000" + Self.zeroPadded(reference, to: 20)
        case .rf:
            let body = String(reference.dropFirst(4))
            guard body.count <= 21, CheckDigits.digits(body) != nil else { return nil }
            version = "5"
            referenceField = String(reference.dropFirst(2).prefix(2)) + Self.zeroPadded(body, to: 21)
        case .kid, .ocr, .fik, .ibanOnly:
            return nil
        }
        var amount = "00000000"
        if let cents = due.cents, cents <= 99_999_999 { amount = Self.zeroPadded("\(cents)", to: 8) }
        var date = "000000"
        if let due = due.date {
            date = Self.zeroPadded("\(due.year % 100)", to: 2) + Self.zeroPadded("\(due.month)", to: 2) + Self.zeroPadded("\(due.day)", to: 2)
        }
        digits = version + iban.dropFirst(2) + amount + referenceField + date
    }

    private static func zeroPadded(_ digits: String, to length: Int) -> String {
        String(repeating: "0", count: max(0, length - digits.count)) + digits
    }
}
