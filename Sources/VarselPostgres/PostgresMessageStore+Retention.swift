import Foundation
import PostgresNIO
import VarselCore
import VarselStore

/// Retention: personal data of finished messages goes after `contentBefore`, whole records after
/// `recordsBefore`, in batches so that no transaction holds many rows for long. Rows another daemon
/// is sweeping at the same moment are skipped (`SKIP LOCKED`), never swept twice.
extension PostgresMessageStore {
    static let terminalStates = ["sent", "delivered", "failed", "expired", "cancelled"]
    static let retentionBatch = 500

    public func sweepRetention(contentBefore: Date, recordsBefore: Date, dryRun: Bool, now: Date) async throws -> RetentionOutcome {
        let terminal = Self.terminalStates
        if dryRun {
            return try await read { connection in
                let deleted = try await Self.count(
                    connection, "SELECT count(*) FROM varsel.messages WHERE state = ANY(\(terminal)) AND updated_at < \(recordsBefore)", logger: self.logger)
                let purged = try await Self.count(
                    connection,
                    """
                    SELECT count(*) FROM varsel.messages WHERE state = ANY(\(terminal)) AND updated_at < \(contentBefore) AND purged_at IS NULL
                        AND updated_at >= \(recordsBefore)
                    """, logger: self.logger)
                return RetentionOutcome(contentPurged: purged, recordsDeleted: deleted)
            }
        }
        try await transaction { connection in
            // Runs of daemons that stopped before the record cut-off, and rejected intake rows as old,
            // are no longer anyone's proof.
            try await connection.query("DELETE FROM varsel.daemon_runs WHERE stopped_at < \(recordsBefore)", logger: self.logger)
            try await connection.query("DELETE FROM varsel.intake WHERE rejected_at < \(recordsBefore)", logger: self.logger)
        }
        var outcome = RetentionOutcome(contentPurged: 0, recordsDeleted: 0)
        while true {
            let deleted = try await transaction { connection in
                try await connection.query(
                    """
                    DELETE FROM varsel.messages WHERE id IN (
                        SELECT id FROM varsel.messages WHERE state = ANY(\(terminal)) AND updated_at < \(recordsBefore)
                        LIMIT \(Self.retentionBatch) FOR UPDATE SKIP LOCKED)
                    RETURNING id
                    """, logger: self.logger
                ).collect().count
            }
            outcome.recordsDeleted += deleted
            if deleted < Self.retentionBatch { break }
        }
        while true {
            let purged = try await transaction { connection in
                let rows = try await connection.query(
                    """
                    SELECT id, request::text FROM varsel.messages
                    WHERE state = ANY(\(terminal)) AND updated_at < \(contentBefore) AND purged_at IS NULL
                    LIMIT \(Self.retentionBatch) FOR UPDATE SKIP LOCKED
                    """, logger: self.logger
                ).collect().map { try $0.decode((String, String).self) }
                for (messageID, request) in rows {
                    // updated_at stays: it dates the terminal state the record retention counts from.
                    if let json = try? StoredRequest.withoutContactData(request).json {
                        try await connection.query(
                            "UPDATE varsel.messages SET request = \(json)::jsonb, content = NULL, purged_at = \(now) WHERE id = \(messageID)",
                            logger: self.logger)
                    } else {
                        // A request this version cannot read must not hold up every later sweep: its recipient goes whole.
                        try await connection.query(
                            "UPDATE varsel.messages SET request = request - 'recipient', content = NULL, purged_at = \(now) WHERE id = \(messageID)",
                            logger: self.logger)
                    }
                    try await connection.query("UPDATE varsel.receipts SET raw = NULL WHERE message_id = \(messageID)", logger: self.logger)
                    // A gateway's error text may still name the debtor in a form no pattern knows: it goes too.
                    try await connection.query("UPDATE varsel.attempts SET error = NULL WHERE message_id = \(messageID)", logger: self.logger)
                    try await Self.appendDecisions(
                        connection, messageID: messageID, texts: ["retention: rendered content, contact data and raw receipts deleted"], at: now,
                        logger: self.logger)
                }
                return rows.count
            }
            outcome.contentPurged += purged
            if purged < Self.retentionBatch { break }
        }
        return outcome
    }
}
