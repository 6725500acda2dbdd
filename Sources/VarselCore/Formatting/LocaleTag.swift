import Foundation

/// BCP 47 language tags, reduced to what Varsel needs: normalised form and the fallback chain.
public enum LocaleTag {
    /// `nb_no` → `nb-NO`; `NB` → `nb`. Script subtags keep title case (`zh-Hant`).
    public static func normalise(_ tag: String) -> String {
        // Tags are stored normalised, so most arrive that way: checked by byte, returned as they are.
        isNormalised(tag) ? tag : normaliseByParts(tag)
    }

    /// `normalise` the long way, part by part.
    static func normaliseByParts(_ tag: String) -> String {
        let parts = tag.replacingOccurrences(of: "_", with: "-").split(separator: "-")
        return parts.enumerated().map { index, part in
            if index == 0 { return part.lowercased() }
            if part.count == 2 { return part.uppercased() }
            if part.count == 4 { return part.prefix(1).uppercased() + part.dropFirst().lowercased() }
            return part.lowercased()
        }.joined(separator: "-")
    }

    /// Whether `normalise` would return the tag unchanged, judged for ASCII tags without building
    /// anything; false (take the full way) for anything else.
    static func isNormalised(_ tag: String) -> Bool {
        var part = 0
        var length = 0
        var firstOfPart: UInt8 = 0
        var upperAfterFirst = false
        var lowerAfterFirst = false
        func partFits() -> Bool {
            guard length > 0 else { return false }
            let firstUpper = firstOfPart >= UInt8(ascii: "A") && firstOfPart <= UInt8(ascii: "Z")
            let firstLower = firstOfPart >= UInt8(ascii: "a") && firstOfPart <= UInt8(ascii: "z")
            if part == 0 { return !firstUpper && !upperAfterFirst }
            switch length {
            case 2: return !firstLower && !lowerAfterFirst
            case 4: return !firstLower && !upperAfterFirst
            default: return !firstUpper && !upperAfterFirst
            }
        }
        for byte in tag.utf8 {
            guard byte < 0x80, byte != UInt8(ascii: "_") else { return false }
            if byte == UInt8(ascii: "-") {
                guard partFits() else { return false }
                part += 1
                length = 0
                upperAfterFirst = false
                lowerAfterFirst = false
                continue
            }
            if length == 0 {
                firstOfPart = byte
            } else if byte >= UInt8(ascii: "A"), byte <= UInt8(ascii: "Z") {
                upperAfterFirst = true
            } else if byte >= UInt8(ascii: "a"), byte <= UInt8(ascii: "z") {
                lowerAfterFirst = true
            }
            length += 1
        }
        return partFits()
    }

    /// The primary language subtag, lower case (`nb-NO` → `nb`).
    public static func language(of tag: String) -> String {
        // The first part between dashes that is not empty, as `split(separator: "-").first` gives it,
        // without building the list of parts (every render asks). By byte where every byte is ASCII (a
        // dash is then a character of its own).
        let normalised = normalise(tag)
        let utf8 = normalised.utf8
        guard utf8.allSatisfy({ $0 < 0x80 }) else { return String(normalised.split(separator: "-").first ?? "") }
        guard let start = utf8.firstIndex(where: { $0 != UInt8(ascii: "-") }) else { return "" }
        let end = utf8[start...].firstIndex(of: UInt8(ascii: "-")) ?? utf8.endIndex
        return String(normalised[start..<end])
    }

    /// The region subtag, if any (`nb-NO` → `NO`).
    public static func region(of tag: String) -> String? {
        normalise(tag).split(separator: "-").dropFirst().first { $0.count == 2 }.map(String.init)
    }

    /// Whether a text looks like a language tag (`nb`, `nb-NO`, `zh-Hant-TW`).
    public static func isWellFormed(_ tag: String) -> Bool {
        // By byte: parts between `-` or `_`, the first of 2–3 ASCII letters, the others of 2–8 ASCII
        // letters or digits.
        var length = 0
        var first = true
        func partEnds() -> Bool { first ? (2...3).contains(length) : (2...8).contains(length) }
        for byte in tag.utf8 {
            switch byte {
            case UInt8(ascii: "-"), UInt8(ascii: "_"):
                guard partEnds() else { return false }
                first = false
                length = 0
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"):
                length += 1
            case UInt8(ascii: "0")...UInt8(ascii: "9") where !first:
                length += 1
            default:
                return false
            }
        }
        return partEnds()
    }

    /// The fallback chain for a tag: `nb-NO` → [`nb-NO`, `nb`], then each alias target, then the default.
    /// Aliases map a language to the one whose templates it reads (e.g. `no` → `nb`).
    public static func chain(for tag: String?, defaultLocale: String, aliases: [String: String]) -> [String] {
        var chain: [String] = []
        func add(_ item: String) { if !item.isEmpty, !chain.contains(item) { chain.append(item) } }
        if let tag {
            let parts = normalise(tag).split(separator: "-").map(String.init)
            for count in stride(from: parts.count, through: 1, by: -1) {
                add(parts.prefix(count).joined(separator: "-"))
            }
            if let alias = aliases[parts.first ?? ""] { add(alias) }
        }
        add(normalise(defaultLocale))
        return chain
    }
}

extension Character {
    // By the ASCII value, not the Unicode properties: a table lookup per character costs more than the
    // rest of a message's validation.
    var isASCIILetter: Bool { asciiValue?.isASCIILetter ?? false }
    var isASCIIAlphanumeric: Bool { asciiValue.map { $0.isASCIILetter || $0.isASCIIDigit } ?? false }
}

extension UInt8 {
    var isASCIILetter: Bool { (self | 0x20) >= UInt8(ascii: "a") && (self | 0x20) <= UInt8(ascii: "z") }
    var isASCIIDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }
}
