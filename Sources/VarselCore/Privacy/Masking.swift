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
