import Foundation
import PostgresNIO
import VarselCore
import VarselStore

/// Transactional intake: `varsel.enqueue(jsonb)` rows become messages, or keep their error.
extension PostgresMessageStore: IntakeStore {
    public func takeIntake(limit: Int, now: Date, caseStops: CaseStopPolicy, validate: @escaping @Sendable (Data) async -> Result<MessageRequest, IntakeRejection>) async throws -> IntakeBatch {
        try await transaction { connection in
            let rows = try await connection.query(
                """
                SELECT id, payload::text FROM varsel.intake WHERE accepted_at IS NULL AND rejected_at IS NULL
                ORDER BY id LIMIT \(limit) FOR UPDATE SKIP LOCKED
                """, logger: self.logger
            ).collect().map { try $0.decode((Int64, String?).self) }
            var batch = IntakeBatch()
            for (intakeID, payload) in rows {
                var verdict: Result<String, IntakeRejection>
                switch await validate(Data((payload ?? "null").utf8)) {
                case .failure(let rejection):
                    verdict = .failure(rejection)
                case .success(let request):
                    switch try await Self.insert([StoredRequest(request, now: now)], connection, caseStops: caseStops, logger: self.logger, now: now).first {
                    case .created(let id), .duplicate(let id): verdict = .success(id)
                    case .conflict(let existing):
                        verdict = .failure(IntakeRejection(
                            "idempotency_key '\(request.idempotencyKey ?? "")' was used before for a different message (\(existing)); nothing was stored"))
                    case .refused(let reason): verdict = .failure(IntakeRejection(reason + "; nothing was stored"))
                    case nil: throw StoreError("storing intake row \(intakeID) returned no outcome")
                    }
                }
                switch verdict {
                case .success(let messageID):
                    // The message holds the request now: the payload (personal data) is not kept twice.
                    try await connection.query(
                        "UPDATE varsel.intake SET message_id = \(messageID), accepted_at = \(now), payload = NULL WHERE id = \(intakeID)", logger: self.logger)
                    batch.accepted[intakeID] = messageID
                case .failure(let rejection):
                    try await connection.query(
                        "UPDATE varsel.intake SET error = \(rejection.message), rejected_at = \(now) WHERE id = \(intakeID)", logger: self.logger)
                    batch.rejected[intakeID] = rejection.message
                }
            }
            return batch
        }
    }

    public func intakeErrors(limit: Int, before: Int64?) async throws -> [IntakeError] {
        try await read { connection in
            try await connection.query(
                """
                SELECT id, received_at, rejected_at, error, payload::text FROM varsel.intake
                WHERE rejected_at IS NOT NULL AND (\(before)::bigint IS NULL OR id < \(before))
                ORDER BY id DESC LIMIT \(limit)
                """, logger: self.logger
            ).collect().map { row in
                let (id, received, rejected, error, payload) = try row.decode((Int64, Date, Date, String, String?).self)
                return IntakeError(intakeID: id, receivedAt: received, rejectedAt: rejected, error: error, payload: payload)
            }
        }
    }
}
