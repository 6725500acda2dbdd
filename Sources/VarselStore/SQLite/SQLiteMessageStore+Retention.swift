import Foundation
import GRDB
import VarselCore

extension SQLiteMessageStore {
    /// A message in a terminal state (sent, delivered, failed, expired, cancelled), in the words of the
    /// `messages_retention` index's condition (migration v15): SQLite reads a partial index only for a
    /// query that states its condition the same way.
    static let terminalState = "state NOT IN ('queued', 'sending')"
    /// Rows per transaction, so a sweep never holds the write lock for long.
    static let retentionBatch = 500

    public func sweepRetention(contentBefore: Date, recordsBefore: Date, dryRun: Bool, now: Date) async throws -> RetentionOutcome {
        let records = "\(Self.terminalState) AND updated_at < ?"
        let content = "\(Self.terminalState) AND updated_at < ? AND purged_at IS NULL"
        // Counted first with a read: a sweep that finds nothing (the usual case) never takes the write lock.
        let due = try await pool.read { db in
            let deleted = try db.value(Int.self, "SELECT COUNT(*) FROM messages WHERE \(records)", [recordsBefore.timeIntervalSince1970]) ?? 0
            let purged = try db.value(
                Int.self, "SELECT COUNT(*) FROM messages WHERE \(content) AND NOT (\(records))",
                [contentBefore.timeIntervalSince1970, recordsBefore.timeIntervalSince1970]) ?? 0
            return RetentionOutcome(contentPurged: purged, recordsDeleted: deleted)
        }
        if !dryRun {
            // Runs of daemons that stopped before the record cut-off are no longer anyone's proof.
            let staleRuns = try await pool.read { db in
                try db.value(Int.self, "SELECT COUNT(*) FROM daemon_runs WHERE stopped_at < ?", [recordsBefore.timeIntervalSince1970]) ?? 0
            }
            if staleRuns > 0 {
                try await pool.write { db in try db.run("DELETE FROM daemon_runs WHERE stopped_at < ?", [recordsBefore.timeIntervalSince1970]) }
            }
        }
        if dryRun || due == RetentionOutcome(contentPurged: 0, recordsDeleted: 0) { return due }
        var outcome = RetentionOutcome(contentPurged: 0, recordsDeleted: 0)
        while true {
            let deleted = try await pool.write { db in
                try db.run(
                    "DELETE FROM messages WHERE id IN (SELECT id FROM messages WHERE \(records) LIMIT \(Self.retentionBatch))",
                    [recordsBefore.timeIntervalSince1970])
                return db.changesCount
            }
            outcome.recordsDeleted += deleted
            if deleted < Self.retentionBatch { break }
        }
        while true {
            let purged = try await pool.write { db in
                let rows = try db.rows("SELECT id, request FROM messages WHERE \(content) LIMIT \(Self.retentionBatch)", [contentBefore.timeIntervalSince1970])
                for row in rows {
                    let messageID: String = row["id"]
                    // updated_at stays: it dates the terminal state the record retention counts from.
                    if let json = try? StoredRequest.withoutContactData(row["request"] as String).json {
                        try db.run("UPDATE messages SET request = ?, purged_at = ? WHERE id = ?", [json, now.timeIntervalSince1970, messageID])
                    } else {
                        // A request this version cannot read must not hold up every later sweep: its recipient goes whole.
                        try db.run(
                            "UPDATE messages SET request = json_remove(request, '$.recipient'), purged_at = ? WHERE id = ?",
                            [now.timeIntervalSince1970, messageID])
                    }
                    try Self.forgetContent(db, messageID: messageID)
                    try db.run("UPDATE receipts SET raw = NULL WHERE message_id = ?", [messageID])
                    // A gateway's error text is scrubbed when stored, but may still name the debtor in a form
                    // no pattern knows: it goes with the personal data.
                    try db.run("UPDATE attempts SET error = NULL WHERE message_id = ?", [messageID])
                    try Self.appendDecisions(
                        db, messageID: messageID, texts: ["retention: rendered content, contact data and raw receipts deleted"], at: now)
                }
                return rows.count
            }
            outcome.contentPurged += purged
            if purged < Self.retentionBatch { break }
        }
        return outcome
    }
}
