import Foundation
import PostgresNIO
import VarselCore
import VarselStore

/// Status, listings, cancel, frequency-cap reads and API tokens.
extension PostgresMessageStore {
    public func status(id: String) async throws -> MessageStatus? {
        try await read { connection in
            guard let row = try await connection.query(
                """
                SELECT id, state, state_reason, kind, case_ref, channel, locale, tone, template_id, template_version, sms_encoding,
                    sms_segments, ready_at, created_at, content, variant
                FROM varsel.messages WHERE id = \(id)
                """, logger: self.logger
            ).collect().first else { return nil }
            let (id, stateName, reason, kind, caseRef, channel, locale, tone, templateID, templateVersion, smsEncoding) = try row.decode(
                (String, String, String?, String, String?, String?, String?, String?, String?, String?, String?).self)
            let columns = row.makeRandomAccess()
            let smsSegments = try columns["sms_segments"].decode(Int?.self)
            let readyAt = try columns["ready_at"].decode(Date.self)
            let createdAt = try columns["created_at"].decode(Date.self)
            let contentJSON = try columns["content"].decode(String?.self)
            let variant = try columns["variant"].decode(String?.self)

            let decisions = try await connection.query(
                "SELECT at, texts::text FROM varsel.decisions WHERE message_id = \(id) ORDER BY id", logger: self.logger
            ).collect().flatMap { row in
                let (at, texts) = try row.decode((Date, String).self)
                return try StoredRows.decisionTexts(texts).map { MessageStatus.Decision(at: at, text: $0) }
            }
            var finishedAt: [Date?] = []
            let attempts = try await connection.query(
                """
                SELECT started_at, channel, gateway, http_status, provider_id, outcome, latency_ms, error, idempotency_key, finished_at
                FROM varsel.attempts WHERE message_id = \(id) ORDER BY id
                """, logger: self.logger
            ).collect().map { row in
                let (at, channel, gateway, httpStatus, providerID, outcome, latency, error, key, finished) = try row.decode(
                    (Date, String, String, Int?, String?, String, Int?, String?, String, Date?).self)
                finishedAt.append(finished)
                return MessageStatus.Attempt(
                    at: at, channel: VarselCore.Channel(rawValue: channel) ?? .sms, gateway: gateway, httpStatus: httpStatus, providerID: providerID,
                    outcome: AttemptOutcome(rawValue: outcome) ?? .ambiguous, latencyMs: latency, error: error, idempotencyKey: key)
            }
            let accepted = zip(attempts, finishedAt).compactMap { attempt, finished in
                AcceptanceReceipts.Accepted(outcome: attempt.outcome, finishedAt: finished, gateway: attempt.gateway, providerID: attempt.providerID)
            }
            let stored = try await connection.query(
                "SELECT at, status, source, provider_id FROM varsel.receipts WHERE message_id = \(id) ORDER BY id", logger: self.logger
            ).collect().map { row in
                let (at, status, source, providerID) = try row.decode((Date, String, String, String?).self)
                return MessageStatus.Receipt(at: at, status: status, source: source, providerID: providerID)
            }
            let receipts = AcceptanceReceipts.merged(accepted, into: stored)
            let state = MessageState(rawValue: stateName) ?? .queued
            let sms = smsEncoding.flatMap(SMSEncoding.Scheme.init(rawValue:)).map { RenderedContent.SMSInfo(encoding: $0, segments: smsSegments ?? 0) }
            let content = try contentJSON.map { try VarselJSON.decoder().decode(RenderedContent.self, from: Data($0.utf8)) }
            var status = MessageStatus(
                id: id, state: state, reason: reason, kind: kind, caseRef: caseRef, channel: channel.flatMap(VarselCore.Channel.init(rawValue:)),
                locale: locale, tone: tone.flatMap(Tone.init(rawValue:)),
                template: templateID.map { MessageStatus.TemplateRef(id: $0, version: templateVersion ?? "") }, sms: sms,
                nextAttemptAt: state == .queued ? readyAt : nil, createdAt: createdAt, decisions: decisions, attempts: attempts,
                receipts: receipts, content: content)
            status.variant = variant
            return status
        }
    }

    public func list(caseRef: String?, state: MessageState?, limit: Int, after: String?) async throws -> [MessageSummary] {
        try await read { connection in
            try await connection.query(
                """
                SELECT id, state, kind, case_ref, channel, created_at, updated_at FROM varsel.messages
                WHERE (\(caseRef)::text IS NULL OR case_ref = \(caseRef)) AND (\(state?.rawValue)::text IS NULL OR state = \(state?.rawValue))
                    AND (\(after)::text IS NULL OR id > \(after))
                ORDER BY id LIMIT \(limit)
                """, logger: self.logger
            ).collect().map { row in
                let (id, state, kind, caseRef, channel, createdAt, updatedAt) = try row.decode((String, String, String, String?, String?, Date, Date).self)
                return MessageSummary(
                    id: id, state: MessageState(rawValue: state) ?? .queued, kind: kind, caseRef: caseRef,
                    channel: channel.flatMap(VarselCore.Channel.init(rawValue:)), createdAt: createdAt, updatedAt: updatedAt)
            }
        }
    }

