import Foundation
import Testing
@testable import VarselCore

/// `JSONReader` replaced `JSONDecoder().decode(JSONValue.self, from:)` on the intake path; these tests
/// hold it to accepting exactly the same documents and giving exactly the same values.
///
/// The reference is JSONDecoder as the toolchain ships it, run here beside the reader, so a change in
/// swift-foundation shows up as a failing differential test rather than as a silent difference.
@Suite("JSON reader")
struct JSONReaderTests {
    /// What a reading came to. JSONDecoder reports some malformed strings and numbers as
    /// `JSONNumberOutOfRange` (JSONValue's decoder falls through to it), so only the reader's
    /// out-of-range verdicts are held to the reference's; its other refusals are just refusals. Of
    /// several numbers out of range JSONDecoder names one in its dictionaries' hash order, which varies
    /// by process, so paths are compared where a document has only one (`singleOutOfRangePaths`).
    enum Outcome: Equatable, CustomStringConvertible {
        case value(JSONValue)
        case outOfRange(path: String)
        case rejected(String)

        var accepted: Bool { if case .value = self { true } else { false } }

        var description: String {
            switch self {
            case .value(let value): "value \(JSONReaderTests.render(value))"
            case .outOfRange(let path): "number out of range at '\(path)'"
            case .rejected(let why): "rejected: \(why)"
            }
        }
    }

    static func reference(_ bytes: [UInt8]) -> Outcome {
        do {
            return .value(try JSONDecoder().decode(JSONValue.self, from: Data(bytes)))
        } catch let error as JSONNumberOutOfRange {
            return .outOfRange(path: error.path)
        } catch {
            return .rejected("\(error)")
        }
    }

    static func read(_ bytes: [UInt8]) -> Outcome {
        do {
            return .value(try JSONReader.value(from: bytes))
        } catch let error as JSONNumberOutOfRange {
            return .outOfRange(path: error.path)
        } catch {
            return .rejected("\(error)")
        }
    }

