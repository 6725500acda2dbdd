import Foundation
import Testing
@testable import VarselCore

/// `MessageRequest.storedJSON` writes what `VarselJSON.encoder()` would, byte for byte: the stored
/// hashes of requests enqueued before it came in must still match a replay of the same request.
@Suite("Stored request JSON")
struct StoredJSONTests {
    /// Strings that look like JSON structure or like the key itself, to be skipped as string content.
    static let awkward = [
        "", "plain", #"a "quoted" word"#, #"back\slash\"#, #""idempotency_key":"x""#, "{[,:]}", "line\nbreak\ttab",
        "æøå ÆØÅ ü ß", "emoji 🧾", "\u{7}bell", "/slashes/", "idempotency_key", #"\""#, "},{",
        "\u{0}\u{1}\u{8}\u{9}\u{A}\u{B}\u{C}\u{D}\u{1F}\u{7F}", "\u{2028}\u{FEFF}", "e\u{301}", "Z", "a10", "a9", "_", "\u{FF5E}", "\u{E9}t",
    ]

    static func value(_ random: inout SeededRandom, depth: Int) -> JSONValue {
        switch Int.random(in: 0..<(depth > 2 ? 4 : 6), using: &random) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &random))
        case 2:
            let numbers = ["0", "-0", "1250.00", "1e30", "-0.000001", "123456789.987654321", "1E-20", "42", "99999999999999999999999999"]
            return Bool.random(using: &random)
                ? .number(Decimal(Int.random(in: -100_000...100_000, using: &random)) / 100)
                : .number(Decimal(string: numbers.randomElement(using: &random)!)!)
        case 3: return .string(awkward.randomElement(using: &random)!)
        case 4: return .array((0..<Int.random(in: 0...3, using: &random)).map { _ in value(&random, depth: depth + 1) })
        default: return .object(object(&random, depth: depth + 1))
        }
    }

    static func object(_ random: inout SeededRandom, depth: Int) -> [String: JSONValue] {
        let keys = ["amount", "idempotency_key", "kind", "zeta", "a", "idempotency_keys", "idempotency_ke", "case_ref"] + awkward
        var object: [String: JSONValue] = [:]
        for _ in 0..<Int.random(in: 0...4, using: &random) {
            object[keys.randomElement(using: &random)!] = value(&random, depth: depth)
        }
        return object
    }

    static func full(_ random: inout SeededRandom, round: Int) -> MessageRequest {
        let awkward = Self.awkward
        func maybe<T>(_ value: @autoclosure () -> T) -> T? { Bool.random(using: &random) ? value() : nil }
        func text() -> String { awkward.randomElement(using: &random)! }
        var recipient = Recipient(
            id: maybe("r-\(round)"), name: maybe(text()), locale: maybe("nb-NO"), country: maybe("NO"), timezone: maybe("Europe/Oslo"),
            tone: maybe(Tone.allCases.randomElement(using: &random)!), channels: maybe(Array(Channel.allCases.shuffled(using: &random).prefix(2))),
            optOut: Bool.random(using: &random) ? [.letter] : [], phone: maybe("+4791234567"), email: maybe(text() + "@example.no"),
            address: maybe(PostalAddress(lines: [text(), text()].filter { _ in Bool.random(using: &random) }, postalCode: maybe("0155"), city: maybe(text()), country: maybe("NO"))))
        if Bool.random(using: &random) {
            recipient.consents = (0..<Int.random(in: 0...2, using: &random)).map { index in
                Consent(
                    type: Consent.Kind.allCases.randomElement(using: &random)!, channel: .email, address: maybe(text()),
                    givenAt: Date(timeIntervalSince1970: 1_700_000_000 + Double(index) * 0.125),
                    expiresAt: maybe(Date(timeIntervalSince1970: 1_900_000_000.5)))
            }
        }
        var request = MessageRequest(
            idempotencyKey: maybe(text() + "\(round)"), kind: "reminder", caseRef: maybe(text()), recipient: recipient,
            data: Self.object(&random, depth: 0), sendAfter: maybe(Date(timeIntervalSince1970: 1_800_000_000 + Double(round))),
            expiresAt: maybe(Date(timeIntervalSince1970: 1_800_100_000.25)))
        if Bool.random(using: &random) {
            request.planStep = PlanStepRef(plan: text(), step: "first", deadlineDays: Int.random(in: -5...40, using: &random), timing: maybe(.learned))
        }
        return request
    }

    @Test("4,000 seeded requests with every field and awkward text, numbers and keys: the same bytes as JSONEncoder")
    func sameBytesAsTheEncoder() throws {
        var random = SeededRandom(seed: 1616)
        let encoder = VarselJSON.encoder()
        for round in 0..<4_000 {
            let request = Self.full(&random, round: round)
            let expected = try encoder.encode(request)
            let written = Data(request.storedJSON)
            #expect(written == expected, "\(String(decoding: expected, as: UTF8.self))\n\(String(decoding: written, as: UTF8.self))")
            if written != expected { return }
        }
    }

    @Test("the request digest written with the stored JSON: 4,000 seeded requests, with and without keys that look like JSON, digest as the request written again without its key")
    func keylessDigestFromOneWriting() throws {
        var random = SeededRandom(seed: 1617)
        for round in 0..<4_000 {
            let request = Self.full(&random, round: round)
            var keyless = request
            keyless.idempotencyKey = nil
            let written = request.storedJSONAndKeylessDigest
            #expect(written.json == request.storedJSON)
            #expect(written.keylessDigest == Digest.sha256(Data(keyless.storedJSON)), "\(String(decoding: written.json, as: UTF8.self))")
            if written.keylessDigest != Digest.sha256(Data(keyless.storedJSON)) { return }
        }
    }

    @Test("reading stored requests back: 4,000 seeded requests read by MessageRequest(storedJSON:) equal JSONDecoder's reading and write the same bytes again")
    func readsBack() throws {
        var random = SeededRandom(seed: 4242)
        let decoder = VarselJSON.decoder()
        for round in 0..<4_000 {
            let request = Self.full(&random, round: round)
            let stored = request.storedJSON
            let read = try MessageRequest(storedJSON: stored)
            #expect(StoredReading.request(try JSONReader.value(from: stored)) != nil, "read by JSONDecoder, not directly")
            // Equal to the decoder's reading, and written again to the same bytes (a date or a number may
            // not come back as the very same value as before writing, in either reading).
            let decoded = try decoder.decode(MessageRequest.self, from: Data(stored))
            #expect(read == decoded, "\(String(decoding: stored, as: UTF8.self))")
            #expect(read.storedJSON == stored)
            if read != decoded { return }
        }
    }

    @Test(
        "what the direct reading does not know is read by JSONDecoder: the same value or the same refusal",
        arguments: [
            #"{"data":{},"kind":"reminder","recipient":{"opt_out":[]},"extra":1}"#,
            #"{"data":{},"kind":"reminder","recipient":{"opt_out":["fax"]}}"#,
            #"{"data":{},"kind":"reminder","recipient":{}}"#,
            #"{"data":{},"kind":"reminder","recipient":{"opt_out":[]},"send_after":"yesterday"}"#,
            #"{"data":{},"kind":"reminder","recipient":{"opt_out":[]},"plan_step":{"plan":"p","step":"s","deadline_days":14.5}}"#,
            #"{"data":{},"kind":"reminder","recipient":{"opt_out":[]},"plan_step":{"plan":"p","step":"s","deadline_days":14}}"#,
            #"{"data":[],"kind":"reminder","recipient":{"opt_out":[]}}"#,
            #"{"data":{},"kind":"reminder","recipient":{"opt_out":[]},"case_ref":null}"#,
            "not json",
        ])
    func unknownShapes(text: String) {
        let direct = Result { try MessageRequest(storedJSON: Array(text.utf8)) }
        let decoded = Result { try VarselJSON.decoder().decode(MessageRequest.self, from: Data(text.utf8)) }
        switch (direct, decoded) {
        case (.success(let a), .success(let b)): #expect(a == b)
        case (.failure(let a), .failure(let b)): #expect("\(a)" == "\(b)")
        default: Issue.record("direct \(direct), decoder \(decoded)")
        }
    }

    @Test("2,000 seeded rendered contents, every optional part present or not: the same bytes as JSONEncoder")
    func contentSameBytes() throws {
        var random = SeededRandom(seed: 77)
        let encoder = VarselJSON.encoder()
        func text() -> String { Self.awkward.randomElement(using: &random)! }
        func maybe(_ value: String) -> String? { Bool.random(using: &random) ? value : nil }
        for _ in 0..<2_000 {
            let sms = Bool.random(using: &random)
                ? RenderedContent.SMSInfo(encoding: Bool.random(using: &random) ? .gsm7 : .ucs2, segments: Int.random(in: 1...10, using: &random))
                : nil
            let content = RenderedContent(
                templateID: text(), templateVersion: "sha256:" + text(), channel: Channel.allCases.randomElement(using: &random)!,
                subject: maybe(text()), text: text(), html: maybe(text()), sms: sms, contentHash: "sha256:" + text(), variant: maybe(text()))
            let expected = try encoder.encode(content)
            #expect(Data(content.storedJSON) == expected, "\(String(decoding: expected, as: UTF8.self))")
            if Data(content.storedJSON) != expected { return }
        }
    }

    @Test("an empty data object and a bare recipient")
    func minimal() throws {
        let request = MessageRequest(kind: "reminder", recipient: Recipient(), data: [:])
        #expect(Data(request.storedJSON) == (try VarselJSON.encoder().encode(request)))
        #expect(String(decoding: request.storedJSON, as: UTF8.self) == #"{"data":{},"kind":"reminder","recipient":{"opt_out":[]}}"#)
    }

    @Test("strings are escaped as JSONEncoder escapes them, whatever falls on either side of each eight bytes")
    func stringsAsTheEncoderEscapesThem() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Every byte below 0x20, quote and backslash, bytes just beside them, DEL, and multi-byte scalars.
        let pieces: [String] = (0..<0x20).map { String(UnicodeScalar(UInt8($0))) }
            + ["\"", "\\", "!", "#", "[", "]", " ", "/", "\u{7F}", "\u{80}", "æ", "€", "🧾", "\u{2028}", "a", "Z", "0", "abcdefgh"]
        var random = SeededRandom(seed: 16)
        for round in 0..<4_000 {
            var text = ""
            // Mostly plain runs of 0–23 letters, so each special byte lands at every offset of a word.
            for _ in 0..<Int.random(in: 0...6, using: &random) {
                text += String(repeating: "x", count: Int.random(in: 0...23, using: &random))
                text += pieces.randomElement(using: &random)!
            }
            var writer = CompactJSONWriter()
            writer.string(text)
            let expected = try encoder.encode(text)
            #expect(writer.bytes == Array(expected), "round \(round): \(text.debugDescription)")
        }
    }

    @Test("object members sort by their keys' UTF-8 bytes: compared in place as the UTF-8 view compares them, prefixes and empty keys too")
    func keyOrder() {
        var random = SeededRandom(seed: 1_206)
        let pieces = ["", "a", "b", "A", "_", "1", "é", "e\u{301}", "ø", "🧾", "\u{0}", "amount", "idempotency_key", String(repeating: "x", count: 20)]
        for _ in 0..<20_000 {
            let first = (0..<Int.random(in: 0...3, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
            let second = (0..<Int.random(in: 0...3, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
            #expect(
                CompactJSONWriter.utf8Precedes(first, second) == first.utf8.lexicographicallyPrecedes(second.utf8),
                "\(first.debugDescription) \(second.debugDescription)")
        }
    }

    @Test("the eight-byte test flags exactly the words holding a byte that needs escaping")
    func wordTest() {
        var random = SeededRandom(seed: 8)
        for _ in 0..<100_000 {
            var word: UInt64 = 0
            var needs = false
            for lane in 0..<8 {
                // Bytes near the edges the test must tell apart, and any byte at all.
                let byte = [UInt8(0x1F), 0x20, 0x21, 0x22, 0x23, 0x5B, 0x5C, 0x5D, 0x00, 0x7F, 0x80, 0xA2, 0xDC, 0xFF, UInt8.random(in: 0...255, using: &random)]
                    .randomElement(using: &random)!
                needs = needs || byte < 0x20 || byte == 0x22 || byte == 0x5C
                word |= UInt64(byte) << (8 * UInt64(lane))
            }
            #expect(CompactJSONWriter.needsEscaping(word) == needs, "\(String(word, radix: 16))")
        }
    }
}
