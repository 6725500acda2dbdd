import Foundation
import GRDB
import VarselCore

/// The embedded default store: one SQLite file in WAL mode, `synchronous=FULL` unless configured
/// otherwise, so an acknowledged enqueue survives a power cut.
public final class SQLiteMessageStore: MessageStore {
    /// How hard SQLite syncs to disk (`store.synchronous`).
    public enum Synchronous: String, Sendable, CaseIterable {
        case full = "FULL"
        case normal = "NORMAL"
        case extra = "EXTRA"
    }

    let pool: DatabasePool
    /// The send loop's writes, grouped into shared transactions while the writer is busy.
    let writes: SharedWrites
    /// The writer's `synchronous` for every commit that acknowledges or records something.
    let synchronous: Synchronous
    private let checkpointer: WALCheckpointer?
    public let path: String
    /// The migrations this open applied (empty when the schema was already current), in order.
    public let migrationsApplied: [String]
    /// The schema's version: the last migration, as `varsel migrate` shows it.
    public let schemaVersion: String

    /// Dirty pages a transaction may hold in memory before SQLite writes some of them to the log in
    /// its middle (16 MiB; the cache of clean pages stays SQLite's 2 MiB). A batch's chunk of 1,000
    /// messages dirties about two pages a message in a large store (two indexes on random keys), so
    /// at the default (the cache size, 500 pages) it spilled pages that it then changed again and
    /// wrote a second time at its commit.
    static let spillPages = 4_096

