import Foundation
import Testing
import VarselCore

/// A request's hash is taken of its encoding without the idempotency key, cut out of the full
/// encoding (`CompactJSON.removingMember`): the cut must be byte for byte what the encoder writes
/// for the request without the key, or a replayed request would be taken for a conflicting one.
@Suite("Compact JSON member removal")
struct CompactJSONTests {
    static func encode<T: Encodable>(_ value: T) throws -> Data { try VarselJSON.encoder().encode(value) }

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

    @Test("a request without its key: 3,000 seeded requests with awkward data, key present or not, cut equals the encoder's own")
    func requestsMatchTheEncoder() throws {
        var random = SeededRandom(seed: 16)
        var cut = 0
        for round in 0..<3_000 {
            let key: String? = round % 7 == 0 ? nil : Self.awkward.randomElement(using: &random)! + "\(round)"
            var request = MessageRequest(
                idempotencyKey: key, kind: ["reminder", "collection_notice"].randomElement(using: &random)!,
                caseRef: Bool.random(using: &random) ? Self.awkward.randomElement(using: &random) : nil,
                recipient: Recipient(id: Bool.random(using: &random) ? "r-\(round)" : nil, name: Self.awkward.randomElement(using: &random)!),
                data: Self.object(&random, depth: 0))
            if round % 5 == 0 { request.sendAfter = Date(timeIntervalSince1970: 1_800_000_000 + Double(round)) }
            let full = try Self.encode(request)
            var keyless = request
            keyless.idempotencyKey = nil
            let removed = CompactJSON.removingMember("idempotency_key", from: full)
            if key == nil {
                #expect(removed == nil, "no top-level key, yet something was cut: \(String(decoding: full, as: UTF8.self))")
            } else {
                let expected = try Self.encode(keyless)
                #expect(removed == expected, "\(String(decoding: full, as: UTF8.self))")
                cut += 1
            }
        }
        #expect(cut > 2_000)
    }

    @Test(
        "the member first, in the middle, last, alone, only nested, or absent",
        arguments: [
            (#"{"idempotency_key":"k","kind":"x"}"#, #"{"kind":"x"}"#),
            (#"{"a":1,"idempotency_key":"k","kind":"x"}"#, #"{"a":1,"kind":"x"}"#),
            (#"{"a":[1,{"b":2}],"idempotency_key":{"c":"}"}}"#, #"{"a":[1,{"b":2}]}"#),
            (#"{"idempotency_key":"k"}"#, "{}"),
            (#"{"data":{"idempotency_key":"k"},"kind":"x"}"#, nil),
            (#"{"kind":"\"idempotency_key\":"}"#, nil),
            (#"["idempotency_key",1]"#, nil),
            ("{}", nil),
        ] as [(String, String?)])
    func placements(input: String, expected: String?) {
        let removed = CompactJSON.removingMember("idempotency_key", from: Data(input.utf8))
        #expect(removed.map { String(decoding: $0, as: UTF8.self) } == expected)
    }
}
