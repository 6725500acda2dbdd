import Foundation

/// RFC 2047 encoded-words: how non-ASCII text travels in a header field of an RFC 5322 message.
///
/// An encoded-word is `=?UTF-8?B?…?=` (base64, RFC 2047 §4.1) or `=?UTF-8?Q?…?=` (the "Q"
/// encoding, §4.2). The rules kept here:
/// - every encoded-word is at most 75 characters long (§2);
/// - a word never ends inside a character (§5: "each 'encoded-word' MUST represent an integral
///   number of characters"); words are cut between grapheme clusters where possible, so an emoji
///   with modifiers or a ZWJ sequence stays whole, and between Unicode scalars otherwise;
/// - the Q encoding writes only the characters that are allowed in any context, the restricted set
///   of §5(3) (letters, digits, `!*+-/`), so the same word is valid in a `Subject`, in an
///   unstructured extension field and as a display name in a `phrase`.
public enum EncodedWord {
    /// The two encodings of RFC 2047 §4.
    public enum Encoding: Sendable, Equatable {
        /// "B": base64 of the UTF-8 bytes (§4.1). Compact for text that is mostly non-ASCII.
        case base64
        /// "Q": quoted-printable-like, `_` for a space (§4.2). Readable for text that is mostly ASCII.
        case quoted
    }

    /// The longest an encoded-word may be (RFC 2047 §2).
    public static let maxLength = 75
    /// `=?UTF-8?X?` + `?=`.
    static let overhead = 12

    /// The encoding that writes `text` in fewer characters; Q on a tie.
    public static func preferredEncoding(for text: String) -> Encoding {
        let bytes = Array(text.utf8)
        let q = bytes.reduce(0) { $0 + qLength($1) }
        return base64Length(bytes.count) < q ? .base64 : .quoted
    }

    /// `text` as a sequence of encoded-words, each at most `maxLength` characters. The words are
    /// meant to be separated by linear white space, which a decoder drops (RFC 2047 §6.2), so they
    /// decode to `text` exactly. Empty text gives no words.
    public static func encode(_ text: String, encoding: Encoding? = nil) -> [String] {
        let encoding = encoding ?? preferredEncoding(for: text)
        var units = self.units(text, encoding: encoding)[...]
        var words: [String] = []
        while !units.isEmpty, let word = take(from: &units, budget: maxLength, encoding: encoding) {
            words.append(word)
        }
        return words
    }

    // MARK: - Building blocks for the header writer

    /// The UTF-8 bytes of `text` cut into the pieces a word boundary may fall between: grapheme
    /// clusters, or a cluster's Unicode scalars when the cluster alone would not fit in one word.
    static func units(_ text: String, encoding: Encoding) -> [[UInt8]] {
        var units: [[UInt8]] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if overhead + encodedLength(bytes, encoding) <= maxLength {
                units.append(bytes)
            } else {
                for scalar in character.unicodeScalars { units.append(Array(String(scalar).utf8)) }
            }
        }
        return units
    }

    /// One encoded-word of at most `budget` characters made of as many leading `units` as fit,
    /// removing them; nil when not even the first unit fits.
    static func take(from units: inout ArraySlice<[UInt8]>, budget: Int, encoding: Encoding) -> String? {
        var bytes: [UInt8] = []
        var qCount = 0
        var taken = 0
        for unit in units {
            let length: Int
            switch encoding {
            case .base64: length = base64Length(bytes.count + unit.count)
            case .quoted: length = qCount + unit.reduce(0) { $0 + qLength($1) }
            }
            guard overhead + length <= budget else { break }
            bytes += unit
            qCount = encoding == .quoted ? length : 0
            taken += 1
        }
        guard taken > 0 else { return nil }
        units.removeFirst(taken)
        return word(bytes, encoding)
    }

    static func word(_ bytes: [UInt8], _ encoding: Encoding) -> String {
        switch encoding {
        case .base64:
            return "=?UTF-8?B?" + Data(bytes).base64EncodedString() + "?="
        case .quoted:
            var out = "=?UTF-8?Q?"
            for byte in bytes {
                if byte == 0x20 {
                    out += "_"
                } else if isQLiteral(byte) {
                    out.unicodeScalars.append(Unicode.Scalar(byte))
                } else {
                    out += "=" + hexByte(byte)
                }
            }
            return out + "?="
        }
    }

    static func encodedLength(_ bytes: [UInt8], _ encoding: Encoding) -> Int {
        switch encoding {
        case .base64: base64Length(bytes.count)
        case .quoted: bytes.reduce(0) { $0 + qLength($1) }
        }
    }

    static func base64Length(_ count: Int) -> Int { (count + 2) / 3 * 4 }

    static func qLength(_ byte: UInt8) -> Int { byte == 0x20 || isQLiteral(byte) ? 1 : 3 }

    /// RFC 2047 §5(3): in a `phrase` only upper and lower case letters, digits and `!*+-/` may
    /// stand for themselves (`=`, `?` and `_` never may).
    static func isQLiteral(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "!"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "/"):
            true
        default:
            false
        }
    }

    static func hexByte(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }
}

