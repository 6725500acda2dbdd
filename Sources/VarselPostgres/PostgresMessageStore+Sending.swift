import Foundation
import PostgresNIO
import VarselCore
import VarselStore

/// Recording a worker's plan, the attempts it opens and their results: every statement is fenced by
/// the lease token, so a worker that lost its lease changes nothing. Under READ COMMITTED a fenced
/// `UPDATE … WHERE lease_token = …` waits for a concurrent writer of the row and re-checks the token
/// after it committed: a compare-and-set. A `SELECT … FOR SHARE` with the same condition (an attempt's
/// open) waits and re-checks alike, and holds off a later writer until its transaction ends.
extension PostgresMessageStore {
    /// Reads no next batch (`next` is ignored): `takeDue` leases, so that two hosts never plan the same message.
    public func prepare(_ preparations: [Preparation], starting starts: [AttemptStart], now: Date, takingNext next: DueQuery?) async throws -> PreparedBatch {
        let split = PlannedStarts(starts, preparations: preparations)
        let record = try recording(preparations, now: now)
        return try await transaction { connection in
            let held = try await record(connection)
            var started = try await Self.insertAttempts(connection, split.withPlan.filter { held.contains($0.lease.messageID) }, now: now, logger: self.logger)
            if !split.others.isEmpty { started.merge(try await self.openAttempts(connection, split.others, now: now)) { $1 } }
            return PreparedBatch(held: held, started: started)
        }
    }

    /// What records a batch's plans in a transaction (the rows built beforehand, outside it): the sends
    /// whose lease held.
    private func recording(_ preparations: [Preparation], now: Date) throws -> @Sendable (PostgresConnection) async throws -> Set<String> {
        let contents = StoredRows.contents(preparations)
        let sends = preparations.compactMap { preparation -> PlannedSend? in
            guard case .send(let send) = preparation else { return nil }
            return send
        }
        // One array a column (`NullableArray`), the rows in batch order.
        let ids = sends.map(\.lease.messageID)
        let tokens = sends.map(\.lease.token)
        let channels = sends.map(\.content.channel.rawValue)
        let locales = sends.map(\.locale)
        let tones = sends.map(\.tone.rawValue)
        let gateways = sends.map(\.gateway)
        let templates = sends.map(\.content.templateID)
        let versions = sends.map(\.content.templateVersion)
        let variants = NullableArray(sends.map(\.content.variant))
        let hashes = sends.map(\.content.contentHash)
        let texts = NullableArray(sends.map { contents[$0.lease.messageID].map { String(decoding: $0, as: UTF8.self) } })
        let encodings = NullableArray(sends.map(\.content.sms?.encoding.rawValue))
        let segments = NullableArray(sends.map(\.content.sms?.segments))
        return { connection in
            var held: Set<String> = []
            var trail: [(messageID: String, texts: [String])] = []
            if !sends.isEmpty {
                // Every send of the batch in one statement, fenced row by row.
                var bindings = PostgresBindings(capacity: 14)
                bindings.append(now)
                for column in [ids, tokens, channels, locales, tones, gateways, templates, versions] { bindings.append(column) }
                bindings.append(variants)
                bindings.append(hashes)
                bindings.append(texts)
                bindings.append(encodings)
                bindings.append(segments)
                held = try await Set(connection.run(PlanSends.self, bindings, logger: self.logger).map { try $0.decode(String.self) })
            }
            for preparation in preparations {
                switch preparation {
                case .send(let send):
                    if held.contains(send.lease.messageID) { trail.append((send.lease.messageID, send.decisions)) }
                case .deferral(let lease, let until, let reason, let decisions):
                    if try await Self.release(connection, lease, state: .queued, reason: reason, readyAt: until, now: now, logger: self.logger) {
                        trail.append((lease.messageID, decisions))
                    }
                case .finish(let lease, let state, let reason, let decisions):
                    if try await Self.release(connection, lease, state: state, reason: reason, readyAt: nil, now: now, logger: self.logger) {
                        trail.append((lease.messageID, decisions))
                    }
                }
            }
            try await Self.appendDecisions(connection, trail, at: now, logger: self.logger)
            return held
        }
    }

