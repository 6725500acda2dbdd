import Foundation
import Testing
import VarselCore
@testable import VarselDaemon
@testable import VarselPostgres
import VarselStore
import VarselTestSupport

/// What only the PostgreSQL store has: its URL and keys, migrations under an advisory lock, the
/// schema `varsel`, `varsel migrate` and `config check` on it.
@Suite struct PostgresStoreTests {
    @Test("store.url: user, host, port, database, sslmode and a unix socket directory are read; a password, a missing part or an unknown parameter is refused")
    func urls() throws {
        let tcp = try PostgresSettings.parse(url: "postgres://varsel@db.example:6543/queue?sslmode=verify-full")
        #expect(tcp.endpoint == .tcp(host: "db.example", port: 6543))
        #expect(tcp.user == "varsel" && tcp.database == "queue" && tcp.sslMode == .verifyFull)
        #expect(try PostgresSettings.parse(url: "postgresql://varsel@db/queue").endpoint == .tcp(host: "db", port: 5432))
        let socket = try PostgresSettings.parse(url: "postgres://varsel@/queue?host=/run/postgresql")
        #expect(socket.endpoint == .unixSocket(path: "/run/postgresql/.s.PGSQL.5432"))
        for (url, problem) in [
            ("postgres://varsel:s3cret@db/queue", "password"), ("postgres://db/queue", "no user"), ("postgres://varsel@db", "no database"),
            ("mysql://varsel@db/queue", "postgres://"), ("postgres://varsel@db/queue?sslmode=maybe", "sslmode"),
            ("postgres://varsel@db/queue?application_name=x", "unknown URL parameter"),
        ] {
            #expect(throws: (any Error).self) { try PostgresSettings.parse(url: url) }
            let message = (try? PostgresSettings.parse(url: url)).map { _ in "" } ?? "\((Result { try PostgresSettings.parse(url: url) }).failureText)"
            #expect(message.contains(problem), "\(url): \(message)")
            #expect(!message.contains("s3cret"))
        }
    }

    @Test("config: backend postgres needs a url; the password comes from a file or a variable, never both, and config check redacts it")
    func configuration() async throws {
        let directory = TemporaryDirectory()
        let base = ConfigTests.minimal + "\ntemplates: { dir: \"\(Paths.templates)\" }\n"
        let missing = ConfigTests.errors(base + "store: { backend: postgres }", environment: [:])
        #expect(missing.contains { $0.contains("store.url") && $0.contains("required") }, "\(missing)")
        let both = ConfigTests.errors(
            base + "store: { backend: postgres, url: \"postgres://varsel@db/q\", password_file: pw, password_env: PGPW }", environment: ["PGPW": "x"])
        #expect(both.contains { $0.contains("not both") }, "\(both)")
        let unset = ConfigTests.errors(base + "store: { backend: postgres, url: \"postgres://varsel@db/q\", password_env: PGPW }", environment: [:])
        #expect(unset.contains { $0.contains("PGPW") && $0.contains("not set") }, "\(unset)")
        let badMode = ConfigTests.errors(base + "store: { backend: mysql, sslmode: sometimes }", environment: [:])
        #expect(badMode.contains { $0.contains("store.backend") } && badMode.contains { $0.contains("store.sslmode") }, "\(badMode)")

        directory.write("pg-password", "correct horse battery staple\n")
        let config = try ConfigLoader.load(
            yaml: base + "store: { backend: postgres, url: \"postgres://varsel@db.example:5433/queue\", password_file: pg-password, sslmode: require, pool_size: 3 }",
            baseDirectory: directory.path, environment: [:])
        let settings = try #require(config.store.postgres)
        #expect(settings.password == "correct horse battery staple")
        #expect(settings.sslMode == .require && settings.poolSize == 3)
        let shown = EffectiveConfig.describe(config)
        #expect(!shown.contains("correct horse"))
        #expect(shown.contains("store: { backend: postgres, url: \"postgres://varsel@db.example:5433/queue\", password: <redacted> (password_file \(directory.file("pg-password")))"), "\(shown)")
    }

    @Test("daemons starting at once on a new database migrate it once; the schema varsel holds every table, and varsel migrate reports it current", .timeLimit(.minutes(20)))
    func migrations() async throws {
        let settings = try await StoreBackend.newDatabase()
        let stores = try await withThrowingTaskGroup(of: PostgresMessageStore.self) { group in
            for _ in 0..<4 { group.addTask { try await PostgresMessageStore(settings: settings, logger: quietLogger) } }
            var stores: [PostgresMessageStore] = []
            for try await store in group { stores.append(store) }
            return stores
        }
        let applied = stores.map(\.migrationsApplied).filter { !$0.isEmpty }
        #expect(applied == [PostgresSchema.migrations.map(\.version)], "exactly one open applied the migrations: \(stores.map(\.migrationsApplied))")
        let tables = try await inspect(stores[0], "SELECT table_name FROM information_schema.tables WHERE table_schema = 'varsel' ORDER BY table_name")
        #expect(tables.compactMap { $0 } == [
            "api_tokens", "attempt_parts", "attempts", "case_events", "cases", "daemon_runs", "decisions", "intake", "message_counts", "messages", "receipts",
            "recipients", "schema_migrations",
        ])
        for store in stores { await store.close() }

        let directory = TemporaryDirectory()
        var url = "postgres://\(settings.user)@"
        if case .tcp(let host, let port) = settings.endpoint { url += "\(host):\(port)" }
        url += "/\(settings.database)"
        let config = directory.write("varsel.yaml", ConfigTests.minimal + """

            templates: { dir: "\(Paths.templates)" }
            store: { backend: postgres, url: "\(url)", sslmode: disable, path: "\(directory.file("varsel.db"))" }
            """)
        let migrate = try await ChildProcess.run(["migrate", "--config", config])
        #expect(migrate.status == 0, "\(migrate.stderr)")
        #expect(migrate.stdout.contains("store postgres") && migrate.stdout.contains("schema \(PostgresSchema.migrations.last!.version), already current"), "\(migrate.stdout)")
    }

    @Test("a migration's statements are split at semicolons outside function bodies, literals and comments")
    func statementSplitting() {
        let sql = """
            -- a comment; with a semicolon
            CREATE TABLE t (a text DEFAULT ';');
            CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$;
            SELECT 1
            """
        #expect(PostgresSchema.statements(sql) == [
            "-- a comment; with a semicolon\nCREATE TABLE t (a text DEFAULT ';')",
            "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$",
            "SELECT 1",
        ])
        for migration in PostgresSchema.migrations { #expect(!PostgresSchema.statements(migration.sql).isEmpty) }
    }
}

extension Result where Failure == any Error {
    /// The error's text, or empty on success.
    var failureText: String {
        if case .failure(let error) = self { return "\(error)" }
        return ""
    }
}
