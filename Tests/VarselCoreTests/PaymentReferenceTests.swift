import Foundation
import Testing
import VarselCore

/// Payment references and accounts, by scheme, against valid and invalid examples. The valid ones
/// are published examples where they exist (a bank's or a standard's), cross-checked with
/// python-stdnum (`luhn`, `iban`, `iso11649`, `no.kontonr`), an implementation independent of ours.
@Suite struct PaymentReferenceTests {
    func payment(_ fields: [String: String]) -> JSONValue {
        .object(fields.mapValues { .string($0) })
    }

    func details(_ fields: [String: String]) -> PaymentDetails? {
        try? PaymentValidation.parse(payment(fields)).get()
    }

    /// The problems, as `field: problem` lines.
    func problems(_ fields: [String: String]) -> [String] {
        guard case .failure(let failure) = PaymentValidation.parse(payment(fields)) else { return [] }
        return failure.errors.map { "\($0.field): \($0.problem)" }
    }

    @Test("the check-digit algorithms on published examples and one digit off")
    func algorithms() {
        #expect(CheckDigits.isValidLuhn("1234567890128") && !CheckDigits.isValidLuhn("1234567890127"))
        #expect(CheckDigits.isValidLuhn("50501055"), "Bankgirot's example Bankgiro number 5050-1055")
        #expect(CheckDigits.isValidKIDMod11("1234567892") && !CheckDigits.isValidLuhn("1234567892"))
        #expect(!CheckDigits.isValidKIDMod11("1234567891"))
        #expect(CheckDigits.expectedMod11([2, 0, 4, 1, 7], weights: CheckDigits.kidMod11Weights) == nil, "remainder 1: no digit fits")
        #expect(CheckDigits.isValidNorwegianAccount("86011117947"), "the account number of Norway's standard example")
        #expect(!CheckDigits.isValidNorwegianAccount("86011117948"))
        #expect(CheckDigits.isValidFinnish("1232") && CheckDigits.isValidFinnish("1511890656") && !CheckDigits.isValidFinnish("1233"))
        #expect(CheckDigits.isValidMod97("RF18539007547034"), "ISO 11649's example")
        #expect(CheckDigits.isValidMod97("FI2112345600000785") && CheckDigits.isValidMod97("DE89370400440532013000"))
        #expect(!CheckDigits.isValidMod97("FI2112345600000786"))
        #expect(CheckDigits.expectedMod97(prefix: "RF", body: "539007547034") == 18)
    }