    /// Ends a lease, leaving the message in `state` (fenced). True when the lease still held.
    static func release(
        _ connection: PostgresConnection, _ lease: LeaseRef, state: MessageState, reason: String, readyAt: Date?, now: Date, logger: Logger
    ) async throws -> Bool {
        try await !connection.query(
            """
            UPDATE varsel.messages SET state = \(state.rawValue), state_reason = \(reason), ready_at = COALESCE(\(readyAt), ready_at),
                lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = \(now)
            WHERE id = \(lease.messageID) AND lease_token = \(lease.token) AND state = 'sending'
            RETURNING id
            """, logger: logger
        ).collect().isEmpty
    }

    public func start(_ starts: [AttemptStart], now: Date) async throws -> [String: StartOutcome] {
        try await transaction { connection in try await self.openAttempts(connection, starts, now: now) }
    }

    /// Opens the attempts of `starts` in the caller's transaction, each fenced, each capped start
    /// judged against every daemon's sends first.
    private func openAttempts(_ connection: PostgresConnection, _ starts: [AttemptStart], now: Date) async throws -> [String: StartOutcome] {
        // Frequency caps are judged per recipient with every daemon's sends in view: a
        // transaction-scoped advisory lock per recipient key serialises the judges, taken in
        // one order so that two batches never wait on each other.
        let capped = Set(starts.compactMap { start in start.cap.flatMap { $0.policy.enabled ? $0.recipientKey : nil } })
        for key in capped.sorted() {
            try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\("varsel.cap:" + key), 0))", logger: self.logger)
        }
        var outcomes: [String: StartOutcome] = [:]
        var uncapped: [AttemptStart] = []
        for start in starts {
            let lease = start.lease
            guard let cap = start.cap, cap.policy.enabled else {
                uncapped.append(start)
                continue
            }
            // Accepted, or in flight (pending), in the window, to the same recipient.
            let since = now.addingTimeInterval(-cap.policy.window)
            let times = try await connection.query(
                """
                SELECT COALESCE(a.finished_at, a.started_at) FROM varsel.attempts a JOIN varsel.messages m ON m.id = a.message_id
                WHERE m.recipient_key = \(cap.recipientKey) AND m.id <> \(lease.messageID) AND a.outcome IN ('accepted', 'pending')
                    AND COALESCE(a.finished_at, a.started_at) >= \(since)
                """, logger: self.logger
            ).collect().map { try $0.decode(Date.self) }
            if let until = cap.policy.deferredUntil(kind: cap.kind, sentAt: times, now: now) {
                let reason = cap.policy.deferralReason(kind: cap.kind, until: until)
                guard try await Self.release(connection, lease, state: .queued, reason: reason, readyAt: until, now: now, logger: self.logger)
                else { continue }
                try await Self.appendDecisions(
                    connection, messageID: lease.messageID, texts: [reason + " (decided as the attempt was to open)"], at: now, logger: self.logger)
                outcomes[lease.messageID] = .deferred(until: until)
                continue
            }
            // Opened one by one: the next capped send to this recipient must see this attempt.
            outcomes.merge(try await Self.open(connection, [start], now: now, logger: self.logger)) { $1 }
        }
        outcomes.merge(try await Self.open(connection, uncapped, now: now, logger: self.logger)) { $1 }
        return outcomes
    }

    /// Opens a `pending` attempt for each message whose lease holds, in one statement. The fence locks
    /// the message's row (`FOR SHARE`: a reclaim or a cancel by another session waits for this
    /// transaction, then finds the attempt) without writing a new version of it: the attempt is counted
    /// with its outcome, or by the reclaim that finds it pending.
    static func open(_ connection: PostgresConnection, _ starts: [AttemptStart], now: Date, logger: Logger) async throws -> [String: StartOutcome] {
        guard !starts.isEmpty else { return [:] }
        var bindings = PostgresBindings(capacity: 6)
        bindings.append(now)
        for column in [starts.map(\.lease.messageID), starts.map(\.lease.token), starts.map(\.channel.rawValue), starts.map(\.gateway), starts.map(\.idempotencyKey)] {
            bindings.append(column)
        }
        let rows = try await connection.run(OpenAttempts.self, bindings, logger: logger)
        return try startedAttempts(rows)
    }

    /// The `pending` attempt rows of starts whose leases the caller found held, in one statement.
    static func insertAttempts(_ connection: PostgresConnection, _ starts: [AttemptStart], now: Date, logger: Logger) async throws -> [String: StartOutcome] {
        guard !starts.isEmpty else { return [:] }
        var bindings = PostgresBindings(capacity: 5)
        bindings.append(now)
        for column in [starts.map(\.lease.messageID), starts.map(\.channel.rawValue), starts.map(\.gateway), starts.map(\.idempotencyKey)] {
            bindings.append(column)
        }
        let rows = try await connection.run(InsertAttempts.self, bindings, logger: logger)
        return try startedAttempts(rows)
    }

    /// Each message's attempt, from rows of (message id, attempt id).
    private static func startedAttempts(_ rows: [PostgresRow]) throws -> [String: StartOutcome] {
        var outcomes: [String: StartOutcome] = [:]
        for row in rows {
            let (messageID, id) = try row.decode((String, Int64).self)
            outcomes[messageID] = .started(id)
        }
        return outcomes
    }

    public func complete(_ completions: [Completion], now: Date) async throws -> Set<String> {
        guard !completions.isEmpty else { return [] }
        // One array a column (`NullableArray`), the rows in the order given.
        let ids = completions.map(\.lease.messageID)
        let tokens = completions.map(\.lease.token)
        let states = completions.map(\.state.rawValue)
        let reasons = NullableArray(completions.map(\.reason))
        let readyAts = NullableArray(completions.map { $0.readyAt?.timeIntervalSince1970 })
        let excluded = NullableArray(completions.map(\.excludeChannel?.rawValue))
        let attemptIDs = completions.map(\.attemptID)
        let outcomes = completions.map(\.outcome.rawValue)
        let statuses = NullableArray(completions.map(\.httpStatus))
        let providerIDs = NullableArray(completions.map(\.providerID))
        let latencies = completions.map(\.latencyMs)
        let errors = NullableArray(completions.map(\.error))
        var bindings = PostgresBindings(capacity: 13)
        bindings.append(now)
        for column in [ids, tokens, states] { bindings.append(column) }
        bindings.append(reasons)
        bindings.append(readyAts)
        bindings.append(excluded)
        bindings.append(attemptIDs)
        bindings.append(outcomes)
        bindings.append(statuses)
        bindings.append(providerIDs)
        bindings.append(latencies)
        bindings.append(errors)
        let values = bindings
        return try await transaction { connection in
            // The messages first (their row locks are the fence), then their attempts, in one statement.
            let finished = try await connection.run(CompleteSends.self, values, logger: self.logger)
            let finishedIDs = Set(try finished.map { try $0.decode(String.self) })
            let held = completions.filter { finishedIDs.contains($0.lease.messageID) }
            try await Self.appendDecisions(connection, held.map { ($0.lease.messageID, $0.decisions) }, at: now, logger: self.logger)
            // An acceptance's receipt is read from its attempt (`AcceptanceReceipts`); a multi-part
            // send's parts are kept for the receipts that name them.
            for completion in held where completion.outcome == .accepted && completion.parts.count > 1 {
                try await connection.query(
                    """
                    INSERT INTO varsel.attempt_parts (gateway, part_id, attempt_id)
                    SELECT \(completion.gateway), part, \(completion.attemptID) FROM unnest(\(completion.parts)::text[]) AS part
                    ON CONFLICT (gateway, part_id) DO UPDATE SET attempt_id = excluded.attempt_id
                    """, logger: self.logger)
            }
            if held.contains(where: { $0.state == .queued && ($0.readyAt ?? now) <= now }) { try await Self.notifyQueue(connection, logger: self.logger) }
            return Set(held.map(\.lease.messageID))
        }
    }
}

