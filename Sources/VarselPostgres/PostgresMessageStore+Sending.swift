import Foundation
import PostgresNIO
import VarselCore
import VarselStore

/// Recording a worker's plan, the attempts it opens and their results: every statement is fenced by
/// the lease token, so a worker that lost its lease changes nothing. Under READ COMMITTED a fenced
/// `UPDATE … WHERE lease_token = …` waits for a concurrent writer of the row and re-checks the token
/// after it committed: a compare-and-set.
extension PostgresMessageStore {
    public func prepare(_ preparations: [Preparation], now: Date) async throws -> Set<String> {
        let contents = try StoredRows.contents(preparations)
        return try await transaction { connection in
            var held: Set<String> = []
            for preparation in preparations {
                switch preparation {
                case .send(let send):
                    let content = send.content
                    let updated = try await connection.query(
                        """
                        UPDATE varsel.messages SET channel = \(content.channel.rawValue), locale = \(send.locale), tone = \(send.tone.rawValue),
                            gateway = \(send.gateway), template_id = \(content.templateID), template_version = \(content.templateVersion),
                            content_hash = \(content.contentHash), content = \(contents[send.lease.messageID]),
                            sms_encoding = \(content.sms?.encoding.rawValue), sms_segments = \(content.sms?.segments), updated_at = \(now)
                        WHERE id = \(send.lease.messageID) AND lease_token = \(send.lease.token) AND state = 'sending'
                        RETURNING id
                        """, logger: logger
                    ).collect()
                    guard !updated.isEmpty else { continue }
                    try await Self.appendDecisions(connection, messageID: send.lease.messageID, texts: send.decisions, at: now, logger: logger)
                    held.insert(send.lease.messageID)
                case .deferral(let lease, let until, let reason, let decisions):
                    if try await Self.release(connection, lease, state: .queued, reason: reason, readyAt: until, now: now, logger: logger) {
                        try await Self.appendDecisions(connection, messageID: lease.messageID, texts: decisions, at: now, logger: logger)
                    }
                case .finish(let lease, let state, let reason, let decisions):
                    if try await Self.release(connection, lease, state: state, reason: reason, readyAt: nil, now: now, logger: logger) {
                        try await Self.appendDecisions(connection, messageID: lease.messageID, texts: decisions, at: now, logger: logger)
                    }
                }
            }
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
        try await transaction { connection in
            // Frequency caps are judged per recipient with every daemon's sends in view: a
            // transaction-scoped advisory lock per recipient key serialises the judges, taken in
            // one order so that two batches never wait on each other.
            let capped = Set(starts.compactMap { start in start.cap.flatMap { $0.policy.enabled ? $0.recipientKey : nil } })
            for key in capped.sorted() {
                try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\("varsel.cap:" + key), 0))", logger: logger)
            }
            var outcomes: [String: StartOutcome] = [:]
            for start in starts {
                let lease = start.lease
                if let cap = start.cap, cap.policy.enabled {
                    // Accepted, or in flight (pending), in the window, to the same recipient.
                    let since = now.addingTimeInterval(-cap.policy.window)
                    let times = try await connection.query(
                        """
                        SELECT COALESCE(a.finished_at, a.started_at) FROM varsel.attempts a JOIN varsel.messages m ON m.id = a.message_id
                        WHERE m.recipient_key = \(cap.recipientKey) AND m.id <> \(lease.messageID) AND a.outcome IN ('accepted', 'pending')
                            AND COALESCE(a.finished_at, a.started_at) >= \(since)
                        """, logger: logger
                    ).collect().map { try $0.decode(Date.self) }
                    if let until = cap.policy.deferredUntil(kind: cap.kind, sentAt: times, now: now) {
                        let reason = cap.policy.deferralReason(kind: cap.kind, until: until)
                        guard try await Self.release(connection, lease, state: .queued, reason: reason, readyAt: until, now: now, logger: logger)
                        else { continue }
                        try await Self.appendDecisions(
                            connection, messageID: lease.messageID, texts: [reason + " (decided as the attempt was to open)"], at: now, logger: logger)
                        outcomes[lease.messageID] = .deferred(until: until)
                        continue
                    }
                }
                let counted = try await connection.query(
                    """
                    UPDATE varsel.messages SET attempt_count = attempt_count + 1, updated_at = \(now)
                    WHERE id = \(lease.messageID) AND lease_token = \(lease.token) AND state = 'sending' RETURNING id
                    """, logger: logger
                ).collect()
                guard !counted.isEmpty else { continue }
                let id = try await connection.query(
                    """
                    INSERT INTO varsel.attempts (message_id, started_at, channel, gateway, idempotency_key, outcome)
                    VALUES (\(lease.messageID), \(now), \(start.channel.rawValue), \(start.gateway), \(start.idempotencyKey), 'pending')
                    RETURNING id
                    """, logger: logger
                ).collect().first?.decode(Int64.self)
                if let id { outcomes[lease.messageID] = .started(id) }
            }
            return outcomes
        }
    }

    public func complete(_ completions: [Completion], now: Date) async throws -> Set<String> {
        try await transaction { connection in
            var held: Set<String> = []
            for completion in completions {
                let lease = completion.lease
                let releases = completion.state != .sending
                let exclude = completion.excludeChannel?.rawValue
                // The message first: its row lock is the fence the attempt's update relies on.
                let updated = try await connection.query(
                    """
                    UPDATE varsel.messages SET state = \(completion.state.rawValue), state_reason = \(completion.reason), updated_at = \(now),
                        ready_at = COALESCE(\(completion.readyAt), ready_at),
                        excluded_channels = CASE WHEN \(exclude)::text IS NULL THEN excluded_channels ELSE excluded_channels || \(exclude) || ',' END,
                        content = CASE WHEN \(exclude)::text IS NULL THEN content ELSE NULL END,
                        lease_token = CASE WHEN \(releases) THEN NULL ELSE lease_token END,
                        lease_owner = CASE WHEN \(releases) THEN NULL ELSE lease_owner END,
                        lease_expires_at = CASE WHEN \(releases) THEN NULL ELSE lease_expires_at END
                    WHERE id = \(lease.messageID) AND lease_token = \(lease.token) AND state = 'sending'
                    RETURNING id
                    """, logger: logger
                ).collect()
                guard !updated.isEmpty else { continue }
                let gateway = try await connection.query(
                    """
                    UPDATE varsel.attempts SET outcome = \(completion.outcome.rawValue), http_status = \(completion.httpStatus),
                        provider_id = \(completion.providerID), latency_ms = \(completion.latencyMs), error = \(completion.error), finished_at = \(now)
                    WHERE id = \(completion.attemptID) AND message_id = \(lease.messageID)
                    RETURNING gateway
                    """, logger: logger
                ).collect().first?.decode(String.self)
                try await Self.appendDecisions(connection, messageID: lease.messageID, texts: completion.decisions, at: now, logger: logger)
                if completion.outcome == .accepted {
                    if completion.parts.count > 1, let gateway {
                        try await connection.query(
                            """
                            INSERT INTO varsel.attempt_parts (gateway, part_id, attempt_id)
                            SELECT \(gateway), part, \(completion.attemptID) FROM unnest(\(completion.parts)::text[]) AS part
                            ON CONFLICT (gateway, part_id) DO UPDATE SET attempt_id = excluded.attempt_id
                            """, logger: logger)
                    }
                    try await connection.query(
                        """
                        INSERT INTO varsel.receipts (message_id, at, status, source, provider_id)
                        VALUES (\(lease.messageID), \(now), 'accepted', \("gateway:" + (gateway ?? "?")), \(completion.providerID))
                        """, logger: logger)
                }
                if completion.state == .queued, (completion.readyAt ?? now) <= now { try await Self.notifyQueue(connection, logger: logger) }
                held.insert(lease.messageID)
            }
            return held
        }
    }
}
