import Foundation
import Logging
import PostgresNIO
import Synchronization
import VarselCore
import VarselStore

/// The store for several hosts: any number of daemons share one PostgreSQL database. Leases are
/// taken with `FOR UPDATE SKIP LOCKED`, every write about a leased message is fenced by its lease
/// token, and the lifecycle's verdicts come from `MessageLifecycle`, as in the SQLite store.
///
/// The client's connection pool runs in a task the store owns; `close()` ends it.
public final class PostgresMessageStore: MessageStore {
    let client: PostgresClient
    let logger: Logger
    let watch = ConnectionCloseWatch()
    /// When an operation last succeeded (`checkReachable`).
    let lastSuccess = Mutex<ContinuousClock.Instant?>(nil)
    private let runner: Task<Void, Never>
    public let settings: PostgresSettings
    /// The migrations this open applied (empty when the schema was already current), in order.
    public let migrationsApplied: [String]
    /// The schema's version: the last migration.
    public let schemaVersion: String

    /// Connects, and migrates the schema under an advisory lock (two daemons starting at once
    /// migrate once). Throws a `StoreError` naming what failed, never the password.
    public init(settings: PostgresSettings, logger: Logger) async throws {
        self.settings = settings
        self.logger = logger
        let client = PostgresClient(configuration: try Self.clientConfiguration(settings), backgroundLogger: logger)
        self.client = client
        runner = Task { await client.run() }
        do {
            (migrationsApplied, schemaVersion) = try await Self.migrate(client, logger: logger)
        } catch {
            runner.cancel()
            throw StoreError("cannot open PostgreSQL store \(settings.location): \(PostgresFailure.describe(error))")
        }
    }

    deinit { runner.cancel() }

    /// How long `close()` waits for the pool to shut down.
    static let closeWait: Duration = .seconds(10)

    /// Closes the connections. Waits for the pool's shutdown at most `closeWait`: postgres-nio's pool
    /// can fail to finish its shutdown after the server restarted under it (seen with 1.33.2), and a
    /// command or test that closes its store must not wait for ever on that. It says so and goes on;
    /// what is left open ends with the process.
    public func close() async {
        runner.cancel()
        if !(await BoundedWait.wait(for: runner, atMost: Self.closeWait)) {
            // At error level: the store's logger is the pool's, which logs nothing below that.
            logger.error(
                "PostgreSQL connection pool did not shut down within \(Self.closeWait.components.seconds) s; its connections end with the process",
                metadata: ["store": "\(settings.location)"])
        }
    }

    public var location: String { "postgres \(settings.location)" }

