import Foundation
import Logging
import PostgresNIO
import VarselCore
import VarselStore

/// Case events. An event and an enqueue of the same case hold the case's advisory lock for their
/// transaction, so an enqueue sees either no stopping event, or the event with its cancellations
/// committed: never a message queued behind a `paid` that its cancel did not see.
extension PostgresMessageStore {
    public func recordCaseEvent(_ request: CaseEventRequest, caseStops: CaseStopPolicy, now: Date) async throws -> CaseEventOutcome {
        try await transaction { connection in
            try await Self.lockCases([request.caseRef], connection, logger: self.logger)
            if let key = request.idempotencyKey,
               let row = try await connection.query(
                   "SELECT \(unescaped: Self.eventColumns), fingerprint FROM varsel.case_events WHERE idempotency_key = \(key)", logger: self.logger
               ).collect().first
            {
                let (existing, fingerprint) = try Self.caseEvent(row, withFingerprint: true)
                guard fingerprint == request.fingerprint else { return .conflict(existingID: existing.id) }
                let events = try await Self.caseEvents(connection, caseRefs: [existing.caseRef], logger: self.logger)
                return .duplicate(existing, standing: CaseStanding(events: events[existing.caseRef] ?? []))
            }
            let event = request.event(id: CaseEvent.newID(now: now), now: now)
            try await connection.query(
                """
                INSERT INTO varsel.case_events (id, case_ref, type, amount, currency, at, recorded_at, note, idempotency_key, fingerprint)
                VALUES (\(event.id), \(event.caseRef), \(event.type.rawValue), \(event.amount), \(event.currency), \(event.at),
                    \(event.recordedAt), \(event.note), \(event.idempotencyKey), \(request.fingerprint))
                """, logger: self.logger)
            let events = try await Self.caseEvents(connection, caseRefs: [event.caseRef], logger: self.logger)
            var cancel = CancelOutcome()
            if event.type.stopsCase {
                let rows = try await connection.query(
                    "SELECT id, state, kind FROM varsel.messages WHERE case_ref = \(event.caseRef) ORDER BY id FOR UPDATE", logger: self.logger
                ).collect().map { try $0.decode((String, String, String).self) }.filter { caseStops.stops(kind: $0.2) }.map { ($0.0, $0.1) }
                try await Self.cancelUnsent(connection, rows, reason: CaseStanding.cancelReason(event), now: now, into: &cancel, logger: self.logger)
            }
            return .recorded(event, standing: CaseStanding(events: events[event.caseRef] ?? []), cancel: cancel)
        }
    }

    public func createCase(
        caseRef: String, plan: String, requestHash: String, steps: [(step: String, message: MessageRequest)], caseStops: CaseStopPolicy, now: Date
    ) async throws -> CaseCreation {
        let rows = StoredRequest.make(steps.map(\.message), now: now)
        do {
            return try await transaction { connection in
                // The case's lock first: two creations of one case, or a creation and an event, take turns.
                try await Self.lockCases([caseRef], connection, logger: self.logger)
                if let existing = try await Self.caseRecord(connection, caseRef: caseRef, logger: self.logger) {
                    return existing.requestHash == requestHash ? .duplicate(existing) : .conflict(existing)
                }
                var recorded: [CaseRecord.Step] = []
                let outcomes = try await Self.insert(rows, connection, caseStops: caseStops, logger: self.logger, now: now)
                for ((step, message), outcome) in zip(steps, outcomes) {
                    switch outcome {
                    case .created(let id), .duplicate(let id):
                        recorded.append(CaseRecord.Step(step: step, kind: message.kind, sendAfter: message.sendAfter ?? now, messageID: id))
                    case .conflict(let id):
                        throw StoreError("the message key of case \(caseRef) step \(step) is taken by message \(id)")
                    case .refused(let reason):
                        throw CaseRefused(reason: reason)
                    }
                }
                let record = CaseRecord(caseRef: caseRef, plan: plan, requestHash: requestHash, createdAt: now, steps: recorded)
                try await connection.query(
                    """
                    INSERT INTO varsel.cases (case_ref, plan, request_hash, created_at, steps)
                    VALUES (\(caseRef), \(plan), \(requestHash), \(now), \(try CaseRecord.encodeSteps(recorded))::jsonb)
                    """, logger: self.logger)
                return .created(record)
            }
        } catch let refused as CaseRefused {
            return .refused(reason: refused.reason)
        }
    }

