import Foundation
import VarselCore
import VarselStore

/// `varsel enqueue FILE|-`: one JSON message, or NDJSON with one message per line. Every line is
/// validated first; the valid ones are stored in one transaction, the others not at all.
public enum EnqueueBatch {
    /// The result for one input line, printed as one JSON object (docs/cli.md, varsel enqueue).
    public struct LineResult: Sendable, Encodable, Equatable {
        public let line: Int
        public let id: String?
        public let state: String?
        public let duplicate: Bool?
        public let error: String?

        public var accepted: Bool { error == nil }

        static func failure(_ line: Int, _ error: String) -> LineResult {
            LineResult(line: line, id: nil, state: nil, duplicate: nil, error: error)
        }
    }

    /// Splits input into (line number, JSON text). A single pretty-printed object counts as line 1.
    static func split(_ data: Data) -> [(line: Int, text: Substring)] {
        let text = String(decoding: data, as: UTF8.self)
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("{"), trimmed.contains("\n"),
           (try? JSONSerialization.jsonObject(with: Data(trimmed.utf8))) is [String: Any]
        {
            let first = text.prefix { $0.isWhitespace }.filter(\.isNewline).count + 1
            return [(first, Substring(trimmed))]
        }
        var lines: [(Int, Substring)] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.allSatisfy(\.isWhitespace) {
            lines.append((index + 1, line))
        }
        return lines
    }

    public static func run(_ data: Data, validator: MessageValidator, store: any MessageStore, now: Date = Date()) async throws -> [LineResult] {
        let lines = split(data)
        if lines.isEmpty { return [.failure(1, "no message: the input is empty")] }
        var results: [Int: LineResult] = [:]
        var parsed: [(line: Int, value: JSONValue)] = []
        for (line, text) in lines {
            switch MessageValidator.parse(json: Array(text.utf8)) {
            case .success(let value): parsed.append((line, value))
            case .failure(let failure): results[line] = .failure(line, failure.description)
            }
        }
        // Stored preferences may supply contact points the message leaves out.
        let stored = try await store.recipients(ids: Set(parsed.compactMap { MessageValidator.recipientID(of: $0.value) }))
        var valid: [(line: Int, request: MessageRequest)] = []
        for (line, value) in parsed {
            switch validator.validate(value, stored: stored) {
            case .success(let request): valid.append((line, request))
            case .failure(let failure): results[line] = .failure(line, failure.description)
            }
        }
        let outcomes = try await store.enqueue(valid.map(\.request), now: now)
        for ((line, request), outcome) in zip(valid, outcomes) {
            switch outcome {
            case .created(let id):
                results[line] = LineResult(line: line, id: id, state: MessageState.queued.rawValue, duplicate: nil, error: nil)
            case .duplicate(let id):
                let state = try await store.status(id: id)?.state.rawValue
                results[line] = LineResult(line: line, id: id, state: state, duplicate: true, error: nil)
            case .conflict(let existing):
                results[line] = .failure(
                    line, "idempotency_key: '\(request.idempotencyKey ?? "")' was already used for a different message (\(existing)); nothing stored")
            }
        }
        return lines.compactMap { results[$0.line] }
    }
}