/// A batch's plans, fenced row by row: `$1` now, then one array a column (`NullableArray` where a
/// column may be NULL).
enum PlanSends: PreparedSQL {
    static let name = "plan_sends"
    static let sql = """
        UPDATE varsel.messages m SET channel = u.channel, locale = u.locale, tone = u.tone, gateway = u.gateway,
            template_id = u.template_id, template_version = u.template_version, variant = u.variant, content_hash = u.content_hash,
            content = u.content, sms_encoding = u.sms_encoding, sms_segments = u.sms_segments, updated_at = $1::timestamptz
        FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
            $11::text[], $12::text[], $13::text[], $14::int8[])
            AS u(id, token, channel, locale, tone, gateway, template_id, template_version, variant, content_hash, content,
                sms_encoding, sms_segments)
        WHERE m.id = u.id AND m.lease_token = u.token AND m.state = 'sending'
        RETURNING m.id
        """
}

/// A `pending` attempt for each message whose lease holds (`$1` now; ids, tokens, channels,
/// gateways, idempotency keys).
enum OpenAttempts: PreparedSQL {
    static let name = "open_attempts"
    static let sql = """
        WITH u AS (
            SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
                WITH ORDINALITY AS u(id, token, channel, gateway, idempotency_key, n)
        ), held AS (
            SELECT m.id FROM varsel.messages m JOIN u ON m.id = u.id AND m.lease_token = u.token WHERE m.state = 'sending'
            FOR SHARE OF m
        )
        INSERT INTO varsel.attempts (message_id, started_at, channel, gateway, idempotency_key, outcome)
        SELECT u.id, $1::timestamptz, u.channel, u.gateway, u.idempotency_key, 'pending' FROM u JOIN held ON held.id = u.id ORDER BY u.n
        RETURNING message_id, id
        """
}

