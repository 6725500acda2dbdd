/// The check-digit algorithms of Nordic and international payment references (docs/payments.md).
/// Every function takes the digits (or characters) as written, check digit included, and answers
/// whether it is right; `expected…` functions give the check digit a base needs.
public enum CheckDigits {
    /// The digit values of a string of ASCII digits; nil when any other character is in it.
    static func digits(_ text: String) -> [Int]? {
        var values: [Int] = []
        values.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            values.append(Int(byte - 0x30))
        }
        return values
    }

    // MARK: MOD10 (Luhn)

    /// The Luhn check digit for `base`: from the right, every other digit (starting with the one
    /// next to the check digit) doubled, the digits of the products summed.
    public static func expectedLuhn(_ base: [Int]) -> Int {
        var sum = 0
        for (index, digit) in base.reversed().enumerated() {
            let weighted = index % 2 == 0 ? digit * 2 : digit
            sum += weighted > 9 ? weighted - 9 : weighted
        }
        return (10 - sum % 10) % 10
    }

    public static func isValidLuhn(_ text: String) -> Bool {
        guard let values = digits(text), values.count >= 2 else { return false }
        return expectedLuhn(Array(values.dropLast())) == values.last
    }

    // MARK: MOD11

    /// The MOD11 check digit for `base` with `weights` applied from the right (repeating): 11 minus
    /// the remainder, 0 for remainder 0, nil for remainder 1 (no digit fits: `-` in a KID).
    public static func expectedMod11(_ base: [Int], weights: [Int]) -> Int? {
        var sum = 0
        for (index, digit) in base.reversed().enumerated() { sum += digit * weights[index % weights.count] }
        switch sum % 11 {
        case 0: return 0
        case 1: return nil
        case let remainder: return 11 - remainder
        }
    }

    /// KID MOD11: weights 2, 3, 4, 5, 6, 7 from the right, repeating.
    public static let kidMod11Weights = [2, 3, 4, 5, 6, 7]

    public static func isValidKIDMod11(_ text: String) -> Bool {
        guard let values = digits(text), values.count >= 2 else { return false }
        return expectedMod11(Array(values.dropLast()), weights: kidMod11Weights) == values.last
    }

    /// A Norwegian account number: 11 digits, MOD11 with weights 5, 4, 3, 2, 7, 6, 5, 4, 3, 2 over
    /// the first ten (the same as 2…7 from the right).
    public static func isValidNorwegianAccount(_ text: String) -> Bool {
        guard let values = digits(text), values.count == 11 else { return false }
        return expectedMod11(Array(values.dropLast()), weights: kidMod11Weights) == values.last
    }

    // MARK: Finnish reference (7-3-1)

    /// The check digit of a Finnish national reference (viitenumero): weights 7, 3, 1 from the right
    /// over the base, then (10 − sum mod 10) mod 10.
    public static func expectedFinnish(_ base: [Int]) -> Int {
        let weights = [7, 3, 1]
        var sum = 0
        for (index, digit) in base.reversed().enumerated() { sum += digit * weights[index % 3] }
        return (10 - sum % 10) % 10
    }

    public static func isValidFinnish(_ text: String) -> Bool {
        guard let values = digits(text), values.count >= 2 else { return false }
        return expectedFinnish(Array(values.dropLast())) == values.last
    }

    // MARK: ISO 7064 MOD 97-10 (IBAN, RF)

    /// The remainder mod 97 of a string of letters and digits read as a number, letters as 10…35
    /// (ISO 7064 MOD 97-10 as IBAN and ISO 11649 use it); nil on any other character.
    public static func mod97(_ text: String) -> Int? {
        var remainder = 0
        for byte in text.utf8 {
            switch byte {
            case 0x30...0x39:
                remainder = (remainder * 10 + Int(byte - 0x30)) % 97
            case 0x41...0x5A:
                let value = Int(byte - 0x41) + 10
                remainder = (remainder * 100 + value) % 97
            default:
                return nil
            }
        }
        return remainder
    }

    /// An IBAN or RF reference is right when, with its first four characters moved to the end, it
    /// leaves 1 mod 97.
    public static func isValidMod97(_ text: String) -> Bool {
        guard text.utf8.count > 4 else { return false }
        let rotated = String(text.dropFirst(4)) + String(text.prefix(4))
        return mod97(rotated) == 1
    }

    /// The two check digits of an RF reference or an IBAN for `body` after `prefix` (`RF`, or a
    /// country code): 98 minus (body + prefix + "00") mod 97.
    public static func expectedMod97(prefix: String, body: String) -> Int? {
        mod97(body + prefix + "00").map { 98 - $0 }
    }
}
