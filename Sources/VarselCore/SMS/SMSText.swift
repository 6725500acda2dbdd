import Foundation

/// Normalisation of text that goes into an SMS.
public enum SMSText {
    /// Replaces the typographic characters that number and date formatting produce (no-break spaces,
    /// the minus sign) with their plain forms, so a formatted amount never forces UCS-2.
    public static func normaliseFormattedValue(_ text: String) -> String {
        // Every scalar replaced is outside ASCII: most values (numbers, names, references) are not.
        guard text.utf8.contains(where: { $0 >= 0x80 }) else { return text }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\u{00A0}", "\u{202F}", "\u{2007}", "\u{2009}": result.append(" ")
            case "\u{2212}", "\u{2010}", "\u{2011}": result.append("-")
            default: result.append(scalar)
            }
        }
        return String(result)
    }

    /// The text as sent: composed (NFC) so `e` + combining accent becomes `é`, which GSM-7 has, and
    /// trimmed of surrounding white space.
    public static func finalise(_ text: String) -> String {
        // Below U+0300 (Latin with the Nordic and German letters) every character is its own composed
        // form and none combines with another: such a text is NFC already, and Foundation's
        // normalisation (a copy through CFString) is only paid for text that may need it.
        let composed = text.unicodeScalars.allSatisfy { $0.value < 0x300 } ? text : text.precomposedStringWithCanonicalMapping
        return composed.trimmed
    }
}
