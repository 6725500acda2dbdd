/// Masks personal data before it reaches a log line or an error message.
public enum Masking {
    /// `+4791234567` → `+47******67`: the country code and the last two digits stay.
    public static func phone(_ text: String) -> String {
        let chars = Array(text)
        guard chars.count > 5 else { return String(repeating: "*", count: chars.count) }
        let keepHead = chars.first == "+" ? 3 : 2
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
