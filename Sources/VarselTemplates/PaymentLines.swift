import VarselCore

/// `data.payment` as the lines a template prints (`payment.lines`: label and value), in each
/// scheme's grouping (docs/payments.md). Labels follow the scheme as well as the language: a
/// Finnish reference read in Swedish is a "Referensnummer", a Swedish OCR read in English an "OCR
/// reference". Languages without their own labels, and names every language writes alike (Bankgiro,
/// Plusgiro, IBAN, BIC), read the English ones.
///
/// The Finnish virtual bank barcode, where it applies (`FinnishVirtualBarcode`), is the last line:
/// its 54 digits unbroken, as a payer copies them into a bank's payment form. Its name is known in
/// Finnish and Swedish, the languages of Finnish bank forms; the other languages read the English.
enum PaymentLines {
    enum Line: String {
        case kid, ocr, fiRef, rf, fik, message, account, bankgiro, plusgiro, iban, bic, barcode
    }

    static let labels: [String: [Line: String]] = [
        "en": [
            .kid: "KID number", .ocr: "OCR reference", .fiRef: "Reference number", .rf: "RF reference", .fik: "FIK payment line",
            .message: "Message", .account: "Account number", .bankgiro: "Bankgiro", .plusgiro: "Plusgiro", .iban: "IBAN", .bic: "BIC",
            .barcode: "Virtual barcode",
        ],
        "nb": [
            .kid: "KID", .ocr: "OCR-referanse", .fiRef: "Referansenummer", .rf: "RF-referanse", .fik: "FIK-betalingslinje",
            .message: "Melding", .account: "Kontonummer",
        ],
        "nn": [
            .kid: "KID", .ocr: "OCR-referanse", .fiRef: "Referansenummer", .rf: "RF-referanse", .fik: "FIK-betalingslinje",
            .message: "Melding", .account: "Kontonummer",
        ],
        "sv": [
            .kid: "KID-nummer", .ocr: "OCR-nummer", .fiRef: "Referensnummer", .rf: "RF-referens", .fik: "FIK-betalningsrad",
            .message: "Meddelande", .account: "Kontonummer", .barcode: "Virtuell streckkod",
        ],
        "da": [
            .kid: "KID-nummer", .ocr: "OCR-nummer", .fiRef: "Referencenummer", .rf: "RF-reference", .fik: "Betalingslinje (FIK)",
            .message: "Besked", .account: "Kontonummer",
        ],
        "fi": [
            .kid: "KID-viite", .ocr: "OCR-viite", .fiRef: "Viitenumero", .rf: "RF-viite", .fik: "FIK-maksurivi",
            .message: "Viesti", .account: "Tilinumero", .barcode: "Virtuaaliviivakoodi",
        ],
        "de": [
            .kid: "KID-Nummer", .ocr: "OCR-Referenz", .fiRef: "Referenznummer", .rf: "RF-Referenz", .fik: "FIK-Zahlungszeile",
            .message: "Verwendungszweck", .account: "Kontonummer",
        ],
        "pl": [
            .kid: "Numer KID", .ocr: "Numer OCR", .fiRef: "Numer referencyjny", .rf: "Referencja RF", .fik: "Linia płatności FIK",
            .message: "Tytuł przelewu", .account: "Numer konta",
        ],
    ]

    /// The lines for a message whose `data.payment` is valid, for a template in `locale`, with the
    /// message's virtual bank barcode if it has one; nil without a valid `data.payment`.
    static func make(_ value: JSONValue?, locale: String, barcode: FinnishVirtualBarcode? = nil) -> [[String: String]]? {
        guard let value, case .success(let payment) = PaymentValidation.parse(value) else { return nil }
        let english = labels["en"]!
        let names = labels[LocaleTag.language(of: locale)] ?? english
        var lines: [[String: String]] = []
        func add(_ line: Line, _ text: String?) {
            if let text, !text.isEmpty { lines.append(["label": names[line] ?? english[line]!, "value": text]) }
        }
        let reference: Line = switch payment.scheme {
        case .kid: .kid
        case .ocr: .ocr
        case .fiRef: .fiRef
        case .rf: .rf
        case .fik: .fik
        case .ibanOnly: .message
        }
        add(reference, payment.printedReference)
        add(.account, payment.printedAccount)
        add(.bankgiro, payment.printedBankgiro)
        add(.plusgiro, payment.printedPlusgiro)
        add(.iban, payment.printedIBAN)
        add(.bic, payment.bic)
        add(.barcode, barcode?.digits)
        return lines
    }
}
