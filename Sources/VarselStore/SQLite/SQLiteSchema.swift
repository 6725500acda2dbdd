import GRDB

/// The SQLite schema, created and migrated on open. Times are Unix seconds (REAL) so comparisons are
/// numeric and independent of formatting.
enum SQLiteSchema {
    /// One migration: its identifier (as `grdb_migrations` records it) and what it does.
    struct Migration {
        let identifier: String
        let migrate: @Sendable (Database) throws -> Void
    }

    /// The migrations in order, for a store an older Varsel left (`migrator`) and for a new one
    /// (`createAll`).
    struct Migrations {
        private(set) var all: [Migration] = []

        mutating func registerMigration(_ identifier: String, migrate: @escaping @Sendable (Database) throws -> Void) {
            all.append(Migration(identifier: identifier, migrate: migrate))
        }
    }

    /// GRDB's migrator of the schema: each migration not yet applied, in its own transaction.
    static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in migrations().all { migrator.registerMigration(migration.identifier, migrate: migration.migrate) }
        return migrator
    }

    /// Builds a new, empty database's whole schema in one transaction, where the migrator would
    /// commit (and sync) once for each of its migrations, most of a new store's opening: every
    /// migration in order, as the migrator runs them (foreign keys off, checked before the commit),
    /// each recorded as applied. Returns false, changing nothing, when the database holds any table
    /// (an older store, or one another process created meanwhile): the migrator takes it from there.
    static func createAll(_ db: Database) throws -> Bool {
        try db.execute(sql: "PRAGMA foreign_keys = OFF")
        defer { try? db.execute(sql: "PRAGMA foreign_keys = ON") }
        var created = false
        try db.inTransaction(.immediate) {
            guard try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sqlite_master") == 0 else { return .rollback }
            try db.execute(sql: "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
            for migration in migrations().all {
                try migration.migrate(db)
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES (?)", arguments: [migration.identifier])
            }
            try db.checkForeignKeys()
            created = true
            return .commit
        }
        return created
    }

    private static func migrations() -> Migrations {
        var list = Migrations()
        list.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE messages (
                    id TEXT PRIMARY KEY NOT NULL,
                    idempotency_key TEXT UNIQUE,
                    request_hash TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    case_ref TEXT,
                    recipient_id TEXT,
                    request TEXT NOT NULL,
                    state TEXT NOT NULL,
                    state_reason TEXT,
                    channel TEXT,
                    locale TEXT,
                    tone TEXT,
                    gateway TEXT,
                    template_id TEXT,
                    template_version TEXT,
                    content_hash TEXT,
                    content TEXT,
                    sms_encoding TEXT,
                    sms_segments INTEGER,
                    ready_at REAL NOT NULL,
                    expires_at REAL,
                    lease_token TEXT,
                    lease_owner TEXT,
                    lease_expires_at REAL,
                    attempt_count INTEGER NOT NULL DEFAULT 0,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL
                );
                CREATE INDEX messages_ready ON messages(ready_at) WHERE state = 'queued';
                CREATE INDEX messages_leased ON messages(lease_expires_at) WHERE state = 'sending';
                CREATE INDEX messages_case ON messages(case_ref);
                CREATE TABLE decisions (
                    message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
                    seq INTEGER NOT NULL,
                    at REAL NOT NULL,
                    text TEXT NOT NULL,
                    PRIMARY KEY (message_id, seq)
                );
                CREATE TABLE attempts (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
                    started_at REAL NOT NULL,
                    finished_at REAL,
                    channel TEXT NOT NULL,
                    gateway TEXT NOT NULL,
                    idempotency_key TEXT NOT NULL,
                    http_status INTEGER,
                    provider_id TEXT,
                    outcome TEXT NOT NULL,
                    error TEXT,
                    latency_ms INTEGER
                );
                CREATE INDEX attempts_message ON attempts(message_id);
                CREATE INDEX attempts_provider ON attempts(gateway, provider_id);
                CREATE TABLE receipts (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
                    at REAL NOT NULL,
                    status TEXT NOT NULL,
                    source TEXT NOT NULL,
                    provider_id TEXT,
                    raw TEXT
                );
                CREATE INDEX receipts_message ON receipts(message_id);
                """)
        }
        list.registerMigration("v2-tokens") { db in
            try db.execute(sql: """
                CREATE TABLE api_tokens (
                    id TEXT PRIMARY KEY NOT NULL,
                    hash TEXT NOT NULL UNIQUE,
                    scopes TEXT NOT NULL,
                    label TEXT,
                    created_at REAL NOT NULL,
                    revoked_at REAL
                );
                """)
        }
        list.registerMigration("v3-recipients") { db in
            try db.execute(sql: """
                CREATE TABLE recipients (
                    id TEXT PRIMARY KEY NOT NULL,
                    record TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL
                );
                CREATE INDEX messages_recipient ON messages(recipient_id);
                """)
        }
        list.registerMigration("v4-excluded-channels") { db in
            try db.execute(sql: "ALTER TABLE messages ADD COLUMN excluded_channels TEXT NOT NULL DEFAULT ''")
        }
        list.registerMigration("v5-recipient-key") { db in
            try db.execute(sql: """
                ALTER TABLE messages ADD COLUMN recipient_key TEXT;
                CREATE INDEX messages_recipient_key ON messages(recipient_key);
                CREATE INDEX attempts_accepted ON attempts(message_id, finished_at) WHERE outcome = 'accepted';
                """)
        }
        list.registerMigration("v6-retention") { db in
            // When retention deleted the message's personal data (rendered content, contact data, raw receipts).
            try db.execute(sql: """
                ALTER TABLE messages ADD COLUMN purged_at REAL;
                CREATE INDEX messages_retention ON messages(updated_at) WHERE state IN ('sent', 'delivered', 'failed', 'expired', 'cancelled');
                -- Counting by state (metrics, the systemd status) reads this index, not the table.
                CREATE INDEX messages_state ON messages(state);
                """)
        }
        list.registerMigration("v7-receipts-per-attempt") { db in
            // A receipt belongs to the attempt whose provider id it names; the attempt keeps the
            // furthest delivery status its receipts reported.
            try db.execute(sql: """
                ALTER TABLE receipts ADD COLUMN attempt_id INTEGER REFERENCES attempts(id) ON DELETE CASCADE;
                ALTER TABLE attempts ADD COLUMN delivery_status TEXT;
                UPDATE receipts SET attempt_id = (SELECT a.id FROM attempts a WHERE a.message_id = receipts.message_id
                    AND a.provider_id = receipts.provider_id ORDER BY a.id DESC LIMIT 1) WHERE provider_id IS NOT NULL;
                CREATE INDEX receipts_attempt ON receipts(attempt_id);
                """)
        }
        list.registerMigration("v8-attempt-parts") { db in
            // Providers that report per part (Vonage: one delivery report per SMS segment) give
            // each part an id; a report names the part, and the attempt is delivered when all are.
            try db.execute(sql: """
                CREATE TABLE attempt_parts (
                    gateway TEXT NOT NULL,
                    part_id TEXT NOT NULL,
                    attempt_id INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,
                    PRIMARY KEY (gateway, part_id)
                );
                CREATE INDEX attempt_parts_attempt ON attempt_parts(attempt_id);
                """)
        }
        list.registerMigration("v9-daemon-runs") { db in
            // Each run of a daemon registers; its run id owns its leases, so two daemons with the
            // same worker_id never take each other's live leases for their own.
            try db.execute(sql: """
                CREATE TABLE daemon_runs (
                    run_id TEXT PRIMARY KEY,
                    worker_id TEXT NOT NULL,
                    host TEXT NOT NULL,
                    pid INTEGER NOT NULL,
                    started_at REAL NOT NULL,
                    heartbeat_at REAL NOT NULL,
                    stopped_at REAL
                );
                CREATE INDEX daemon_runs_active ON daemon_runs(stopped_at);
                """)
        }
        list.registerMigration("v10-case-events") { db in
            // What creditors report about a case (paid, disputed, …): it stops or reopens the case
            // and is the outcome reports measure. Kept when messages are swept: it names no person.
            // Events of a case are read in rowid order, the order they were recorded.
            try db.execute(sql: """
                CREATE TABLE case_events (
                    id TEXT PRIMARY KEY,
                    case_ref TEXT NOT NULL,
                    type TEXT NOT NULL,
                    amount TEXT,
                    currency TEXT,
                    at REAL NOT NULL,
                    recorded_at REAL NOT NULL,
                    note TEXT,
                    idempotency_key TEXT UNIQUE,
                    fingerprint TEXT NOT NULL
                );
                CREATE INDEX case_events_case ON case_events(case_ref);
                """)
        }
        list.registerMigration("v11-cases") { db in
            // Cases created from a plan: the plan, the request's hash (idempotency by case_ref) and the
            // message each step became (JSON). Like events, they name no person.
            try db.execute(sql: """
                CREATE TABLE cases (
                    case_ref TEXT PRIMARY KEY,
                    plan TEXT NOT NULL,
                    request_hash TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    steps TEXT NOT NULL
                );
                """)
        }
        list.registerMigration("v12-experiment-variant") { db in
            // The template experiment's variant a message was rendered with (`b`); NULL outside an experiment.
            try db.execute(sql: "ALTER TABLE messages ADD COLUMN variant TEXT")
        }
        list.registerMigration("v13-queue-at-depth") { db in
            // The cost of a message stays flat in the depth of the queue and the size of the history:
            // - the queue is leased in (ready_at, id) order; with id in the index a lease reads the first
            //   entries and stops (before, SQLite sorted every queued row on each lease);
            // - the count of messages by state is kept by triggers, one row per state, so /metrics and
            //   the status never count the table; the index on state, which every change of state had
            //   to update, goes.
            try db.execute(sql: """
                DROP INDEX messages_ready;
                CREATE INDEX messages_ready ON messages(ready_at, id) WHERE state = 'queued';
                CREATE TABLE message_counts (state TEXT PRIMARY KEY NOT NULL, n INTEGER NOT NULL) WITHOUT ROWID;
                INSERT INTO message_counts (state, n) VALUES
                    ('queued', 0), ('sending', 0), ('sent', 0), ('delivered', 0), ('failed', 0), ('expired', 0), ('cancelled', 0);
                UPDATE message_counts SET n = (SELECT COUNT(*) FROM messages WHERE messages.state = message_counts.state);
                INSERT INTO message_counts (state, n)
                    SELECT state, COUNT(*) FROM messages WHERE state NOT IN (SELECT state FROM message_counts) GROUP BY state;
                CREATE TRIGGER message_counts_insert AFTER INSERT ON messages BEGIN
                    UPDATE message_counts SET n = n + 1 WHERE state = new.state;
                END;
                CREATE TRIGGER message_counts_update AFTER UPDATE OF state ON messages WHEN old.state IS NOT new.state BEGIN
                    UPDATE message_counts SET n = n - 1 WHERE state = old.state;
                    UPDATE message_counts SET n = n + 1 WHERE state = new.state;
                END;
                CREATE TRIGGER message_counts_delete AFTER DELETE ON messages BEGIN
                    UPDATE message_counts SET n = n - 1 WHERE state = old.state;
                END;
                DROP INDEX messages_state;
                """)
        }
        list.registerMigration("v14-message-contents") { db in
            // A message's rendered content (2–5 KB) lives in a table of its own, written when the message
            // is planned: the row of `messages`, which the lease, the plan and the outcome each rewrite,
            // stays under a kilobyte instead of about three (bytes written per sent message −15 %).
            try db.execute(sql: """
                CREATE TABLE message_contents (
                    message_id TEXT PRIMARY KEY NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
                    content TEXT NOT NULL
                );
                INSERT INTO message_contents (message_id, content) SELECT id, content FROM messages WHERE content IS NOT NULL;
                ALTER TABLE messages DROP COLUMN content;
                """)
        }
        list.registerMigration("v15-retention-index-condition") { db in
            // The same rows, a cheaper condition. SQLite evaluates an IN list of more than two values by
            // building a temporary table of them, and a partial index's condition is evaluated for the old
            // and the new row of every UPDATE that writes one of its columns: with `updated_at` indexed,
            // every lease, plan, attempt and outcome built two such tables for each message it wrote.
            // A message has seven states; the five terminal ones are those other than queued and sending.
            try db.execute(sql: """
                DROP INDEX messages_retention;
                CREATE INDEX messages_retention ON messages(updated_at) WHERE state NOT IN ('queued', 'sending');
                """)
        }
        list.registerMigration("v16-recipient-by-key") { db in
            // A recipient's messages are found by `recipient_key`, which is 'id:' and the recipient's id
            // whenever it has one (`RecipientKey`), so the index on `recipient_id` only repeated it. Its
            // random inserts were a fifth of the log a daemon taking batches wrote. Messages stored
            // before v5 have no key yet: they are given the one they would have been given.
            try db.execute(sql: """
                UPDATE messages SET recipient_key = 'id:' || recipient_id WHERE recipient_key IS NULL AND recipient_id IS NOT NULL;
                DROP INDEX messages_recipient;
                """)
        }
        list.registerMigration("v17-decision-rows") { db in
            // A message's decision trail is one row for each write that added to it, its texts a JSON
            // array (`StoredRows.decisionRow`), read in rowid order: a plan's four texts and an outcome's
            // two were six rows, each with an entry in the key's index, and each write looked up the
            // message's last sequence number first. Each text stored before becomes a row of its own.
            try db.execute(sql: """
                CREATE TABLE decision_rows (
                    id INTEGER PRIMARY KEY,
                    message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
                    at REAL NOT NULL,
                    texts TEXT NOT NULL
                );
                INSERT INTO decision_rows (message_id, at, texts) SELECT message_id, at, json_array(text) FROM decisions ORDER BY message_id, seq;
                DROP TABLE decisions;
                ALTER TABLE decision_rows RENAME TO decisions;
                CREATE INDEX decisions_message ON decisions(message_id);
                """)
        }
        list.registerMigration("v18-receipt-lookup") { db in
            // A receipt finds its attempt by the provider's id, a random key: every sent message put an
            // entry at a random page of `attempts_provider`, a quarter of the log a sending daemon wrote.
            // Only a gateway with `receipts` configured can be sent a receipt, so only its attempts are
            // indexed (`receipt_lookup`, set as the attempt opens). Those stored before stay indexed.
            // `unindexed_gateways` names the gateways that have opened attempts without (noted in the
            // attempts' transactions): when one of them has receipts turned on, a daemon's start
            // indexes its attempts first (`SQLiteMessageStore.prepareReceiptLookups`).
            try db.execute(sql: """
                ALTER TABLE attempts ADD COLUMN receipt_lookup INTEGER NOT NULL DEFAULT 1;
                DROP INDEX attempts_provider;
                CREATE INDEX attempts_provider ON attempts(gateway, provider_id) WHERE receipt_lookup = 1;
                CREATE TABLE unindexed_gateways (gateway TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID;
                """)
        }
        list.registerMigration("v19-counted-inserts") { db in
            // A message is stored by one statement only (`SQLiteMessageStore.insert`), which now adds the
            // rows it stored to the queued count itself, once for each multi-row insert: the trigger
            // updated `message_counts` once for every row, a tenth of the writer's work on a batch's chunk.
            // The triggers on a change of state and on a delete stay.
            try db.execute(sql: "DROP TRIGGER message_counts_insert")
        }
        list.registerMigration("v20-attempts-counted-with-outcome") { db in
            // A message's `attempt_count` counts an attempt when its outcome is recorded, or when a
            // reclaim finds it still pending, no longer as it opens: a send that waited for a connection
            // opened its attempt by writing its message's row once more just for the count. A message
            // sending now had its pending attempts counted as they opened; they are taken off, to be
            // counted again with their outcome.
            try db.execute(sql: """
                UPDATE messages SET attempt_count = attempt_count
                    - (SELECT COUNT(*) FROM attempts WHERE attempts.message_id = messages.id AND attempts.outcome = 'pending')
                WHERE state = 'sending'
                """)
        }
        return list
    }
}
