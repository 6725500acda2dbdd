import Foundation

/// Reads one JSON document from UTF-8 bytes straight into a `JSONValue`, accepting exactly the
/// documents `JSONDecoder().decode(JSONValue.self, from:)` accepts and giving the same value.
///
/// Why not `JSONDecoder`: it scans the document into a map, then `JSONValue.init(from:)` tries every
/// type in turn at every value, throwing and catching on each miss; that was ~37 µs a message and a
/// quarter of `varsel enqueue`'s CPU. This reads each byte once and builds the value as it goes.
///
/// What is accepted is RFC 8259 with swift-foundation's `JSONDecoder`'s leniencies, kept so that no
/// producer that works today starts failing (JSONReaderTests holds the two to each other):
/// - any value at the top, not only an object or array;
/// - one trailing comma before `]` or `}` (`[1,]`, `{"a":1,}`), but not `[,]` or `[1,,]`;
/// - a UTF-8 byte order mark, and UTF-16 or UTF-32 input recognised by its first bytes as JSONDecoder
///   recognises it (the input is then converted to UTF-8 first and offsets count in that).
///
/// Everything else RFC 8259 refuses is refused (but see duplicate keys below): whitespace other than space, tab, LF and CR; comments;
/// `NaN`, `Infinity`, `+1`, `.5`, `1.`, `01`; single quotes; control characters below U+0020 in
/// strings; escapes other than `\" \\ \/ \b \f \n \r \t \uXXXX`; a surrogate escape that is not a
/// high one followed by a low one; invalid UTF-8 (overlong forms, encoded surrogates, beyond U+10FFFF);
/// anything after the value but whitespace; more than `maxDepth` arrays and objects inside each other.
///
/// - Important: Of duplicate keys in an object the *first* is kept, as JSONDecoder keeps it, and keys
///   are compared as Swift strings (canonically equivalent keys are duplicates). The later values are,
///   as in JSONDecoder, only scanned for their shape (brackets, commas, quotes, literals) and never
///   decoded: `{"a":1,"a":"\x"}` and `{"a":1,"a":1e400}` read as `{"a":1}`.
///
/// Numbers become `Decimal(string:)` of their literal, the parser JSONDecoder uses for `Decimal`, so
/// `1250.00`, `-0` and `1e3` give the same `Decimal` (and the same `description`) as before. A number
/// no `Decimal` can hold (`1e400`, `1e-300`, more than 127 places after the point) throws
/// `JSONNumberOutOfRange` with its path as JSONDecoder gives it (`data.installments[0].amount`; a key
/// that reads as an integer is written `[0]`), but only once the whole document has been read: a
/// syntax error anywhere wins, as it did. Of several such numbers the first in the document is named
/// (JSONDecoder names whichever its dictionary's hash order reaches first, which varies by process).
public enum JSONReader {
    /// Arrays and objects inside each other, the outermost counted: JSONDecoder's limit
    /// (`JSONScanner`, swift-foundation), which also keeps the recursion's stack small.
    public static let maxDepth = 512

    /// Reads `bytes` as one JSON document.
    ///
    /// - Throws: `JSONSyntaxError` if it is not JSON, `JSONNumberOutOfRange` if it is but holds a
    ///   number no `Decimal` can hold.
    public static func value(from bytes: some Collection<UInt8>) throws -> JSONValue {
        if let value = try bytes.withContiguousStorageIfAvailable({ try value(fromContiguous: $0) }) {
            return value
        }
        return try Array(bytes).withUnsafeBufferPointer { try value(fromContiguous: $0) }
    }

    static func value(fromContiguous bytes: UnsafeBufferPointer<UInt8>) throws -> JSONValue {
        switch Encoding.detect(bytes) {
        case .utf8(let bomLength):
            return try value(fromUTF8: bytes, startingAt: bomLength)
        case .other(let encoding, let bomLength):
            let rest = Data(UnsafeBufferPointer(rebasing: bytes[bomLength...]))
            guard let text = String(bytes: rest, encoding: encoding) else {
                throw JSONSyntaxError("not valid \(encoding) text, which its first bytes announce", at: 0, in: bytes)
            }
            return try Array(text.utf8).withUnsafeBufferPointer { try value(fromUTF8: $0, startingAt: 0) }
        }
    }

    private static func value(fromUTF8 bytes: UnsafeBufferPointer<UInt8>, startingAt start: Int) throws -> JSONValue {
        var fast = JSONParser(bytes, at: start, reading: .fast)
        if let value = try? fast.document(), !fast.sawNumberOutOfRange { return value }
        // Rare: read again the slower way that decides exactly as JSONDecoder does (see JSONParser).
        var exact = JSONParser(bytes, at: start, reading: .exact)
        let value: JSONValue
        do {
            value = try exact.document()
        } catch {
            throw JSONSyntaxError(error.problem, at: error.offset, in: bytes)
        }
        if let path = exact.numberOutOfRangePath { throw JSONNumberOutOfRange(path: path) }
        return value
    }

    /// The text encoding of the input, judged from its first four bytes as JSONDecoder judges it
    /// (RFC 4627 §3 and byte order marks).
    enum Encoding {
        case utf8(bomLength: Int)
        case other(String.Encoding, bomLength: Int)

        static func detect(_ bytes: UnsafeBufferPointer<UInt8>) -> Encoding {
            // The common case first: a document starting with ASCII other than NUL in its first two bytes.
            if bytes.count >= 2, bytes[0] != 0, bytes[0] < 0x80, bytes[1] != 0 { return .utf8(bomLength: 0) }
            let b0: UInt8? = bytes.count > 0 ? bytes[0] : nil
            let b1: UInt8? = bytes.count > 1 ? bytes[1] : nil
            let b2: UInt8? = bytes.count > 2 ? bytes[2] : nil
            let b3: UInt8? = bytes.count > 3 ? bytes[3] : nil
            switch (b0, b1, b2, b3) {
            case (0, 0, 0xFE, 0xFF): return .other(.utf32BigEndian, bomLength: 4)
            case (0xFE, 0xFF, 0, 0): return .other(.utf32LittleEndian, bomLength: 4)  // sic, as JSONDecoder has it
            case (0xFE, 0xFF, _, _): return .other(.utf16BigEndian, bomLength: 2)
            case (0xFF, 0xFE, _, _): return .other(.utf16LittleEndian, bomLength: 2)
            case (0xEF, 0xBB, 0xBF, _): return .utf8(bomLength: 3)
            case (0, 0, 0, .some(let x)) where x != 0: return .other(.utf32BigEndian, bomLength: 0)
            case (0, .some(let x), 0, .some(let y)) where x != 0 && y != 0: return .other(.utf16BigEndian, bomLength: 0)
            case (.some(let x), 0, 0, 0) where x != 0: return .other(.utf32LittleEndian, bomLength: 0)
            case (.some(let x), 0, .some(let y), 0) where x != 0 && y != 0: return .other(.utf16LittleEndian, bomLength: 0)
            case (0, .some(let x), nil, nil) where x != 0: return .other(.utf16BigEndian, bomLength: 0)
            case (.some(let x), 0, nil, nil) where x != 0: return .other(.utf16LittleEndian, bomLength: 0)
            default: return .utf8(bomLength: 0)
            }
        }
    }
}
