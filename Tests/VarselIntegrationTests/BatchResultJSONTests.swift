import Foundation
import Testing
import VarselCore
@testable import VarselDaemon
import VarselTestSupport

/// The results of `varsel enqueue` and of `POST /v1/messages:batch`, written by hand, held to what
/// `JSONEncoder` with sorted keys writes for the same values.
struct BatchResultJSONTests {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// Texts with what a writer could get wrong: escapes, slashes, non-ASCII, empty.
    static func text(_ random: inout SeededRandom) -> String {
        let pieces = ["", "a", "idempotency_key: 'k/1'", "\"", "\\", "\n", "\t", "\u{01}", "\u{1F}", "/", "æøå", "€", "🧾", "\u{2028}", "case_ref: C-1"]
        return random.text(of: pieces, maxPieces: 4)
    }

    static func result(_ random: inout SeededRandom, line: Int) -> EnqueueBatch.LineResult {
        func maybe<T>(_ value: T) -> T? { Bool.random(using: &random) ? value : nil }
        return EnqueueBatch.LineResult(
            line: line, id: maybe(text(&random)), state: maybe(text(&random)), duplicate: maybe(Bool.random(using: &random)),
            error: maybe(text(&random)))
    }

    @Test("each printed line is the encoder's JSON of its result, any member present or absent, then a line feed")
    func ndjsonAsTheEncoderWritesIt() throws {
        var random = SeededRandom(seed: 0x16_0B)
        let encoder = Self.encoder()
        for round in 0..<300 {
            let results = (0..<Int.random(in: 0...6, using: &random)).map { _ in Self.result(&random, line: Int.random(in: 1...1_000_000, using: &random)) }
            let expected = try results.map { String(decoding: try encoder.encode($0), as: UTF8.self) + "\n" }.joined()
            #expect(String(decoding: EnqueueBatch.LineResult.ndjson(results), as: UTF8.self) == expected, "round \(round)")
        }
        #expect(EnqueueBatch.LineResult.ndjson([]).isEmpty)
    }

    /// The reply as it was encoded before it was written by hand.
    struct EncodedReply: Encodable {
        let accepted: Int
        let rejected: Int
        let results: [EnqueueBatch.LineResult]
        let note: String
    }

    @Test("a batch's reply is the encoder's JSON of its counts, note and results")
    func replyAsTheEncoderWritesIt() throws {
        var random = SeededRandom(seed: 0x16_0C)
        let encoder = VarselJSON.encoder()
        for round in 0..<200 {
            let results = (0..<Int.random(in: 0...5, using: &random)).map { Self.result(&random, line: $0 + 1) }
            let accepted = results.filter(\.accepted).count
            let note = Self.text(&random)
            let reply = APIServer.BatchReply(accepted: accepted, rejected: results.count - accepted, results: results, note: note)
            let expected = try encoder.encode(EncodedReply(accepted: accepted, rejected: results.count - accepted, results: results, note: note))
            #expect(String(decoding: reply.json, as: UTF8.self) == String(decoding: expected, as: UTF8.self), "round \(round)")
        }
    }
}