    @Test("KID: MOD10 or MOD11, 2–25 digits, with a Norwegian account or an IBAN; printed as given")
    func kid() throws {
        let mod10 = try #require(details(["scheme": "kid", "reference": "1234567890128", "account": "8601.11.17947"]))
        #expect(mod10.reference == "1234567890128" && mod10.account == "86011117947")
        #expect(mod10.printedAccount == "8601 11 17947")
        #expect(details(["scheme": "kid", "reference": "1234567892", "account": "86011117947"]) != nil, "MOD11")
        #expect(problems(["scheme": "kid", "reference": "100230012", "account": "86011117947"])
            == ["data.payment.reference: check digit wrong: neither MOD10 nor MOD11 fits (scheme kid)"])
        #expect(problems(["scheme": "kid", "reference": "20417-", "account": "86011117947"]).first?.contains("refused by many banks") == true)
        #expect(problems(["scheme": "kid", "reference": "1", "account": "86011117947"]) == ["data.payment.reference: a KID is 2 to 25 digits (scheme kid)"])
        #expect(problems(["scheme": "kid", "reference": "1234567890128", "account": "86011117948"])
            == ["data.payment.account: check digit wrong: the last digit is not the MOD11 check of the first ten (scheme kid)"])
        #expect(problems(["scheme": "kid", "reference": "1234567890128"])
            == ["data.payment.account: required for scheme kid (a Norwegian account number), or give iban"])
        #expect(details(["scheme": "kid", "reference": "1234567890128", "iban": "NO93 8601 1117 947"])?.iban == "NO9386011117947")
    }

    @Test("OCR: Luhn, to a Bankgiro or Plusgiro number (Luhn too), printed 5050-1055 and 4 56 78-0")
    func ocr() throws {
        let ocr = try #require(details(["scheme": "ocr", "reference": "2041705", "bankgiro": "5050-1055"]))
        #expect(ocr.reference == "2041705" && ocr.printedBankgiro == "5050-1055")
        #expect(problems(["scheme": "ocr", "reference": "2041700", "bankgiro": "5050-1055"])
            == ["data.payment.reference: check digit wrong: the last digit is not the Luhn (MOD10) check of the others (scheme ocr)"])
        let plusgiro = try #require(details(["scheme": "ocr", "reference": "2041705", "plusgiro": "4 56 78-0"]))
        #expect(plusgiro.plusgiro == "456780" && plusgiro.printedPlusgiro == "4 56 78-0")
        #expect(problems(["scheme": "ocr", "reference": "2041705", "bankgiro": "5050-1056"])
            == ["data.payment.bankgiro: check digit wrong: the last digit is not the Luhn (MOD10) check of the others (scheme ocr)"])
        #expect(problems(["scheme": "ocr", "reference": "2041705", "bankgiro": "50-1055"])
            == ["data.payment.bankgiro: a Bankgiro number is 7 to 8 digits (scheme ocr)"])
        #expect(problems(["scheme": "ocr", "reference": "2041705"]).first?.hasPrefix("data.payment.bankgiro: required for scheme ocr") == true)
    }

    @Test("Finnish reference: 7-3-1, 4–20 digits, printed in groups of five from the right")
    func finnish() throws {
        let reference = try #require(details(["scheme": "fi_ref", "reference": "15118 90656", "iban": "FI21 1234 5600 0007 85", "bic": "ndeafihh"]))
        #expect(reference.reference == "1511890656" && reference.printedReference == "15118 90656")
        #expect(reference.printedIBAN == "FI21 1234 5600 0007 85" && reference.bic == "NDEAFIHH")
        #expect(details(["scheme": "fi_ref", "reference": "1232", "iban": "FI2112345600000785"])?.printedReference == "1232")
        #expect(problems(["scheme": "fi_ref", "reference": "1233", "iban": "FI2112345600000785"])
            == ["data.payment.reference: check digit wrong: the last digit is not the 7-3-1 check of the others (scheme fi_ref)"])
        #expect(problems(["scheme": "fi_ref", "reference": "123", "iban": "FI2112345600000785"]).first?.contains("4 to 20 digits") == true)
        #expect(problems(["scheme": "fi_ref", "reference": "1232"]) == ["data.payment.iban: required for scheme fi_ref"])
    }

    @Test("RF (ISO 11649): MOD 97-10 over letters and digits, spaces and lower case accepted, printed in groups of four")
    func rf() throws {
        let reference = try #require(details(["scheme": "rf", "reference": "rf18 5390 0754 7034", "iban": "FI2112345600000785"]))
        #expect(reference.reference == "RF18539007547034" && reference.printedReference == "RF18 5390 0754 7034")
        #expect(details(["scheme": "rf", "reference": "RF471234567890", "iban": "FI2112345600000785"]) != nil)
        #expect(problems(["scheme": "rf", "reference": "RF19539007547034", "iban": "FI2112345600000785"])
            == ["data.payment.reference: check digits wrong: RF19 does not fit the reference (ISO 11649 MOD 97-10, scheme rf)"])
        #expect(problems(["scheme": "rf", "reference": "RX18539007547034", "iban": "FI2112345600000785"]).first?.contains("an RF reference is RF") == true)
        #expect(problems(["scheme": "rf", "reference": "RF18" + String(repeating: "1", count: 22), "iban": "FI2112345600000785"]).count == 1)
    }

    @Test("FIK: +71<15-digit payment id with a MOD10 check+8-digit creditor number<")
    func fik() {
        #expect(details(["scheme": "fik", "reference": "+71<000000001234566+12345678<"])?.reference == "+71<000000001234566+12345678<")
        #expect(details(["scheme": "fik", "reference": "+71<000000000000000+12345678<"]) != nil, "the contract's example")
        #expect(problems(["scheme": "fik", "reference": "+71<000000001234567+12345678<"])
            == ["data.payment.reference: check digit wrong: the payment id's last digit is not the MOD10 check of the others (scheme fik)"])
        for bad in ["+73<000000001234566+12345678<", "+71<00000000123456+12345678<", "+71<000000001234566+1234567<", "+71<000000001234566-12345678<"] {
            #expect(problems(["scheme": "fik", "reference": bad]).first?.contains("a FIK line is +71<") == true, "\(bad)")
        }
    }

    @Test("IBAN: MOD 97 and each country's length; BIC: 8 or 11 characters of the right kinds")
    func ibanAndBIC() {
        let valid = ["NO9386011117947", "DK5000400440116243", "FI2112345600000785", "SE4550000000058398257466", "DE89370400440532013000"]
        for iban in valid { #expect(details(["scheme": "iban_only", "iban": iban])?.iban == iban, "\(iban)") }
        #expect(problems(["scheme": "iban_only", "iban": "FI2112345600000786"])
            == ["data.payment.iban: check digits wrong: FI21 does not fit the account (MOD 97, scheme iban_only)"])
        #expect(problems(["scheme": "iban_only", "iban": "NO938601111794"]) == ["data.payment.iban: an IBAN of NO has 15 characters, not 14 (scheme iban_only)"])
        #expect(problems(["scheme": "iban_only", "iban": "1234"]).first?.contains("a country code, two check digits") == true)
        #expect(details(["scheme": "iban_only", "iban": "FI2112345600000785", "bic": "NDEAFIHHXXX"])?.bic == "NDEAFIHHXXX")
        for bad in ["NDEAFIH", "NDEA1IHH", "NDEAFIHH1", "NDEAFI!H"] {
            #expect(problems(["scheme": "iban_only", "iban": "FI2112345600000785", "bic": bad]).first?.hasPrefix("data.payment.bic: a BIC is 8 or 11") == true, "\(bad)")
        }
        #expect(details(["scheme": "iban_only", "iban": "FI2112345600000785", "reference": "Invoice 10023"])?.reference == "Invoice 10023")
    }

    @Test("the object itself: a scheme is required and known, fields are strings, unknown fields are refused")
    func shape() {
        #expect(problems(["reference": "1232"]).first?.hasPrefix("data.payment.scheme: required (one of kid, ocr, fi_ref, rf, fik, iban_only)") == true)
        #expect(problems(["scheme": "giro", "reference": "1232"]).first?.hasPrefix("data.payment.scheme: unknown scheme \"giro\"") == true)
        #expect(problems(["scheme": "iban_only", "iban": "FI2112345600000785", "ref": "x"]).first?.hasPrefix("data.payment.ref: unknown field") == true)
        guard case .failure(let failure) = PaymentValidation.parse(.object(["scheme": .string("fi_ref"), "reference": .number(1232)])) else {
            Issue.record("a number reference must be refused")
            return
        }
        #expect(failure.errors.first?.field == "data.payment.reference" && failure.errors.first?.problem == "expected a string, got number")
        guard case .failure = PaymentValidation.parse(.string("1232")) else {
            Issue.record("a string must be refused")
            return
        }
    }
}