/// One header field being written and folded (RFC 5322 §2.2.3, §2.1.1).
///
/// The field is built from tokens that are written separated by one space; folding replaces such
/// a space by CRLF + space, which unfolding undoes, so folding never changes the field's meaning.
/// A line is folded before it would pass 78 characters where a token boundary allows it; a line
/// is never longer than 998 octets (a token that long is cut, which only absurd input reaches).
///
/// Nothing written here can contain CR or LF: `neutralised` turns every line break of a value
/// into a space before it is used, so no value can start a header line of its own.
struct HeaderField {
    /// RFC 5322 §2.1.1: lines SHOULD be at most 78 characters, MUST be at most 998.
    static let softLimit = 78
    static let hardLimit = 998

    private var lines: [String] = []
    private var current: String
    /// Whether `current` holds a token (folding before the first token of a line gains nothing).
    private var currentHasToken = false

    /// Whether a word of `length` octets may stand unencoded: it fits on the field's first line.
    private let longestPlainWord: Int

    init(name: String) {
        current = name + ":"
        longestPlainWord = Self.hardLimit - current.utf8.count - 1
    }

    /// The folded field, each line ended by CRLF.
    var rendered: String {
        var all = lines
        all.append(current)
        var out = ""
        for line in all { out += Self.hardSplit(line).joined(separator: "\r\n") + "\r\n" }
        return out
    }

    /// Appends `token`, preceded by a space or a fold.
    mutating func append(_ token: String) {
        if currentHasToken, current.utf8.count + 1 + token.utf8.count > Self.softLimit {
            fold()
        }
        current += " " + token
        currentHasToken = true
    }

    /// Appends `text` as a run of encoded-words (RFC 2047), each as long as the line allows and
    /// at most 75 characters; the words decode back to `text` exactly.
    mutating func appendEncoded(_ text: String) {
        let encoding = EncodedWord.preferredEncoding(for: text)
        var units = EncodedWord.units(text, encoding: encoding)[...]
        while !units.isEmpty {
            let room = min(EncodedWord.maxLength, Self.softLimit - current.utf8.count - 1)
            if currentHasToken {
                // Rather than a scrap of a word at the end of this line: fold, when the rest fits
                // in one word on a fresh line or this line has little room left.
                let rest = EncodedWord.overhead + EncodedWord.encodedLength(Array(units.joined()), encoding)
                if rest > room, rest <= EncodedWord.maxLength || room < 32 {
                    fold()
                    continue
                }
            }
            if let word = EncodedWord.take(from: &units, budget: room, encoding: encoding) {
                current += " " + word
                currentHasToken = true
            } else if current.utf8.count > 1 {
                // Not even one character fits on this line: continue on a fresh one.
                fold()
            } else {
                // Cannot happen: a fresh line has room for a word of 75 characters.
                break
            }
        }
    }

