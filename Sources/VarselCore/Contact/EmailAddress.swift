/// Syntactic checks of an email address (RFC 5321/5322 dot-atom local part, LDH or IDN domain).
///
/// Only syntax can be checked without sending: whether the mailbox exists is learnt from the receipt.
public enum EmailAddress {
    /// Why an address is not usable, for the decision trail and validation errors.
    public static func problem(_ text: String) -> String? {
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
