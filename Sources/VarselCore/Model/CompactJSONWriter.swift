import Foundation

/// Compact JSON, written byte by byte as `JSONEncoder` with `[.sortedKeys, .withoutEscapingSlashes]`
/// writes it: no whitespace, strings escaped as it escapes them. The caller writes an object's
/// members in sorted key order. For the few documents written per message (the stored request, the
/// gateway body), where the encoder's generic machinery showed in the send loop's profile.
public struct CompactJSONWriter {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 1_024) { bytes.reserveCapacity(capacity) }

    public mutating func null() { bytes.append(contentsOf: "null".utf8) }

    /// A line feed between documents (NDJSON).
    public mutating func newline() { bytes.append(0x0A) }

    /// Whether an object being written has a member yet.
    public struct ObjectState {
        var any = false
        public init() {}
    }

    /// Opens the object or separates a member, then writes `"name":` (a name that needs no escaping).
    public mutating func key(_ name: StaticString, _ object: inout ObjectState) {
        member(&object)
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    /// `key` for a name known only at run time, escaped as any string.
    public mutating func key(_ name: String, _ object: inout ObjectState) {
        member(&object)
        string(name)
        bytes.append(UInt8(ascii: ":"))
    }

    private mutating func member(_ object: inout ObjectState) {
        bytes.append(object.any ? UInt8(ascii: ",") : UInt8(ascii: "{"))
        object.any = true
    }

    public mutating func integer(_ value: Int) { bytes.append(contentsOf: String(value).utf8) }

    public mutating func bool(_ value: Bool) { bytes.append(contentsOf: (value ? "true" : "false").utf8) }

    /// A decimal as the encoder writes one: its description.
    public mutating func decimal(_ value: Decimal) { bytes.append(contentsOf: value.description.utf8) }

    public mutating func end(_ object: ObjectState) {
        if !object.any { bytes.append(UInt8(ascii: "{")) }
        bytes.append(UInt8(ascii: "}"))
    }

    public mutating func array<T>(_ items: [T], _ element: (inout CompactJSONWriter, T) -> Void) {
        bytes.append(UInt8(ascii: "["))
        for (index, item) in items.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            element(&self, item)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// A string as the encoder escapes it: quote and backslash, the control characters below U+0020
    /// (\b \t \n \f \r by name, the others as \u00xx), and nothing else.
    public mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            guard let base = utf8.baseAddress else { return }
            let count = utf8.count
            var start = 0
            var index = 0
            while index < count {
                // Eight bytes at a time while none needs escaping: nearly all of a text.
                if index + 8 <= count, !Self.needsEscaping(UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)) {
                    index += 8
                    continue
                }
                let byte = base[index]
                if byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                    bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                    escape(byte)
                    start = index + 1
                }
                index += 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func escape(_ byte: UInt8) {
        bytes.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
        case 0x08: bytes.append(UInt8(ascii: "b"))
        case 0x09: bytes.append(UInt8(ascii: "t"))
        case 0x0A: bytes.append(UInt8(ascii: "n"))
        case 0x0C: bytes.append(UInt8(ascii: "f"))
        case 0x0D: bytes.append(UInt8(ascii: "r"))
        default:
            bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), Self.hex[Int(byte >> 4)], Self.hex[Int(byte & 0x0F)]])
        }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    /// Whether any of the eight bytes of `word` is below 0x20, a quote or a backslash.
    @inline(__always)
    static func needsEscaping(_ word: UInt64) -> Bool {
        ByteWord.hasByte(word, below: 0x20) || ByteWord.hasByte(word, equalTo: UInt8(ascii: "\"")) || ByteWord.hasByte(word, equalTo: UInt8(ascii: "\\"))
    }
}
