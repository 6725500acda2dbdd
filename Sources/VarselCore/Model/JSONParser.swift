import Foundation

/// The recursive descent behind `JSONReader`: one pass over UTF-8 bytes, building the value as it goes.
///
/// It reads in one of two ways. The `fast` reading is strict about everything and keeps no paths: it
/// decides every document that is wholly valid, which is nearly all of them. Only when it fails does
/// `JSONReader` read again `exactly`, the way JSONDecoder decides:
/// - the value of a duplicate key is dropped *unread*: JSONDecoder keeps the first value of a key and
///   only ever scans the others for their shape (brackets, commas, quotes, literals), so a bad string
///   or number there does not fail the document, and this reading `skip`s it as JSONDecoder's scanner
///   does;
/// - the path of each value is kept, so that the first number out of range is reported where it is.
///
/// Errors are typed and carry only an offset, so a failure costs nothing until `JSONReader` turns it
/// into a `JSONSyntaxError`.
struct JSONParser {
    struct Failure: Error {
        let problem: String
        let offset: Int

        static func syntax(_ problem: String, at offset: Int) -> Failure { Failure(problem: problem, offset: offset) }
    }

    enum Reading {
        case fast
        case exact
    }

    private enum PathComponent {
        case key(String)
        case index(Int)
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index: Int
    private let exact: Bool
    private var depth = 0
    /// Unescaped bytes of the string being read, kept to reuse its storage.
    private var scratch: [UInt8] = []
    /// The elements and members of the arrays and objects being read, innermost last: one growing
    /// store instead of an array per container that grows as it is read.
    private var elementStack: [JSONValue] = []
    private var memberStack: [(key: String, value: JSONValue)] = []
    /// Whether a number no `Decimal` can hold was read (the document then fails, once read to its end).
    private(set) var sawNumberOutOfRange = false
    /// On the exact reading: the path of the first such number, in document order, and the path so far.
    private(set) var numberOutOfRangePath: String?
    private var path: [PathComponent] = []

    init(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int, reading: Reading) {
        self.bytes = bytes
        self.index = start
        self.exact = reading == .exact
    }

    /// One value with only whitespace around it.
    mutating func document() throws(Failure) -> JSONValue {
        let value = try value()
        skipWhitespace()
        if index < bytes.count { throw unexpected("after the JSON value") }
        return value
    }

    // MARK: Values

    private mutating func value() throws(Failure) -> JSONValue {
        skipWhitespace()
        guard index < bytes.count else { throw unexpected("where a value should begin") }
        switch bytes[index] {
        case .quote: return .string(try string())
        case .openBrace: return try object()
        case .openBracket: return try array()
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw unexpected("where a value should begin")
        }
    }

    private mutating func array() throws(Failure) -> JSONValue {
        try enterContainer()
        defer { depth -= 1 }
        skipWhitespace()
        if index < bytes.count, bytes[index] == .closeBracket {
            index += 1
            return .array([])
        }
        let first = elementStack.count
        defer { elementStack.removeSubrange(first...) }
        while true {
            if exact { path.append(.index(elementStack.count - first)) }
            let element = try value()
            elementStack.append(element)
            if exact { path.removeLast() }
            skipWhitespace()
            guard index < bytes.count else { throw unexpected("in an array, expected ',' or ']'") }
            switch bytes[index] {
            case .closeBracket:
                index += 1
                return .array(Array(elementStack[first...]))
            case .comma:
                index += 1
                skipWhitespace()
                // A trailing comma, which JSONDecoder accepts.
                if index < bytes.count, bytes[index] == .closeBracket {
                    index += 1
                    return .array(Array(elementStack[first...]))
                }
            default:
                throw unexpected("in an array, expected ',' or ']'")
            }
        }
    }

    private mutating func object() throws(Failure) -> JSONValue {
        try enterContainer()
        defer { depth -= 1 }
        skipWhitespace()
        if index < bytes.count, bytes[index] == .closeBrace {
            index += 1
            return .object([:])
        }
        let first = memberStack.count
        defer { memberStack.removeSubrange(first...) }
        var seen = Set<String>()  // only on the exact reading
        while true {
            guard index < bytes.count, bytes[index] == .quote else { throw unexpected("in an object, expected a key in double quotes") }
            let key = try string()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == .colon else { throw unexpected("in an object, expected ':' after a key") }
            index += 1
            if exact {
                // As JSONDecoder: the first value of a key is read, any later one only scanned.
                if seen.insert(key).inserted {
                    path.append(.key(key))
                    memberStack.append((key, try value()))
                    path.removeLast()
                } else {
                    try skipValue()
                }
            } else {
                memberStack.append((key, try value()))
            }
            skipWhitespace()
            guard index < bytes.count else { throw unexpected("in an object, expected ',' or '}'") }
            switch bytes[index] {
            case .closeBrace:
                index += 1
                return .object(dictionary(ofMembersFrom: first))
            case .comma:
                index += 1
                skipWhitespace()
                // A trailing comma, which JSONDecoder accepts.
                if index < bytes.count, bytes[index] == .closeBrace {
                    index += 1
                    return .object(dictionary(ofMembersFrom: first))
                }
            default:
                throw unexpected("in an object, expected ',' or '}'")
            }
        }
    }

