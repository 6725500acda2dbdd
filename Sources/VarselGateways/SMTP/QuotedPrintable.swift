/// The quoted-printable content transfer encoding of text (RFC 2045 §6.7), and the check for text
/// that may go as `7bit` (RFC 2045 §2.7) instead.
///
/// Text is UTF-8; its line breaks (CRLF, a lone CR or a lone LF) become CRLF, the canonical form
/// of text (RFC 2045 §6.7 rule 4, RFC 2046 §4.1.1), and are written as hard line breaks. The
/// encoder keeps the rules of §6.7:
/// - printable ASCII stands for itself, except `=`, which is always `=3D` (rules 1 and 2);
/// - other octets are `=XX` with upper-case hexadecimal digits (rule 1);
/// - a space or tab at the end of a line is encoded (`=20`, `=09`), because transports may strip
///   trailing white space (rule 3);
/// - encoded lines are at most 76 characters; longer lines get soft line breaks (`=` at the end of
///   the line), never inside an `=XX` (rule 5).
///
/// For robustness through old relays it also encodes a `.` at the start of a line (SMTP's end of
/// data, RFC 5321 §4.5.2) and the `F` of a line starting with `From ` (which mbox stores rewrite
/// to `>From `); both decode to the same text.
public enum QuotedPrintable {
    /// The longest encoded line, soft line break included (RFC 2045 §6.7 rule 5).
    public static let maxLineLength = 76

    /// `text` quoted-printable encoded, with CRLF line ends. A line break at the end of `text`
    /// gives a CRLF at the end of the result; otherwise the result does not end in a line break.
    public static func encode(_ text: String) -> String {
        var out: [UInt8] = []
        let lines = self.lines(text)
        for (index, line) in lines.enumerated() {
            encodeLine(line, into: &out)
            if index < lines.count - 1 { out += [0x0D, 0x0A] }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether `text` may be sent as it is under `Content-Transfer-Encoding: 7bit`: only printable
    /// ASCII and tabs, lines of at most 76 octets (well below the 998 of RFC 5322 §2.1.1, so no
    /// relay rewraps them), no white space at a line's end and no line starting with `From `.
    public static func isPlain7Bit(_ text: String) -> Bool {
        for line in lines(text) {
            guard line.count <= maxLineLength else { return false }
            guard line.allSatisfy({ ($0 >= 0x20 && $0 <= 0x7E) || $0 == 0x09 }) else { return false }
            if let last = line.last, last == 0x20 || last == 0x09 { return false }
            if line.starts(with: Array("From ".utf8)) { return false }
        }
        return true
    }

    /// `text` with CRLF line ends (a lone CR or LF becomes CRLF), unencoded.
    public static func canonicalLineEnds(_ text: String) -> String {
        String(decoding: Array(lines(text).joined(separator: [0x0D, 0x0A])), as: UTF8.self)
    }

    /// The UTF-8 lines of `text`, split at CRLF, a lone CR or a lone LF. Text ending in a line
    /// break gives an empty last line.
    static func lines(_ text: String) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var line: [UInt8] = []
        var previousCR = false
        for byte in text.utf8 {
            switch byte {
            case 0x0D:
                lines.append(line)
                line = []
                previousCR = true
            case 0x0A:
                if !previousCR {
                    lines.append(line)
                    line = []
                }
                previousCR = false
            default:
                line.append(byte)
                previousCR = false
            }
        }
        lines.append(line)
        return lines
    }

    private static func encodeLine(_ line: [UInt8], into out: inout [UInt8]) {
        var length = 0  // of the physical line being written
        for index in line.indices {
            let isLast = index == line.count - 1
            // A character's UTF-8 sequence is kept on one line (decoders that work line by line
            // then never see half a character): break before its lead byte when it does not fit.
            let byte = line[index]
            if byte >= 0xC0, length > 0 {
                let count = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
                let end = min(index + count, line.count)
                if length + 3 * (end - index) > maxLineLength - (end == line.count ? 0 : 1) {
                    out += Array("=\r\n".utf8)
                    length = 0
                }
            }
            var encoded = encode(line, at: index, atLineStart: length == 0, isLast: isLast)
            // A soft line break's `=` needs a column too, except after the line's last character.
            if length + encoded.count > maxLineLength - (isLast ? 0 : 1) {
                out += Array("=\r\n".utf8)
                length = 0
                encoded = encode(line, at: index, atLineStart: true, isLast: isLast)
            }
            out += encoded
            length += encoded.count
        }
    }

    private static func encode(_ line: [UInt8], at index: Int, atLineStart: Bool, isLast: Bool) -> [UInt8] {
        let byte = line[index]
        let escaped: Bool
        switch byte {
        case 0x20, 0x09:
            escaped = isLast
        case UInt8(ascii: "="):
            escaped = true
        case UInt8(ascii: "."):
            escaped = atLineStart
        case UInt8(ascii: "F"):
            escaped = atLineStart && line[index...].starts(with: Array("From ".utf8))
        case 0x21...0x7E:
            escaped = false
        default:
            escaped = true
        }
        return escaped ? Array(("=" + EncodedWord.hexByte(byte)).utf8) : [byte]
    }
}
