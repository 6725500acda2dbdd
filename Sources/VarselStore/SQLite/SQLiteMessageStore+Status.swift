import Foundation
import GRDB
import VarselCore

extension SQLiteMessageStore {
    public func status(id: String) async throws -> MessageStatus? {
        let decoder = VarselJSON.decoder()
        let snapshot: StatusRows? = try await pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM messages WHERE id = ?", arguments: [id]) else { return nil }
            let message = MessageRow(
                id: row["id"], state: row["state"], reason: row["state_reason"], kind: row["kind"], caseRef: row["case_ref"],
                channel: row["channel"], locale: row["locale"], tone: row["tone"], templateID: row["template_id"],
                templateVersion: row["template_version"], variant: row["variant"], smsEncoding: row["sms_encoding"], smsSegments: row["sms_segments"],
                readyAt: row["ready_at"], createdAt: row["created_at"],
                content: try db.value(String.self, "SELECT content FROM message_contents WHERE message_id = ?", [id]))
            let decisions = try Row.fetchAll(db, sql: "SELECT at, texts FROM decisions WHERE message_id = ? ORDER BY id", arguments: [id])
                .flatMap { row in
                    let at = Date(timeIntervalSince1970: row["at"])
                    return try StoredRows.decisionTexts(row["texts"]).map { MessageStatus.Decision(at: at, text: $0) }
                }
            let attemptRows = try Row.fetchAll(db, sql: "SELECT * FROM attempts WHERE message_id = ? ORDER BY id", arguments: [id])
            let attempts = attemptRows.map { row in
                MessageStatus.Attempt(
                    at: Date(timeIntervalSince1970: row["started_at"]), channel: Channel(rawValue: row["channel"]) ?? .sms,
                    gateway: row["gateway"], httpStatus: row["http_status"], providerID: row["provider_id"],
                    outcome: AttemptOutcome(rawValue: row["outcome"]) ?? .ambiguous, latencyMs: row["latency_ms"],
                    error: row["error"], idempotencyKey: row["idempotency_key"])
            }
            let stored = try Row.fetchAll(db, sql: "SELECT * FROM receipts WHERE message_id = ? ORDER BY id", arguments: [id])
                .map { row in
                    MessageStatus.Receipt(
                        at: Date(timeIntervalSince1970: row["at"]), status: row["status"], source: row["source"],
                        providerID: row["provider_id"])
                }
            let accepted = zip(attempts, attemptRows).compactMap { attempt, row in
                AcceptanceReceipts.Accepted(
                    outcome: attempt.outcome, finishedAt: (row["finished_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
                    gateway: attempt.gateway, providerID: attempt.providerID)
            }
            return StatusRows(
                message: message, decisions: decisions, attempts: attempts, receipts: AcceptanceReceipts.merged(accepted, into: stored))
        }
        guard let snapshot else { return nil }
        let message = snapshot.message
        let state = MessageState(rawValue: message.state) ?? .queued
        let template = message.templateID.map { MessageStatus.TemplateRef(id: $0, version: message.templateVersion ?? "") }
        let sms = message.smsEncoding.flatMap(SMSEncoding.Scheme.init(rawValue:)).map {
            RenderedContent.SMSInfo(encoding: $0, segments: message.smsSegments ?? 0)
        }
        let content = try message.content.map { try decoder.decode(RenderedContent.self, from: Data($0.utf8)) }
        var status = MessageStatus(
            id: message.id, state: state, reason: message.reason, kind: message.kind, caseRef: message.caseRef,
            channel: message.channel.flatMap(Channel.init(rawValue:)), locale: message.locale,
            tone: message.tone.flatMap(Tone.init(rawValue:)), template: template, sms: sms,
            nextAttemptAt: state == .queued ? Date(timeIntervalSince1970: message.readyAt) : nil,
            createdAt: Date(timeIntervalSince1970: message.createdAt), decisions: snapshot.decisions,
            attempts: snapshot.attempts, receipts: snapshot.receipts, content: content)
        status.variant = message.variant
        return status
    }

    private struct MessageRow: Sendable {
        let id: String
        let state: String
        let reason: String?
        let kind: String
        let caseRef: String?
        let channel: String?
        let locale: String?
        let tone: String?
        let templateID: String?
        let templateVersion: String?
        let variant: String?
        let smsEncoding: String?
        let smsSegments: Int?
        let readyAt: Double
        let createdAt: Double
        let content: String?
    }

    private struct StatusRows: Sendable {
        let message: MessageRow
        let decisions: [MessageStatus.Decision]
        let attempts: [MessageStatus.Attempt]
        let receipts: [MessageStatus.Receipt]
    }
}
