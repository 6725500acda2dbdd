/// The GSM 03.38 default alphabet (3GPP TS 23.038): which characters need one septet, which need two.
public enum GSM7Alphabet {
    /// The basic table (one septet each). ESC (0x1B) is left out: it only introduces the extension table.
    static let basic: Set<Unicode.Scalar> = {
        let table: [Unicode.Scalar] = [
            "@", "£", "$", "¥", "è", "é", "ù", "ì", "ò", "Ç", "\n", "Ø", "ø", "\r", "Å", "å",
            "Δ", "_", "Φ", "Γ", "Λ", "Ω", "Π", "Ψ", "Σ", "Θ", "Ξ", "Æ", "æ", "ß", "É",
            " ", "!", "\"", "#", "¤", "%", "&", "'", "(", ")", "*", "+", ",", "-", ".", "/",
            "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", ":", ";", "<", "=", ">", "?",
            "¡", "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O",
            "P", "Q", "R", "S", "T", "U", "V", "W", "X", "Y", "Z", "Ä", "Ö", "Ñ", "Ü", "§",
            "¿", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o",
            "p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z", "ä", "ö", "ñ", "ü", "à",
        ]
        return Set(table)
    }()

    /// The extension table: each costs two septets (ESC + character).
    static let extended: Set<Unicode.Scalar> = ["\u{0C}", "^", "{", "}", "\\", "[", "~", "]", "|", "€"]

    /// Septets a scalar costs in GSM-7, or `nil` when it has no GSM-7 form.
    public static func septets(_ scalar: Unicode.Scalar) -> Int? {
        guard scalar.value < UInt32(costs.count) else { return basic.contains(scalar) ? 1 : extended.contains(scalar) ? 2 : nil }
        let cost = costs[Int(scalar.value)]
        return cost == 0 ? nil : Int(cost)
    }

    /// The two tables as one look-up by scalar value up to U+03FF (Latin-1 and Greek hold all but `€`):
    /// 0 for no GSM-7 form, else the septets. Every SMS text is costed scalar by scalar: no hashing.
    private static let costs: [UInt8] = {
        var costs = [UInt8](repeating: 0, count: 0x400)
        for scalar in extended where scalar.value < 0x400 { costs[Int(scalar.value)] = 2 }
        for scalar in basic where scalar.value < 0x400 { costs[Int(scalar.value)] = 1 }
        return costs
    }()
}
