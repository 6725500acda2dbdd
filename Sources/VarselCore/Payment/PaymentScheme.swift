/// How a payment is matched at the bank (`data.payment.scheme`, docs/payments.md).
public enum PaymentScheme: String, Sendable, Hashable, CaseIterable {
    /// Norway: KID, MOD10 or MOD11, to a Norwegian account number (or an IBAN).
    case kid
    /// Sweden: OCR reference (Luhn) to a Bankgiro or Plusgiro number (or an IBAN).
    case ocr
    /// Finland: the national reference (viitenumero, 7-3-1) to an IBAN.
    case fiRef = "fi_ref"
    /// ISO 11649 RF creditor reference (MOD 97-10) to an IBAN.
    case rf
    /// Denmark: the FIK line `+71<payment id+creditor number<`.
    case fik
    /// An IBAN with no structured reference (a free-text message at most).
    case ibanOnly = "iban_only"

    /// What the scheme is called where it is used, for error messages.
    public var title: String {
        switch self {
        case .kid: "KID"
        case .ocr: "OCR"
        case .fiRef: "Finnish reference (viitenumero)"
        case .rf: "RF creditor reference (ISO 11649)"
        case .fik: "FIK (+71)"
        case .ibanOnly: "IBAN only"
        }
    }
}