    public func sentMessages(from: Date, to: Date) async throws -> [SentMessage] {
        try await read { connection in
            try await connection.query(
                """
                SELECT m.id, m.case_ref, m.kind, m.channel, m.locale, m.tone, m.template_version, m.request::text, s.sent_at, m.variant
                FROM varsel.messages m
                JOIN (SELECT message_id, min(finished_at) AS sent_at FROM varsel.attempts WHERE outcome = 'accepted' GROUP BY message_id) s
                    ON s.message_id = m.id
                WHERE s.sent_at >= \(from) AND s.sent_at < \(to) ORDER BY s.sent_at
                """, logger: self.logger
            ).collect().compactMap { row in
                let (id, caseRef, kind, channel, locale, tone, version, request, sentAt, variant) = try row.decode(
                    (String, String?, String, String?, String?, String?, String?, String, Date, String?).self)
                return SentMessage.stored(
                    id: id, caseRef: caseRef, kind: kind, channel: channel, locale: locale, tone: tone, templateVersion: version, variant: variant,
                    request: request,
                    sentAt: sentAt)
            }
        }
    }

    public func caseRecord(caseRef: String) async throws -> CaseRecord? {
        try await read { connection in try await Self.caseRecord(connection, caseRef: caseRef, logger: self.logger) }
    }

    static func caseRecord(_ connection: PostgresConnection, caseRef: String, logger: Logger) async throws -> CaseRecord? {
        guard let row = try await connection.query(
            "SELECT case_ref, plan, request_hash, created_at, steps::text FROM varsel.cases WHERE case_ref = \(caseRef)", logger: logger
        ).collect().first else { return nil }
        let (ref, plan, hash, created, steps) = try row.decode((String, String, String, Date, String).self)
        return CaseRecord(caseRef: ref, plan: plan, requestHash: hash, createdAt: created, steps: try CaseRecord.decodeSteps(steps))
    }

    public func caseEvents(caseRefs: Set<String>) async throws -> [String: [CaseEvent]] {
        guard !caseRefs.isEmpty else { return [:] }
        return try await read { connection in try await Self.caseEvents(connection, caseRefs: caseRefs, logger: self.logger) }
    }

    public func caseSteps(caseRefs: Set<String>) async throws -> [String: [CaseStep]] {
        guard !caseRefs.isEmpty else { return [:] }
        var bindings = PostgresBindings()
        bindings.append(Array(caseRefs))
        let query = PostgresQuery(unsafeSQL: Self.caseStepsSQL, binds: bindings)
        return try await read { connection in
            var result: [String: [CaseStep]] = [:]
            for row in try await connection.query(query, logger: self.logger).collect() {
                let (caseRef, id, kind, at, fee) = try row.decode((String, String, String, Date, String?).self)
                result[caseRef, default: []].append(CaseStep(messageID: id, kind: kind, at: at, feeBearing: CaseStep.charges(fee: fee)))
            }
            return result
        }
    }

