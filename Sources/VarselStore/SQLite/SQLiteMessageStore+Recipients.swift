import Foundation
import GRDB
import VarselCore

extension SQLiteMessageStore {
    public func recipients(ids: Set<String>) async throws -> [String: Recipient] {
        guard !ids.isEmpty else { return [:] }
        return try StoredRows.recipients(try await pool.read { db in try Self.recipientRecords(db, ids: Array(ids)) })
    }

    /// The stored records (JSON) of `ids` that have one: a batch's in few statements of a few shapes
    /// (`rows(forIDs:)`), not one statement a recipient.
    static func recipientRecords(_ db: Database, ids: [String]) throws -> [String] {
        try rows(db, forIDs: ids) { "SELECT record FROM recipients WHERE id IN (\($0))" }.map { $0[0] }
    }

    public func putRecipient(_ recipient: Recipient, now: Date) async throws -> Bool {
        guard let id = recipient.id else { throw StoreError("a recipient record needs an id") }
        let record = String(decoding: try VarselJSON.encoder().encode(recipient), as: UTF8.self)
        return try await pool.write { db in
            let existed = try db.value(Int.self, "SELECT COUNT(*) FROM recipients WHERE id = ?", [id]) ?? 0 > 0
            try db.run(
                """
                INSERT INTO recipients (id, record, created_at, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET record = excluded.record, updated_at = excluded.updated_at
                """, [id, record, now.timeIntervalSince1970, now.timeIntervalSince1970])
            return !existed
        }
    }

    public func eraseRecipient(id: String, now: Date) async throws -> ErasureOutcome? {
        return try await pool.write { db in
            try db.run("DELETE FROM recipients WHERE id = ?", [id])
            let recordDeleted = db.changesCount > 0
            var scrubbed = 0
            var cancelled = 0
            // Through the index on recipient_key: a recipient with an id has the key of that id.
            for row in try db.rows("""
                SELECT id, state, request, NOT EXISTS (SELECT 1 FROM message_contents WHERE message_id = messages.id) AS erased
                FROM messages WHERE recipient_key = ? AND recipient_id = ?
                """, [RecipientKey.of(Recipient(id: id)), id]) {
                let messageID: String = row["id"]
                let (json, unchanged) = try StoredRequest.withoutContactData(row["request"] as String)
                let state = MessageState(rawValue: row["state"]) ?? .queued
                let verdict = try MessageLifecycle.erase(
                    state: state, attemptStarted: Self.attemptStarted(db, messageID: messageID), scrubbedBefore: unchanged && row["erased"] as Bool)
                if verdict == .unchanged { continue }
                if case .cancelAndScrub(let reason) = verdict {
                    try Self.cancelRow(db, id: messageID, reason: reason, now: now)
                    cancelled += 1
                }
                // Contact data and rendered bodies go; ids, states, template versions and content hashes stay.
                try db.run("UPDATE messages SET request = ?, updated_at = ? WHERE id = ?", [json, now.timeIntervalSince1970, messageID])
                try Self.forgetContent(db, messageID: messageID)
                try db.run("UPDATE receipts SET raw = NULL WHERE message_id = ?", [messageID])
                try Self.appendDecisions(db, messageID: messageID, texts: [MessageLifecycle.erasedDecision], at: now)
                scrubbed += 1
            }
            guard recordDeleted || scrubbed > 0 else { return nil }
            return ErasureOutcome(recordDeleted: recordDeleted, messagesScrubbed: scrubbed, messagesCancelled: cancelled)
        }
    }
}
