import Foundation
import GRDB
import VarselCore

extension SQLiteMessageStore {
    public func list(caseRef: String?, state: MessageState?, limit: Int, after: String?) async throws -> [MessageSummary] {
        try await pool.read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let caseRef {
                conditions.append("case_ref = ?")
                arguments += [caseRef]
            }
            if let state {
                conditions.append("state = ?")
                arguments += [state.rawValue]
            }
            if let after {
                conditions.append("id > ?")
                arguments += [after]
            }
            arguments += [limit]
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let sql = "SELECT id, state, kind, case_ref, channel, created_at, updated_at FROM messages \(filter) ORDER BY id LIMIT ?"
            return try db.rows(sql, arguments).map { row in
                MessageSummary(
                    id: row["id"], state: MessageState(rawValue: row["state"]) ?? .queued, kind: row["kind"], caseRef: row["case_ref"],
                    channel: (row["channel"] as String?).flatMap(Channel.init(rawValue:)),
                    createdAt: Date(timeIntervalSince1970: row["created_at"]), updatedAt: Date(timeIntervalSince1970: row["updated_at"]))
            }
        }
    }

    public func cancel(ids: [String]?, caseRef: String?, reason: String, now: Date) async throws -> CancelOutcome {
        try await pool.write { db in
            var rows: [Row] = []
            if let ids {
                for id in ids { rows += try db.rows("SELECT id, state FROM messages WHERE id = ?", [id]) }
            }
            if let caseRef {
                rows += try db.rows("SELECT id, state FROM messages WHERE case_ref = ? ORDER BY id", [caseRef])
            }
            var outcome = CancelOutcome()
            try Self.cancelUnsent(db, rows, reason: reason, now: now, into: &outcome)
            return outcome
        }
    }

    /// Cancels each of `rows` (`id`, `state`) that was not handed to a gateway; says what became of each.
    static func cancelUnsent(_ db: Database, _ rows: [Row], reason: String, now: Date, into outcome: inout CancelOutcome) throws {
        for row in rows {
            let id: String = row["id"]
            let state = MessageState(rawValue: row["state"]) ?? .queued
            // Leased: cancellable only while no request has been started for it.
            let started = try state == .sending && Self.attemptStarted(db, messageID: id)
            guard outcome.judge(id, state: state, attemptStarted: started) else { continue }
            try Self.cancelRow(db, id: id, reason: reason, now: now)
            try Self.appendDecisions(db, messageID: id, texts: ["cancelled: \(reason)"], at: now)
            outcome.cancelled.append(id)
        }
    }

    /// Whether a request of the message has been handed to a gateway (an attempt pending or accepted).
    static func attemptStarted(_ db: Database, messageID: String) throws -> Bool {
        try db.value(Int.self, "SELECT COUNT(*) FROM attempts WHERE message_id = ? AND outcome IN ('pending', 'accepted')", [messageID]) ?? 0 > 0
    }

    /// Ends the message `cancelled`; a lease holder loses its fence.
    static func cancelRow(_ db: Database, id: String, reason: String, now: Date) throws {
        try db.run(
            """
            UPDATE messages SET state = 'cancelled', state_reason = ?, lease_token = NULL, lease_owner = NULL,
                lease_expires_at = NULL, updated_at = ? WHERE id = ?
            """, [reason, now.timeIntervalSince1970, id])
    }

    public func acceptedSends(recipientKeys: Set<String>, since: Date) async throws -> [String: [Date]] {
        guard !recipientKeys.isEmpty else { return [:] }
        return try await pool.read { db in
            var result: [String: [Date]] = [:]
            for key in recipientKeys {
                let times = try db.values(
                    Double.self,
                    """
                    SELECT a.finished_at FROM attempts a JOIN messages m ON m.id = a.message_id
                    WHERE m.recipient_key = ? AND a.outcome = 'accepted' AND a.finished_at >= ?
                    """, [key, since.timeIntervalSince1970])
                if !times.isEmpty { result[key] = times.map(Date.init(timeIntervalSince1970:)) }
            }
            return result
        }
    }

    public func createToken(hash: String, scopes: [String], label: String?, now: Date) async throws -> StoredToken {
        let id = "tok_" + String(MessageID.generate(now: now).dropFirst(4).suffix(16))
        try await pool.write { db in
            try db.run(
                "INSERT INTO api_tokens (id, hash, scopes, label, created_at) VALUES (?, ?, ?, ?, ?)",
                [id, hash, scopes.joined(separator: ","), label, now.timeIntervalSince1970])
        }
        return StoredToken(id: id, scopes: scopes, label: label, createdAt: now, revokedAt: nil)
    }

    public func token(hash: String) async throws -> StoredToken? {
        try await pool.read { db in try db.row("SELECT * FROM api_tokens WHERE hash = ?", [hash]).map(Self.token) }
    }

    public func tokens() async throws -> [StoredToken] {
        try await pool.read { db in try db.rows("SELECT * FROM api_tokens ORDER BY created_at").map(Self.token) }
    }

    public func revokeToken(id: String, now: Date) async throws -> Bool {
        try await pool.write { db in
            try db.run("UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?", [now.timeIntervalSince1970, id])
            return db.changesCount == 1
        }
    }

    private static func token(_ row: Row) -> StoredToken {
        StoredToken(
            id: row["id"], scopes: (row["scopes"] as String).split(separator: ",").map(String.init), label: row["label"],
            createdAt: Date(timeIntervalSince1970: row["created_at"]),
            revokedAt: (row["revoked_at"] as Double?).map(Date.init(timeIntervalSince1970:)))
    }
}
