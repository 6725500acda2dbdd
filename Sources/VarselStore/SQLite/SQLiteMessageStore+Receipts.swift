import Foundation
import GRDB
import VarselCore

extension SQLiteMessageStore {
    /// Indexes the attempts that a gateway of `receiptGateways` opened while it had no receipts
    /// configured (one pass over the attempts for each such gateway, at the start after its receipts
    /// were turned on). The attempts' transactions name such gateways in `unindexed_gateways`.
    public func prepareReceiptLookups(receiptGateways: Set<String>) async throws -> Int {
        guard !receiptGateways.isEmpty else { return 0 }
        return try await pool.write { db in
            let unindexed = Set(try db.values(String.self, "SELECT gateway FROM unindexed_gateways"))
            var indexed = 0
            for gateway in receiptGateways.intersection(unindexed).sorted() {
                try db.run("UPDATE attempts SET receipt_lookup = 1 WHERE receipt_lookup = 0 AND gateway = ?", [gateway])
                indexed += db.changesCount
                try db.run("DELETE FROM unindexed_gateways WHERE gateway = ?", [gateway])
            }
            return indexed
        }
    }

    /// A receipt updates the attempt whose provider id it names. It changes the message only when that
    /// attempt is the message's current one (its latest) and the message is `sent`, waiting for the
    /// receipt: a late receipt for an attempt the message has moved on from (a fallback to another
    /// channel, a resend in flight) is recorded on its attempt and in the trail, and changes nothing else.
    public func recordReceipt(gateway: String, providerID: String, status: DeliveryStatus, error: String?, raw: String?, fallback: Bool, now: Date)
        async throws -> ReceiptOutcome
    {
        try await pool.write { db in
            let byPart = "SELECT a.id, a.message_id, a.channel, a.delivery_status FROM attempt_parts p JOIN attempts a ON a.id = p.attempt_id WHERE p.gateway = ? AND p.part_id = ?"
            guard let attempt = try db.row(
                "SELECT id, message_id, channel, delivery_status FROM attempts WHERE gateway = ? AND provider_id = ? AND receipt_lookup = 1 ORDER BY id DESC LIMIT 1",
                [gateway, providerID]) ?? db.row(byPart, [gateway, providerID])
            else { return .unknownProvider }
            let attemptID: Int64 = attempt["id"]
            let messageID: String = attempt["message_id"]
            let attemptChannel: String = attempt["channel"]
            let source = "webhook:\(gateway)"
            guard let message = try db.row("SELECT state, request FROM messages WHERE id = ?", [messageID]) else { return .unknownProvider }
            let state = MessageState(rawValue: message["state"]) ?? .sent
            let seen = try db.value(
                Int.self, "SELECT COUNT(*) FROM receipts WHERE attempt_id = ? AND status = ? AND source = ? AND provider_id = ?",
                [attemptID, status.rawValue, source, providerID]) ?? 0
            if seen > 0 { return .duplicate(messageID: messageID, state: state) }

            let at = now.timeIntervalSince1970
            try db.run(
                "INSERT INTO receipts (message_id, attempt_id, at, status, source, provider_id, raw) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [messageID, attemptID, at, status.rawValue, source, providerID, raw])
            let reported = status
            let status = try Self.aggregateStatus(db, attemptID: attemptID, source: source, reported: reported)
            let previous = (attempt["delivery_status"] as String?).flatMap(DeliveryStatus.init(rawValue:))
            if let advanced = MessageLifecycle.advance(previous, to: status) {
                try db.run("UPDATE attempts SET delivery_status = ? WHERE id = ?", [advanced.rawValue, attemptID])
            }
            let recipient = (message["request"] as String?)
                .flatMap { try? VarselJSON.decoder().decode(MessageRequest.self, from: Data($0.utf8)).recipient }
            let detail = error.map { text in ": " + (recipient.map { Masking.scrub(text, knownContact: $0) } ?? Masking.scrub(text)) } ?? ""
            let current = try db.value(Int64.self, "SELECT MAX(id) FROM attempts WHERE message_id = ?", [messageID])
            let verdict = MessageLifecycle.receipt(.init(
                status: status, isLatestAttempt: current == attemptID, messageState: state,
                attemptChannel: Channel(rawValue: attemptChannel) ?? .sms, gateway: gateway, detail: detail, fallBackOnFailure: fallback))
            switch verdict {
            case .recordOnly(let decision):
                if let decision { try Self.appendDecisions(db, messageID: messageID, texts: [decision], at: now) }
                return .recorded(messageID: messageID, state: state)
            case .fallBack(let reason, let decision):
                // Try the next usable channel: the failed one is excluded and the message is planned again.
                try db.run(
                    """
                    UPDATE messages SET state = 'queued', state_reason = ?, ready_at = ?, updated_at = ?,
                        excluded_channels = excluded_channels || ? || ',' WHERE id = ? AND state = 'sent'
                    """, [reason, at, at, attemptChannel, messageID])
                if db.changesCount == 1 { try Self.forgetContent(db, messageID: messageID) }
                try Self.appendDecisions(db, messageID: messageID, texts: [decision], at: now)
                return .recorded(messageID: messageID, state: .queued)
            case .finish(let newState, let reason, let decision):
                try db.run(
                    "UPDATE messages SET state = ?, state_reason = ?, updated_at = ? WHERE id = ? AND state = 'sent'",
                    [newState.rawValue, reason, at, messageID])
                try Self.appendDecisions(db, messageID: messageID, texts: [decision], at: now)
                return .recorded(messageID: messageID, state: newState)
            }
        }
    }

    public func fallBackWithoutReceipt(gateways: [String], acceptedBefore: Date, timeout: TimeInterval, now: Date) async throws
        -> [(id: String, channel: Channel)]
    {
        guard !gateways.isEmpty else { return [] }
        return try await pool.write { db in
            let placeholders = Array(repeating: "?", count: gateways.count).joined(separator: ", ")
            let rows = try db.rows(
                """
                SELECT m.id, a.channel, a.gateway FROM messages m
                JOIN attempts a ON a.id = (SELECT MAX(id) FROM attempts WHERE message_id = m.id)
                WHERE m.state = 'sent' AND a.outcome = 'accepted' AND a.gateway IN (\(placeholders)) AND a.finished_at < ?
                    AND (a.delivery_status IS NULL OR a.delivery_status IN ('accepted', 'sent'))
                """, StatementArguments(gateways) + [acceptedBefore.timeIntervalSince1970])
            var moved: [(id: String, channel: Channel)] = []
            let at = now.timeIntervalSince1970
            for row in rows {
                let id: String = row["id"]
                guard let channel = Channel(rawValue: row["channel"]) else { continue }
                guard case .fallBack(let reason, let decision) = MessageLifecycle.receiptTimeout(channel: channel, gateway: row["gateway"], timeout: timeout)
                else { continue }
                try db.run(
                    """
                    UPDATE messages SET state = 'queued', state_reason = ?, ready_at = ?, updated_at = ?,
                        excluded_channels = excluded_channels || ? || ',' WHERE id = ? AND state = 'sent'
                    """, [reason, at, at, channel.rawValue, id])
                guard db.changesCount == 1 else { continue }
                try Self.forgetContent(db, messageID: id)
                try Self.appendDecisions(db, messageID: id, texts: [decision], at: now)
                moved.append((id, channel))
            }
            return moved
        }
    }

    /// The attempt's status from this report, aggregated over its parts (`MessageLifecycle.aggregate`).
    static func aggregateStatus(_ db: Database, attemptID: Int64, source: String, reported: DeliveryStatus) throws -> DeliveryStatus {
        let parts = try String.fetchAll(db, sql: "SELECT part_id FROM attempt_parts WHERE attempt_id = ?", arguments: [attemptID])
        guard parts.count > 1 else { return reported }
        let reports = try Row.fetchAll(
            db, sql: "SELECT provider_id, status FROM receipts WHERE attempt_id = ? AND source = ? ORDER BY id", arguments: [attemptID, source]
        ).compactMap { row -> (part: String, status: DeliveryStatus)? in
            guard let part: String = row["provider_id"], let status = DeliveryStatus(rawValue: row["status"]) else { return nil }
            return (part, status)
        }
        return MessageLifecycle.aggregate(parts: parts, reports: reports, reported: reported)
    }
}
