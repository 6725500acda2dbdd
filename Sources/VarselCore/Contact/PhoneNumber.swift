/// An E.164 phone number (`+4791234567`), split into calling code and national significant number.
public struct PhoneNumber: Sendable, Hashable, CustomStringConvertible {
    /// Country calling code, digits only (`47`).
    public let callingCode: String
    /// National significant number, digits only (`91234567`).
    public let nationalNumber: String

    public var description: String { "+" + callingCode + nationalNumber }

    /// Why a text is not a plausible E.164 number.
    public enum Problem: Error, Sendable, Hashable, CustomStringConvertible {
        /// Not `+` followed by 2–15 digits with a non-zero first digit.
        case notE164
        /// No ITU country calling code matches the start of the number.
        case unknownCallingCode
        /// The national number has a length never used under its calling code.
        case implausibleLength(callingCode: String, digits: Int, expected: [Int])

        public var description: String {
            switch self {
            case .notE164:
                "not in E.164 form (+ and country code, digits only, at most 15 digits, e.g. +4791234567)"
            case .unknownCallingCode:
                "no known country calling code"
            case .implausibleLength(let code, let digits, let expected):
                "+\(code) number has \(digits) digits after the country code, expected \(Self.list(expected))"
            }
        }

        private static func list(_ lengths: [Int]) -> String {
            guard lengths.count > 1 else { return lengths.map(String.init).joined() }
            let contiguous = lengths.last! - lengths.first! == lengths.count - 1
            if contiguous { return "\(lengths.first!)–\(lengths.last!)" }
            return lengths.dropLast().map(String.init).joined(separator: ", ") + " or \(lengths.last!)"
        }
    }

    /// Checks only the E.164 shape: `+`, a first digit 1–9, at most 15 digits in all.
    public static func hasE164Shape(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count >= 3, bytes.count <= 16, bytes[0] == UInt8(ascii: "+"),
              bytes[1] >= UInt8(ascii: "1"), bytes[1] <= UInt8(ascii: "9")
        else { return false }
        return bytes.dropFirst().allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// Parses an E.164 number and checks its length against the numbering plan of its calling code.
    public static func parse(_ text: String) -> Result<PhoneNumber, Problem> {
        guard hasE164Shape(text) else { return .failure(.notE164) }
        let digits = String(text.dropFirst())
        // Calling codes are prefix-free, so at most one of the 1-, 2- and 3-digit prefixes is a code.
        for length in 1...3 where digits.count > length {
            let code = String(digits.prefix(length))
            guard let lengths = PhoneNumberingPlan.nationalNumberLengths[code] else { continue }
            let national = String(digits.dropFirst(length))
            guard lengths.contains(national.count) else {
                return .failure(.implausibleLength(callingCode: code, digits: national.count, expected: lengths))
            }
            return .success(PhoneNumber(callingCode: code, nationalNumber: national))
        }
        return .failure(.unknownCallingCode)
    }

    /// The calling code of a region (`NO` → `47`), if the region is known.
    public static func callingCode(forRegion region: String) -> String? {
        PhoneNumberingPlan.callingCodeByRegion[region.uppercased()]
    }
}
