/// `data.payment`, checked: the scheme, its reference and where to pay, each normalised (spaces,
/// dots and dashes a person types are gone) and printable in its conventional grouping.
public struct PaymentDetails: Sendable, Hashable {
    public let scheme: PaymentScheme
    /// Digits (KID, OCR, Finnish), `RF…` (RF), the whole FIK line, or free text (IBAN only).
    public let reference: String?
    /// A Norwegian account number, 11 digits.
    public let account: String?
    public let bankgiro: String?
    public let plusgiro: String?
    /// Upper case, no spaces.
    public let iban: String?
    public let bic: String?

    public init(
        scheme: PaymentScheme, reference: String?, account: String? = nil, bankgiro: String? = nil, plusgiro: String? = nil, iban: String? = nil,
        bic: String? = nil
    ) {
        self.scheme = scheme
        self.reference = reference
        self.account = account
        self.bankgiro = bankgiro
        self.plusgiro = plusgiro
        self.iban = iban
        self.bic = bic
    }

    // MARK: Printed forms

    /// The reference as it is printed: a Finnish reference in groups of five from the right, an RF
    /// reference in groups of four, the rest as they are.
    public var printedReference: String? {
        guard let reference else { return nil }
        switch scheme {
        case .fiRef: return PaymentFormat.groups(reference, size: 5, fromRight: true)
        case .rf: return PaymentFormat.groups(reference, size: 4, fromRight: false)
        case .kid, .ocr, .fik, .ibanOnly: return reference
        }
    }

    /// `8601 11 17947`.
    public var printedAccount: String? {
        account.map { "\($0.prefix(4)) \($0.dropFirst(4).prefix(2)) \($0.suffix(5))" }
    }

    /// `5050-1055`, `123-4567`.
    public var printedBankgiro: String? {
        bankgiro.map { "\($0.dropLast(4))-\($0.suffix(4))" }
    }

    /// `4 56 78-9`: pairs from the right, then the check digit after a dash.
    public var printedPlusgiro: String? {
        plusgiro.map { "\(PaymentFormat.groups(String($0.dropLast()), size: 2, fromRight: true))-\($0.suffix(1))" }
    }

    /// `FI21 1234 5600 0007 85`.
    public var printedIBAN: String? {
        iban.map { PaymentFormat.groups($0, size: 4, fromRight: false) }
    }
}

enum PaymentFormat {
    /// `text` in space-separated groups of `size`, counted from the right or the left.
    static func groups(_ text: String, size: Int, fromRight: Bool) -> String {
        let characters = Array(text)
        guard characters.count > size else { return text }
        var groups: [String] = []
        if fromRight {
            var end = characters.count
            while end > 0 {
                let start = max(0, end - size)
                groups.insert(String(characters[start..<end]), at: 0)
                end = start
            }
        } else {
            var start = 0
            while start < characters.count {
                groups.append(String(characters[start..<min(characters.count, start + size)]))
                start += size
            }
        }
        return groups.joined(separator: " ")
    }
}