    static func clientConfiguration(_ settings: PostgresSettings) throws -> PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        switch settings.endpoint {
        case .tcp(let host, let port):
            var tls = TLSConfiguration.makeClientConfiguration()
            if let root = settings.sslRootCert { tls.trustRoots = .file(root) }
            let mode: PostgresClient.Configuration.TLS
            switch settings.sslMode {
            case .disable: mode = .disable
            case .prefer:
                tls.certificateVerification = .none
                mode = .prefer(tls)
            case .require:
                tls.certificateVerification = .none
                mode = .require(tls)
            case .verifyCA:
                tls.certificateVerification = .noHostnameVerification
                mode = .require(tls)
            case .verifyFull:
                tls.certificateVerification = .fullVerification
                mode = .require(tls)
            }
            configuration = .init(host: host, port: port, username: settings.user, password: settings.password, database: settings.database, tls: mode)
        case .unixSocket(let path):
            configuration = .init(unixSocketPath: path, username: settings.user, password: settings.password, database: settings.database)
        }
        // One more than the pool: the connection that listens for wake-ups is held for good.
        configuration.options.maximumConnections = max(settings.poolSize, 1) + 1
        configuration.options.connectTimeout = .seconds(10)
        // Every statement of Varsel's is short. JIT compilation (on by default since PostgreSQL 12)
        // starts above an estimated cost, and estimates run high while a sending daemon outruns the
        // statistics: a 1 ms look-up of a batch's case steps was compiled for 200 ms.
        configuration.options.additionalStartupParameters = [("application_name", "varsel"), ("jit", "off")]
        return configuration
    }

    static func migrate(_ client: PostgresClient, logger: Logger) async throws -> (applied: [String], version: String) {
        try await client.withLiveConnection(within: connectionWait, watch: ConnectionCloseWatch()) { connection in
            try await connection.query("SELECT pg_advisory_lock(\(PostgresSchema.migrationLock))", logger: logger)
            do {
                try await connection.query("CREATE SCHEMA IF NOT EXISTS varsel", logger: logger)
                try await connection.query(
                    "CREATE TABLE IF NOT EXISTS varsel.schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                    logger: logger)
                var known: Set<String> = []
                for try await version in try await connection.query("SELECT version FROM varsel.schema_migrations", logger: logger).decode(String.self) {
                    known.insert(version)
                }
                var applied: [String] = []
                for migration in PostgresSchema.migrations where !known.contains(migration.version) {
                    try await connection.withTransaction(logger: logger) { connection in
                        for statement in PostgresSchema.statements(migration.sql) {
                            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                        }
                        try await connection.query("INSERT INTO varsel.schema_migrations (version) VALUES (\(migration.version))", logger: logger)
                    }
                    applied.append(migration.version)
                }
                try await connection.query("SELECT pg_advisory_unlock(\(PostgresSchema.migrationLock))", logger: logger)
                return (applied, PostgresSchema.migrations.last?.version ?? "none")
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(PostgresSchema.migrationLock))", logger: logger)
                throw error
            }
        }
    }

    /// Drops the schema `varsel` with everything in it: for `varsel bench` on a throwaway database only.
    public static func dropSchema(settings: PostgresSettings, logger: Logger) async throws {
        let client = PostgresClient(configuration: try clientConfiguration(settings), backgroundLogger: logger)
        let runner = Task { await client.run() }
        defer { runner.cancel() }
        do {
            try await client.query("DROP SCHEMA IF EXISTS varsel CASCADE")
        } catch {
            throw StoreError("cannot drop the schema varsel in \(settings.location): \(PostgresFailure.describe(error))")
        }
    }

    // MARK: Transactions

    /// Runs `body` in a transaction. A deadlock, a serialization failure, or a connection lost before
    /// the commit was sent is retried with backoff (the transaction rolled back: nothing of it
    /// happened); a connection lost during the commit is not, since its outcome is unknown, and
    /// neither is any other error.
    @discardableResult
    func transaction<Result: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> Result) async throws -> Result {
        do {
            return try await retrying(
                {
                    let commitSent = Mutex(false)
                    do {
                        return try await client.withLiveConnection(within: Self.connectionWait, watch: watch) { [logger] connection in
                            try await Self.inTransaction(connection, commitSent: commitSent, logger: logger, body)
                        }
                    } catch let error as TransactionFailure {
                        throw error
                    } catch {
                        // The connection closed (or the pool failed) around the statements.
                        throw TransactionFailure(commitSent: commitSent.withLock { $0 }, cause: error)
                    }
                },
                when: { error in
                    guard let failure = error as? TransactionFailure, !failure.commitSent else { return false }
                    return PostgresFailure.isTransient(failure.cause)
                })
        } catch let failure as TransactionFailure {
            if failure.cause is ConnectionUnavailable { throw StoreError("PostgreSQL store \(settings.location): \(failure.cause)") }
            if !(failure.cause is PSQLError), !(failure.cause is ConnectionLost) { throw failure.cause }
            let what = failure.commitSent ? "the commit failed, its outcome is unknown" : "a transaction failed"
            throw StoreError("PostgreSQL store: \(what): \(PostgresFailure.describe(failure.cause))")
        }
    }

    /// BEGIN, `body`, COMMIT; ROLLBACK (best effort) when `body` fails. `commitSent` tells the caller
    /// whether a failure may have happened after the commit reached the server.
    private static func inTransaction<Result: Sendable>(
        _ connection: PostgresConnection, commitSent: borrowing Mutex<Bool>, logger: Logger, _ body: @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let value: Result
        do {
            try await connection.query("BEGIN", logger: logger)
            value = try await body(connection)
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw TransactionFailure(commitSent: false, cause: error)
        }
        commitSent.withLock { $0 = true }
        do {
            try await connection.query("COMMIT", logger: logger)
        } catch {
            throw TransactionFailure(commitSent: true, cause: error)
        }
        return value
    }

    /// A read outside any transaction, retried like a transaction when the connection was lost.
    func read<Result: Sendable>(
        within wait: Duration = connectionWait, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        do {
            return try await retrying({ try await client.withLiveConnection(within: wait, watch: watch, body) }, when: PostgresFailure.isTransient)
        } catch let error as PSQLError {
            throw StoreError("PostgreSQL store: \(PostgresFailure.describe(error))")
        } catch let error as ConnectionLost {
            throw StoreError("PostgreSQL store: \(error)")
        } catch let error as ConnectionUnavailable {
            throw StoreError("PostgreSQL store \(settings.location): \(error)")
        }
    }

    /// How long an operation waits for a pooled connection before it fails (not retried: it waited).
    /// Long enough that a busy pool is not mistaken for a lost server; short enough that an outage
    /// shows in the log every minute instead of as silence.
    /// Opening the store (the migration check) waits as long: on a loaded machine the first
    /// connection of a new pool was seen to take more than 15 s.
    static let connectionWait = Duration.seconds(60)

    /// Runs `operation`, and again after 20, 40, 80, 160 and 320 ms while it fails with an error
    /// `when` accepts (six tries in all); the last error is thrown.
    private func retrying<Result: Sendable>(
        _ operation: () async throws -> Result, when retryable: (any Error) -> Bool
    ) async throws -> Result {
        var delay = Duration.milliseconds(20)
        for _ in 1..<6 {
            do {
                return try succeeded(await operation())
            } catch where retryable(error) {
                try await Task.sleep(for: delay)
                delay *= 2
            }
        }
        return try succeeded(await operation())
    }

    private func succeeded<Result>(_ result: Result) -> Result {
        lastSuccess.withLock { $0 = ContinuousClock.now }
        return result
    }

    /// Answers within a few seconds, for a readiness probe: an operation that succeeded in the last
    /// 5 s is proof enough (a busy pool must not fail the probe); else a `SELECT 1` that may wait
    /// 3 s for a connection.
    public func checkReachable() async throws {
        if let last = lastSuccess.withLock({ $0 }), ContinuousClock.now - last < .seconds(5) { return }
        try await read(within: .seconds(3)) { connection in _ = try await connection.query("SELECT 1", logger: self.logger).collect() }
    }

    // MARK: Enqueue

    public func enqueue(_ rows: [StoredRequest], now: Date, caseStops: CaseStopPolicy) async throws -> [EnqueueOutcome] {
        try await transaction { connection in
            try await Self.insert(rows, connection, caseStops: caseStops, logger: self.logger, now: now)
        }
    }

    /// Stores requests on `connection` inside the caller's transaction. The database decides
    /// idempotency: an insert that meets a key already stored (committed by any daemon meanwhile)
    /// becomes a duplicate or a conflict, never a second message.
    /// A message of a stopped case is refused (`caseRefusals`), unless its key names a message
    /// stored before: a retry of an accepted enqueue still answers with that message.
    static func insert(
        _ rows: [StoredRequest], _ connection: PostgresConnection, caseStops: CaseStopPolicy, logger: Logger, now: Date
    ) async throws -> [EnqueueOutcome] {
        let refusals = try await caseRefusals(connection, rows, caseStops: caseStops, logger: logger)
        let insertable = rows.indices.filter { refusals[$0] == nil }
        var inserted: Set<String> = []
        if !insertable.isEmpty {
            // The batch in one statement, in input order: of two rows with one key, the first is stored.
            // One array a column (`NullableArray` where a column may be NULL), in input order.
            let stored = insertable.map { rows[$0] }
            var bindings = PostgresBindings(capacity: 11)
            bindings.append(now)
            bindings.append(stored.map(\.id))
            bindings.append(NullableArray(stored.map(\.request.idempotencyKey)))
            bindings.append(stored.map(\.hash))
            bindings.append(stored.map(\.request.kind))
            bindings.append(NullableArray(stored.map(\.request.caseRef)))
            bindings.append(NullableArray(stored.map(\.request.recipient.id)))
            bindings.append(stored.map(\.recipientKey))
            bindings.append(stored.map(\.json))
            // Bound as a lease binds its `now`: a message stored now is due to a lease of the same instant.
            bindings.append(stored.map(\.readyAt))
            bindings.append(NullableArray(stored.map(\.request.expiresAt)))
            inserted = Set(try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        INSERT INTO varsel.messages (id, idempotency_key, request_hash, kind, case_ref, recipient_id, recipient_key, request,
                            state, ready_at, expires_at, created_at, updated_at)
                        SELECT u.id, u.idempotency_key, u.request_hash, u.kind, u.case_ref, u.recipient_id, u.recipient_key, u.request::jsonb,
                            'queued', u.ready_at, u.expires_at, $1, $1
                        FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                            $10::timestamptz[], $11::timestamptz[])
                            WITH ORDINALITY AS u(id, idempotency_key, request_hash, kind, case_ref, recipient_id, recipient_key, request, ready_at,
                                expires_at, n)
                        ORDER BY u.n
                        ON CONFLICT (idempotency_key) DO NOTHING
                        RETURNING id
                        """, binds: bindings), logger: logger
            ).collect().map { try $0.decode(String.self) })
        }
        // A key seen before answers as before: for rows the insert found taken (committed by the time
        // ON CONFLICT decided), and for rows a case's stop refuses.
        let keyed = rows.indices.filter { !inserted.contains(rows[$0].id) }.compactMap { index in rows[index].request.idempotencyKey }
        var existing: [String: (id: String, hash: String)] = [:]
        if !keyed.isEmpty {
            for row in try await connection.query(
                "SELECT idempotency_key, id, request_hash FROM varsel.messages WHERE idempotency_key = ANY(\(keyed))", logger: logger
            ).collect() {
                let (key, id, hash) = try row.decode((String, String, String).self)
                existing[key] = (id, hash)
            }
        }
        // As if stored one by one: a refused row sees only what was stored before it, not a later row of its batch.
        let batchIndex = Dictionary(rows.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        return try rows.enumerated().map { index, row in
            if inserted.contains(row.id) { return .created(id: row.id) }
            if let key = row.request.idempotencyKey, let found = existing[key], (batchIndex[found.id] ?? -1) < index {
                return row.outcome(existingID: found.id, existingHash: found.hash)
            }
            if let refusal = refusals[index] { return .refused(reason: refusal) }
            throw StoreError("message \(row.id) was neither stored nor found by its idempotency key")
        }
    }

    // MARK: Leases

    public func lease(owner: String, limit: Int, now: Date, leaseDuration: TimeInterval) async throws -> [LeasedMessage] {
        let grant = MessageLifecycle.lease(now: now, duration: leaseDuration)
        var bindings = PostgresBindings()
        bindings.append(grant.state.rawValue)
        bindings.append(grant.token)
        bindings.append(owner)
        bindings.append(grant.expiresAt)
        bindings.append(now)
        bindings.append(limit)
        let values = bindings
        let rows = try await transaction { connection in
            _ = try await connection.run(LeasePlanning.self, PostgresBindings(), logger: self.logger)
            return try await connection.run(LeaseDue.self, values, logger: self.logger).map { row in
                let (id, request, createdAt, readyAt, locale, tone, gateway, content, excluded, attempts, reason) = try row.decode(
                    (String, String, Date, Date, String?, String?, String?, String?, String, Int, String?).self)
                return LeasedRow(
                    id: id, request: request, createdAt: createdAt, readyAt: readyAt, locale: locale, tone: tone, gateway: gateway,
                    content: content, excluded: excluded, attempts: attempts, lastReason: reason)
            }
        }
        return try LeasedRow.leased(rows, token: grant.token)
    }

    public func giveBack(_ leases: [LeaseRef], now: Date) async throws -> Int {
        let held = leases.filter(\.isHeld)
        guard !held.isEmpty else { return 0 }
        return try await transaction { connection in
            let given = try await connection.query(
                """
                UPDATE varsel.messages m SET state = 'queued', lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = \(now)
                FROM unnest(\(held.map(\.messageID))::text[], \(held.map(\.token))::text[]) AS g(id, token)
                WHERE m.id = g.id AND m.lease_token = g.token AND m.state = 'sending'
                RETURNING m.id
                """, logger: self.logger
            ).collect().count
            if given > 0 { try await Self.notifyQueue(connection, logger: self.logger) }
            return given
        }
    }

    public func reclaim(owners: [String], now: Date) async throws -> Int {
        try await reclaim(owners: owners, handedOver: [:], now: now)
    }

    public func reclaim(owners: [String], handedOver: [String: Set<Int64>], now: Date) async throws -> Int {
        try await transaction { connection in
            let leases = try await connection.query(
                """
                SELECT id, lease_owner FROM varsel.messages WHERE state = 'sending' AND (lease_owner = ANY(\(owners)) OR lease_expires_at < \(now))
                ORDER BY id FOR UPDATE SKIP LOCKED
                """, logger: self.logger
            ).collect().map { try $0.decode((String, String?).self) }
            for (id, owner) in leases {
                let (neverLeft, pending) = MessageLifecycle.pendingAttempts(
                    try await connection.query(
                        "SELECT id FROM varsel.attempts WHERE message_id = \(id) AND outcome = 'pending'", logger: self.logger
                    ).collect().map { try $0.decode(Int64.self) },
                    handedOver: owner.flatMap { handedOver[$0] })
                if !neverLeft.isEmpty {
                    try await connection.query("DELETE FROM varsel.attempts WHERE id = ANY(\(neverLeft))", logger: self.logger)
                }
                let verdict = MessageLifecycle.reclaim(hasPendingAttempt: !pending.isEmpty)
                if let outcome = verdict.attemptOutcome {
                    try await connection.query(
                        """
                        UPDATE varsel.attempts SET outcome = \(outcome.rawValue), finished_at = \(now), error = \(verdict.attemptError)
                        WHERE message_id = \(id) AND outcome = 'pending'
                        """, logger: self.logger)
                }
                // Attempts left pending are counted now: only an outcome counts one otherwise.
                try await connection.query(
                    """
                    UPDATE varsel.messages SET state = 'queued', lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL,
                        state_reason = COALESCE(\(verdict.stateReason), state_reason), ready_at = \(now), updated_at = \(now),
                        attempt_count = attempt_count + \(pending.count) WHERE id = \(id)
                    """, logger: self.logger)
                try await Self.appendDecisions(connection, messageID: id, texts: [verdict.decision], at: now, logger: self.logger)
            }
            if !leases.isEmpty { try await Self.notifyQueue(connection, logger: self.logger) }
            return leases.count
        }
    }

    // MARK: Daemon runs

    public func register(_ run: DaemonRun) async throws {
        try await transaction { connection in
            try await connection.query(
                """
                INSERT INTO varsel.daemon_runs (run_id, worker_id, host, pid, started_at, heartbeat_at)
                VALUES (\(run.runID), \(run.workerID), \(run.host), \(Int(run.pid)), \(run.startedAt), \(run.heartbeatAt))
                """, logger: self.logger)
        }
    }

    public func heartbeat(runID: String, now: Date) async throws {
        try await transaction { connection in
            try await connection.query("UPDATE varsel.daemon_runs SET heartbeat_at = \(now) WHERE run_id = \(runID)", logger: self.logger)
            try await Self.foldCounts(connection, logger: self.logger)
        }
    }

    /// Folds the rows of `message_counts` into one a state (what the triggers added since the last
    /// fold). Another daemon folding at the same time waits for this one's rows and then skips them:
    /// rows added meanwhile by other transactions are not seen, so not lost.
    static func foldCounts(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            WITH folded AS (DELETE FROM varsel.message_counts RETURNING state, n)
            INSERT INTO varsel.message_counts (state, n) SELECT state, sum(n) FROM folded GROUP BY state HAVING sum(n) <> 0
            """, logger: logger)
    }

    public func markStopped(runIDs: [String], now: Date) async throws {
        guard !runIDs.isEmpty else { return }
        try await transaction { connection in
            try await connection.query(
                "UPDATE varsel.daemon_runs SET stopped_at = \(now) WHERE run_id = ANY(\(runIDs)) AND stopped_at IS NULL", logger: self.logger)
        }
    }

    public func activeRuns() async throws -> [DaemonRun] {
        try await read { connection in
            try await connection.query(
                "SELECT run_id, worker_id, host, pid, started_at, heartbeat_at FROM varsel.daemon_runs WHERE stopped_at IS NULL ORDER BY started_at",
                logger: self.logger
            ).collect().map { row in
                let (runID, workerID, host, pid, startedAt, heartbeatAt) = try row.decode((String, String, String, Int, Date, Date).self)
                return DaemonRun(runID: runID, workerID: workerID, host: host, pid: Int32(pid), startedAt: startedAt, heartbeatAt: heartbeatAt)
            }
        }
    }

    // MARK: Shared statements

    static func appendDecisions(_ connection: PostgresConnection, messageID: String, texts: [String], at: Date, logger: Logger) async throws {
        try await appendDecisions(connection, [(messageID, texts)], at: at, logger: logger)
    }

    /// Appends to the trails of several messages in one statement: one row for each message's texts
    /// (a JSON array, `StoredRows.decisionRow`), in the order given.
    static func appendDecisions(_ connection: PostgresConnection, _ entries: [(messageID: String, texts: [String])], at: Date, logger: Logger) async throws {
        let entries = entries.filter { !$0.texts.isEmpty }
        guard !entries.isEmpty else { return }
        var bindings = PostgresBindings(capacity: 3)
        bindings.append(at)
        bindings.append(entries.map(\.messageID))
        bindings.append(entries.map { StoredRows.decisionRow($0.texts) })
        _ = try await connection.run(AppendDecisions.self, bindings, logger: logger)
    }

    static func count(_ connection: PostgresConnection, _ query: PostgresQuery, logger: Logger) async throws -> Int {
        try await connection.query(query, logger: logger).collect().first?.decode(Int.self) ?? 0
    }

    /// Wakes every listening daemon when this transaction commits.
    static func notifyQueue(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT pg_notify(\(PostgresSchema.queueChannel), '')", logger: logger)
    }

    // MARK: Reading

    public func countByState() async throws -> [MessageState: Int] {
        try await read { connection in
            var counts: [MessageState: Int] = [:]
            for row in try await connection.query(
                "SELECT state, sum(n)::bigint FROM varsel.message_counts GROUP BY state HAVING sum(n) <> 0", logger: self.logger
            ).collect() {
                let (state, count) = try row.decode((String, Int).self)
                if let state = MessageState(rawValue: state) { counts[state] = count }
            }
            return counts
        }
    }

    public func nextReadyAt() async throws -> Date? {
        try await read { connection in
            try await connection.query("SELECT min(ready_at) FROM varsel.messages WHERE state = 'queued'", logger: self.logger).collect().first?
                .decode(Date?.self) ?? nil
        }
    }
}