    /// The messages are locked (`FOR UPDATE`) before their attempts are read: a worker opening an
    /// attempt updates the message row first, so either its attempt is committed and seen here, or
    /// it waits and then finds its lease gone.
    public func cancel(ids: [String]?, caseRef: String?, reason: String, now: Date) async throws -> CancelOutcome {
        try await transaction { connection in
            var rows: [(String, String)] = []
            if let ids {
                let found = try await connection.query(
                    "SELECT id, state FROM varsel.messages WHERE id = ANY(\(ids)) ORDER BY id FOR UPDATE", logger: self.logger
                ).collect().map { try $0.decode((String, String).self) }
                // In the order asked.
                let byID = Dictionary(found.map { ($0.0, $0) }, uniquingKeysWith: { first, _ in first })
                rows += ids.compactMap { byID[$0] }
            }
            if let caseRef {
                rows += try await connection.query(
                    "SELECT id, state FROM varsel.messages WHERE case_ref = \(caseRef) ORDER BY id FOR UPDATE", logger: self.logger
                ).collect().map { try $0.decode((String, String).self) }
            }
            var outcome = CancelOutcome()
            try await Self.cancelUnsent(connection, rows, reason: reason, now: now, into: &outcome, logger: self.logger)
            return outcome
        }
    }

    /// Cancels each of `rows` (id, state; locked by the caller) that was not handed to a gateway;
    /// says what became of each.
    static func cancelUnsent(
        _ connection: PostgresConnection, _ rows: [(String, String)], reason: String, now: Date, into outcome: inout CancelOutcome, logger: Logger
    ) async throws {
        for (id, stateName) in rows {
            let state = MessageState(rawValue: stateName) ?? .queued
            let started = state == .sending ? try await attemptStarted(connection, messageID: id, logger: logger) : false
            guard outcome.judge(id, state: state, attemptStarted: started) else { continue }
            try await cancelRow(connection, id: id, reason: reason, now: now, logger: logger)
            try await appendDecisions(connection, messageID: id, texts: ["cancelled: \(reason)"], at: now, logger: logger)
            outcome.cancelled.append(id)
        }
    }

    /// Whether a request of the message has been handed to a gateway (an attempt pending or accepted).
    static func attemptStarted(_ connection: PostgresConnection, messageID: String, logger: Logger) async throws -> Bool {
        try await count(
            connection, "SELECT count(*) FROM varsel.attempts WHERE message_id = \(messageID) AND outcome IN ('pending', 'accepted')", logger: logger) > 0
    }

    /// Ends the message `cancelled`; a lease holder loses its fence.
    static func cancelRow(_ connection: PostgresConnection, id: String, reason: String, now: Date, logger: Logger) async throws {
        try await connection.query(
            """
            UPDATE varsel.messages SET state = 'cancelled', state_reason = \(reason), lease_token = NULL, lease_owner = NULL,
                lease_expires_at = NULL, updated_at = \(now) WHERE id = \(id)
            """, logger: logger)
    }

    public func acceptedSends(recipientKeys: Set<String>, since: Date) async throws -> [String: [Date]] {
        guard !recipientKeys.isEmpty else { return [:] }
        return try await read { connection in
            var result: [String: [Date]] = [:]
            for row in try await connection.query(
                """
                SELECT m.recipient_key, a.finished_at FROM varsel.attempts a JOIN varsel.messages m ON m.id = a.message_id
                WHERE m.recipient_key = ANY(\(Array(recipientKeys))) AND a.outcome = 'accepted' AND a.finished_at >= \(since)
                """, logger: self.logger
            ).collect() {
                let (key, at) = try row.decode((String, Date).self)
                result[key, default: []].append(at)
            }
            return result
        }
    }

    // MARK: Tokens

    public func createToken(hash: String, scopes: [String], label: String?, now: Date) async throws -> StoredToken {
        let id = "tok_" + String(MessageID.generate(now: now).dropFirst(4).suffix(16))
        try await transaction { connection in
            try await connection.query(
                """
                INSERT INTO varsel.api_tokens (id, hash, scopes, label, created_at)
                VALUES (\(id), \(hash), \(scopes.joined(separator: ",")), \(label), \(now))
                """, logger: self.logger)
        }
        return StoredToken(id: id, scopes: scopes, label: label, createdAt: now, revokedAt: nil)
    }

    public func token(hash: String) async throws -> StoredToken? {
        try await tokens(hash: hash).first
    }

    public func tokens() async throws -> [StoredToken] {
        try await tokens(hash: nil)
    }

    /// Every token, or the one with `hash`.
    private func tokens(hash value: String?) async throws -> [StoredToken] {
        try await read { connection in
            try await connection.query(
                """
                SELECT id, scopes, label, created_at, revoked_at FROM varsel.api_tokens
                WHERE \(value)::text IS NULL OR hash = \(value) ORDER BY created_at, id
                """, logger: self.logger
            ).collect().map { row in
                let (id, scopes, label, createdAt, revokedAt) = try row.decode((String, String, String?, Date, Date?).self)
                return StoredToken(id: id, scopes: scopes.split(separator: ",").map(String.init), label: label, createdAt: createdAt, revokedAt: revokedAt)
            }
        }
    }

    public func revokeToken(id: String, now: Date) async throws -> Bool {
        try await transaction { connection in
            try await !connection.query(
                "UPDATE varsel.api_tokens SET revoked_at = COALESCE(revoked_at, \(now)) WHERE id = \(id) RETURNING id", logger: self.logger
            ).collect().isEmpty
        }
    }
}