    /// Steps into an array or object at `index`, or refuses one nested too deep.
    private mutating func enterContainer() throws(Failure) {
        guard depth < JSONReader.maxDepth else {
            throw .syntax("more than \(JSONReader.maxDepth) arrays and objects inside each other", at: index)
        }
        depth += 1
        index += 1
    }

    /// The members read since `first`, sized once (growing a dictionary hashes every key again).
    /// Of duplicate keys the first stays, as in JSONDecoder; a unique key is hashed once.
    private func dictionary(ofMembersFrom first: Int) -> [String: JSONValue] {
        var members = [String: JSONValue](minimumCapacity: memberStack.count - first)
        for (key, value) in memberStack[first...] {
            if let kept = members.updateValue(value, forKey: key) { members[key] = kept }
        }
        return members
    }

    private mutating func literal(_ word: StaticString) throws(Failure) {
        let start = index
        for expected in UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount) {
            guard index < bytes.count, bytes[index] == expected else {
                throw unexpected(index == start ? "where a value should begin" : "in '\(word)'")
            }
            index += 1
        }
    }

    // MARK: Strings

    /// A string from its opening quote; `index` ends after its closing quote.
    private mutating func string() throws(Failure) -> String {
        let start = index + 1
        var end = start
        var allBytes: UInt8 = 0
        // Most strings have no escapes: find the closing quote and take the bytes as they are.
        while end < bytes.count {
            let byte = bytes[end]
            if byte == .quote {
                index = end + 1
                return try text(UnsafeBufferPointer(rebasing: bytes[start..<end]), raw: start..<end, ascii: allBytes < 0x80)
            }
            if byte == .backslash { return try escapedString(start: start, firstEscape: end, allBytes: allBytes) }
            if byte < 0x20 { throw controlCharacter(at: end) }
            allBytes |= byte
            end += 1
        }
        throw .syntax("a string was not closed (it starts here)", at: start - 1)
    }