    /// The messages of the cases in `$1` that a gateway accepted, each with its first acceptance, in
    /// that order. Case by case, each case's messages by their index (`OFFSET 0` keeps the look-up a
    /// look-up: merged into a join it may be planned as a scan), each message's attempts by the
    /// message: the plan does not depend on statistics, which a sending daemon outruns. A join of the
    /// two tables was planned, with statistics taken while the attempts were few or before the
    /// messages were analysed, as a scan of every accepted attempt or of every message: 57 to 77 ms
    /// a batch at 20,000 sent, the largest statement time of a sending daemon.
    static let caseStepsSQL = """
        SELECT m.case_ref, m.id, m.kind, m.at, m.fee
        FROM unnest($1::text[]) AS c(ref)
        CROSS JOIN LATERAL (
            SELECT m.case_ref, m.id, m.kind, m.request->'data'->>'fee' AS fee, (
                SELECT min(a.finished_at) FROM varsel.attempts a WHERE a.message_id = m.id AND a.outcome = 'accepted'
            ) AS at
            FROM varsel.messages m WHERE m.case_ref = c.ref OFFSET 0
        ) m
        WHERE m.at IS NOT NULL
        ORDER BY m.at, m.id
        """

    /// Takes the advisory lock of each case, in one order so that two transactions cannot deadlock.
    static func lockCases(_ caseRefs: Set<String>, _ connection: PostgresConnection, logger: Logger) async throws {
        // In one statement (a batch names as many cases as messages), taken in sorted order, so two
        // transactions locking overlapping cases never wait on each other.
        try await connection.query(
            """
            SELECT pg_advisory_xact_lock(hashtextextended('varsel case ' || c, 0))
            FROM (SELECT c FROM unnest(\(caseRefs.sorted())::text[]) WITH ORDINALITY AS u(c, n) ORDER BY n) AS ordered
            """, logger: logger
        ).collect()
    }

    static func caseEvents(_ connection: PostgresConnection, caseRefs: Set<String>, logger: Logger) async throws -> [String: [CaseEvent]] {
        var result: [String: [CaseEvent]] = [:]
        for row in try await connection.query(
            "SELECT \(unescaped: eventColumns) FROM varsel.case_events WHERE case_ref = ANY(\(Array(caseRefs))) ORDER BY seq",
            logger: logger
        ).collect() {
            let event = try caseEvent(row, withFingerprint: false).0
            result[event.caseRef, default: []].append(event)
        }
        return result
    }

    /// Why each of `requests` may not be queued (by index), judged under the cases' locks inside the
    /// enqueue's transaction.
    static func caseRefusals(_ connection: PostgresConnection, _ rows: [StoredRequest], caseStops: CaseStopPolicy, logger: Logger) async throws -> [Int: String] {
        let caseRefs = Set(rows.filter { caseStops.stops(kind: $0.request.kind) }.compactMap(\.request.caseRef))
        guard !caseRefs.isEmpty else { return [:] }
        try await lockCases(caseRefs, connection, logger: logger)
        let events = try await caseEvents(connection, caseRefs: caseRefs, logger: logger)
        var refusals: [Int: String] = [:]
        for (index, row) in rows.enumerated() {
            let request = row.request
            guard let caseRef = request.caseRef, let caseEvents = events[caseRef] else { continue }
            if let refusal = CaseStanding(events: caseEvents).refusal(kind: request.kind, policy: caseStops) { refusals[index] = refusal }
        }
        return refusals
    }

    private static let eventColumns = "id, case_ref, type, amount, currency, at, recorded_at, note, idempotency_key"

    private static func caseEvent(_ row: PostgresRow, withFingerprint: Bool) throws -> (CaseEvent, String?) {
        let columns = row.makeRandomAccess()
        let event = CaseEvent(
            id: try columns["id"].decode(String.self), caseRef: try columns["case_ref"].decode(String.self),
            type: CaseEventType(rawValue: try columns["type"].decode(String.self)) ?? .reopened,
            amount: try columns["amount"].decode(String?.self), currency: try columns["currency"].decode(String?.self),
            at: try columns["at"].decode(Date.self), recordedAt: try columns["recorded_at"].decode(Date.self),
            note: try columns["note"].decode(String?.self), idempotencyKey: try columns["idempotency_key"].decode(String?.self))
        return (event, withFingerprint ? try columns["fingerprint"].decode(String.self) : nil)
    }
}
