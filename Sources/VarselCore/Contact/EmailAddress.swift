/// Syntactic checks of an email address (RFC 5321/5322 dot-atom local part, LDH or IDN domain).
///
/// Only syntax can be checked without sending: whether the mailbox exists is learnt from the receipt.
public enum EmailAddress {
    /// Why an address is not usable, for the decision trail and validation errors.
    public static func problem(_ text: String) -> String? {
        if isPlainValidASCII(text) { return nil }
        return problemByScalars(text)
    }

    /// Whether `text` is ASCII and passes every check of `problemByScalars`, judged in one pass over
    /// its bytes (most addresses): with `false`, the full check decides and says what is wrong.
    static func isPlainValidASCII(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            guard bytes.count <= 254, let at = bytes.lastIndex(of: UInt8(ascii: "@")) else { return false }
            // Local part: 1–64 bytes of atext and dots, no dot first, last or twice in a row.
            guard at > 0, at <= 64, bytes[0] != 0x2E, bytes[at - 1] != 0x2E else { return false }
            var previous: UInt8 = 0
            for byte in bytes[..<at] {
                guard byte < 0x80, byte == 0x2E ? previous != 0x2E : isASCIIAtext(byte) else { return false }
                previous = byte
            }
            // Domain: two or more labels of 1–63 letters, digits and inner hyphens; a top-level
            // label of two or more characters, not all digits.
            var labels = 0
            var start = at + 1
            while true {
                var end = start
                while end < bytes.count, bytes[end] != 0x2E { end += 1 }
                let label = bytes[start..<end]
                guard !label.isEmpty, label.count <= 63, label.first != 0x2D, label.last != 0x2D,
                      label.allSatisfy({ isASCIILetterOrDigit($0) || $0 == 0x2D })
                else { return false }
                labels += 1
                if end == bytes.count {
                    return labels >= 2 && label.count >= 2 && !label.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
                }
                start = end + 1
            }
        }
    }

    private static func isASCIILetterOrDigit(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
    }

    /// A letter, a digit or one of ``!#$%&'*+-/=?^_`{|}~``.
    private static func isASCIIAtext(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x21, 0x23...0x27, 0x2A, 0x2B, 0x2D, 0x2F, 0x3D, 0x3F, 0x5E...0x60, 0x7B...0x7E: true
        default: isASCIILetterOrDigit(byte)
        }
    }

    /// The full check, scalar by scalar, naming the first thing wrong.
    static func problemByScalars(_ text: String) -> String? {
        // Characters are never more than bytes: count them only when the bytes could be too many.
        guard text.utf8.count <= 254 || text.count <= 254 else { return "longer than 254 characters" }
        guard let at = text.lastIndex(of: "@") else { return "has no @" }
        let local = text[..<at]
        let domain = text[text.index(after: at)...]
        guard !local.isEmpty else { return "has nothing before the @" }
        guard local.utf8.count <= 64 else { return "local part longer than 64 characters" }
        guard !local.hasPrefix("."), !local.hasSuffix("."), !zip(local.utf8, local.utf8.dropFirst()).contains(where: { $0 == 0x2E && $1 == 0x2E }) else {
            return "local part has a misplaced dot"
        }
        for scalar in local.unicodeScalars where !isAtext(scalar) && scalar != "." {
            return "local part contains \(describe(scalar))"
        }
        guard !domain.isEmpty else { return "has no domain after the @" }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return "domain \(domain) has no top-level domain" }
        for label in labels {
            guard !label.isEmpty else { return "domain has an empty label" }
            guard label.utf8.count <= 63 else { return "domain label longer than 63 characters" }
            guard !label.hasPrefix("-"), !label.hasSuffix("-") else { return "domain label starts or ends with -" }
            for scalar in label.unicodeScalars where !(isLetterOrDigit(scalar) || scalar == "-") {
                return "domain contains \(describe(scalar))"
            }
        }
        let tld = labels.last!
        guard tld.count >= 2, !tld.unicodeScalars.allSatisfy({ $0.properties.numericType != nil }) else {
            return "top-level domain \(tld) is not valid"
        }
        return nil
    }

    public static func isValid(_ text: String) -> Bool { problem(text) == nil }

    private static func isAtext(_ scalar: Unicode.Scalar) -> Bool {
        if isLetterOrDigit(scalar) { return true }
        return "!#$%&'*+-/=?^_`{|}~".unicodeScalars.contains(scalar)
    }

    private static func isLetterOrDigit(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            return (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z") || (scalar >= "0" && scalar <= "9")
        }
        // Internationalised addresses (RFC 6531): letters and digits of any script.
        return scalar.properties.isAlphabetic || scalar.properties.numericType != nil
    }

    private static func describe(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case " ": "a space"
        case "\t", "\n", "\r": "a control character"
        default: "'\(scalar)'"
        }
    }
}