    /// Opens (creating if needed) and migrates the database at `path`. `statementObserver` sees the SQL
    /// of every statement run (before its arguments are bound): for tests of the query plans.
    public init(path: String, synchronous: Synchronous = .full, statementObserver: (@Sendable (String) -> Void)? = nil) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous.rawValue)")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            try db.execute(sql: "PRAGMA cache_spill = \(Self.spillPages)")
            // The log is copied into the database file by `WALCheckpointer`; this is its backstop.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(WALCheckpointer.backstopPages)")
            if let statementObserver {
                db.trace(options: .statement) { event in
                    if case .statement(let statement) = event { statementObserver(statement.sql) }
                }
            }
        }
        // Every connection opens through the VFS that can gather the writer's log writes.
        _ = SQLiteLogBuffer.isAvailable
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if !FileManager.default.fileExists(atPath: directory) {
            throw StoreError("store directory \(directory) does not exist")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            writes = SharedWrites(pool: pool)
            // GRDB puts the pool's writer in WAL mode after `prepareDatabase` ran, and sets its
            // `synchronous` to NORMAL there (GRDB `Database.setUpWALMode`): commits would then not be
            // synced until a checkpoint, and an acknowledged enqueue could be lost to a power cut. The
            // writer is the connection that commits, so the setting is made again on it, last; with
            // it, its log writes are gathered where its commits sync the log (`SQLiteLogBuffer`).
            try pool.barrierWriteWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = \(synchronous.rawValue)")
                SQLiteLogBuffer.enable(on: db, synchronous: synchronous)
            }
            let migrator = SQLiteSchema.migrator()
            var before = try pool.read { try migrator.appliedIdentifiers($0) }
            // A new store gets its schema in one transaction; an older one is migrated step by step
            // (as is one another process began meanwhile).
            if before.isEmpty, try !pool.barrierWriteWithoutTransaction({ db in try SQLiteSchema.createAll(db) }) {
                before = try pool.read { try migrator.appliedIdentifiers($0) }
            }
            try migrator.migrate(pool)
            migrationsApplied = migrator.migrations.filter { !before.contains($0) }
            schemaVersion = migrator.migrations.last ?? "none"
        } catch let error as DatabaseError {
            throw StoreError("cannot open SQLite store \(path): \(error.message ?? "\(error.resultCode)")")
        }
        self.path = path
        self.synchronous = synchronous
        checkpointer = WALCheckpointer(path: path)
    }

    public var location: String { "sqlite \(path)" }

    public func checkReachable() async throws {
        _ = try await pool.read { db in try db.value(Int.self, "SELECT 1") }
    }

    /// The pool closes its connections when the store goes.
    public func close() async {
        checkpointer?.stop()
    }

    deinit {
        checkpointer?.stop()
    }

    // MARK: Enqueue

    public func enqueue(_ rows: [StoredRequest], now: Date, caseStops: CaseStopPolicy) async throws -> [EnqueueOutcome] {
        try await writes.write { db in try Self.insert(db, rows, caseStops: caseStops, now: now) }
    }

    /// Stores requests inside the caller's write transaction: idempotency by key, then the case's stop.
    /// The rows go in multi-row inserts; each run of them ends at a message its case's stop refuses,
    /// so that every message sees the ones before it stored, as one insert a message would. This is
    /// the only statement that adds messages, and it keeps `message_counts` for the rows it adds.
    static func insert(_ db: Database, _ rows: [StoredRequest], caseStops: CaseStopPolicy, now: Date) throws -> [EnqueueOutcome] {
        let refusals = try Self.caseRefusals(db, rows, caseStops: caseStops)
        var outcomes: [EnqueueOutcome] = []
        outcomes.reserveCapacity(rows.count)
        /// The outcome of a keyed row from the message its key finds: itself (created) or another.
        func existing(_ row: StoredRequest) throws -> EnqueueOutcome? {
            guard let key = row.request.idempotencyKey,
                  let found = try db.row("SELECT id, request_hash FROM messages WHERE idempotency_key = ?", [key])
            else { return nil }
            let id: String = found["id"]
            return id == row.id ? .created(id: id) : row.outcome(existingID: id, existingHash: found["request_hash"])
        }
        let created = now.timeIntervalSince1970
        var start = 0
        while start < rows.count {
            // A key seen before answers as before, even where the case's stop would refuse the message now.
            if let refusal = refusals[start] {
                outcomes.append(try existing(rows[start]) ?? .refused(reason: refusal))
                start += 1
                continue
            }
            var end = start
            while end < rows.count, refusals[end] == nil { end += 1 }
            let run = rows[start..<end]
            // A row whose key was seen before (or earlier in the run) is skipped by the insert. The
            // statements say how many rows they stored: when that is all of them (nearly always),
            // every row was created. Only when some were skipped is each keyed row's key looked up,
            // to tell the row stored from the one found (`INSERT … RETURNING id` told it for every
            // run, and SQLite builds a table of the returned rows for each statement).
            let keyed = run.contains { $0.request.idempotencyKey != nil }
            let stored = try insertRows(
                db, into: "messages",
                columns: [
                    "id", "idempotency_key", "request_hash", "kind", "case_ref", "recipient_id", "recipient_key", "request", "state", "ready_at",
                    "expires_at", "created_at", "updated_at",
                ],
                rows: run, onConflict: keyed ? "(idempotency_key) DO NOTHING" : nil
            ) { binder, row in
                let request = row.request
                try binder.bind(row.id)
                try binder.bind(request.idempotencyKey)
                try binder.bind(row.hash)
                try binder.bind(request.kind)
                try binder.bind(request.caseRef)
                try binder.bind(request.recipient.id)
                try binder.bind(row.recipientKey)
                try binder.bind(row.json)
                try binder.bind(MessageState.queued.rawValue)
                try binder.bind(row.readyAt.timeIntervalSince1970)
                try binder.bind(request.expiresAt?.timeIntervalSince1970)
                try binder.bind(created)
                try binder.bind(created)
            }
            // `messages` has no insert trigger (v19-counted-inserts): the rows stored, all queued, are
            // counted here, once for the statement's run instead of once for each row.
            if stored > 0 {
                try db.runBound("UPDATE message_counts SET n = n + ? WHERE state = 'queued'", count: 1) { binder in try binder.bind(stored) }
            }
            if stored == run.count {
                outcomes += run.map { .created(id: $0.id) }
            } else {
                // A row without a key is never skipped; a keyed one was stored if its key finds it.
                for row in run {
                    if let outcome = try existing(row) {
                        outcomes.append(outcome)
                    } else if row.request.idempotencyKey == nil {
                        outcomes.append(.created(id: row.id))
                    } else {
                        throw StoreError("message \(row.id) was neither stored nor found by its idempotency key")
                    }
                }
            }
            start = end
        }
        return outcomes
    }

    // MARK: Leases

    public func lease(owner: String, limit: Int, now: Date, leaseDuration: TimeInterval) async throws -> [LeasedMessage] {
        let grant = MessageLifecycle.lease(now: now, duration: leaseDuration)
        let rows: [LeasedRow] = try await pool.write { db in
            let cursor = try db.rows("""
                    UPDATE messages SET state = ?, lease_token = ?, lease_owner = ?, lease_expires_at = ?, updated_at = ?
                    WHERE id IN (
                        SELECT id FROM messages INDEXED BY messages_ready WHERE state = 'queued' AND ready_at <= ? ORDER BY ready_at, id LIMIT ?)
                    RETURNING \(Self.leasedColumns)
                    """, [
                    grant.state.rawValue, grant.token, owner, grant.expiresAt.timeIntervalSince1970, now.timeIntervalSince1970,
                    now.timeIntervalSince1970, limit,
                ])
            return try Self.leasedRows(db, cursor)
        }
        // RETURNING has no order: the batch is handed out in due order, as it was selected.
        return try LeasedRow.leased(rows, token: grant.token)
    }

    /// Reads the batch, writing nothing: `prepare` takes each lease in the commit of the plan, if the
    /// message's `updated_at` is still the one read here (every write of a message changes it, so a
    /// cancel or another daemon's lease in between is noticed). A batch read and never recorded (a
    /// crash, an error) was never taken: its messages are simply due.
    public func takeDue(owner: String, limit: Int, now: Date, leaseDuration: TimeInterval) async throws -> [LeasedMessage] {
        // On the writer's connection, though it writes nothing: a reader's page cache is dropped at
        // every commit of the writer, so a reader would read every page of the batch again.
        let rows: [LeasedRow] = try await writes.write(urgent: true) { db in try Self.dueRows(db, limit: limit, excluding: [], now: now) }
        return try Self.due(rows, DueQuery(owner: owner, limit: limit, leaseDuration: leaseDuration), now: now)
    }

    /// `takeDue` only reads: the next batch is read by the commit of the plan before.
    public var takeDueLeases: Bool { false }

    public func giveBack(_ leases: [LeaseRef], now: Date) async throws -> Int {
        let held = leases.filter(\.isHeld)
        guard !held.isEmpty else { return 0 }
        return try await pool.write { db in
            var given = 0
            for lease in held {
                try db.run(
                    """
                    UPDATE messages SET state = 'queued', lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = ?
                    WHERE id = ? AND lease_token = ? AND state = 'sending'
                    """, [now.timeIntervalSince1970, lease.messageID, lease.token])
                given += db.changesCount
            }
            return given
        }
    }

    /// The rows of the batch `takeDue` returns, read in the caller's transaction; none of `excluded`
    /// (read before, still to be claimed by a plan under way).
    private static func dueRows(_ db: Database, limit: Int, excluding excluded: [String], now: Date) throws -> [LeasedRow] {
        // One statement a number of ids held: under load, a batch's, the same number each time.
        let skip = excluded.isEmpty ? "" : " AND id NOT IN (\(placeholders(excluded.count)))"
        var arguments: [any DatabaseValueConvertible] = [now.timeIntervalSince1970]
        arguments += excluded as [any DatabaseValueConvertible]
        arguments.append(limit)
        let cursor = try db.rows("""
            SELECT \(leasedColumns), updated_at FROM messages INDEXED BY messages_ready
            WHERE state = 'queued' AND ready_at <= ?\(skip) ORDER BY ready_at, id LIMIT ?
            """, StatementArguments(arguments))
        return try leasedRows(db, cursor)
    }

    /// A batch read to be claimed by the commit of its plan: its leases, still to be taken.
    private static func due(_ rows: [LeasedRow], _ query: DueQuery, now: Date) throws -> [LeasedMessage] {
        let grant = MessageLifecycle.lease(now: now, duration: query.leaseDuration)
        return try LeasedRow.leased(rows, token: grant.token, claim: (query.owner, grant.expiresAt))
    }

    /// The columns of a batch's rows, which `leasedRows` reads by position (by name, each value is
    /// found by comparing the names case-insensitively).
    private static let leasedColumns =
        "id, request, created_at, ready_at, locale, tone, gateway, content_hash, excluded_channels, attempt_count, state_reason"

    /// The rows of a batch (`leasedColumns`, and `updated_at` after them when read to be claimed),
    /// with the content kept of any planned before.
    private static func leasedRows(_ db: Database, _ rows: [Row]) throws -> [LeasedRow] {
        // Only a message planned before (a retry, a send a crash interrupted) can have its content kept.
        let planned = rows.compactMap { row -> String? in (row[7] as String?) == nil ? nil : row[0] }
        let contents = try storedContents(db, ids: planned)
        return rows.map { row in
            let id: String = row[0]
            return LeasedRow(
                id: id, request: row[1], createdAt: Date(timeIntervalSince1970: row[2]), readyAt: Date(timeIntervalSince1970: row[3]),
                locale: row[4], tone: row[5], gateway: row[6], content: contents[id], excluded: row[8], attempts: row[9], lastReason: row[10],
                version: row.count > 11 ? row[11] : nil)
        }
    }

    public func reclaim(owners: [String], now: Date) async throws -> Int {
        try await reclaim(owners: owners, handedOver: [:], now: now)
    }

    public func reclaim(owners: [String], handedOver: [String: Set<Int64>], now: Date) async throws -> Int {
        try await pool.write { db in
            let placeholders = owners.isEmpty ? "NULL" : Array(repeating: "?", count: owners.count).joined(separator: ", ")
            let leases = try Row.fetchAll(
                db, sql: "SELECT id, lease_owner FROM messages WHERE state = 'sending' AND (lease_owner IN (\(placeholders)) OR lease_expires_at < ?)",
                arguments: StatementArguments(owners) + [now.timeIntervalSince1970])
            let at = now.timeIntervalSince1970
            for lease in leases {
                let id: String = lease[0]
                let owner: String? = lease[1]
                let (neverLeft, pending) = MessageLifecycle.pendingAttempts(
                    try db.values(Int64.self, "SELECT id FROM attempts WHERE message_id = ? AND outcome = 'pending'", [id]),
                    handedOver: owner.flatMap { handedOver[$0] })
                for attempt in neverLeft { try db.run("DELETE FROM attempts WHERE id = ?", [attempt]) }
                let verdict = MessageLifecycle.reclaim(hasPendingAttempt: !pending.isEmpty)
                if let outcome = verdict.attemptOutcome {
                    try db.run(
                        "UPDATE attempts SET outcome = ?, finished_at = ?, error = ? WHERE message_id = ? AND outcome = 'pending'",
                        [outcome.rawValue, at, verdict.attemptError, id])
                }
                // Attempts left pending are counted now: only an outcome counts one otherwise.
                try db.run("""
                        UPDATE messages SET state = 'queued', lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL,
                            state_reason = COALESCE(?, state_reason), ready_at = ?, updated_at = ?, attempt_count = attempt_count + ? WHERE id = ?
                        """,
                    [verdict.stateReason, at, at, pending.count, id])
                try Self.appendDecisions(db, messageID: id, texts: [verdict.decision], at: now)
            }
            return leases.count
        }
    }

    // MARK: Daemon runs

    public func register(_ run: DaemonRun) async throws {
        try await pool.write { db in
            try db.run(
                "INSERT INTO daemon_runs (run_id, worker_id, host, pid, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?)",
                [run.runID, run.workerID, run.host, Int(run.pid), run.startedAt.timeIntervalSince1970, run.heartbeatAt.timeIntervalSince1970])
        }
    }

    public func heartbeat(runID: String, now: Date) async throws {
        try await pool.write { db in
            try db.run("UPDATE daemon_runs SET heartbeat_at = ? WHERE run_id = ?", [now.timeIntervalSince1970, runID])
        }
    }

    public func markStopped(runIDs: [String], now: Date) async throws {
        guard !runIDs.isEmpty else { return }
        try await pool.write { db in
            for runID in runIDs {
                try db.run("UPDATE daemon_runs SET stopped_at = ? WHERE run_id = ? AND stopped_at IS NULL", [now.timeIntervalSince1970, runID])
            }
        }
    }

    public func activeRuns() async throws -> [DaemonRun] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM daemon_runs WHERE stopped_at IS NULL ORDER BY started_at").map { row in
                DaemonRun(
                    runID: row["run_id"], workerID: row["worker_id"], host: row["host"], pid: Int32(row["pid"] as Int),
                    startedAt: Date(timeIntervalSince1970: row["started_at"]), heartbeatAt: Date(timeIntervalSince1970: row["heartbeat_at"]))
            }
        }
    }

    // MARK: Recording

    public func prepare(_ preparations: [Preparation], starting starts: [AttemptStart], now: Date, takingNext next: DueQuery?) async throws -> PreparedBatch {
        let contents = StoredRows.contents(preparations)
        let (prepared, nextRows) = try await writes.write(urgent: true) { db in
            let prepared = try Self.recordAndOpen(db, preparations, starting: starts, contents: contents, now: now)
            // Read after the plan's writes: none of this batch is queued any more.
            return (prepared, try next.map { try Self.dueRows(db, limit: $0.limit, excluding: $0.excluding, now: now) })
        }
        guard let next, let nextRows else { return prepared }
        return PreparedBatch(held: prepared.held, started: prepared.started, next: try Self.due(nextRows, next, now: now))
    }

    /// Records a batch's plans and opens the attempts of `starts` in the caller's transaction (`prepare`).
    private static func recordAndOpen(
        _ db: Database, _ preparations: [Preparation], starting starts: [AttemptStart], contents: [String: [UInt8]], now: Date
    ) throws -> PreparedBatch {
        let split = PlannedStarts(starts, preparations: preparations)
        let held = try Self.record(db, preparations, contents: contents, now: now)
        var started: [String: StartOutcome] = [:]
        try noteUnindexed(db, split.withPlan)
        for start in split.withPlan where held.contains(start.lease.messageID) {
            started[start.lease.messageID] = .started(try Self.insertAttempt(db, start, now: now))
        }
        started.merge(try Self.open(db, split.others, now: now)) { $1 }
        return PreparedBatch(held: held, started: started)
    }

    /// Records the plans of a batch in the caller's transaction. Returns the sends whose lease held.
    static func record(_ db: Database, _ preparations: [Preparation], contents: [String: [UInt8]], now: Date) throws -> Set<String> {
        var held: Set<String> = []
        var decisions: [(messageID: String, texts: [String])] = []
        var kept: [(messageID: String, content: [UInt8])] = []
        let at = now.timeIntervalSince1970
        for preparation in preparations {
            switch preparation {
            case .send(let send):
                let fence = Fence(send.lease)
                let claim = send.lease.claim
                let content = send.content
                try db.runBound("""
                        UPDATE messages SET channel = ?, locale = ?, tone = ?, gateway = ?, template_id = ?, template_version = ?,
                            variant = ?, content_hash = ?, sms_encoding = ?, sms_segments = ?,
                            updated_at = ?\(claim == nil ? "" : ", state = 'sending', lease_token = ?, lease_owner = ?, lease_expires_at = ?")
                        WHERE \(fence.condition)
                        """,
                    count: 11 + (claim == nil ? 0 : 3) + Fence.count
                ) { binder in
                    try binder.bind(content.channel.rawValue)
                    try binder.bind(send.locale)
                    try binder.bind(send.tone.rawValue)
                    try binder.bind(send.gateway)
                    try binder.bind(content.templateID)
                    try binder.bind(content.templateVersion)
                    try binder.bind(content.variant)
                    try binder.bind(content.contentHash)
                    try binder.bind(content.sms?.encoding.rawValue)
                    try binder.bind(content.sms?.segments)
                    try binder.bind(at)
                    if let claim {
                        try binder.bind(send.lease.token)
                        try binder.bind(claim.owner)
                        try binder.bind(claim.expiresAt.timeIntervalSince1970)
                    }
                    try fence.bind(&binder)
                }
                guard db.changesCount == 1 else { continue }
                decisions.append((send.lease.messageID, send.decisions))
                held.insert(send.lease.messageID)
                if let content = contents[send.lease.messageID] { kept.append((send.lease.messageID, content)) }
            case .deferral(let lease, let until, let reason, let texts):
                let fence = Fence(lease)
                try db.runBound(
                    """
                    UPDATE messages SET state = 'queued', state_reason = ?, ready_at = ?, lease_token = NULL, lease_owner = NULL,
                        lease_expires_at = NULL, updated_at = ?
                    WHERE \(fence.condition)
                    """,
                    count: 3 + Fence.count
                ) { binder in
                    try binder.bind(reason)
                    try binder.bind(until.timeIntervalSince1970)
                    try binder.bind(at)
                    try fence.bind(&binder)
                }
                if db.changesCount == 1 { decisions.append((lease.messageID, texts)) }
            case .finish(let lease, let state, let reason, let texts):
                let fence = Fence(lease)
                try db.runBound("""
                        UPDATE messages SET state = ?, state_reason = ?, lease_token = NULL, lease_owner = NULL,
                            lease_expires_at = NULL, updated_at = ?
                        WHERE \(fence.condition)
                        """,
                    count: 3 + Fence.count
                ) { binder in
                    try binder.bind(state.rawValue)
                    try binder.bind(reason)
                    try binder.bind(at)
                    try fence.bind(&binder)
                }
                if db.changesCount == 1 { decisions.append((lease.messageID, texts)) }
            }
        }
        try Self.appendDecisions(db, decisions, at: now)
        // A resend plans the content it kept: the same text again.
        try Self.insertRows(
            db, into: "message_contents", columns: ["message_id", "content"], rows: kept,
            onConflict: "(message_id) DO UPDATE SET content = excluded.content"
        ) { binder, row in
            try binder.bind(row.messageID)
            try binder.bind(utf8: row.content)
        }
        return held
    }

    /// What a plan's write about a message is fenced by: its lease token on a `sending` message, or,
    /// for a lease still to be taken (`LeaseRef.claim`), the version read on a `queued` one.
    struct Fence {
        let lease: LeaseRef

        init(_ lease: LeaseRef) {
            self.lease = lease
        }

        /// Values the condition binds.
        static let count = 2

        var condition: String {
            lease.claim == nil ? "id = ? AND lease_token = ? AND state = 'sending'" : "id = ? AND updated_at = ? AND state = 'queued'"
        }

        /// Binds the condition's values, after the statement's others.
        func bind(_ binder: inout ParameterBinder) throws {
            try binder.bind(lease.messageID)
            if let claim = lease.claim {
                try binder.bind(claim.readVersion)
            } else {
                try binder.bind(lease.token)
            }
        }
    }

    public func start(_ starts: [AttemptStart], now: Date) async throws -> [String: StartOutcome] {
        try await writes.write(urgent: true) { db in try Self.open(db, starts, now: now) }
    }

    /// Opens the attempts of `starts` in the caller's transaction, each fenced, each capped start
    /// judged against every daemon's sends first. The message's row is not written: its attempt is
    /// counted with its outcome, or by the reclaim that finds it pending (`complete`, `reclaim`).
    static func open(_ db: Database, _ starts: [AttemptStart], now: Date) throws -> [String: StartOutcome] {
        try noteUnindexed(db, starts)
        var attempts: [String: StartOutcome] = [:]
        let at = now.timeIntervalSince1970
        for start in starts {
            if let cap = start.cap, cap.policy.enabled {
                // Every daemon's sends to this recipient in the window: accepted, or in flight.
                let times = try db.values(
                    Double.self,
                    """
                    SELECT COALESCE(a.finished_at, a.started_at) FROM attempts a JOIN messages m ON m.id = a.message_id
                    WHERE m.recipient_key = ? AND m.id != ? AND a.outcome IN ('accepted', 'pending') AND COALESCE(a.finished_at, a.started_at) >= ?
                    """, [cap.recipientKey, start.lease.messageID, at - cap.policy.window]).map(Date.init(timeIntervalSince1970:))
                if let until = cap.policy.deferredUntil(kind: cap.kind, sentAt: times, now: now) {
                    let reason = cap.policy.deferralReason(kind: cap.kind, until: until)
                    try db.run(
                        """
                        UPDATE messages SET state = 'queued', state_reason = ?, ready_at = ?, updated_at = ?, lease_token = NULL, lease_owner = NULL,
                            lease_expires_at = NULL WHERE id = ? AND lease_token = ? AND state = 'sending'
                        """, [reason, until.timeIntervalSince1970, at, start.lease.messageID, start.lease.token])
                    guard db.changesCount == 1 else { continue }
                    try Self.appendDecisions(db, messageID: start.lease.messageID, texts: [reason + " (decided as the attempt was to open)"], at: now)
                    attempts[start.lease.messageID] = .deferred(until: until)
                    continue
                }
            }
            // The fence, read: the lease still held (the row's page is read, not written again).
            let held = try db.firstColumnTextsBound("SELECT id FROM messages WHERE id = ? AND lease_token = ? AND state = 'sending'", count: 2) { binder in
                try binder.bind(start.lease.messageID)
                try binder.bind(start.lease.token)
            }
            guard !held.isEmpty else { continue }
            attempts[start.lease.messageID] = .started(try insertAttempt(db, start, now: now))
        }
        return attempts
    }

    /// Notes, in the caller's transaction, the gateways of `starts` whose attempts open without an
    /// entry in the provider-id index (`AttemptStart.receiptLookup` false), so that the start after
    /// their receipts are turned on indexes them (`prepareReceiptLookups`).
    static func noteUnindexed(_ db: Database, _ starts: [AttemptStart]) throws {
        for gateway in Set(starts.lazy.filter { !$0.receiptLookup }.map(\.gateway)) {
            try db.run("INSERT INTO unindexed_gateways (gateway) VALUES (?) ON CONFLICT (gateway) DO NOTHING", [gateway])
        }
    }

    /// The `pending` attempt row of a start whose lease the caller found held; its id.
    static func insertAttempt(_ db: Database, _ start: AttemptStart, now: Date) throws -> Int64 {
        try db.runBound("""
                INSERT INTO attempts (message_id, started_at, channel, gateway, idempotency_key, outcome, receipt_lookup)
                VALUES (?, ?, ?, ?, ?, 'pending', ?)
                """,
            count: 6
        ) { binder in
            try binder.bind(start.lease.messageID)
            try binder.bind(now.timeIntervalSince1970)
            try binder.bind(start.channel.rawValue)
            try binder.bind(start.gateway)
            try binder.bind(start.idempotencyKey)
            try binder.bind(start.receiptLookup)
        }
        return db.lastInsertedRowID
    }

    public func complete(_ completions: [Completion], now: Date) async throws -> Set<String> {
        try await writes.write { db in
            var held: Set<String> = []
            var decisions: [(messageID: String, texts: [String])] = []
            let at = now.timeIntervalSince1970
            for completion in completions {
                let lease = completion.lease
                // The message first: a lease lost meanwhile (another worker took it) records nothing. The
                // attempt is counted here, with its outcome (`open` does not write the message's row).
                let releases = completion.state != .sending
                try db.runBound(
                    """
                    UPDATE messages SET state = ?, state_reason = ?, updated_at = ?, ready_at = COALESCE(?, ready_at),
                        attempt_count = attempt_count + 1,
                        excluded_channels = CASE WHEN ? IS NULL THEN excluded_channels ELSE excluded_channels || ? || ',' END,
                        lease_token = CASE WHEN ? THEN NULL ELSE lease_token END,
                        lease_owner = CASE WHEN ? THEN NULL ELSE lease_owner END,
                        lease_expires_at = CASE WHEN ? THEN NULL ELSE lease_expires_at END
                    WHERE id = ? AND lease_token = ? AND state = 'sending'
                    """,
                    count: 11
                ) { binder in
                    try binder.bind(completion.state.rawValue)
                    try binder.bind(completion.reason)
                    try binder.bind(at)
                    try binder.bind(completion.readyAt?.timeIntervalSince1970)
                    try binder.bind(completion.excludeChannel?.rawValue)
                    try binder.bind(completion.excludeChannel?.rawValue)
                    try binder.bind(releases)
                    try binder.bind(releases)
                    try binder.bind(releases)
                    try binder.bind(lease.messageID)
                    try binder.bind(lease.token)
                }
                guard db.changesCount == 1 else { continue }
                // A channel excluded: the message is planned again for another, with content of its own.
                if completion.excludeChannel != nil { try Self.forgetContent(db, messageID: lease.messageID) }
                try db.runBound(
                    """
                    UPDATE attempts SET outcome = ?, http_status = ?, provider_id = ?, latency_ms = ?, error = ?, finished_at = ?
                    WHERE id = ? AND message_id = ?
                    """,
                    count: 8
                ) { binder in
                    try binder.bind(completion.outcome.rawValue)
                    try binder.bind(completion.httpStatus)
                    try binder.bind(completion.providerID)
                    try binder.bind(completion.latencyMs)
                    try binder.bind(completion.error)
                    try binder.bind(at)
                    try binder.bind(completion.attemptID)
                    try binder.bind(lease.messageID)
                }
                let attemptFound = db.changesCount == 1
                decisions.append((lease.messageID, completion.decisions))
                // An acceptance's receipt is read from its attempt (`AcceptanceReceipts`); a multi-part
                // send's parts are kept for the receipts that name them.
                if completion.outcome == .accepted, completion.parts.count > 1, attemptFound {
                    for part in completion.parts {
                        try db.run(
                            "INSERT OR REPLACE INTO attempt_parts (gateway, part_id, attempt_id) VALUES (?, ?, ?)",
                            [completion.gateway, part, completion.attemptID])
                    }
                }
                held.insert(lease.messageID)
            }
            try Self.appendDecisions(db, decisions, at: now)
            return held
        }
    }

    // MARK: Reading

    public func countByState() async throws -> [MessageState: Int] {
        try await pool.read { db in
            var counts: [MessageState: Int] = [:]
            for row in try db.rows("SELECT state, n FROM message_counts WHERE n > 0") {
                if let state = MessageState(rawValue: row["state"]) { counts[state] = row["n"] }
            }
            return counts
        }
    }

    public func nextReadyAt() async throws -> Date? {
        try await pool.read { db in
            try db.value(Double.self, "SELECT MIN(ready_at) FROM messages INDEXED BY messages_ready WHERE state = 'queued'").map(Date.init(timeIntervalSince1970:))
        }
    }
}