    private mutating func escapedString(start: Int, firstEscape: Int, allBytes: UInt8) throws(Failure) -> String {
        var allBytes = allBytes
        scratch.removeAll(keepingCapacity: true)
        var chunkStart = start
        var position = firstEscape
        while true {
            guard position < bytes.count else { throw .syntax("a string was not closed (it starts here)", at: start - 1) }
            let byte = bytes[position]
            if byte == .quote { break }
            if byte < 0x20 { throw controlCharacter(at: position) }
            guard byte == .backslash else {
                allBytes |= byte
                position += 1
                continue
            }
            scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[chunkStart..<position]))
            let escapeStart = position
            position += 1
            guard position < bytes.count else { throw .syntax("a string was not closed (it starts here)", at: start - 1) }
            switch bytes[position] {
            case .quote: scratch.append(.quote)
            case .backslash: scratch.append(.backslash)
            case UInt8(ascii: "/"): scratch.append(UInt8(ascii: "/"))
            case UInt8(ascii: "b"): scratch.append(0x08)
            case UInt8(ascii: "f"): scratch.append(0x0C)
            case UInt8(ascii: "n"): scratch.append(0x0A)
            case UInt8(ascii: "r"): scratch.append(0x0D)
            case UInt8(ascii: "t"): scratch.append(0x09)
            case UInt8(ascii: "u"):
                let scalar = try unicodeEscape(at: escapeStart)
                appendUTF8(scalar.value)
                position = escapeStart + (scalar.value > 0xFFFF ? 12 : 6) - 1
            default:
                throw .syntax("a backslash before \(Self.describe(bytes[position])) is not one of JSON's escapes (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)", at: escapeStart)
            }
            position += 1
            chunkStart = position
        }
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[chunkStart..<position]))
        index = position + 1
        return try scratch.withUnsafeBufferPointer { unescaped throws(Failure) in
            try text(unescaped, raw: start..<position, ascii: allBytes < 0x80)
        }
    }

    /// `\uXXXX` at `offset`, or a surrogate pair `\uD83D\uDE00` as one scalar.
    private func unicodeEscape(at offset: Int) throws(Failure) -> Unicode.Scalar {
        let unit = try hexQuad(at: offset + 2)
        switch unit {
        case 0xD800...0xDBFF:
            func loneHigh() -> Failure { .syntax("a lone high surrogate \\u\(Self.hex(unit)): it must be followed by a low one (\\uDC00-\\uDFFF)", at: offset) }
            guard offset + 7 < bytes.count, bytes[offset + 6] == .backslash, bytes[offset + 7] == UInt8(ascii: "u") else { throw loneHigh() }
            let low = try hexQuad(at: offset + 8)
            guard (0xDC00...0xDFFF).contains(low) else { throw loneHigh() }
            return Unicode.Scalar(0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00))!
        case 0xDC00...0xDFFF:
            throw .syntax("a lone low surrogate \\u\(Self.hex(unit)): it must follow a high one (\\uD800-\\uDBFF)", at: offset)
        default:
            return Unicode.Scalar(unit)!
        }
    }

    private func hexQuad(at offset: Int) throws(Failure) -> UInt16 {
        var value: UInt16 = 0
        for position in offset..<offset + 4 {
            guard position < bytes.count else { throw .syntax("a \\u escape was cut short", at: offset - 2) }
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw .syntax("a \\u escape needs four hexadecimal digits", at: offset - 2)
            }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    private mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case ..<0x80:
            scratch.append(UInt8(scalar))
        case ..<0x800:
            scratch.append(UInt8(0xC0 | scalar >> 6))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        case ..<0x10000:
            scratch.append(UInt8(0xE0 | scalar >> 12))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | scalar >> 18))
            scratch.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// `utf8` as a String, after checking that `raw`, the string's bytes as written, is valid UTF-8.
    /// (Escapes are ASCII and decode to whole scalars, so the text is valid UTF-8 exactly when it is as
    /// written.) `String(validating:)` would check `utf8` itself, but is generic and several times slower.
    private func text(_ utf8: UnsafeBufferPointer<UInt8>, raw: Range<Int>, ascii: Bool) throws(Failure) -> String {
        if !ascii, let invalid = Self.firstInvalidUTF8(in: UnsafeBufferPointer(rebasing: bytes[raw])) {
            let offset = raw.lowerBound + invalid
            throw .syntax("invalid UTF-8 (byte 0x\(String(bytes[offset], radix: 16, uppercase: true))) in a string", at: offset)
        }
        return String(decoding: utf8, as: UTF8.self)
    }

    /// The offset of the first byte that does not begin a well-formed UTF-8 sequence (Unicode 15,
    /// table 3-7: no overlong forms, no surrogates, nothing beyond U+10FFFF), or nil.
    static func firstInvalidUTF8(in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var index = 0
        while index < bytes.count {
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let length: Int
            var second: ClosedRange<UInt8> = 0x80...0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; second = 0xA0...0xBF
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; second = 0x80...0x9F
            case 0xF0: length = 4; second = 0x90...0xBF
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; second = 0x80...0x8F
            default: return index
            }
            guard index + length <= bytes.count, second.contains(bytes[index + 1]) else { return index }
            for continuation in index + 2..<index + length where bytes[continuation] & 0xC0 != 0x80 { return index }
            index += length
        }
        return nil
    }

    private func controlCharacter(at offset: Int) -> Failure {
        .syntax("an unescaped control character U+\(Self.hex(UInt16(bytes[offset]))) in a string (write it as \\u\(Self.hex(UInt16(bytes[offset]))))", at: offset)
    }

    // MARK: Numbers

    /// A number as RFC 8259 writes it: `-? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?`.
    private mutating func number() throws(Failure) -> JSONValue {
        let start = index
        if bytes[index] == UInt8(ascii: "-") {
            index += 1
            guard index < bytes.count, bytes[index].isDigit else { throw unexpected("after '-' in a number, expected a digit") }
        }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, bytes[index].isDigit {
                throw .syntax("a number with a leading zero", at: start)
            }
        } else {
            skipDigits()
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, bytes[index].isDigit else { throw unexpected("after '.' in a number, expected a digit") }
            skipDigits()
        }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, bytes[index].isDigit else { throw unexpected("in a number's exponent, expected a digit") }
            skipDigits()
        }
        // Decimal(string:) is the parser JSONDecoder uses for Decimal; with the syntax checked above,
        // it fails only for a number out of Decimal's range.
        let literal = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        if let decimal = Decimal(string: literal) { return .number(decimal) }
        sawNumberOutOfRange = true
        if exact, numberOutOfRangePath == nil { numberOutOfRangePath = Self.render(path) }
        return .null  // never returned to the caller: the document fails once read
    }

    private mutating func skipDigits() {
        while index < bytes.count, bytes[index].isDigit { index += 1 }
    }

    /// As `JSONNumberOutOfRange.fieldPath` writes JSONDecoder's coding path: `data.installments[0].amount`.
    /// A key that reads as an integer ("0", "-1", "+2") is written as an index, as there: Dictionary's
    /// own `init(from:)` decodes keys through a coding key whose `intValue` is `Int(key)`.
    private static func render(_ path: [PathComponent]) -> String {
        var text = ""
        for component in path {
            switch component {
            case .index(let index): text += "[\(index)]"
            case .key(let key):
                if let index = Int(key) {
                    text += "[\(index)]"
                } else {
                    text += text.isEmpty ? key : "." + key
                }
            }
        }
        return text
    }

    // MARK: Skipping, as JSONDecoder's scanner does

    /// Passes over a value checking only what JSONDecoder's scanner checks before it decodes anything:
    /// brackets, commas, colons, literals, that strings end and a `\u` has four bytes before any quote,
    /// and that a number starts with '-' or a digit (the rest of it is any of `0-9 . + - e E`).
    private mutating func skipValue() throws(Failure) {
        skipWhitespace()
        guard index < bytes.count else { throw unexpected("where a value should begin") }
        switch bytes[index] {
        case .quote: try skipString()
        case .openBrace:
            try enterContainer()
            defer { depth -= 1 }
            skipWhitespace()
            if index < bytes.count, bytes[index] == .closeBrace {
                index += 1
                return
            }
            while true {
                guard index < bytes.count, bytes[index] == .quote else { throw unexpected("in an object, expected a key in double quotes") }
                try skipString()
                skipWhitespace()
                guard index < bytes.count, bytes[index] == .colon else { throw unexpected("in an object, expected ':' after a key") }
                index += 1
                try skipValue()
                if try endOfContainer(.closeBrace, "in an object, expected ',' or '}'") { return }
            }
        case .openBracket:
            try enterContainer()
            defer { depth -= 1 }
            skipWhitespace()
            if index < bytes.count, bytes[index] == .closeBracket {
                index += 1
                return
            }
            while true {
                try skipValue()
                if try endOfContainer(.closeBracket, "in an array, expected ',' or ']'") { return }
            }
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            index += 1
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "+"), UInt8(ascii: "-"),
                     UInt8(ascii: "e"), UInt8(ascii: "E"):
                    index += 1
                default:
                    return
                }
            }
        default: throw unexpected("where a value should begin")
        }
    }

    /// After a skipped element: ',' (and a trailing comma before `close`) or `close`; true at the end.
    private mutating func endOfContainer(_ close: UInt8, _ context: String) throws(Failure) -> Bool {
        skipWhitespace()
        guard index < bytes.count else { throw unexpected(context) }
        switch bytes[index] {
        case close:
            index += 1
            return true
        case .comma:
            index += 1
            skipWhitespace()
            if index < bytes.count, bytes[index] == close {
                index += 1
                return true
            }
            return false
        default:
            throw unexpected(context)
        }
    }

    private mutating func skipString() throws(Failure) {
        let start = index
        index += 1
        while index < bytes.count {
            switch bytes[index] {
            case .quote:
                index += 1
                return
            case .backslash:
                index += 1
                guard index < bytes.count else { break }
                if bytes[index] == UInt8(ascii: "u") {
                    guard index + 4 < bytes.count else { throw .syntax("a \\u escape was cut short", at: index - 1) }
                    for offset in index + 1...index + 4 where bytes[offset] == .quote {
                        throw .syntax("a \\u escape needs four hexadecimal digits", at: index - 1)
                    }
                    index += 4
                }
                index += 1
            default:
                index += 1
            }
        }
        throw .syntax("a string was not closed (it starts here)", at: start)
    }

    // MARK: Whitespace and errors

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): index += 1
            default: return
            }
        }
    }

    /// "unexpected character 'x' <context>" at the current byte, or "unexpected end of input <context>".
    private func unexpected(_ context: String) -> Failure {
        guard index < bytes.count else { return .syntax("unexpected end of input \(context)", at: bytes.count) }
        let byte = bytes[index]
        return .syntax("unexpected \(Self.describe(byte)) \(context)", at: index)
    }

    /// "character 'x'" for printable ASCII, else "byte 0xC3" (or a space, tab or newline by name).
    private static func describe(_ byte: UInt8) -> String {
        switch byte {
        case 0x21...0x7E: "character '\(Character(Unicode.Scalar(byte)))'"
        case UInt8(ascii: " "): "space"
        default: "byte 0x\(String(byte, radix: 16, uppercase: true))"
        }
    }

    private static func hex(_ unit: UInt16) -> String {
        let digits = String(unit, radix: 16, uppercase: true)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }
}

private extension UInt8 {
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")
    static let openBrace = UInt8(ascii: "{")
    static let closeBrace = UInt8(ascii: "}")
    static let openBracket = UInt8(ascii: "[")
    static let closeBracket = UInt8(ascii: "]")
    static let comma = UInt8(ascii: ",")
    static let colon = UInt8(ascii: ":")

    var isDigit: Bool { self &- UInt8(ascii: "0") < 10 }
}
