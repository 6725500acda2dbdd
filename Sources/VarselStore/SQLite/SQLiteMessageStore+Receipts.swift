import Foundation
import GRDB
import VarselCore

extension SQLiteMessageStore {
    public func recordReceipt(gateway: String, providerID: String, status: DeliveryStatus, error: String?, raw: String?, fallback: Bool, now: Date)
        async throws -> ReceiptOutcome
    {
        try await pool.write { db in
            guard let messageID = try db.value(
                String.self, "SELECT message_id FROM attempts WHERE gateway = ? AND provider_id = ? ORDER BY id DESC LIMIT 1", [gateway, providerID])
            else { return .unknownProvider }
            let source = "webhook:\(gateway)"
            let stateNow = { MessageState(rawValue: try db.value(String.self, "SELECT state FROM messages WHERE id = ?", [messageID]) ?? "") ?? .sent }
            let seen = try db.value(
                Int.self, "SELECT COUNT(*) FROM receipts WHERE message_id = ? AND provider_id = ? AND status = ? AND source = ?",
                [messageID, providerID, status.rawValue, source]) ?? 0
            if seen > 0 { return .duplicate(messageID: messageID, state: try stateNow()) }

            let at = now.timeIntervalSince1970
            try db.run(
                "INSERT INTO receipts (message_id, at, status, source, provider_id, raw) VALUES (?, ?, ?, ?, ?, ?)",
                [messageID, at, status.rawValue, source, providerID, raw])
            let state = try stateNow()
            // Only a final receipt changes the message, and only once: a final state never moves back.
            guard status.isFinal, state == .sent || state == .sending else {
                if status.isFinal, state == .delivered || state == .failed {
                    try Self.appendDecisions(db, messageID: messageID, texts: ["receipt \(status.rawValue) from \(source) ignored: the message is already \(state.rawValue)"], at: now)
                }
                return .recorded(messageID: messageID, state: state)
            }
            let reason = status == .delivered
                ? "delivered (receipt from \(gateway))"
                : "\(status.rawValue) according to \(gateway)" + (error.map { ": \($0)" } ?? "")
            if status.isFailure, fallback, state == .sent,
               let channel = try db.value(String.self, "SELECT channel FROM messages WHERE id = ?", [messageID])
            {
                // Try the next usable channel: the failed one is excluded and the message is planned again.
                try db.run(
                    """
                    UPDATE messages SET state = 'queued', state_reason = ?, ready_at = ?, updated_at = ?, content = NULL,
                        excluded_channels = excluded_channels || ? || ',' WHERE id = ? AND state = 'sent'
                    """, [reason, at, at, channel, messageID])
                try Self.appendDecisions(
                    db, messageID: messageID, texts: ["receipt \(status.rawValue) from \(source): \(reason); falling back from \(channel) to the next usable channel"], at: now)
                return .recorded(messageID: messageID, state: .queued)
            }
            let newState: MessageState = status == .delivered ? .delivered : .failed
            try db.run(
                "UPDATE messages SET state = ?, state_reason = ?, updated_at = ? WHERE id = ? AND state IN ('sent', 'sending')",
                [newState.rawValue, reason, at, messageID])
            try Self.appendDecisions(db, messageID: messageID, texts: ["receipt \(status.rawValue) from \(source): \(reason)"], at: now)
            return .recorded(messageID: messageID, state: newState)
        }
    }
}
