import Foundation
import GRDB
import VarselCore

/// Case events: recorded with the cancellations they cause, in one write transaction (SQLite has
/// one writer, so an enqueue sees either no event or the event and its cancellations).
extension SQLiteMessageStore {
    public func recordCaseEvent(_ request: CaseEventRequest, caseStops: CaseStopPolicy, now: Date) async throws -> CaseEventOutcome {
        try await pool.write { db in
            if let key = request.idempotencyKey, let row = try db.row("SELECT * FROM case_events WHERE idempotency_key = ?", [key]) {
                let existing = Self.caseEvent(row)
                guard row["fingerprint"] as String == request.fingerprint else { return .conflict(existingID: existing.id) }
                return .duplicate(existing, standing: CaseStanding(events: try Self.caseEvents(db, caseRef: existing.caseRef)))
            }
            let event = request.event(id: CaseEvent.newID(now: now), now: now)
            try db.run(
                """
                INSERT INTO case_events (id, case_ref, type, amount, currency, at, recorded_at, note, idempotency_key, fingerprint)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    event.id, event.caseRef, event.type.rawValue, event.amount, event.currency, event.at.timeIntervalSince1970,
                    event.recordedAt.timeIntervalSince1970, event.note, event.idempotencyKey, request.fingerprint,
                ])
            let standing = CaseStanding(events: try Self.caseEvents(db, caseRef: event.caseRef))
            var cancel = CancelOutcome()
            if event.type.stopsCase {
                let rows = try db.rows("SELECT id, state, kind FROM messages WHERE case_ref = ? ORDER BY id", [event.caseRef])
                    .filter { caseStops.stops(kind: $0["kind"]) }
                try Self.cancelUnsent(db, rows, reason: CaseStanding.cancelReason(event), now: now, into: &cancel)
            }
            return .recorded(event, standing: standing, cancel: cancel)
        }
    }

    public func createCase(
        caseRef: String, plan: String, requestHash: String, steps: [(step: String, message: MessageRequest)], caseStops: CaseStopPolicy, now: Date
    ) async throws -> CaseCreation {
        let rows = StoredRequest.make(steps.map(\.message), now: now)
        do {
            return try await pool.write { db in try Self.createCase(db, caseRef: caseRef, plan: plan, requestHash: requestHash, steps: steps, rows: rows, caseStops: caseStops, now: now) }
        } catch let refused as CaseRefused {
            return .refused(reason: refused.reason)
        }
    }

    static func createCase(
        _ db: Database, caseRef: String, plan: String, requestHash: String, steps: [(step: String, message: MessageRequest)], rows: [StoredRequest],
        caseStops: CaseStopPolicy, now: Date
    ) throws -> CaseCreation {
        if let existing = try Self.caseRecord(db, caseRef: caseRef) {
            return existing.requestHash == requestHash ? .duplicate(existing) : .conflict(existing)
        }
        var recorded: [CaseRecord.Step] = []
        for ((step, message), outcome) in zip(steps, try Self.insert(db, rows, caseStops: caseStops, now: now)) {
            switch outcome {
            case .created(let id), .duplicate(let id):
                recorded.append(CaseRecord.Step(step: step, kind: message.kind, sendAfter: message.sendAfter ?? now, messageID: id))
            case .conflict(let id):
                throw StoreError("the message key of case \(caseRef) step \(step) is taken by message \(id)")
            case .refused(let reason):
                // Nothing of the case is kept: the transaction rolls back.
                throw CaseRefused(reason: reason)
            }
        }
        let record = CaseRecord(caseRef: caseRef, plan: plan, requestHash: requestHash, createdAt: now, steps: recorded)
        try db.run(
            "INSERT INTO cases (case_ref, plan, request_hash, created_at, steps) VALUES (?, ?, ?, ?, ?)",
            [caseRef, plan, requestHash, now.timeIntervalSince1970, try CaseRecord.encodeSteps(recorded)])
        return .created(record)
    }

    public func sentMessages(from: Date, to: Date) async throws -> [SentMessage] {
        try await pool.read { db in
            try db.rows(
                """
                SELECT m.id, m.case_ref, m.kind, m.channel, m.locale, m.tone, m.template_version, m.variant, m.request,
                    MIN(a.finished_at) AS sent_at
                FROM messages m JOIN attempts a ON a.message_id = m.id
                WHERE a.outcome = 'accepted' GROUP BY m.id HAVING sent_at >= ? AND sent_at < ? ORDER BY sent_at
                """, [from.timeIntervalSince1970, to.timeIntervalSince1970]
            ).compactMap { row in
                SentMessage.stored(
                    id: row["id"], caseRef: row["case_ref"], kind: row["kind"], channel: row["channel"], locale: row["locale"], tone: row["tone"],
                    templateVersion: row["template_version"], variant: row["variant"], request: row["request"], sentAt: Date(timeIntervalSince1970: row["sent_at"]))
            }
        }
    }

    public func caseRecord(caseRef: String) async throws -> CaseRecord? {
        try await pool.read { db in try Self.caseRecord(db, caseRef: caseRef) }
    }

    static func caseRecord(_ db: Database, caseRef: String) throws -> CaseRecord? {
        guard let row = try db.row("SELECT * FROM cases WHERE case_ref = ?", [caseRef]) else { return nil }
        return CaseRecord(
            caseRef: row["case_ref"], plan: row["plan"], requestHash: row["request_hash"], createdAt: Date(timeIntervalSince1970: row["created_at"]),
            steps: try CaseRecord.decodeSteps(row["steps"]))
    }

    public func caseEvents(caseRefs: Set<String>) async throws -> [String: [CaseEvent]] {
        guard !caseRefs.isEmpty else { return [:] }
        return try await pool.read { db in try Self.caseEvents(db, caseRefs: Array(caseRefs)) }
    }

    /// The events of several cases, each case's in the order recorded, in few statements (`rows(forIDs:)`).
    static func caseEvents(_ db: Database, caseRefs refs: [String]) throws -> [String: [CaseEvent]] {
        // Which of the cases have events is asked first, the references bound straight into SQLite:
        // most cases of a batch have none, and reading rows through GRDB's arguments for every one
        // of a chunk's references was a sixth of the instructions of an enqueue's writer.
        let withEvents = try texts(db, forIDs: refs) { "SELECT DISTINCT case_ref FROM case_events WHERE case_ref IN (\($0))" }
        guard !withEvents.isEmpty else { return [:] }
        var result: [String: [CaseEvent]] = [:]
        // Each case's events are in one chunk's rows, in rowid order.
        for row in try rows(db, forIDs: withEvents, { "SELECT * FROM case_events WHERE case_ref IN (\($0)) ORDER BY rowid" }) {
            let event = caseEvent(row)
            result[event.caseRef, default: []].append(event)
        }
        return result
    }

    public func caseSteps(caseRefs: Set<String>) async throws -> [String: [CaseStep]] {
        guard !caseRefs.isEmpty else { return [:] }
        return try await pool.read { db in try Self.caseSteps(db, caseRefs: Array(caseRefs)) }
    }

    /// The accepted messages of several cases, each case's in the order accepted, in few statements.
    static func caseSteps(_ db: Database, caseRefs refs: [String]) throws -> [String: [CaseStep]] {
        var result: [String: [CaseStep]] = [:]
        // Each case's steps are in one chunk's rows, in the order sent.
        for row in try rows(db, forIDs: refs, {
            """
            SELECT m.case_ref, m.id, m.kind, MIN(a.finished_at) AS at, CAST(json_extract(m.request, '$.data.fee') AS TEXT) AS fee
            FROM messages m JOIN attempts a ON a.message_id = m.id
            WHERE m.case_ref IN (\($0)) AND a.outcome = 'accepted' GROUP BY m.id ORDER BY at, m.id
            """
        }) {
            result[row["case_ref"], default: []].append(CaseStep(
                messageID: row["id"], kind: row["kind"], at: Date(timeIntervalSince1970: row["at"]), feeBearing: CaseStep.charges(fee: row["fee"])))
        }
        return result
    }

    static func caseEvents(_ db: Database, caseRef: String) throws -> [CaseEvent] {
        try db.rows("SELECT * FROM case_events WHERE case_ref = ? ORDER BY rowid", [caseRef]).map(caseEvent)
    }

    /// Why each of `rows` may not be queued (by index), judged inside the enqueue's transaction.
    static func caseRefusals(_ db: Database, _ rows: [StoredRequest], caseStops: CaseStopPolicy) throws -> [Int: String] {
        // A store with no case event refuses nothing: one look at the table's last row, not one a
        // case (in the transaction, so an event recorded before it commits is seen).
        if try db.value(Int64.self, "SELECT MAX(rowid) FROM case_events") == nil { return [:] }
        // By index: a loop over the rows (or a key path) would copy each row, retaining all its fields.
        var caseRefs = Set<String>(minimumCapacity: rows.count)
        for index in rows.indices {
            if let caseRef = rows[index].request.caseRef, caseStops.stops(kind: rows[index].request.kind) { caseRefs.insert(caseRef) }
        }
        guard !caseRefs.isEmpty else { return [:] }
        // The events of all the batch's cases in one query, not one per case.
        let events = try caseEvents(db, caseRefs: Array(caseRefs))
        guard !events.isEmpty else { return [:] }
        var standings: [String: CaseStanding] = [:]
        var refusals: [Int: String] = [:]
        for index in rows.indices {
            // A case without events is open: it refuses nothing.
            guard let caseRef = rows[index].request.caseRef, let caseEvents = events[caseRef] else { continue }
            let kind = rows[index].request.kind
            guard caseStops.stops(kind: kind) else { continue }
            if standings[caseRef] == nil { standings[caseRef] = CaseStanding(events: caseEvents) }
            if let refusal = standings[caseRef]?.refusal(kind: kind, policy: caseStops) { refusals[index] = refusal }
        }
        return refusals
    }

    private static func caseEvent(_ row: Row) -> CaseEvent {
        CaseEvent(
            id: row["id"], caseRef: row["case_ref"], type: CaseEventType(rawValue: row["type"]) ?? .reopened, amount: row["amount"],
            currency: row["currency"], at: Date(timeIntervalSince1970: row["at"]), recordedAt: Date(timeIntervalSince1970: row["recorded_at"]),
            note: row["note"], idempotencyKey: row["idempotency_key"])
    }
}