/// The `pending` attempts of sends whose leases the caller found held (`$1` now; ids, channels,
/// gateways, idempotency keys).
enum InsertAttempts: PreparedSQL {
    static let name = "insert_attempts"
    static let sql = """
        INSERT INTO varsel.attempts (message_id, started_at, channel, gateway, idempotency_key, outcome)
        SELECT u.id, $1::timestamptz, u.channel, u.gateway, u.idempotency_key, 'pending'
        FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS u(id, channel, gateway, idempotency_key, n)
        ORDER BY u.n
        RETURNING message_id, id
        """
}

/// Sends' outcomes: the messages first (their row locks are the fence), then their attempts. `$1`
/// now, then one array a column.
enum CompleteSends: PreparedSQL {
    static let name = "complete_sends"
    static let sql = """
        WITH u AS (
            SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::text[], $8::int8[], $9::text[],
                $10::int8[], $11::text[], $12::int8[], $13::text[])
                AS u(id, token, state, reason, ready_at, exclude, attempt_id, outcome, http_status, provider_id, latency_ms, error)
        ), held AS (
            UPDATE varsel.messages m SET state = u.state, state_reason = u.reason, updated_at = $1::timestamptz,
                ready_at = COALESCE(to_timestamp(u.ready_at), m.ready_at), attempt_count = m.attempt_count + 1,
                excluded_channels = CASE WHEN u.exclude IS NULL THEN m.excluded_channels ELSE m.excluded_channels || u.exclude || ',' END,
                content = CASE WHEN u.exclude IS NULL THEN m.content ELSE NULL END,
                lease_token = CASE WHEN u.state = 'sending' THEN m.lease_token END,
                lease_owner = CASE WHEN u.state = 'sending' THEN m.lease_owner END,
                lease_expires_at = CASE WHEN u.state = 'sending' THEN m.lease_expires_at END
            FROM u WHERE m.id = u.id AND m.lease_token = u.token AND m.state = 'sending'
            RETURNING m.id
        )
        UPDATE varsel.attempts a SET outcome = u.outcome, http_status = u.http_status, provider_id = u.provider_id,
            latency_ms = u.latency_ms, error = u.error, finished_at = $1::timestamptz
        FROM u JOIN held ON held.id = u.id
        WHERE a.id = u.attempt_id AND a.message_id = u.id
        RETURNING a.message_id
        """
}
