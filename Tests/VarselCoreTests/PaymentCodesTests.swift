import Foundation
import Testing
import VarselCore

/// What the payment codes say: the EPC QR code's lines and the Finnish bank barcode's 54 digits,
/// for each scheme and kind, and when there is no code. Expected values are the published examples
/// of Finance Finland's bank barcode guide where they exist; RF check digits were computed
/// independently (Python, ISO 7064 MOD 97-10) and two of them are published (`RF09 8685 1625 9619
/// 897` in the guide, `RF98 11112`).
@Suite struct PaymentCodesTests {
    static let finnishIBAN = "FI2112345600000785"

    /// A reminder's data in euros with `payment`; `extra` replaces or adds fields.
    static func data(_ payment: [String: String]?, _ extra: [String: JSONValue] = [:]) -> [String: JSONValue] {
        var data: [String: JSONValue] = [
            "creditor": .string("Fjordkraft AS"), "invoice_number": .string("10023"), "amount": .string("1250.00"),
            "currency": .string("EUR"), "due_date": .string("2026-11-01"), "deadline": .string("2026-12-08"),
            "payment_link": .string("https://pay.example/abc"),
        ]
        if let payment { data["payment"] = .object(payment.mapValues { .string($0) }) }
        data.merge(extra) { _, new in new }
        return data
    }

    static func codes(_ payment: [String: String]?, kind: String = "reminder", _ extra: [String: JSONValue] = [:]) -> PaymentCodes? {
        PaymentCodes.of(kind: kind, data: data(payment, extra))
    }

    static let fiRef = ["scheme": "fi_ref", "reference": "15118 90656", "iban": "FI21 1234 5600 0007 85", "bic": "NDEAFIHH"]

    // MARK: - EPC QR code

    @Test("a Finnish reference goes into the structured field in its RF form; the amount is amount + fee with two decimals")
    func epcFinnishReference() throws {
        let codes = try #require(Self.codes(Self.fiRef, ["fee": .string("35")]))
        #expect(codes.qr?.text == "BCD\n002\n1\nSCT\nNDEAFIHH\nFjordkraft AS\nFI2112345600000785\nEUR1285.00\n\nRF601511890656")
    }

    @Test("an RF reference as it is; no BIC leaves its line empty; a collection notice's fee is not added (it may be charged later)")
    func epcRFReference() throws {
        let rf = ["scheme": "rf", "reference": "RF18 5390 0754 7034", "iban": Self.finnishIBAN]
        let codes = try #require(Self.codes(rf, kind: "collection_notice", ["fee": .string("60.00"), "amount": .string("99.5")]))
        #expect(codes.qr?.text == "BCD\n002\n1\nSCT\n\nFjordkraft AS\nFI2112345600000785\nEUR99.50\n\nRF18539007547034")
    }

