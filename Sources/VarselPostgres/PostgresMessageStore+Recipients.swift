import Foundation
import PostgresNIO
import VarselCore
import VarselStore

/// Recipient records and erasure (GDPR).
extension PostgresMessageStore {
    public func recipients(ids: Set<String>) async throws -> [String: Recipient] {
        guard !ids.isEmpty else { return [:] }
        let records = try await read { connection in
            try await connection.query("SELECT record::text FROM varsel.recipients WHERE id = ANY(\(Array(ids)))", logger: self.logger)
                .collect().map { try $0.decode(String.self) }
        }
        return try StoredRows.recipients(records)
    }

    public func putRecipient(_ recipient: Recipient, now: Date) async throws -> Bool {
        guard let id = recipient.id else { throw StoreError("a recipient record needs an id") }
        let record = String(decoding: try VarselJSON.encoder().encode(recipient), as: UTF8.self)
        return try await transaction { connection in
            // xmax = 0 only on a row this statement inserted.
            try await connection.query(
                """
                INSERT INTO varsel.recipients (id, record, created_at, updated_at) VALUES (\(id), \(record)::jsonb, \(now), \(now))
                ON CONFLICT (id) DO UPDATE SET record = excluded.record, updated_at = excluded.updated_at
                RETURNING (xmax = 0)
                """, logger: self.logger
            ).collect().first?.decode(Bool.self) ?? false
        }
    }

    public func eraseRecipient(id: String, now: Date) async throws -> ErasureOutcome? {
        try await transaction { connection in
            let recordDeleted = try await !connection.query("DELETE FROM varsel.recipients WHERE id = \(id) RETURNING id", logger: self.logger)
                .collect().isEmpty
            // Rejected intake rows still hold what the producer sent about them.
            try await connection.query(
                "DELETE FROM varsel.intake WHERE rejected_at IS NOT NULL AND payload -> 'recipient' ->> 'id' = \(id)", logger: self.logger)
            var scrubbed = 0
            var cancelled = 0
            // Through the index on recipient_key: a recipient with an id has the key of that id.
            let rows = try await connection.query(
                """
                SELECT id, state, request::text, content IS NULL FROM varsel.messages
                WHERE recipient_key = \(RecipientKey.of(Recipient(id: id))) AND recipient_id = \(id) ORDER BY id FOR UPDATE
                """,
                logger: self.logger
            ).collect().map { try $0.decode((String, String, String, Bool).self) }
            for (messageID, stateName, request, erased) in rows {
                let (json, unchanged) = try StoredRequest.withoutContactData(request)
                let state = MessageState(rawValue: stateName) ?? .queued
                let verdict = try await MessageLifecycle.erase(
                    state: state, attemptStarted: Self.attemptStarted(connection, messageID: messageID, logger: self.logger), scrubbedBefore: unchanged && erased)
                if verdict == .unchanged { continue }
                if case .cancelAndScrub(let reason) = verdict {
                    try await Self.cancelRow(connection, id: messageID, reason: reason, now: now, logger: self.logger)
                    cancelled += 1
                }
                // Contact data and rendered bodies go; ids, states, template versions and content hashes stay.
                try await connection.query(
                    "UPDATE varsel.messages SET request = \(json)::jsonb, content = NULL, updated_at = \(now) WHERE id = \(messageID)", logger: self.logger)
                try await connection.query("UPDATE varsel.receipts SET raw = NULL WHERE message_id = \(messageID)", logger: self.logger)
                try await Self.appendDecisions(connection, messageID: messageID, texts: [MessageLifecycle.erasedDecision], at: now, logger: self.logger)
                scrubbed += 1
            }
            guard recordDeleted || scrubbed > 0 else { return nil }
            return ErasureOutcome(recordDeleted: recordDeleted, messagesScrubbed: scrubbed, messagesCancelled: cancelled)
        }
    }
}
