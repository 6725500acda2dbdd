/// Checks `data.payment` (docs/payments.md): the scheme's shape and
/// check digit of the reference, and of every account given. Each problem names its field and the
/// scheme, so a producer can tell a typo from a wrong scheme.
public enum PaymentValidation {
    static let fields: Set = ["scheme", "reference", "account", "bankgiro", "plusgiro", "iban", "bic"]

    /// IBAN lengths by country (SWIFT's IBAN registry) for the countries Varsel's debtors and
    /// creditors are most often in; another country's IBAN is held to 15–34 characters.
    static let ibanLengths: [String: Int] = [
        "NO": 15, "DK": 18, "FI": 18, "SE": 24, "IS": 26, "DE": 22, "AT": 20, "BE": 16, "CH": 21, "EE": 20, "ES": 24, "FR": 27, "GB": 22,
        "IE": 22, "IT": 27, "LT": 20, "LU": 20, "LV": 21, "NL": 18, "PL": 28, "PT": 25,
    ]

    public static func parse(_ value: JSONValue, path: String = "data.payment") -> Result<PaymentDetails, ValidationFailure> {
        var errors: [ValidationError] = []
        func fail(_ field: String, _ problem: String) { errors.append(ValidationError(field: "\(path).\(field)", problem: problem)) }

        guard case .object(let object) = value else {
            return .failure(ValidationFailure([ValidationError(field: path, problem: "expected an object with scheme and reference, got \(value.typeName)")]))
        }
        for key in object.keys.sorted() where !fields.contains(key) {
            fail(key, "unknown field (known: \(fields.sorted().joined(separator: ", ")))")
        }
        var texts: [String: String] = [:]
        for key in fields.sorted() {
            switch object[key] {
            case nil, .null?: continue
            case .string(let text)?: texts[key] = text
            case let other?: fail(key, "expected a string, got \(other.typeName)")
            }
        }
        guard let schemeText = texts["scheme"] else {
            if object["scheme"] == nil || object["scheme"] == .null {
                fail("scheme", "required (one of \(PaymentScheme.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return .failure(ValidationFailure(errors))
        }
        guard let scheme = PaymentScheme(rawValue: schemeText) else {
            fail("scheme", "unknown scheme \"\(schemeText)\" (one of \(PaymentScheme.allCases.map(\.rawValue).joined(separator: ", ")))")
            return .failure(ValidationFailure(errors))
        }

        var reference: String?
        if let text = texts["reference"] { reference = checkedReference(scheme, text, fail) }
        if texts["reference"] == nil, scheme != .ibanOnly { fail("reference", "required for scheme \(scheme.rawValue)") }
        var account, bankgiro, plusgiro, iban, bic: String?
        if let text = texts["account"] { account = checkedAccount(text, scheme: scheme, fail) }
        if let text = texts["bankgiro"] { bankgiro = checkedGiro(text, field: "bankgiro", name: "Bankgiro", digits: 7...8, scheme: scheme, fail) }
        if let text = texts["plusgiro"] { plusgiro = checkedGiro(text, field: "plusgiro", name: "Plusgiro", digits: 2...8, scheme: scheme, fail) }
        if let text = texts["iban"] { iban = checkedIBAN(text, scheme: scheme, fail) }
        if let text = texts["bic"] { bic = checkedBIC(text, scheme: scheme, fail) }

        // Where to pay: what the bank needs besides the reference.
        switch scheme {
        case .kid where texts["account"] == nil && texts["iban"] == nil:
            fail("account", "required for scheme kid (a Norwegian account number), or give iban")
        case .ocr where texts["bankgiro"] == nil && texts["plusgiro"] == nil && texts["iban"] == nil:
            fail("bankgiro", "required for scheme ocr (a Bankgiro number), or give plusgiro or iban")
        case .fiRef, .rf, .ibanOnly:
            if texts["iban"] == nil { fail("iban", "required for scheme \(scheme.rawValue)") }
        default:
            break
        }
        guard errors.isEmpty else { return .failure(ValidationFailure(errors)) }
        return .success(PaymentDetails(scheme: scheme, reference: reference, account: account, bankgiro: bankgiro, plusgiro: plusgiro, iban: iban, bic: bic))
    }

    /// Removes what people type between digits: spaces, and for numbers also dots and dashes.
    static func compact(_ text: String, keeping keep: Set<Character> = []) -> String {
        String(text.filter { !($0 == " " || $0 == "\u{00A0}" || (($0 == "." || $0 == "-") && !keep.contains($0))) })
    }

    private static func checkedReference(_ scheme: PaymentScheme, _ text: String, _ fail: (String, String) -> Void) -> String? {
        let field = "reference"
        switch scheme {
        case .kid:
            let kid = compact(text, keeping: ["-"])  // a trailing - is a MOD11 check, refused below
            guard let digits = CheckDigits.digits(kid), (2...25).contains(digits.count) else {
                if kid.hasSuffix("-") {
                    fail(field, "a KID ending in - (MOD11 with remainder 1) is refused by many banks; choose a KID with a digit check (scheme kid)")
                } else {
                    fail(field, "a KID is 2 to 25 digits (scheme kid)")
                }
                return nil
            }
            guard CheckDigits.isValidLuhn(kid) || CheckDigits.isValidKIDMod11(kid) else {
                fail(field, "check digit wrong: neither MOD10 nor MOD11 fits (scheme kid)")
                return nil
            }
            return kid
        case .ocr:
            return checkedDigits(
                text, field: field, lengths: 2...25, shape: "an OCR reference is 2 to 25 digits (scheme ocr)",
                check: "the last digit is not the Luhn (MOD10) check of the others (scheme ocr)", isValid: CheckDigits.isValidLuhn, fail)
        case .fiRef:
            return checkedDigits(
                text, field: field, lengths: 4...20, shape: "a Finnish reference is 4 to 20 digits, the check digit included (scheme fi_ref)",
                check: "the last digit is not the 7-3-1 check of the others (scheme fi_ref)", isValid: CheckDigits.isValidFinnish, fail)
        case .rf:
            let reference = compact(text).uppercased()
            let body = reference.dropFirst(4)
            guard reference.hasPrefix("RF"), reference.count >= 5, reference.count <= 25,
                  CheckDigits.digits(String(reference.dropFirst(2).prefix(2))) != nil,
                  body.allSatisfy(\.isASCIIAlphanumeric)
            else {
                fail(field, "an RF reference is RF, two check digits and 1 to 21 letters or digits (scheme rf)")
                return nil
            }
            guard CheckDigits.isValidMod97(reference) else {
                fail(field, "check digits wrong: RF\(reference.dropFirst(2).prefix(2)) does not fit the reference (ISO 11649 MOD 97-10, scheme rf)")
                return nil
            }
            return reference
        case .fik:
            // +71<payment id (15 digits, the last a MOD10 check)+creditor number (8 digits)<
            let line = text.filter { $0 != " " }
            let characters = Array(line)
            let id = characters.count == 29 ? String(characters[4..<19]) : ""
            let creditor = characters.count == 29 ? String(characters[20..<28]) : ""
            guard line.hasPrefix("+71<"), characters.count == 29, characters[19] == "+", characters[28] == "<",
                  CheckDigits.digits(id) != nil, CheckDigits.digits(creditor) != nil
            else {
                fail(field, "a FIK line is +71< then a 15-digit payment id, + and an 8-digit creditor number, then < (scheme fik)")
                return nil
            }
            guard CheckDigits.isValidLuhn(id) else {
                fail(field, "check digit wrong: the payment id's last digit is not the MOD10 check of the others (scheme fik)")
                return nil
            }
            return line
        case .ibanOnly:
            guard text.unicodeScalars.count <= 140 else {
                fail(field, "a payment message is at most 140 characters (scheme iban_only)")
                return nil
            }
            return text
        }
    }

    private static func checkedAccount(_ text: String, scheme: PaymentScheme, _ fail: (String, String) -> Void) -> String? {
        checkedDigits(
            text, field: "account", lengths: 11...11, shape: "a Norwegian account number is 11 digits (scheme \(scheme.rawValue))",
            check: "the last digit is not the MOD11 check of the first ten (scheme \(scheme.rawValue))", isValid: CheckDigits.isValidNorwegianAccount, fail)
    }

    private static func checkedGiro(
        _ text: String, field: String, name: String, digits range: ClosedRange<Int>, scheme: PaymentScheme, _ fail: (String, String) -> Void
    ) -> String? {
        checkedDigits(
            text, field: field, lengths: range, shape: "a \(name) number is \(range.lowerBound) to \(range.upperBound) digits (scheme \(scheme.rawValue))",
            check: "the last digit is not the Luhn (MOD10) check of the others (scheme \(scheme.rawValue))", isValid: CheckDigits.isValidLuhn, fail)
    }

    /// A number of digits (spaces, dots and dashes removed) whose count is in `lengths` and that
    /// passes `isValid`; else the problem `shape` or `check wrong: <check>` at `field`.
    private static func checkedDigits(
        _ text: String, field: String, lengths: ClosedRange<Int>, shape: String, check: String, isValid: (String) -> Bool,
        _ fail: (String, String) -> Void
    ) -> String? {
        let number = compact(text)
        guard let digits = CheckDigits.digits(number), lengths.contains(digits.count) else {
            fail(field, shape)
            return nil
        }
        guard isValid(number) else {
            fail(field, "check digit wrong: " + check)
            return nil
        }
        return number
    }

    private static func checkedIBAN(_ text: String, scheme: PaymentScheme, _ fail: (String, String) -> Void) -> String? {
        let iban = compact(text, keeping: ["-", "."]).uppercased()
        let country = String(iban.prefix(2))
        guard iban.count >= 5, country.allSatisfy(\.isASCIILetter), CheckDigits.digits(String(iban.dropFirst(2).prefix(2))) != nil,
              iban.allSatisfy(\.isASCIIAlphanumeric)
        else {
            fail("iban", "an IBAN is a country code, two check digits and the account, letters and digits only (scheme \(scheme.rawValue))")
            return nil
        }
        if let length = ibanLengths[country] {
            guard iban.count == length else {
                fail("iban", "an IBAN of \(country) has \(length) characters, not \(iban.count) (scheme \(scheme.rawValue))")
                return nil
            }
        } else if !(15...34).contains(iban.count) {
            fail("iban", "an IBAN has 15 to 34 characters, not \(iban.count) (scheme \(scheme.rawValue))")
            return nil
        }
        guard CheckDigits.isValidMod97(iban) else {
            fail("iban", "check digits wrong: \(iban.prefix(4)) does not fit the account (MOD 97, scheme \(scheme.rawValue))")
            return nil
        }
        return iban
    }

    private static func checkedBIC(_ text: String, scheme: PaymentScheme, _ fail: (String, String) -> Void) -> String? {
        let bic = compact(text, keeping: ["-", "."]).uppercased()
        let characters = Array(bic)
        let letters = { (range: Range<Int>) in characters[range].allSatisfy(\.isASCIILetter) }
        let alphanumerics = { (range: Range<Int>) in characters[range].allSatisfy(\.isASCIIAlphanumeric) }
        guard characters.count == 8 || characters.count == 11, letters(0..<6), alphanumerics(6..<characters.count) else {
            fail("bic", "a BIC is 8 or 11 characters: 4 letters for the bank, 2 for the country, 2 letters or digits for the place, optionally 3 for the branch (scheme \(scheme.rawValue))")
            return nil
        }
        return bic
    }
}