    /// A value written out with sorted keys and each number's `description`, so that two values
    /// that are `==` but hold their decimals differently (1250.00 against 1250) still differ.
    static func render(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let bool): "\(bool)"
        case .number(let number): "#\(number)"
        case .string(let string): "\"\(string.unicodeScalars.map { $0.escaped(asASCII: true) }.joined())\""
        case .array(let elements): "[" + elements.map(render).joined(separator: ",") + "]"
        case .object(let members):
            "{" + members.sorted { $0.key < $1.key }.map { "\(render(.string($0.key))):\(render($0.value))" }.joined(separator: ",") + "}"
        }
    }

    /// Whether the reader and the reference agree on `bytes`; the disagreement, if not.
    static func disagreement(_ bytes: [UInt8]) -> String? {
        let expected = reference(bytes)
        let actual = read(bytes)
        let shown = String(decoding: bytes.prefix(300), as: UTF8.self).debugDescription
        switch (expected, actual) {
        case (.value(let want), .value(let got)):
            return want == got && render(want) == render(got) ? nil : "\(shown): JSONDecoder \(expected), reader \(actual)"
        case (.outOfRange, .outOfRange):
            return nil
        case (_, .outOfRange):
            return "\(shown): JSONDecoder \(expected), reader \(actual)"
        case (.rejected, .rejected), (.outOfRange, .rejected):
            return nil
        default:
            return "\(shown): JSONDecoder \(expected), reader \(actual)"
        }
    }

    // MARK: Differential

    /// Documents at the edges of the grammar, valid and not.
    static let handWritten: [String] = [
        // Top-level values of every kind.
        "{}", "[]", "null", "true", "false", "0", "-0", "1", "\"\"", "\"text\"", " [ ] ", "\t{\r\n}\n",
        "", " ", "\n", "nul", "tru", "fals", "True", "NULL", "nulll", "truefalse", "[] []", "{} x", "1 2", "\"a\" \"b\"",
        // Whitespace: only space, tab, LF, CR.
        "[\u{0B}1]", "[\u{0C}1]", "[\u{A0}1]", "[1\u{2028}]", "\u{FEFF}[1]", "[1]\u{0}", "\u{0}[1]",
        // Commas, colons, brackets.
        "[1,]", "[1,2,]", "[1, ]", "[,]", "[,1]", "[1,,2]", "[1,,]", "{\"a\":1,}", "{\"a\":1 , }", "{,}", "{\"a\":1,,}",
        "{\"a\"}", "{\"a\":}", "{\"a\" 1}", "{\"a\"::1}", "{:1}", "{1:1}", "{a:1}", "{'a':1}", "['a']", "[1 2]", "[1:2]",
        "[", "]", "{", "}", "[[]", "[]]", "{\"a\":[}", "{\"a\":1]", "[1}", "{\"a\":{}", "[\"a\",", "{\"a\":1,",
        // Comments, special numbers.
        "[1]//c", "/*c*/[1]", "[1/*c*/]", "[NaN]", "[Infinity]", "[-Infinity]", "[nan]", "[inf]",
        // Numbers.
        "[01]", "[-01]", "[00]", "[0.]", "[1.]", "[.5]", "[-.5]", "[+1]", "[-]", "[--1]", "[1e]", "[1e+]", "[1e-]",
        "[1E5]", "[1e+5]", "[1e-5]", "[1e05]", "[0e0]", "[0.0e-0]", "[-0.0]", "[1.5e3]", "[1.e3]", "[0.e1]", "[1e5.3]",
        "[1.2.3]", "[1-2]", "[1+2]", "[1e+-2]", "[1ee2]", "[0x10]", "[1_000]", "[1,000]", "[1 000]", "[١]",
        "[1250.00]", "[1250.10]", "[100]", "[1e3]", "[1E-2]", "[12345678901234567890123]", "[-12345678901234567890123]",
        "[123456789012345678901234567890123456789]", "[1234567890123456789012345678901234567890123456789]",
        "[0.1234567890123456789012345678901234567890123456789]", "[3.14159265358979323846264338327950288419716939937510]",
        "[1e127]", "[1e128]", "[1e-128]", "[1e-129]", "[1e400]", "[1e-300]", "[-1e400]", "[1E+400]", "[0e400]", "[0e-300]",
        "[0.0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001]",
        "[0.00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001]",
        "[99999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999]",
        "[1e254]", "[1e255]", "[1e00000000000000000000005]", "[18446744073709551615]", "[18446744073709551616]",
        "1e400", "-1e-300", "{\"a\":1e400}", "{\"a\":[1,{\"b\":1e400}]}", "{\"a\":1e400,\"b\":1e-400}",
        "{\"a\":1e400,\"b\":01}", "{\"a\":01,\"b\":1e400}", "{\"a\":1e400,\"a\":1}", "{\"a\":1,\"a\":1e400}", "[1e400,]",
        "{\"\":{\"x\":1e400}}", "{\"0\":[[1e400]]}", "[1e400", "[1e400]x",
        // Strings.
        "[\"a\\\"b\"]", "[\"\\\\\"]", "[\"\\/\"]", "[\"\\b\\f\\n\\r\\t\"]", "[\"\\u0041\"]", "[\"\\u00e9\\u00E9\"]",
        "[\"\\u0000\"]", "[\"\\u001f\"]", "[\"\\ud83d\\ude00\"]", "[\"\\uD83D\\uDE00\"]", "[\"\\ud83d\"]", "[\"\\ude00\"]",
        "[\"\\ud83dx\"]", "[\"\\ud83d\\u0041\"]", "[\"\\ud83d\\ud83d\"]", "[\"\\ude00\\ud83d\"]", "[\"\\ud83d\\\"]",
        "[\"\\u12\"]", "[\"\\u12G4\"]", "[\"\\u\"]", "[\"\\u 123\"]", "[\"\\U0041\"]", "[\"\\x41\"]", "[\"\\a\"]", "[\"\\'\"]",
        "[\"\\0\"]", "[\"\\\"]", "[\"\\", "[\"abc", "[\"abc]", "\"", "\"\\u00", "[\"\\ud83d\\u", "[\"\\ud83d\\ude0\"]",
        "[\"tab\there\"]", "[\"nl\nhere\"]", "[\"\u{1}\"]", "[\"\u{1F}\"]", "[\"\u{7F}\"]", "[\"a\\n\u{1}\"]",
        "['a']", "[\"a\"\"b\"]", "[\"Søren Ærø\"]", "[\"€😀\"]", "[\"e\u{301}\"]", "[\"\\u00e9\"]",
        "{\"é\":1,\"e\u{301}\":2}", "{\"e\u{301}\":1,\"é\":2}", "{\"\\u00e9\":1,\"é\":2}",
        // Duplicate keys.
        "{\"a\":1,\"a\":2}", "{\"a\":1,\"b\":2,\"a\":3}", "{\"a\":{\"x\":1},\"a\":[2]}", "{\"a\":1,\"a\":\"\\u\"}",
        "{\"a\":null,\"a\":1}", "{\"\":1,\"\":2}",
        // A duplicate's value is only scanned for its shape.
        "{\"a\":1,\"a\":-}", "{\"a\":1,\"a\":-e.+}", "{\"a\":1,\"a\":01}", "{\"a\":1,\"a\":\"\\x\"}", "{\"a\":1,\"a\":\"\\ud800\"}",
        "{\"a\":1,\"a\":\"\u{1}\"}", "{\"a\":1,\"a\":[1e400,{\"\\q\":.5}]}", "{\"a\":1,\"a\":\"\\u12\"}", "{\"a\":1,\"a\":\"\\uZZZZ\"}",
        "{\"a\":1,\"a\":tru}", "{\"a\":1,\"a\":.5}", "{\"a\":1,\"a\":[1,,2]}", "{\"a\":1,\"a\":[1,]}", "{\"a\":1,\"a\":{\"b\" 1}}",
        "{\"a\":1,\"a\":\"\\", "{\"a\":1,\"a\":\"\\u12", "{\"a\":1,\"a\":1e400,\"b\":1e400}", "{\"é\":1,\"e\u{301}\":1e400}",
        "{\"a\":1,\"a\":[[[[]]]]}", "{\"a\":{\"b\":1,\"b\":\"\\x\"},\"a\":2}", "{\"a\":{\"b\":\"\\x\"},\"a\":2}",
        // Literals.
        "[tru]", "[truE]", "[nul]", "[n]", "[t]", "[f]", "[falsey]", "[null1]", "[true,false,null]",
    ]

    /// Invalid UTF-8 and byte order marks, written as bytes.
    static let handWrittenBytes: [[UInt8]] = [
        [0x5B, 0x22, 0xFF, 0x22, 0x5D],  // ["\xFF"]
        [0x5B, 0x22, 0xC3, 0x22, 0x5D],  // truncated two-byte sequence
        [0x5B, 0x22, 0xC3, 0x5C, 0x6E, 0x22, 0x5D],  // truncated before an escape
        [0x5B, 0x22, 0x5C, 0x6E, 0xA9, 0x22, 0x5D],  // continuation byte after an escape
        [0x5B, 0x22, 0xC0, 0xAF, 0x22, 0x5D],  // overlong '/'
        [0x5B, 0x22, 0xE0, 0x80, 0xAF, 0x22, 0x5D],  // overlong, three bytes
        [0x5B, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x5D],  // an encoded surrogate
        [0x5B, 0x22, 0xF4, 0x90, 0x80, 0x80, 0x22, 0x5D],  // beyond U+10FFFF
        [0x5B, 0x22, 0xF0, 0x9F, 0x98, 0x80, 0x22, 0x5D],  // 😀, valid
        [0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D],  // invalid UTF-8 in a key
        [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xFE, 0x22, 0x7D],  // … in a value
        [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x31, 0x2C, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xFE, 0x22, 0x7D],  // … in a duplicate's value
        [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x31, 0x2C, 0x22, 0xFE, 0x22, 0x3A, 0x31, 0x7D],  // … in a second key
        [0x5B, 0xFF, 0x5D], [0xFF], [0xC3, 0xA9],
        [0xEF, 0xBB, 0xBF, 0x5B, 0x31, 0x5D],  // UTF-8 BOM
        [0xEF, 0xBB, 0xBF], [0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF, 0x5B, 0x5D], [0xEF, 0xBB, 0x5B, 0x5D],
        [0xFF, 0xFE, 0x5B, 0x00, 0x31, 0x00, 0x5D, 0x00],  // UTF-16LE with BOM
        [0xFE, 0xFF, 0x00, 0x5B, 0x00, 0x31, 0x00, 0x5D],  // UTF-16BE with BOM
        [0x5B, 0x00, 0x31, 0x00, 0x5D, 0x00],  // UTF-16LE without
        [0x00, 0x5B, 0x00, 0x31, 0x00, 0x5D],  // UTF-16BE without
        [0x31, 0x00], [0x00, 0x31], [0x00], [0x00, 0x00], [0x31],
        [0x5B, 0x00, 0x00, 0x00, 0x5D, 0x00, 0x00, 0x00],  // UTF-32LE
        [0x00, 0x00, 0x00, 0x5B, 0x00, 0x00, 0x00, 0x5D],  // UTF-32BE
        [0xFF, 0xFE, 0x00, 0xD8, 0x5D, 0x00],  // UTF-16LE with a lone surrogate
        [0xFE, 0xFF, 0x00, 0x00, 0x5B, 0x5D],
    ]

    @Test("hand-written edge cases: the reader accepts and refuses as JSONDecoder does, with the same values")
    func handWrittenAgree() {
        for document in Self.handWritten.map({ Array($0.utf8) }) + Self.handWrittenBytes {
            if let disagreement = Self.disagreement(document) { Issue.record("\(disagreement)") }
        }
    }

    @Test("several thousand generated documents and mutations of them: the reader agrees with JSONDecoder")
    func generatedAgree() {
        var generator = DocumentGenerator(seed: 20_260_801)
        var valid = 0
        var disagreements: [String] = []
        for round in 0..<3_000 {
            let document = generator.document()
            if Self.reference(document).accepted { valid += 1 }
            if let disagreement = Self.disagreement(document) { disagreements.append("round \(round), generated: \(disagreement)") }
            let mutated = generator.mutate(document)
            if let disagreement = Self.disagreement(mutated) { disagreements.append("round \(round), mutated: \(disagreement)") }
        }
        for disagreement in disagreements.prefix(20) { Issue.record("\(disagreement)") }
        #expect(disagreements.isEmpty, "\(disagreements.count) disagreements")
        // The generator writes mostly valid JSON; a change that made it write mostly errors would hollow the test out.
        #expect(valid > 2_000)
    }

    @Test("generated documents holding one number out of range: the reader names the path JSONDecoder names")
    func singleOutOfRangePaths() {
        var generator = DocumentGenerator(seed: 8_259)
        var checked = 0
        for round in 0..<1_500 {
            let document = generator.document(oneNumberOutOfRange: true)
            if let disagreement = Self.disagreement(document) { Issue.record("round \(round): \(disagreement)") }
            guard case .outOfRange(let path) = Self.reference(document) else { continue }
            checked += 1
            #expect(Self.read(document) == .outOfRange(path: path), "round \(round): \(String(decoding: document, as: UTF8.self).debugDescription)")
        }
        #expect(checked > 200)
    }

    // MARK: Edge cases, one by one

    static func number(_ text: String) -> JSONValue { .number(Decimal(string: text)!) }

    @Test(
        "numbers give the Decimal JSONDecoder gives, digits and all",
        arguments: [
            ("1250.00", "1250"), ("1250.10", "1250.1"), ("-0", "0"), ("0.0", "0"), ("1e3", "1000"), ("1E-2", "0.01"),
            ("12345678901234567890123", "12345678901234567890123"), ("-1.5e+2", "-150"), ("1e05", "100000"),
        ])
    func numbers(literal: String, shown: String) throws {
        let value = try JSONReader.value(from: Array("{\"amount\":\(literal)}".utf8))
        guard case .object(let object) = value, case .number(let number)? = object["amount"] else {
            Issue.record("not a number: \(value)")
            return
        }
        #expect(number == Decimal(string: literal))
        #expect("\(number)" == shown)
        #expect(value == Self.reference(Array("{\"amount\":\(literal)}".utf8)).valueOrNil)
    }

    @Test(
        "a number no Decimal can hold is out of range at its own path",
        arguments: [
            ("1e400", ""), ("1e-300", ""), ("{\"data\":{\"amount\":1e400}}", "data.amount"),
            ("{\"data\":{\"installments\":[{\"amount\":\"5\"},{\"amount\":-1E+400}]}}", "data.installments[1].amount"),
            ("[[1],[2,1e-300]]", "[1][1]"), ("{\"a\":[1e400],\"a\":1}", "a[0]"), ("{\"0\":{\"-1\":[1e400]}}", "[0][-1][0]"),
            ("{\"\":{\"\":1e400}}", ""),
        ])
    func outOfRange(document: String, path: String) {
        #expect(Self.read(Array(document.utf8)) == .outOfRange(path: path))
        #expect(Self.reference(Array(document.utf8)) == .outOfRange(path: path))
    }

    @Test("a syntax error anywhere wins over a number out of range before it")
    func syntaxErrorWinsOverOutOfRange() {
        guard case .rejected(let why) = Self.read(Array(#"{"a":1e400,"b":tru}"#.utf8)) else {
            Issue.record("not refused as a syntax error")
            return
        }
        #expect(why.contains("'}' in 'true'"), "\(why)")
    }

    @Test("of duplicate keys the first is kept, as JSONDecoder keeps it; canonically equal keys are duplicates; the others' values are only scanned")
    func duplicateKeys() throws {
        #expect(try JSONReader.value(from: Array(#"{"a":1,"a":1e400,"a":"\x","a":-}"#.utf8)) == .object(["a": Self.number("1")]))
        #expect(throws: JSONSyntaxError.self) { try JSONReader.value(from: Array(#"{"a":1,"a":[1,,2]}"#.utf8)) }
        #expect(try JSONReader.value(from: Array(#"{"a":1,"b":2,"a":3}"#.utf8)) == .object(["a": Self.number("1"), "b": Self.number("2")]))
        #expect(try JSONReader.value(from: Array("{\"\\u00e9\":1,\"e\u{301}\":2}".utf8)) == .object(["é": Self.number("1")]))
    }

    @Test("escapes, surrogate pairs and UTF-8 give the same text")
    func strings() throws {
        let value = try JSONReader.value(from: Array(#"["\"\\\/\b\f\n\r\t", "\u00e9\u20AC", "\ud83d\ude00", "Søren 😀", "\u0000"]"#.utf8))
        #expect(value == .array([.string("\"\\/\u{8}\u{C}\n\r\t"), .string("é€"), .string("😀"), .string("Søren 😀"), .string("\u{0}")]))
    }

    @Test(
        "refusals name the problem and where it is",
        arguments: [
            ("{\"kind\": x}", "unexpected character 'x' where a value should begin at line 1, column 10 (byte 9)"),
            ("{\n  \"a\": 1,\n  \"b\": 01\n}", "a number with a leading zero at line 3, column 8 (byte 19)"),
            ("{\"ø\":1 \"b\"}", "unexpected character '\"' in an object, expected ',' or '}' at line 1, column 8 (byte 8)"),
            ("[\"\\ud800\"]", "a lone high surrogate \\uD800: it must be followed by a low one (\\uDC00-\\uDFFF) at line 1, column 3 (byte 2)"),
            ("[\"\\udc00\"]", "a lone low surrogate \\uDC00: it must follow a high one (\\uD800-\\uDBFF) at line 1, column 3 (byte 2)"),
            ("[\"a\nb\"]", "an unescaped control character U+000A in a string (write it as \\u000A) at line 1, column 4 (byte 3)"),
            ("[\"\\x\"]", "a backslash before character 'x' is not one of JSON's escapes (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX) at line 1, column 3 (byte 2)"),
            ("[1,2", "unexpected end of input in an array, expected ',' or ']' at line 1, column 5 (byte 4)"),
            ("{\"a\":1} {", "unexpected character '{' after the JSON value at line 1, column 9 (byte 8)"),
            ("[1.]", "unexpected character ']' after '.' in a number, expected a digit at line 1, column 4 (byte 3)"),
            ("[\"abc", "a string was not closed (it starts here) at line 1, column 2 (byte 1)"),
            ("", "unexpected end of input where a value should begin at line 1, column 1 (byte 0)"),
        ])
    func errorMessages(document: String, message: String) {
        #expect(Self.read(Array(document.utf8)) == .rejected(message))
        #expect(!Self.reference(Array(document.utf8)).accepted)
    }

    @Test("invalid UTF-8 is refused at the offending byte")
    func invalidUTF8() {
        #expect(Self.read([0x5B, 0x22, 0x61, 0xC0, 0xAF, 0x22, 0x5D]) == .rejected("invalid UTF-8 (byte 0xC0) in a string at line 1, column 4 (byte 3)"))
    }

    @Test("MessageValidator.parse says 'not valid JSON' and where; a number out of range keeps its own message")
    func validatorMessages() {
        guard case .failure(let failure) = MessageValidator.parse(json: Array(#"{"kind":"reminder",}x"#.utf8)) else {
            Issue.record("accepted")
            return
        }
        #expect(failure.errors.map(\.problem) == ["not valid JSON: unexpected character 'x' after the JSON value at line 1, column 21 (byte 20)"])
        guard case .failure(let range) = MessageValidator.parse(json: Array(#"{"data":{"amount":1e400}}"#.utf8)) else {
            Issue.record("accepted 1e400")
            return
        }
        #expect(range.errors.map(\.field) == ["data.amount"])
        #expect(range.errors.first?.problem.hasPrefix("a number out of range") == true)
    }

    @Test("any collection of bytes reads the same: array, slice, Data, a non-contiguous sequence")
    func collections() throws {
        let text = #"{"a":[1,"x",{"b":null}]}"#
        let expected = try JSONReader.value(from: Array(text.utf8))
        #expect(try JSONReader.value(from: Array(("xx" + text).utf8).dropFirst(2)) == expected)
        #expect(try JSONReader.value(from: Data(text.utf8)) == expected)
        #expect(try JSONReader.value(from: text.utf8) == expected)
        #expect(try JSONReader.value(from: Array(text.utf8).lazy.map { $0 }) == expected)
    }

    // MARK: Depth

    @Test("512 arrays and objects inside each other are read, 513 are refused, as by JSONDecoder")
    func depthLimit() {
        #expect(JSONReader.maxDepth == 512)
        for shape in ["arrays", "objects", "both in turn"] {
            for depth in [JSONReader.maxDepth, JSONReader.maxDepth + 1] {
                var open = ""
                var close = ""
                for level in 0..<depth {
                    let isArray = shape == "arrays" || (shape == "both in turn" && level.isMultiple(of: 2))
                    open += isArray ? "[" : "{\"k\":"
                    close = (isArray ? "]" : "}") + close
                }
                let document = Array((open + "1" + close).utf8)
                let accepted = Self.read(document).accepted
                #expect(accepted == (depth <= JSONReader.maxDepth), "\(shape), \(depth) deep")
                #expect(accepted == Self.reference(document).accepted, "\(shape), \(depth) deep")
            }
        }
        let deep = Array((String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)).utf8)
        guard case .rejected(let why) = Self.read(deep) else {
            Issue.record("100,000 levels accepted")
            return
        }
        #expect(why.hasPrefix("more than 512 arrays and objects inside each other at line 1, column 513 (byte 512)"), "\(why)")
    }
}

extension JSONReaderTests.Outcome {
    var valueOrNil: JSONValue? { if case .value(let value) = self { value } else { nil } }
}

/// Writes random JSON documents, mostly valid, with the shapes that matter to a reader: every kind of
/// number literal, escapes, surrogate pairs, multi-byte UTF-8, duplicate and canonically equal keys,
/// all four whitespace characters; and mutates documents byte by byte.
struct DocumentGenerator {
    var random: SeededRandom
    /// While true, numbers stay well inside Decimal's range but for one (the first drawn as such), 1e400 or the like.
    private var oneOutOfRange = false
    private var outOfRangeWritten = false

    init(seed: UInt64) { random = SeededRandom(seed: seed) }

    mutating func document(oneNumberOutOfRange: Bool = false) -> [UInt8] {
        oneOutOfRange = oneNumberOutOfRange
        outOfRangeWritten = false
        var out: [UInt8] = []
        whitespace(&out)
        value(&out, depth: 0)
        whitespace(&out)
        return out
    }

    /// One to three byte edits: deletions, insertions and replacements, the inserted bytes drawn mostly
    /// from those that mean something to a JSON reader.
    mutating func mutate(_ document: [UInt8]) -> [UInt8] {
        var bytes = document
        let interesting = Array("{}[]:,\"\\/ \t\n\r0123456789+-.eEtrufalsnbx'".utf8) + [0x00, 0x01, 0x1F, 0x7F, 0x80, 0xBF, 0xC3, 0xE2, 0xED, 0xF0, 0xFF]
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &random)
            let byte = Bool.random(using: &random) ? interesting.randomElement(using: &random)! : UInt8.random(in: 0...255, using: &random)
            switch Int.random(in: 0..<3, using: &random) {
            case 0 where !bytes.isEmpty: bytes.remove(at: position)
            case 1: bytes.insert(byte, at: position)
            default: if bytes.isEmpty { bytes.append(byte) } else { bytes[position] = byte }
            }
        }
        return bytes
    }

    private mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &random) < percent }

    private mutating func whitespace(_ out: inout [UInt8]) {
        guard chance(30) else { return }
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            out.append([0x20, 0x09, 0x0A, 0x0D].randomElement(using: &random)!)
        }
    }

    private mutating func value(_ out: inout [UInt8], depth: Int) {
        let pick = depth > 4 ? Int.random(in: 0..<5, using: &random) : Int.random(in: 0..<8, using: &random)
        switch pick {
        case 0: out += Array(["null", "true", "false"].randomElement(using: &random)!.utf8)
        case 1, 2: number(&out)
        case 3, 4: string(&out, key: false)
        case 5:
            out.append(UInt8(ascii: "["))
            let count = Int.random(in: 0...4, using: &random)
            for index in 0..<count {
                whitespace(&out)
                value(&out, depth: depth + 1)
                whitespace(&out)
                if index < count - 1 { out.append(UInt8(ascii: ",")) }
            }
            if count > 0, chance(5) { out.append(UInt8(ascii: ",")) }
            whitespace(&out)
            out.append(UInt8(ascii: "]"))
        default:
            out.append(UInt8(ascii: "{"))
            let count = Int.random(in: 0...4, using: &random)
            for index in 0..<count {
                whitespace(&out)
                string(&out, key: true)
                whitespace(&out)
                out.append(UInt8(ascii: ":"))
                whitespace(&out)
                value(&out, depth: depth + 1)
                whitespace(&out)
                if index < count - 1 { out.append(UInt8(ascii: ",")) }
            }
            if count > 0, chance(5) { out.append(UInt8(ascii: ",")) }
            whitespace(&out)
            out.append(UInt8(ascii: "}"))
        }
    }

    private mutating func digits(_ out: inout [UInt8], count: Int) {
        for _ in 0..<count { out.append(UInt8(ascii: "0") + UInt8.random(in: 0...9, using: &random)) }
    }

    private mutating func number(_ out: inout [UInt8]) {
        if oneOutOfRange {
            if !outOfRangeWritten, chance(25) {
                outOfRangeWritten = true
                out += Array(["1e400", "-1E+400", "1e-300", "0e-300", "9.99e999"].randomElement(using: &random)!.utf8)
            } else {
                // At most 20 digits either side of the point and an exponent below 100: inside Decimal's range.
                if chance(30) { out.append(UInt8(ascii: "-")) }
                out.append(UInt8(ascii: "1") + UInt8.random(in: 0...8, using: &random))
                digits(&out, count: Int.random(in: 0...19, using: &random))
                if chance(40) {
                    out.append(UInt8(ascii: "."))
                    digits(&out, count: Int.random(in: 1...20, using: &random))
                }
                if chance(25) {
                    out += Array((chance(50) ? "e-" : "E").utf8)
                    digits(&out, count: Int.random(in: 1...2, using: &random))
                }
            }
            return
        }
        if chance(30) { out.append(UInt8(ascii: "-")) }
        if chance(20) {
            out.append(UInt8(ascii: "0"))
        } else {
            out.append(UInt8(ascii: "1") + UInt8.random(in: 0...8, using: &random))
            digits(&out, count: chance(10) ? Int.random(in: 20...60, using: &random) : Int.random(in: 0...6, using: &random))
        }
        if chance(40) {
            out.append(UInt8(ascii: "."))
            digits(&out, count: chance(10) ? Int.random(in: 20...140, using: &random) : Int.random(in: 1...4, using: &random))
        }
        if chance(25) {
            out.append(chance(50) ? UInt8(ascii: "e") : UInt8(ascii: "E"))
            if chance(60) { out.append(chance(50) ? UInt8(ascii: "+") : UInt8(ascii: "-")) }
            digits(&out, count: Int.random(in: 1...3, using: &random))
        }
    }

    private static func hex(_ unit: UInt16, uppercase: Bool) -> String {
        let digits = String(unit, radix: 16, uppercase: uppercase)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }

    private mutating func string(_ out: inout [UInt8], key: Bool) {
        out.append(UInt8(ascii: "\""))
        if key, chance(60) {
            // A small pool, so that duplicates (and canonically equal ones) are common.
            out += Array(["a", "b", "amount", "é", "e\u{301}", "\\u00e9", "", "data"].randomElement(using: &random)!.utf8)
        } else {
            for _ in 0..<Int.random(in: 0...8, using: &random) {
                switch Int.random(in: 0..<10, using: &random) {
                case 0: out += Array(["\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t"].randomElement(using: &random)!.utf8)
                case 1:
                    let unit = [UInt16.random(in: 0...0x7F, using: &random), UInt16.random(in: 0x80...0xD7FF, using: &random), UInt16.random(in: 0xE000...0xFFFF, using: &random)]
                        .randomElement(using: &random)!
                    out += Array(("\\u" + Self.hex(unit, uppercase: chance(50))).utf8)
                case 2:
                    let high = UInt16.random(in: 0xD800...0xDBFF, using: &random)
                    let low = UInt16.random(in: 0xDC00...0xDFFF, using: &random)
                    out += Array(("\\u" + Self.hex(high, uppercase: false) + "\\u" + Self.hex(low, uppercase: true)).utf8)
                case 3: out += Array(["ø", "Æ", "€", "😀", "e\u{301}", "中", "\u{7F}"].randomElement(using: &random)!.utf8)
                default: out += Array(["a", "Kari", " ", "1250.00", "-", "'", "/", "NOK"].randomElement(using: &random)!.utf8)
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
