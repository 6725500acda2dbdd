import Foundation
import VarselCore

/// Encoding and decoding every store does the same way.
public enum StoredRows {
    /// Stored recipient records (JSON), by recipient id.
    public static func recipients(_ records: [String]) throws -> [String: Recipient] {
        let decoder = VarselJSON.decoder()
        var result: [String: Recipient] = [:]
        for record in records {
            let recipient = try decoder.decode(Recipient.self, from: Data(record.utf8))
            if let id = recipient.id { result[id] = recipient }
        }
        return result
    }

    /// The rendered content of each send among `preparations`, as JSON (UTF-8), by message id.
    public static func contents(_ preparations: [Preparation]) -> [String: [UInt8]] {
        var encoded: [String: [UInt8]] = [:]
        for case .send(let send) in preparations {
            encoded[send.lease.messageID] = send.content.storedJSON
        }
        return encoded
    }

    /// The texts one write added to a message's decision trail, stored as one row: a JSON array of
    /// strings (a plan's four texts are one row, not four).
    public static func decisionRow(_ texts: [String]) -> String {
        var writer = CompactJSONWriter(capacity: texts.reduce(2) { $0 + $1.utf8.count + 3 })
        writer.array(texts) { $0.string($1) }
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// The texts of a stored decision row (`decisionRow`), in the order written.
    public static func decisionTexts(_ row: String) throws -> [String] {
        guard case .array(let items) = try JSONReader.value(from: Array(row.utf8)) else {
            throw StoreError("a stored decision row is not a JSON array of strings")
        }
        return try items.map { item in
            guard case .string(let text) = item else { throw StoreError("a stored decision row holds a value that is not a string") }
            return text
        }
    }
}

extension CancelOutcome {
    /// Records the lifecycle's verdict on cancelling `id`; true when the store is to cancel it now.
    public mutating func judge(_ id: String, state: MessageState, attemptStarted: Bool) -> Bool {
        switch MessageLifecycle.cancel(state: state, attemptStarted: attemptStarted) {
        case .cancel: return true
        case .alreadySent: alreadySent.append(id)
        case .alreadyFinished: alreadyFinished.append(id)
        }
        return false
    }
}

/// Thrown inside a case's creation when an event stopped the case, to roll the transaction back.
public struct CaseRefused: Error {
    public let reason: String
    public init(reason: String) { self.reason = reason }
}

extension CaseRecord {
    /// The steps as the stores keep them: JSON.
    public static func encodeSteps(_ steps: [Step]) throws -> String {
        String(decoding: try VarselJSON.encoder().encode(steps), as: UTF8.self)
    }

    public static func decodeSteps(_ json: String) throws -> [Step] {
        try VarselJSON.decoder().decode([Step].self, from: Data(json.utf8))
    }
}

extension SentMessage {
    /// A report row from a stored message: its columns, and its request (JSON) for the country, the
    /// debtor's time zone and the plan step.
    public static func stored(
        id: String, caseRef: String?, kind: String, channel: String?, locale: String?, tone: String?, templateVersion: String?, variant: String?,
        request: String, sentAt: Date
    ) -> SentMessage? {
        guard let channel = channel.flatMap(Channel.init(rawValue:)) else { return nil }
        let decoded = try? MessageRequest(storedJSON: request.utf8)
        return SentMessage(
            id: id, caseRef: caseRef, kind: kind, channel: channel, locale: locale, tone: tone, templateVersion: templateVersion,
            country: decoded?.recipient.effectiveCountry, step: decoded?.planStep?.step, variant: variant, sentAt: sentAt,
            timeZone: decoded.map { RecipientTimeZone.of($0.recipient) } ?? TimeZone(identifier: "UTC")!)
    }
}
