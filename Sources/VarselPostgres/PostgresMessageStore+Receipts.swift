import Foundation
import PostgresNIO
import VarselCore
import VarselStore

/// Delivery receipts and the sweep for receipts that never came. The message row is locked first,
/// so two daemons taking receipts for one message judge them one after the other.
extension PostgresMessageStore {
    public func recordReceipt(gateway: String, providerID: String, status: DeliveryStatus, error: String?, raw: String?, fallback: Bool, now: Date)
        async throws -> ReceiptOutcome
    {
        try await transaction { connection in
            let found = try await connection.query(
                """
                SELECT id, message_id, channel FROM varsel.attempts WHERE gateway = \(gateway) AND provider_id = \(providerID)
                UNION ALL
                SELECT a.id, a.message_id, a.channel FROM varsel.attempt_parts p JOIN varsel.attempts a ON a.id = p.attempt_id
                WHERE p.gateway = \(gateway) AND p.part_id = \(providerID)
                ORDER BY 1 DESC LIMIT 1
                """, logger: self.logger
            ).collect().first
            guard let found else { return .unknownProvider }
            let (attemptID, messageID, attemptChannel) = try found.decode((Int64, String, String).self)
            guard let message = try await connection.query(
                "SELECT state, request::text FROM varsel.messages WHERE id = \(messageID) FOR UPDATE", logger: self.logger
            ).collect().first else { return .unknownProvider }
            let (stateName, requestJSON) = try message.decode((String, String).self)
            let state = MessageState(rawValue: stateName) ?? .sent
            let source = "webhook:\(gateway)"
            let seen = try await Self.count(
                connection,
                """
                SELECT count(*) FROM varsel.receipts WHERE attempt_id = \(attemptID) AND status = \(status.rawValue) AND source = \(source)
                    AND provider_id = \(providerID)
                """, logger: self.logger)
            if seen > 0 { return .duplicate(messageID: messageID, state: state) }
            try await connection.query(
                """
                INSERT INTO varsel.receipts (message_id, attempt_id, at, status, source, provider_id, raw)
                VALUES (\(messageID), \(attemptID), \(now), \(status.rawValue), \(source), \(providerID), \(raw))
                """, logger: self.logger)
            let reported = status
            let status = try await Self.aggregateStatus(connection, attemptID: attemptID, source: source, reported: reported, logger: self.logger)
            let previous = try await connection.query("SELECT delivery_status FROM varsel.attempts WHERE id = \(attemptID)", logger: self.logger)
                .collect().first?.decode(String?.self).flatMap(DeliveryStatus.init(rawValue:))
            if let advanced = MessageLifecycle.advance(previous, to: status) {
                try await connection.query("UPDATE varsel.attempts SET delivery_status = \(advanced.rawValue) WHERE id = \(attemptID)", logger: self.logger)
            }
            let recipient = try? VarselJSON.decoder().decode(MessageRequest.self, from: Data(requestJSON.utf8)).recipient
            let detail = error.map { text in ": " + (recipient.map { Masking.scrub(text, knownContact: $0) } ?? Masking.scrub(text)) } ?? ""
            let current = try await connection.query("SELECT max(id) FROM varsel.attempts WHERE message_id = \(messageID)", logger: self.logger)
                .collect().first?.decode(Int64?.self) ?? nil
            let verdict = MessageLifecycle.receipt(.init(
                status: status, isLatestAttempt: current == attemptID, messageState: state,
                attemptChannel: VarselCore.Channel(rawValue: attemptChannel) ?? .sms, gateway: gateway, detail: detail, fallBackOnFailure: fallback))
            switch verdict {
            case .recordOnly(let decision):
                if let decision { try await Self.appendDecisions(connection, messageID: messageID, texts: [decision], at: now, logger: self.logger) }
                return .recorded(messageID: messageID, state: state)
            case .fallBack(let reason, let decision):
                try await Self.requeueWithout(connection, messageID: messageID, channel: attemptChannel, reason: reason, now: now, logger: self.logger)
                try await Self.appendDecisions(connection, messageID: messageID, texts: [decision], at: now, logger: self.logger)
                return .recorded(messageID: messageID, state: .queued)
            case .finish(let newState, let reason, let decision):
                try await connection.query(
                    """
                    UPDATE varsel.messages SET state = \(newState.rawValue), state_reason = \(reason), updated_at = \(now)
                    WHERE id = \(messageID) AND state = 'sent'
                    """, logger: self.logger)
                try await Self.appendDecisions(connection, messageID: messageID, texts: [decision], at: now, logger: self.logger)
                return .recorded(messageID: messageID, state: newState)
            }
        }
    }

