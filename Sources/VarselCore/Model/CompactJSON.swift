import Foundation

/// Edits of compact JSON text as `JSONEncoder` writes it (no whitespace between tokens).
public enum CompactJSON {
    /// The object text without its top-level member `name`: byte for byte what the encoder writes
    /// for the same value with that member left out, since the encoder writes members one after
    /// another separated by single commas and a member's removal changes no other. Nil when the
    /// text is not an object or has no such member at its top level.
    ///
    /// - Precondition: `name` needs no escaping in JSON (no quote, backslash or control character).
    public static func removingMember(_ name: String, from json: Data) -> Data? {
        let key = Array("\"\(name)\":".utf8)
        return json.withUnsafeBytes { bytes -> Data? in
            guard bytes.first == UInt8(ascii: "{") else { return nil }
            var depth = 0
            var inString = false
            var escaped = false
            var atKey = false
            var memberStart: Int?
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                if inString {
                    if escaped {
                        escaped = false
                    } else if byte == UInt8(ascii: "\\") {
                        escaped = true
                    } else if byte == UInt8(ascii: "\"") {
                        inString = false
                    }
                    index += 1
                    continue
                }
                switch byte {
                case UInt8(ascii: "\""):
                    if depth == 1, atKey, memberStart == nil, bytes.count - index >= key.count,
                       zip(key, bytes[index..<(index + key.count)]).allSatisfy({ $0 == $1 })
                    {
                        memberStart = index
                    }
                    atKey = false
                    inString = true
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                    atKey = depth == 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if depth == 1, let start = memberStart { return cut(bytes, start: start, end: index) }
                    depth -= 1
                case UInt8(ascii: ","):
                    if depth == 1, let start = memberStart { return cut(bytes, start: start, end: index) }
                    atKey = depth == 1
                default:
                    break
                }
                index += 1
            }
            return nil
        }
    }

    /// The text without the member in `start..<end` (`end` at the comma or brace after it) and
    /// one comma beside it.
    private static func cut(_ bytes: UnsafeRawBufferPointer, start: Int, end: Int) -> Data {
        var result = Data(capacity: bytes.count)
        if bytes[start - 1] == UInt8(ascii: ",") {
            result.append(contentsOf: bytes[0..<(start - 1)])
            result.append(contentsOf: bytes[end...])
        } else if bytes[end] == UInt8(ascii: ",") {
            result.append(contentsOf: bytes[0..<start])
            result.append(contentsOf: bytes[(end + 1)...])
        } else {
            result.append(contentsOf: bytes[0..<start])
            result.append(contentsOf: bytes[end...])
        }
        return result
    }
}
