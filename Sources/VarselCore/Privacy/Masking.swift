import Foundation

/// Masks personal data before it reaches a log line or an error message.
public enum Masking {
    /// `+4791234567` → `+47******67`, `+358401234567` → `+358*******67`: the country calling code
    /// and the last two digits stay.
    public static func phone(_ text: String) -> String {
        let chars = Array(text)
        guard chars.count > 5 else { return String(repeating: "*", count: chars.count) }
        var keepHead = chars.first == "+" ? 3 : 2
        if case .success(let number) = PhoneNumber.parse(text) { keepHead = 1 + number.callingCode.count }
        return String(chars.prefix(keepHead)) + String(repeating: "*", count: chars.count - keepHead - 2)
            + String(chars.suffix(2))
    }

    /// `kari@example.no` → `k***@example.no`.
    public static func email(_ text: String) -> String {
        guard let at = text.lastIndex(of: "@"), at != text.startIndex else { return "***" }
        return String(text[text.startIndex]) + "***" + text[at...]
    }

    /// An address is never logged: only its country, if known.
    public static func address(_ address: PostalAddress) -> String {
        "[address" + (address.country.map { " in \($0)" } ?? "") + "]"
    }
}

extension Masking {
    /// Masks what looks like personal data or a credential anywhere in free text (a gateway's error
    /// reply, an exception's description): E.164 phone numbers, email addresses and bearer tokens.
    /// The last line of defence for log lines; code masks structured fields itself.
    public static func scrub(_ text: String) -> String {
        guard mayHoldPersonalData(text) else { return text }
        var result = text
        result.replace(#/\+[1-9][0-9]{6,14}/#) { phone(String($0.output)) }
        // Local parts and domains of any script (RFC 6531), and A-labels (`xn--…`) in any label. The
        // local part's rarer characters (= / * …) are left out so `key=value@…` in a log line is not eaten.
        result.replace(#/[\p{L}\p{N}\p{M}._%+\-]+@[\p{L}\p{N}\p{M}\-]+(?:\.[\p{L}\p{N}\p{M}\-]+)+/#) { email(String($0.output)) }
        result.replace(#/([Bb]earer)\s+[A-Za-z0-9._~+\/=\-]{8,}/#) { "\($0.output.1) [redacted]" }
        return result
    }
}

extension Masking {
    /// Whether `scrub` could find anything: an `@`, a `+` or `earer` (of `Bearer`), judged by byte.
    /// Nearly every log line has none and is written without running a pattern.
    private static let earer = Array("earer".utf8)

    static func mayHoldPersonalData(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            for index in bytes.indices {
                switch bytes[index] {
                case UInt8(ascii: "@"), UInt8(ascii: "+"):
                    return true
                case UInt8(ascii: "e") where bytes.count - index >= earer.count:
                    if (1..<earer.count).allSatisfy({ bytes[index + $0] == earer[$0] }) { return true }
                default:
                    continue
                }
            }
            return false
        }
    }
}

extension Masking {
    /// `scrub`, after first masking this recipient's own contact data wherever it appears in the
    /// text, in any letter case and in the forms gateways echo it in: the number without `+`, with
    /// `00`, URL-encoded; the email URL-encoded and with its domain in ASCII (`xn--…`) form; the name
    /// and address lines.
    public static func scrub(_ text: String, knownContact recipient: Recipient) -> String {
        var result = text
        func replace(_ value: String?, with masked: String) {
            guard let value, value.count >= 3 else { return }
            result = replacingCaseInsensitive(value, in: result, with: masked)
        }
        if let phone = recipient.phone {
            let digits = String(phone.drop { $0 == "+" })
            let masked = Masking.phone(phone)
            for form in ["%2B" + digits, "%2b" + digits, "00" + digits, phone, digits] { replace(form, with: masked) }
        }
        if let email = recipient.email {
            let masked = Masking.email(email)
            var forms = [email]
            if let at = email.lastIndex(of: "@"), let ascii = Punycode.asciiDomain(String(email[email.index(after: at)...])) {
                forms.append(email[...at] + ascii)
            }
            for form in forms { for variant in [form.replacing("@", with: "%40"), form] { replace(variant, with: masked) } }
        }
        if let address = recipient.address {
            for line in address.lines { replace(line, with: "[address]") }
        }
        replace(recipient.name, with: "[name]")
        return scrub(result)
    }
}

extension Masking {
    /// `text` with every occurrence of `value`, in any letter case, replaced by `replacement`.
    static func replacingCaseInsensitive(_ value: String, in text: String, with replacement: String) -> String {
        var output = ""
        var rest = text[...]
        while let range = rest.range(of: value, options: [.caseInsensitive]) {
            output += rest[..<range.lowerBound]
            output += replacement
            rest = rest[range.upperBound...]
        }
        return output + rest
    }

    /// One line of log text: every control character (C0, DEL, C1), line and paragraph separators
    /// and bidirectional overrides are escaped (`\n`, `\r`, `\t`, else `\u{1B}`), so a value can
    /// neither break a line nor drive a terminal.
    public static func escapingControls(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var output = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where needsEscape(scalar): output += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            default: output.unicodeScalars.append(scalar)
            }
        }
        return output
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }
}