/// Leases the first `$6` due messages in due order: state `$1`, token `$2`, owner `$3`, until `$4`,
/// now `$5`. Rows another daemon is leasing are skipped, not waited for.
enum LeaseDue: PreparedSQL {
    static let name = "lease_due"
    static let sql = """
        UPDATE varsel.messages m SET state = $1::text, lease_token = $2::text, lease_owner = $3::text, lease_expires_at = $4::timestamptz,
            updated_at = $5::timestamptz
        FROM (SELECT id FROM varsel.messages WHERE state = 'queued' AND ready_at <= $5::timestamptz ORDER BY ready_at, id LIMIT $6::int8
              FOR UPDATE SKIP LOCKED) picked
        WHERE m.id = picked.id
        RETURNING m.id, m.request::text, m.created_at, m.ready_at, m.locale, m.tone, m.gateway, m.content, m.excluded_channels,
            m.attempt_count, m.state_reason
        """
}

/// Set in the lease's transaction, for it alone (`set_config(…, true)` is `SET LOCAL`), in one
/// round trip.
///
/// `enable_bitmapscan = off`: the ready index gives the due order, so the first rows of an index
/// walk are the lease. With statistics that lag an enqueue (the estimate a few dozen rows), the
/// planner preferred a bitmap scan of every due message and a sort of them: 45 ms a lease at
/// 20,000 queued, growing with the queue, against 0.3 ms for the walk.
///
/// `synchronous_commit = off`: the lease's commit does not wait for its log record to reach the
/// disk. It acknowledges nothing and nothing is sent on its strength: a send first commits its
/// attempt synchronously, and the log is flushed in order, so that commit makes the lease durable
/// too. A crash of the server before it loses the lease alone; its messages are due again.
enum LeasePlanning: PreparedSQL {
    static let name = "lease_planning"
    static let sql = "SELECT set_config('enable_bitmapscan', 'off', true), set_config('synchronous_commit', 'off', true)"
}

/// Appends to the trails of several messages: `$1` the time, `$2` the messages, `$3` each one's
/// texts (a JSON array), in the order given.
enum AppendDecisions: PreparedSQL {
    static let name = "append_decisions"
    static let sql = """
        INSERT INTO varsel.decisions (message_id, at, texts)
        SELECT m, $1::timestamptz, t::jsonb FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS d(m, t, n) ORDER BY n
        """
}