    /// A `sent` message back to the queue without `channel`, to be planned again. True when it was `sent`.
    @discardableResult
    static func requeueWithout(_ connection: PostgresConnection, messageID: String, channel: String, reason: String, now: Date, logger: Logger)
        async throws -> Bool
    {
        let moved = try await connection.query(
            """
            UPDATE varsel.messages SET state = 'queued', state_reason = \(reason), ready_at = \(now), updated_at = \(now), content = NULL,
                excluded_channels = excluded_channels || \(channel) || ','
            WHERE id = \(messageID) AND state = 'sent' RETURNING id
            """, logger: logger
        ).collect()
        if !moved.isEmpty { try await notifyQueue(connection, logger: logger) }
        return !moved.isEmpty
    }

    public func fallBackWithoutReceipt(gateways: [String], acceptedBefore: Date, timeout: TimeInterval, now: Date) async throws
        -> [(id: String, channel: VarselCore.Channel)]
    {
        guard !gateways.isEmpty else { return [] }
        return try await transaction { connection in
            let rows = try await connection.query(
                """
                SELECT m.id, a.channel, a.gateway FROM varsel.messages m
                JOIN varsel.attempts a ON a.id = (SELECT max(id) FROM varsel.attempts WHERE message_id = m.id)
                WHERE m.state = 'sent' AND a.outcome = 'accepted' AND a.gateway = ANY(\(gateways)) AND a.finished_at < \(acceptedBefore)
                    AND (a.delivery_status IS NULL OR a.delivery_status IN ('accepted', 'sent'))
                ORDER BY m.id
                FOR UPDATE OF m SKIP LOCKED
                """, logger: self.logger
            ).collect()
            var moved: [(id: String, channel: VarselCore.Channel)] = []
            for row in rows {
                let (id, channelName, gateway) = try row.decode((String, String, String).self)
                guard let channel = VarselCore.Channel(rawValue: channelName),
                      case .fallBack(let reason, let decision) = MessageLifecycle.receiptTimeout(channel: channel, gateway: gateway, timeout: timeout)
                else { continue }
                guard try await Self.requeueWithout(connection, messageID: id, channel: channelName, reason: reason, now: now, logger: self.logger)
                else { continue }
                try await Self.appendDecisions(connection, messageID: id, texts: [decision], at: now, logger: self.logger)
                moved.append((id, channel))
            }
            return moved
        }
    }

    /// The attempt's status from this report, aggregated over its parts (`MessageLifecycle.aggregate`).
    static func aggregateStatus(_ connection: PostgresConnection, attemptID: Int64, source: String, reported: DeliveryStatus, logger: Logger)
        async throws -> DeliveryStatus
    {
        let parts = try await connection.query("SELECT part_id FROM varsel.attempt_parts WHERE attempt_id = \(attemptID)", logger: logger)
            .collect().map { try $0.decode(String.self) }
        guard parts.count > 1 else { return reported }
        let reports = try await connection.query(
            "SELECT provider_id, status FROM varsel.receipts WHERE attempt_id = \(attemptID) AND source = \(source) ORDER BY id", logger: logger
        ).collect().compactMap { row -> (part: String, status: DeliveryStatus)? in
            let (part, status) = try row.decode((String?, String).self)
            guard let part, let status = DeliveryStatus(rawValue: status) else { return nil }
            return (part, status)
        }
        return MessageLifecycle.aggregate(parts: parts, reports: reports, reported: reported)
    }
}