    /// Appends an unstructured value (RFC 5322 §3.2.5 `unstructured`, used by `Subject` and
    /// extension fields), encoding what cannot go as it is (RFC 2047 §5(1)).
    ///
    /// The value is cut at spaces into words. A word goes as it is when it is printable ASCII, does
    /// not look like an encoded-word (`=?`) and fits in 998 octets (a long URL or token stays
    /// readable on a line longer than 78 rather than being encoded); each maximal run of other words
    /// becomes encoded-words holding the run with its inner spaces. Words next to an empty word
    /// (two spaces in a row, leading or trailing space) are encoded too, so every space survives
    /// unfolding and the decoded value equals the input (after line breaks became spaces).
    mutating func appendUnstructured(_ value: String) {
        let value = Self.neutralised(value)
        guard !value.isEmpty else { return }
        let words = value.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        var plain = words.map { word in
            !word.isEmpty && word.utf8.count <= longestPlainWord && !word.contains("=?")
                && word.utf8.allSatisfy { $0 >= 0x21 && $0 <= 0x7E }
        }
        for (index, word) in words.enumerated() where word.isEmpty {
            if index > 0 { plain[index - 1] = false }
            if index + 1 < words.count { plain[index + 1] = false }
        }
        var index = 0
        while index < words.count {
            if plain[index] {
                append(words[index])
                index += 1
            } else {
                var end = index
                while end < words.count, !plain[end] { end += 1 }
                appendEncoded(words[index..<end].joined(separator: " "))
                index = end
            }
        }
    }

    /// Appends a display name (RFC 5322 §3.2.5 `phrase`): atoms as they are, printable ASCII with
    /// specials as a quoted-string (§3.2.4), anything else as encoded-words (RFC 2047 §5(3)).
    /// White space in a name is not significant: runs of it become one space, ends are trimmed.
    mutating func appendPhrase(_ name: String) {
        let name = Self.neutralised(name).split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
        guard !name.isEmpty else { return }
        let words = name.split(separator: " ").map(String.init)
        if name.utf8.allSatisfy({ $0 >= 0x20 && $0 <= 0x7E }) {
            if words.allSatisfy({ $0.utf8.allSatisfy(Self.isAtext) && !$0.contains("=?") }) {
                for word in words { append(word) }
            } else {
                // A quoted-string may be folded at its spaces (§3.2.4 allows FWS inside it).
                let escaped = words.map { word in
                    word.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                }
                for (index, word) in escaped.enumerated() {
                    let open = index == 0 ? "\"" : ""
                    let close = index == escaped.count - 1 ? "\"" : ""
                    append(open + word + close)
                }
            }
        } else {
            appendEncoded(name)
        }
    }

    private mutating func fold() {
        lines.append(current)
        current = ""
        currentHasToken = false
    }

    /// A line cut into pieces of at most 998 octets at scalar boundaries, the later ones continued
    /// with a space. Reached only by a single token of nearly 1000 octets.
    private static func hardSplit(_ line: String) -> [String] {
        guard line.utf8.count > hardLimit else { return [line] }
        var pieces: [String] = []
        var piece = ""
        for scalar in line.unicodeScalars {
            if piece.utf8.count + String(scalar).utf8.count > hardLimit {
                pieces.append(piece)
                piece = " "
            }
            piece.unicodeScalars.append(scalar)
        }
        pieces.append(piece)
        return pieces
    }

    /// `text` with each line break (CRLF, CR or LF) replaced by a space: a value can never end the
    /// header line it is on (header injection).
    static func neutralised(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var previousCR = false
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\r":
                out.append(" ")
                previousCR = true
            case "\n":
                if !previousCR { out.append(" ") }
                previousCR = false
            default:
                out.append(scalar)
                previousCR = false
            }
        }
        return String(out)
    }

    /// RFC 5322 §3.2.3 `atext`.
    static func isAtext(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-/=?^_`{|}~".utf8.contains(byte)
        }
    }
}
