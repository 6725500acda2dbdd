/// The machine-readable payment codes a message carries (docs/payments.md): an EPC QR code for a
/// euro transfer to an IBAN, and the Finnish virtual bank barcode for a Finnish IBAN with a
/// reference. Each is there only when it applies; their contents are decided here, their images
/// drawn elsewhere (VarselCodes).
public struct PaymentCodes: Sendable, Hashable {
    public let qr: EPCQRPayload?
    public let barcode: FinnishVirtualBarcode?

    public init(qr: EPCQRPayload?, barcode: FinnishVirtualBarcode?) {
        self.qr = qr
        self.barcode = barcode
    }

    /// The codes for a message of `kind` with `data`: its valid `data.payment`, what the kind asks
    /// to pay (`PaymentDue`), `creditor` as the beneficiary's name and `invoice_number` as the
    /// transfer's message when the reference has no structured form. Nil when no code applies.
    public static func of(kind: String, data: [String: JSONValue]) -> PaymentCodes? {
        guard let value = data["payment"], case .success(let payment) = PaymentValidation.parse(value),
              let due = PaymentDue.of(kind: kind, data: data)
        else { return nil }
        let creditor = data["creditor"]?.scalarText ?? ""
        let qr = EPCQRPayload(payment: payment, due: due, beneficiary: creditor, remittance: data["invoice_number"]?.scalarText)
        let barcode = FinnishVirtualBarcode(payment: payment, due: due)
        guard qr != nil || barcode != nil else { return nil }
        return PaymentCodes(qr: qr, barcode: barcode)
    }
}