    @Test("without a structured reference: an iban_only message, else the invoice number, else a KID, as unstructured text on line 11")
    func epcUnstructured() throws {
        let message = ["scheme": "iban_only", "iban": "DE89 3704 0044 0532 0130 00", "reference": "Rechnung 10023"]
        #expect(Self.codes(message)?.qr?.text == "BCD\n002\n1\nSCT\n\nFjordkraft AS\nDE89370400440532013000\nEUR1250.00\n\n\nRechnung 10023")
        let bare = ["scheme": "iban_only", "iban": "DE89370400440532013000"]
        #expect(Self.codes(bare)?.qr?.text == "BCD\n002\n1\nSCT\n\nFjordkraft AS\nDE89370400440532013000\nEUR1250.00\n\n\n10023")
        let kid = ["scheme": "kid", "reference": "1234567890128", "iban": "NO9386011117947"]
        #expect(Self.codes(kid)?.qr?.text == "BCD\n002\n1\nSCT\n\nFjordkraft AS\nNO9386011117947\nEUR1250.00\n\n\n1234567890128")
        // Nothing to say at all: the payload ends after the amount.
        let payment = PaymentDetails(scheme: .ibanOnly, reference: nil, iban: "DE89370400440532013000")
        let due = PaymentDue(currency: "EUR", cents: 100, date: nil)
        #expect(EPCQRPayload(payment: payment, due: due, beneficiary: "Fjordkraft AS")?.text
            == "BCD\n002\n1\nSCT\n\nFjordkraft AS\nDE89370400440532013000\nEUR1.00")
    }

    @Test("the name: line breaks become spaces, at most 70 characters; the text at most 140; the whole at most 331 bytes")
    func epcLimits() throws {
        let payment = PaymentDetails(scheme: .ibanOnly, reference: String(repeating: "a", count: 200), iban: Self.finnishIBAN)
        let due = PaymentDue(currency: "EUR", cents: 1, date: nil)
        let long = try #require(EPCQRPayload(payment: payment, due: due, beneficiary: "Fjordkraft\nAS  " + String(repeating: "b", count: 100)))
        let lines = long.text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 11)
        #expect(lines[5] == "Fjordkraft AS " + String(repeating: "b", count: 56))
        #expect(lines[10] == String(repeating: "a", count: 140))
        // Two-byte letters: the text gives way so the whole stays within 331 bytes.
        let wide = PaymentDetails(scheme: .ibanOnly, reference: String(repeating: "ä", count: 140), iban: Self.finnishIBAN)
        let fitted = try #require(EPCQRPayload(payment: wide, due: due, beneficiary: String(repeating: "Ö", count: 80)))
        #expect(fitted.text.utf8.count <= EPCQRPayload.maximumBytes)
        #expect(fitted.text.utf8.count > EPCQRPayload.maximumBytes - 2)
        #expect(fitted.text.split(separator: "\n")[4] == Substring(String(repeating: "Ö", count: 70)))
        #expect(EPCQRPayload(payment: payment, due: due, beneficiary: " \n ") == nil, "a name is required")
    }

    @Test("no EPC QR code: not euros, no IBAN, no amount or one out of 0.01…999 999 999.99, or a kind that asks for no single payment")
    func noEPC() {
        #expect(Self.codes(Self.fiRef, ["currency": .string("NOK")]) == nil)
        #expect(Self.codes(["scheme": "kid", "reference": "1234567890128", "account": "86011117947"]) == nil)
        #expect(Self.codes(["scheme": "iban_only", "iban": "DE89370400440532013000"], ["amount": .string("0.00")]) == nil)
        #expect(Self.codes(["scheme": "iban_only", "iban": "DE89370400440532013000"], ["amount": .string("1000000000.00")]) == nil)
        #expect(Self.codes(["scheme": "iban_only", "iban": "DE89370400440532013000"], ["amount": .string("999999999.99")])?.qr != nil)
        #expect(Self.codes(Self.fiRef, ["fee": .string("not money")])?.qr == nil, "a total that cannot be computed is not guessed")
        for kind in ["payment_plan", "payment_received", "my_own_kind"] {
            #expect(Self.codes(Self.fiRef, kind: kind) == nil, "\(kind)")
        }
        #expect(Self.codes(nil) == nil)
        #expect(Self.codes(["scheme": "fi_ref", "reference": "1233", "iban": Self.finnishIBAN]) == nil, "an invalid data.payment has no code")
    }

    @Test("the RF form of a Finnish reference: RF, MOD 97-10 check digits, the reference without leading zeros")
    func creditorReference() {
        #expect(PaymentDetails.creditorReference(finnish: "868516259619897") == "RF09868516259619897", "Finance Finland's example")
        #expect(PaymentDetails.creditorReference(finnish: "11112") == "RF9811112")
        #expect(PaymentDetails.creditorReference(finnish: "1232") == "RF111232")
        #expect(PaymentDetails.creditorReference(finnish: "0001232") == "RF111232")
        #expect(PaymentDetails.creditorReference(finnish: "12a2") == nil)
        for reference in ["1232", "1511890656", "868516259619897", "12345678901234567894"] {
            let rf = PaymentDetails.creditorReference(finnish: reference) ?? ""
            #expect(CheckDigits.isValidMod97(rf), "\(rf)")
        }
    }

    // MARK: - Finnish bank barcode

    static func barcode(iban: String, scheme: PaymentScheme, reference: String, cents: Int?, date: CalendarDate?) -> String? {
        FinnishVirtualBarcode(
            payment: PaymentDetails(scheme: scheme, reference: reference, iban: iban), due: PaymentDue(currency: "EUR", cents: cents, date: date))?.digits
    }

    @Test("version 4 and 5: the published examples of Finance Finland's bank barcode guide")
    func guideExamples() {
        let june12 = CalendarDate(year: 2010, month: 6, day: 12)
        #expect(Self.barcode(iban: "FI7944052020036082", scheme: .fiRef, reference: "868516259619897", cents: 488_315, date: june12)
            == "479440520200360820048831500000000868516259619897100612")
        #expect(Self.barcode(iban: "FI5810171000000122", scheme: .fiRef, reference: "559582243294671", cents: 48_299,
                             date: CalendarDate(year: 2012, month: 1, day: 31))
            == "458101710000001220004829900000000559582243294671120131")
        #expect(Self.barcode(iban: "FI0250004640001302", scheme: .fiRef, reference: "69875672083435364", cents: 69_380,
                             date: CalendarDate(year: 2011, month: 7, day: 24))
            == "402500046400013020006938000000069875672083435364110724")
        #expect(Self.barcode(iban: "FI7944052020036082", scheme: .rf, reference: "RF09868516259619897", cents: 488_315, date: june12)
            == "579440520200360820048831509000000868516259619897100612")
    }

    @Test("no amount or one of a million euros or more is zeros; no date is 000000; a message's date is its deadline, else its due date")
    func barcodeFields() throws {
        #expect(Self.barcode(iban: "FI3715903000000776", scheme: .fiRef, reference: "11112", cents: nil, date: nil)
            == "437159030000007760000000000000000000000000011112000000")
        #expect(Self.barcode(iban: "FI3715903000000776", scheme: .fiRef, reference: "11112", cents: 100_000_000, date: nil)?.dropFirst(17).prefix(8)
            == "00000000")
        #expect(Self.barcode(iban: "FI3715903000000776", scheme: .fiRef, reference: "11112", cents: 99_999_999, date: nil)?.dropFirst(17).prefix(8)
            == "99999999")
        let reminder = try #require(Self.codes(Self.fiRef, ["fee": .string("35.00")])?.barcode)
        #expect(reminder.digits == "421123456000007850012850000000000000001511890656261208")
        #expect(reminder.version == 4 && reminder.digits.count == 54)
        let noDeadline = try #require(Self.codes(Self.fiRef, ["deadline": .null])?.barcode)
        #expect(noDeadline.digits.suffix(6) == "261101")
        let rf = try #require(Self.codes(["scheme": "rf", "reference": "RF98 11112", "iban": Self.finnishIBAN])?.barcode)
        #expect(rf.digits == "521123456000007850012500098000000000000000011112261208" && rf.version == 5)
    }

    @Test("no barcode: a foreign IBAN, another currency, an RF reference with letters, or a scheme without a Finnish or RF reference")
    func noBarcode() throws {
        #expect(Self.codes(["scheme": "iban_only", "iban": Self.finnishIBAN])?.barcode == nil)
        #expect(Self.codes(["scheme": "rf", "reference": "RF18 5390 0754 7034", "iban": "DE89370400440532013000"])?.barcode == nil)
        #expect(Self.codes(["scheme": "rf", "reference": "RF47ABC123", "iban": Self.finnishIBAN])?.barcode == nil)
        #expect(Self.codes(["scheme": "rf", "reference": "RF47ABC123", "iban": Self.finnishIBAN])?.qr != nil, "the QR code takes letters")
        #expect(Self.codes(Self.fiRef, ["currency": .string("SEK")]) == nil)
    }
}
