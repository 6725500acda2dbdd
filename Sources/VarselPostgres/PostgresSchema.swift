import Foundation

/// The PostgreSQL schema: everything Varsel owns lives in the schema `varsel`. Migrations are
/// versioned and applied in order, under an advisory lock, so two daemons starting at once migrate
/// once; each is recorded in `varsel.schema_migrations`.
///
/// Times are `timestamptz`. Requests and intake payloads are `jsonb`, so operators can query them.
enum PostgresSchema {
    /// Taken with `pg_advisory_lock` around migrating (an arbitrary constant: "varsel" in ASCII).
    static let migrationLock: Int64 = 0x76_6172_7365_6c

    /// The channel a daemon listens on to hear of new work at once.
    static let queueChannel = "varsel_queue"

    static let migrations: [(version: String, sql: String)] = [
        ("v1-messages", """
            CREATE TABLE varsel.messages (
                id text PRIMARY KEY,
                idempotency_key text UNIQUE,
                request_hash text NOT NULL,
                kind text NOT NULL,
                case_ref text,
                recipient_id text,
                recipient_key text,
                request jsonb NOT NULL,
                state text NOT NULL,
                state_reason text,
                channel text,
                locale text,
                tone text,
                gateway text,
                template_id text,
                template_version text,
                content_hash text,
                content text,
                sms_encoding text,
                sms_segments integer,
                ready_at timestamptz NOT NULL,
                expires_at timestamptz,
                lease_token text,
                lease_owner text,
                lease_expires_at timestamptz,
                attempt_count integer NOT NULL DEFAULT 0,
                excluded_channels text NOT NULL DEFAULT '',
                purged_at timestamptz,
                created_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL
            );
            CREATE INDEX messages_ready ON varsel.messages (ready_at, id) WHERE state = 'queued';
            CREATE INDEX messages_leased ON varsel.messages (lease_expires_at) WHERE state = 'sending';
            CREATE INDEX messages_case ON varsel.messages (case_ref);
            CREATE INDEX messages_recipient ON varsel.messages (recipient_id);
            CREATE INDEX messages_recipient_key ON varsel.messages (recipient_key);
            CREATE INDEX messages_state ON varsel.messages (state);
            CREATE INDEX messages_retention ON varsel.messages (updated_at)
                WHERE state IN ('sent', 'delivered', 'failed', 'expired', 'cancelled');

            -- The decision trail, in the order written (a sequence, not MAX(seq) + 1).
            CREATE TABLE varsel.decisions (
                id bigserial PRIMARY KEY,
                message_id text NOT NULL REFERENCES varsel.messages (id) ON DELETE CASCADE,
                at timestamptz NOT NULL,
                text text NOT NULL
            );
            CREATE INDEX decisions_message ON varsel.decisions (message_id, id);

            CREATE TABLE varsel.attempts (
                id bigserial PRIMARY KEY,
                message_id text NOT NULL REFERENCES varsel.messages (id) ON DELETE CASCADE,
                started_at timestamptz NOT NULL,
                finished_at timestamptz,
                channel text NOT NULL,
                gateway text NOT NULL,
                idempotency_key text NOT NULL,
                http_status integer,
                provider_id text,
                outcome text NOT NULL,
                error text,
                latency_ms integer,
                delivery_status text
            );
            CREATE INDEX attempts_message ON varsel.attempts (message_id, id);
            CREATE INDEX attempts_provider ON varsel.attempts (gateway, provider_id);
            CREATE INDEX attempts_accepted ON varsel.attempts (message_id, finished_at) WHERE outcome IN ('accepted', 'pending');

            CREATE TABLE varsel.attempt_parts (
                gateway text NOT NULL,
                part_id text NOT NULL,
                attempt_id bigint NOT NULL REFERENCES varsel.attempts (id) ON DELETE CASCADE,
                PRIMARY KEY (gateway, part_id)
            );
            CREATE INDEX attempt_parts_attempt ON varsel.attempt_parts (attempt_id);

            CREATE TABLE varsel.receipts (
                id bigserial PRIMARY KEY,
                message_id text NOT NULL REFERENCES varsel.messages (id) ON DELETE CASCADE,
                attempt_id bigint REFERENCES varsel.attempts (id) ON DELETE CASCADE,
                at timestamptz NOT NULL,
                status text NOT NULL,
                source text NOT NULL,
                provider_id text,
                raw text
            );
            CREATE INDEX receipts_message ON varsel.receipts (message_id, id);
            CREATE INDEX receipts_attempt ON varsel.receipts (attempt_id);

            CREATE TABLE varsel.api_tokens (
                id text PRIMARY KEY,
                hash text NOT NULL UNIQUE,
                scopes text NOT NULL,
                label text,
                created_at timestamptz NOT NULL,
                revoked_at timestamptz
            );

            CREATE TABLE varsel.recipients (
                id text PRIMARY KEY,
                record jsonb NOT NULL,
                created_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL
            );

            CREATE TABLE varsel.daemon_runs (
                run_id text PRIMARY KEY,
                worker_id text NOT NULL,
                host text NOT NULL,
                pid integer NOT NULL,
                started_at timestamptz NOT NULL,
                heartbeat_at timestamptz NOT NULL,
                stopped_at timestamptz
            );
            CREATE INDEX daemon_runs_active ON varsel.daemon_runs (stopped_at);

            -- A message stored by any daemon, or by SQL, wakes every listening daemon at once.
            CREATE FUNCTION varsel.notify_queue() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('varsel_queue', '');
                RETURN NULL;
            END $$;
            CREATE TRIGGER messages_notify AFTER INSERT ON varsel.messages
                FOR EACH STATEMENT EXECUTE FUNCTION varsel.notify_queue();
            """),
        ("v2-intake", """
            -- Transactional intake: a producer calls varsel.enqueue(message) inside its own transaction.
            -- A daemon validates each committed row like an API request: an accepted row names its
            -- message (its payload goes: the message holds it); a rejected one keeps payload and error.
            CREATE TABLE varsel.intake (
                id bigserial PRIMARY KEY,
                payload jsonb,
                received_at timestamptz NOT NULL DEFAULT now(),
                message_id text REFERENCES varsel.messages (id) ON DELETE CASCADE,
                accepted_at timestamptz,
                error text,
                rejected_at timestamptz
            );
            CREATE INDEX intake_pending ON varsel.intake (id) WHERE accepted_at IS NULL AND rejected_at IS NULL;
            CREATE INDEX intake_rejected ON varsel.intake (rejected_at) WHERE rejected_at IS NOT NULL;

            CREATE FUNCTION varsel.enqueue(message jsonb) RETURNS bigint LANGUAGE plpgsql AS $$
            DECLARE
                intake_id bigint;
            BEGIN
                IF message IS NULL OR jsonb_typeof(message) <> 'object' THEN
                    RAISE EXCEPTION 'varsel.enqueue: the message must be a JSON object, got %', coalesce(jsonb_typeof(message), 'NULL')
                        USING ERRCODE = '22023';
                END IF;
                INSERT INTO varsel.intake (payload) VALUES (message) RETURNING id INTO intake_id;
                PERFORM pg_notify('varsel_queue', '');
                RETURN intake_id;
            END $$;
            """),
        ("v3-case-events", """
            -- What creditors report about a case (paid, disputed, …): it stops or reopens the case and is
            -- the outcome reports measure. Kept when messages are swept: it names no person.
            CREATE TABLE varsel.case_events (
                id text PRIMARY KEY,
                seq bigserial NOT NULL,
                case_ref text NOT NULL,
                type text NOT NULL,
                amount text,
                currency text,
                at timestamptz NOT NULL,
                recorded_at timestamptz NOT NULL,
                note text,
                idempotency_key text UNIQUE,
                fingerprint text NOT NULL
            );
            CREATE INDEX case_events_case ON varsel.case_events (case_ref, seq);
            """),
        ("v4-cases", """
            -- Cases created from a plan: the plan, the request's hash (idempotency by case_ref) and the
            -- message each step became. Like events, they name no person.
            CREATE TABLE varsel.cases (
                case_ref text PRIMARY KEY,
                plan text NOT NULL,
                request_hash text NOT NULL,
                created_at timestamptz NOT NULL,
                steps jsonb NOT NULL
            );
            """),
        ("v5-experiment-variant", """
            -- The template experiment's variant a message was rendered with (`b`); NULL outside an experiment.
            ALTER TABLE varsel.messages ADD COLUMN variant text;
            """),
        ("v6-message-counts", """
            -- Messages by state without counting the table (a scan per /metrics scrape: 20-50 ms at
            -- 20,000 messages, growing with the store). Every statement that changes messages adds its
            -- change per state as rows here, in its own transaction (statement triggers with transition
            -- tables: no counter row that daemons would wait on); daemons fold the rows into one a
            -- state at every heartbeat. The count of a state is the sum of its rows.
            CREATE TABLE varsel.message_counts (
                state text NOT NULL,
                n bigint NOT NULL
            );
            CREATE FUNCTION varsel.count_inserted_messages() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO varsel.message_counts (state, n) SELECT state, count(*) FROM inserted GROUP BY state;
                RETURN NULL;
            END $$;
            CREATE FUNCTION varsel.count_updated_messages() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO varsel.message_counts (state, n)
                SELECT state, sum(n) FROM (
                    SELECT state, 1 AS n FROM updated UNION ALL SELECT state, -1 FROM replaced
                ) AS change GROUP BY state HAVING sum(n) <> 0;
                RETURN NULL;
            END $$;
            CREATE FUNCTION varsel.count_deleted_messages() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO varsel.message_counts (state, n) SELECT state, -count(*) FROM deleted GROUP BY state;
                RETURN NULL;
            END $$;
            CREATE TRIGGER messages_count_inserted AFTER INSERT ON varsel.messages REFERENCING NEW TABLE AS inserted
                FOR EACH STATEMENT EXECUTE FUNCTION varsel.count_inserted_messages();
            CREATE TRIGGER messages_count_updated AFTER UPDATE ON varsel.messages REFERENCING OLD TABLE AS replaced NEW TABLE AS updated
                FOR EACH STATEMENT EXECUTE FUNCTION varsel.count_updated_messages();
            CREATE TRIGGER messages_count_deleted AFTER DELETE ON varsel.messages REFERENCING OLD TABLE AS deleted
                FOR EACH STATEMENT EXECUTE FUNCTION varsel.count_deleted_messages();
            -- The messages already stored, counted once with writers held off (this migration commits
            -- with the triggers in place).
            LOCK TABLE varsel.messages IN SHARE ROW EXCLUSIVE MODE;
            INSERT INTO varsel.message_counts (state, n) SELECT state, count(*) FROM varsel.messages GROUP BY state;
            """),
        ("v7-recipient-by-key", """
            -- A recipient's messages are found by recipient_key ('id:' and the recipient's id whenever it
            -- has one, set on every message since v1), so the index on recipient_id only repeated it and
            -- cost every enqueue a random index insert.
            DROP INDEX varsel.messages_recipient;
            """),
        ("v8-decision-rows", """
            -- A message's decision trail is one row for each write that added to it, its texts a JSON
            -- array in the order written: a plan's four texts and an outcome's two were six rows, each
            -- with entries in two indexes. Each text stored before becomes a row of its own.
            ALTER TABLE varsel.decisions ADD COLUMN texts jsonb;
            UPDATE varsel.decisions SET texts = jsonb_build_array(text);
            ALTER TABLE varsel.decisions ALTER COLUMN texts SET NOT NULL;
            ALTER TABLE varsel.decisions DROP COLUMN text;
            """),
        ("v9-no-state-index", """
            -- Nothing reads messages by their state alone any more: the counts by state are kept in
            -- message_counts (v6), the due, leased and finished messages have partial indexes of their
            -- own, and the list of messages walks the key. Every change of state (a sent message's
            -- lease, plan and outcome each write a new version of its row) added an entry to it.
            DROP INDEX varsel.messages_state;
            """),
        ("v10-attempts-counted-with-outcome", """
            -- A message's attempt_count counts an attempt when its outcome is recorded, or when a
            -- reclaim finds it still pending, no longer as it opens (an attempt opened on its own wrote
            -- a new version of its message's row, with an entry in each index, only for the count). A
            -- message sending now had its pending attempts counted as they opened: they are taken off,
            -- to be counted again with their outcome.
            UPDATE varsel.messages m SET attempt_count = m.attempt_count
                - (SELECT count(*) FROM varsel.attempts a WHERE a.message_id = m.id AND a.outcome = 'pending')
            WHERE m.state = 'sending';
            """),
        ("v11-content-lz4", """
            -- A message's rendered content (an email's HTML and text, a letter's) is compressed as the
            -- plan stores it: with pglz, the default, that was 8 % of the server's CPU while sending.
            -- LZ4 compresses several times faster. It needs PostgreSQL 14 or later built with it
            -- (Debian's and the PGDG packages are); elsewhere the column keeps the server's default.
            -- Content stored before stays as it was compressed.
            DO $$
            BEGIN
                IF current_setting('server_version_num')::int >= 140000
                   AND 'lz4' = ANY ((SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression')::text[]) THEN
                    EXECUTE 'ALTER TABLE varsel.messages ALTER COLUMN content SET COMPRESSION lz4';
                END IF;
            END
            $$;
            """),
    ]
}

extension PostgresSchema {
    /// A migration's statements, one by one: the extended query protocol takes one statement at a
    /// time. Splits at `;` outside `$$ … $$` bodies, `'…'` literals and `--` comments.
    static func statements(_ sql: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var inBody = false
        var inLiteral = false
        var inComment = false
        var previous: Character = " "
        for character in sql {
            if inComment {
                if character == "\n" { inComment = false }
                current.append(character)
                previous = character
                continue
            }
            if !inBody, !inLiteral, character == "-", previous == "-" { inComment = true }
            if !inBody, character == "'" { inLiteral.toggle() }
            if !inLiteral, character == "$", previous == "$" {
                inBody.toggle()
                previous = " "
                current.append(character)
                continue
            }
            if character == ";", !inBody, !inLiteral {
                let statement = current.trimmingCharacters(in: .whitespacesAndNewlines)
                if !statement.isEmpty { statements.append(statement) }
                current = ""
            } else {
                current.append(character)
            }
            previous = character
        }
        let last = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !last.split(separator: "\n").allSatisfy({ $0.trimmingCharacters(in: .whitespaces).hasPrefix("--") }) { statements.append(last) }
        return statements
    }
}
