import ArgumentParser
import Foundation
import Logging
import VarselDaemon

@main
struct Varsel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "varsel",
        abstract: "Delivers payment reminders and collection notices by SMS, email and letter.",
        version: VarselVersion.string,
        subcommands: [
            Serve.self, Demo.self, Enqueue.self, Status.self, Cancel.self, TokenCommand.self, GatewaySim.self, Bench.self,
            ConfigCommand.self, TemplatesCommand.self, Purge.self, GatewayCommand.self, Migrate.self, IntakeCommand.self,
            CaseCommand.self, PlansCommand.self, ReportCommand.self,
        ])

    /// Before any command: glibc malloc's arena limit and trim threshold (unless the environment sets them).
    static func main() async {
        MallocSettings.apply()
        await main(nil)
    }
}

/// Options shared by commands that read the configuration.
struct ConfigOption: ParsableArguments {
    static let defaultPath = "/etc/varsel/varsel.yaml"

    @Option(name: .long, help: "Configuration file (YAML); to try Varsel from a checkout: --config deploy/sandbox.yaml.")
    var config: String = ConfigOption.defaultPath

    func load(secrets: ConfigLoader.Secrets = .read) throws -> VarselConfig {
        if !FileManager.default.fileExists(atPath: config) {
            let which = config == Self.defaultPath ? "no configuration file at \(config) (the default)" : "no configuration file at \(config)"
            throw CLIError("""
                \(which): pass one with --config PATH, e.g. --config deploy/sandbox.yaml to try Varsel from a checkout \
                against the sandbox gateway (varsel gateway-sim), or install the example with deploy/install.sh
                """)
        }
        do {
            return try ConfigLoader.load(path: config, secrets: secrets)
        } catch {
            throw CLIError("\(error)")
        }
    }
}

struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

enum CLILogging {
    static func bootstrap(level: Logger.Level) {
        LoggingSystem.bootstrap { label in LineLogHandler(label: label, level: level) }
    }

    static func level(_ name: String?) -> Logger.Level {
        name.flatMap(Logger.Level.init(rawValue:)) ?? ProcessInfo.processInfo.environment["VARSEL_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
    }
}

/// Where the shipped templates are when no configuration names them.
enum ShippedTemplates {
    static func locate(_ explicit: String?) throws -> String {
        if let explicit { return explicit }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let candidates = [
            "templates", executable.appendingPathComponent("../share/varsel/templates").standardizedFileURL.path,
            "/usr/share/varsel/templates", "/etc/varsel/templates",
        ]
        for candidate in candidates {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), isDirectory.boolValue {
                return URL(fileURLWithPath: candidate).standardizedFileURL.path
            }
        }
        throw CLIError("cannot find the template directory (looked in \(candidates.joined(separator: ", "))); pass --templates DIR")
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the dispatcher until SIGTERM.")
    @OptionGroup var options: ConfigOption
    @Option(help: "Log level: trace, debug, info, notice, warning, error.") var logLevel: String?

    func run() async throws {
        CLILogging.bootstrap(level: CLILogging.level(logLevel))
        let config = try options.load()
        do {
            try await Daemon.serve(config: config, logger: Logger(label: "varsel"))
        } catch {
            throw CLIError("cannot start: \(error)")
        }
    }
}

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Send a realistic mix of reminders through a loopback sandbox gateway, on a temporary SQLite store.")
    @Option(help: "Template directory (default: ./templates, then the installed set).") var templates: String?
    @Flag(help: "Simulate collection plans instead: cases over 60 days on a fast clock, a learned send hour, an SMS experiment, and the outcome report.") var plans = false
    @Option(help: "With --plans: how many cases (100 to 20000).") var cases = 2000
    @Option(help: "With --plans: the seed of the simulation.") var seed: UInt64 = 2027

    func validate() throws {
        if !(100...20_000).contains(cases) { throw ValidationError("--cases: use 100 to 20000") }
    }

    func run() async throws {
        CLILogging.bootstrap(level: CLILogging.level(nil) == .info ? .warning : CLILogging.level(nil))
        let directory = try ShippedTemplates.locate(templates)
        if plans {
            let ok = try await VarselDaemon.PlanDemo.run(
                templatesDirectory: directory, settings: .init(cases: cases, seed: seed), print: { Swift.print($0) }, logger: Logger(label: "varsel"))
            if !ok { throw ExitCode.failure }
            return
        }
        let ok = try await VarselDaemon.Demo.run(templatesDirectory: directory, print: { Swift.print($0) }, logger: Logger(label: "varsel"))
        if !ok { throw ExitCode.failure }
    }
}

struct Enqueue: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enqueue",
        abstract: "Enqueue one JSON message or NDJSON (one message per line) from FILE or - (stdin).",
        discussion: "Prints one JSON object per input line: {\"line\":1,\"id\":…,\"state\":\"queued\"} or {\"line\":2,\"error\":…}. Exit status 0 only when every line was accepted.")
    @OptionGroup var options: ConfigOption
    @Option(help: "Enqueue through a running daemon at this URL (token from VARSEL_TOKEN) instead of the local store.") var server: String?
    @Argument(help: "A file, or - for standard input.") var file: String

    /// The input as an error names it.
    private var inputName: String { file == "-" ? "standard input" : file }

    func run() async throws {
        CLILogging.bootstrap(level: .warning)
        let input: FileHandle
        if file == "-" {
            input = FileHandle.standardInput
        } else {
            guard let handle = FileHandle(forReadingAtPath: file) else { throw CLIError("cannot read \(file): \(String(cString: strerror(errno)))") }
            input = handle
        }
        if let server {
            let data: Data
            do {
                data = try input.readToEnd() ?? Data()
            } catch {
                throw CLIError("cannot read \(inputName): \((error as NSError).localizedDescription)")
            }
            let client = RemoteClient(server)
            defer { client.api.close() }
            let reply = try await client.api.send("POST", "/v1/messages:batch", body: data, contentType: "application/x-ndjson")
            // 200 carries per-line results; so do the problem documents of a batch with no valid line
            // (422) and of one cut off past a limit after some lines were stored (413).
            guard [200, 413, 422].contains(reply.status), let object = (try? JSONSerialization.jsonObject(with: reply.body)) as? [String: Any],
                  let results = object["results"] as? [[String: Any]]
            else { throw CLIError(client.api.problemText(reply.body, status: reply.status)) }
            var output = Data()
            for result in results {
                output.append(try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys, .withoutEscapingSlashes]))
                output.append(0x0A)
            }
            do {
                try FileHandle.standardOutput.write(contentsOf: output)
            } catch {
                throw Self.resultsNotWritten(stored: object["accepted"] as? Int ?? 0, error: error, readOn: false)
            }
            if reply.status != 200 { throw CLIError(client.api.problemText(reply.body, status: reply.status)) }
            if (object["rejected"] as? Int ?? 1) > 0 { throw ExitCode.failure }
            return
        }
        let config = try options.load(secrets: .skip)
        // Each chunk's results are printed once it is committed: a million lines never wait in memory.
        let tally: EnqueueBatch.Tally
        do {
            tally = try await CommandActions.enqueue(reading: input.fileDescriptor, config: config) { results in
                try EnqueueBatch.LineResult.ndjson(results).withUnsafeBytes { bytes in try FileHandle.standardOutput.write(contentsOf: bytes) }
            }
        } catch let failure as EnqueueBatch.ReadFailure {
            throw CLIError("""
                cannot read \(inputName) to its end (\(failure.reason)); \(failure.stored) line(s) before it were stored, and nothing after
                """)
        } catch let failure as EnqueueBatch.OutputFailure {
            throw Self.resultsNotWritten(stored: failure.stored, error: failure.error, readOn: true)
        }
        if tally.accepted < tally.lines { throw ExitCode.failure }
    }

    /// Standard output failed (a full disk): how many lines were stored, and that `readOn` (the local
    /// enqueue, which stops there) nothing after them was.
    static func resultsNotWritten(stored: Int, error: any Error, readOn: Bool) -> CLIError {
        CLIError("""
            \(stored) line(s) were stored, but their results could not be written to standard output \
            (\((error as NSError).localizedDescription))\(readOn ? "; nothing after them was read or stored" : ""); a line with \
            an idempotency_key, enqueued again, gives its result without being stored twice
            """)
    }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show what happened to a message.")
    @OptionGroup var options: ConfigOption
    @Option(help: "Ask a running daemon at this URL (token from VARSEL_TOKEN); prints the status JSON.") var server: String?
    @Argument(help: "The message id.") var id: String
    @Flag(help: "Print the status contract as JSON.") var json = false

    func run() async throws {
        CLILogging.bootstrap(level: .warning)
        if let server {
            let client = RemoteClient(server)
            defer { client.api.close() }
            let reply = try await client.api.send("GET", "/v1/messages/\(id)")
            guard reply.status == 200 else { throw CLIError(client.api.problemText(reply.body, status: reply.status)) }
            let object = try JSONSerialization.jsonObject(with: reply.body)
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]), as: UTF8.self))
            return
        }
        let config = try options.load(secrets: .skip)
        guard let text = try await CommandActions.status(id: id, json: json, config: config) else {
            throw CLIError("no message with id \(id)")
        }
        print(text)
    }
}

/// A daemon reached over HTTP, with the token from `VARSEL_TOKEN`.
struct RemoteClient {
    let api: APIClient

    init(_ server: String) {
        api = APIClient(baseURL: server, token: ProcessInfo.processInfo.environment["VARSEL_TOKEN"].flatMap { $0.isEmpty ? nil : $0 })
    }
}

struct Purge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Apply the retention periods now (the daemon also does this daily).",
        discussion: """
            Deletes rendered content, contact data and raw receipts of messages whose terminal state is older than \
            retention.personal_data_days, and whole records older than retention.record_days. --dry-run only counts.
            """)
    @OptionGroup var options: ConfigOption
    @Flag(help: "Show what would be deleted; delete nothing.") var dryRun = false

    func run() async throws {
        CLILogging.bootstrap(level: .warning)
        print(try await CommandActions.purge(dryRun: dryRun, config: options.load(secrets: .skip)))
    }
}

struct Cancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel a message, or every unsent message of a case (a payment or a dispute arrived).",
        discussion: "Messages already handed to a gateway cannot be called back; the output lists them as already sent.")
    @OptionGroup var options: ConfigOption
    @Option(help: "Cancel every message of this case reference.") var `case`: String?
    @Option(help: "Why, for the record (e.g. \"payment received\").") var reason: String?
    @Option(help: "Cancel through a running daemon at this URL (token from VARSEL_TOKEN).") var server: String?
    @Argument(help: "A message id (instead of --case).") var id: String?

    func validate() throws {
        guard (`case` == nil) != (id == nil) else { throw ValidationError("give either a message id or --case REF") }
    }

    func run() async throws {
        CLILogging.bootstrap(level: .warning)
        let why = reason ?? (`case` != nil ? "case cancelled" : "cancelled")
        if let server {
            let client = RemoteClient(server)
            defer { client.api.close() }
            let path = `case`.map { "/v1/cases/\($0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? $0)/cancel" }
                ?? "/v1/messages/\(id ?? "")/cancel"
            let body = try JSONSerialization.data(withJSONObject: ["reason": why])
            let reply = try await client.api.send("POST", path, body: body)
            guard reply.status == 200 else { throw CLIError(client.api.problemText(reply.body, status: reply.status)) }
            print(String(decoding: reply.body, as: UTF8.self))
            return
        }
        let config = try options.load(secrets: .skip)
        print(try await CommandActions.cancel(ids: id.map { [$0] }, caseRef: `case`, reason: why, config: config))
    }
}

struct CaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "case", abstract: "Cases: their plans, messages and events.", subcommands: [Show.self, Event.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
        commandName: "show",
            abstract: "Show a case: its plan's steps with their messages' states, every message, its events and what happens next.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The case reference.") var caseRef: String
        @Flag(help: "Print the JSON of GET /v1/cases/{case_ref}.") var json = false
        @Option(help: "Ask a running daemon at this URL (token from VARSEL_TOKEN).") var server: String?

        func run() async throws {
            CLILogging.bootstrap(level: .warning)
            if let server {
                let client = RemoteClient(server)
                defer { client.api.close() }
                let path = "/v1/cases/\(caseRef.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? caseRef)"
                let reply = try await client.api.send("GET", path)
                guard reply.status == 200 else { throw CLIError(client.api.problemText(reply.body, status: reply.status)) }
                print(json ? String(decoding: reply.body, as: UTF8.self) : CommandActions.caseText(reply.body) ?? String(decoding: reply.body, as: UTF8.self))
                return
            }
            print(try await CommandActions.showCase(caseRef: caseRef, json: json, config: try options.load(secrets: .skip)))
        }
    }

    struct Event: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
        commandName: "event",
            abstract: "Record a case event: paid, partially_paid, disputed, dispute_resolved, plan_agreed or reopened.",
            discussion: """
                paid, disputed and plan_agreed cancel every message of the case that demands payment and was not handed to a \
                gateway, and refuse later ones until dispute_resolved (after disputed) or reopened; partially_paid lowers the \
                amount that messages accepted before it show. Prints the event and what it cancelled, as JSON.
                """)
        @OptionGroup var options: ConfigOption
        @Argument(help: "The case reference.") var caseRef: String
        @Argument(help: "paid, partially_paid, disputed, dispute_resolved, plan_agreed or reopened.") var type: String
        @Option(help: "The amount paid, e.g. 400.00 (required for partially_paid).") var amount: String?
        @Option(help: "The amount's currency (ISO 4217).") var currency: String?
        @Option(help: "When it happened (RFC 3339); default now.") var at: String?
        @Option(help: "A note for the record.") var note: String?
        @Option(help: "Recording it twice with one key records it once.") var idempotencyKey: String?
        @Option(help: "Record it through a running daemon at this URL (token from VARSEL_TOKEN).") var server: String?

        func run() async throws {
            CLILogging.bootstrap(level: .warning)
            let body = CommandActions.caseEventBody(type: type, amount: amount, currency: currency, at: at, note: note, idempotencyKey: idempotencyKey)
            if let server {
                let client = RemoteClient(server)
                defer { client.api.close() }
                let path = "/v1/cases/\(caseRef.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? caseRef)/events"
                let reply = try await client.api.send("POST", path, body: try JSONSerialization.data(withJSONObject: body))
                guard reply.status == 200 || reply.status == 201 else { throw CLIError(client.api.problemText(reply.body, status: reply.status)) }
                print(String(decoding: reply.body, as: UTF8.self))
                return
            }
            let config = try options.load(secrets: .skip)
            print(try await CommandActions.recordCaseEvent(caseRef: caseRef, body: body, config: config))
        }
    }
}

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "report", abstract: "Reports.", subcommands: [Outcomes.self])

    struct Outcomes: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
        commandName: "outcomes",
            abstract: "Which message, channel and hour get paid: cases paid within N days per group, with 95 % intervals.",
            discussion: "Dimensions: channel, kind, step, locale, tone, template_version, variant, country, hour, weekday (the debtor's local hour and weekday of the send).")
        @OptionGroup var options: ConfigOption
        @Option(help: "Group by these dimensions, comma-separated.") var by = "channel"
        @Option(help: "A case counts as paid when paid within this many days after the credited send.") var paidWithinDays = 14
        @Option(help: "Sends from (a date or RFC 3339 timestamp); default 90 days before --to.") var from: String?
        @Option(help: "Sends until (a date, inclusive, or a timestamp); default now.") var to: String?
        @Option(help: "Credit a payment to the last message before it (last) or to every one (all).") var attribution = "last"
        @Option(help: "table, json or html.") var format = "table"

        func run() async throws {
            CLILogging.bootstrap(level: .warning)
            var parameters = ["by": by, "paid_within_days": String(paidWithinDays), "attribution": attribution]
            if let from { parameters["from"] = from }
            if let to { parameters["to"] = to }
            print(try await CommandActions.outcomeReport(parameters: parameters, format: format, config: try options.load(secrets: .skip)))
        }
    }
}

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "token", abstract: "API tokens.", subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a token, print it once on stdout, and store only its hash.")
        @OptionGroup var options: ConfigOption
        @Option(help: "Comma-separated: enqueue, read, cancel, admin.") var scopes: String
        @Option(help: "A note for `token list`, e.g. the system that uses it.") var label: String?

        func run() async throws {
            CLILogging.bootstrap(level: .warning)
            let config = try options.load(secrets: .skip)
            let scopeList = scopes.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            let created = try await CommandActions.createToken(scopes: scopeList, label: label, config: config)
            print(created.token)
            FileHandle.standardError.write(Data("token \(created.id) created with scopes \(scopeList.joined(separator: ",")); it is not shown again\n".utf8))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List tokens (ids, scopes, dates; never the tokens).")
        @OptionGroup var options: ConfigOption

        func run() async throws {
            CLILogging.bootstrap(level: .warning)
            for line in try await CommandActions.listTokens(config: try options.load(secrets: .skip)) { print(line) }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token by id.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The token id (tok_…).") var id: String

        func run() async throws {
            CLILogging.bootstrap(level: .warning)
            try await CommandActions.revokeToken(id: id, config: try options.load(secrets: .skip))
            print("revoked \(id)")
        }
    }
}

struct GatewaySim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway-sim",
        abstract: "Run a loopback sandbox gateway that accepts the http-json shapes (POST /sms, /email, /letter) and logs what it gets.")
    @Option(help: "Loopback address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port (0 picks a free one).") var port = 8490
    @Option(help: "Delay before each answer, in milliseconds.") var delayMs = 0
    @Option(help: "HTTP status to answer valid requests with.") var status = 202

    func run() async throws {
        guard host == "localhost" || host == "::1" || host.hasPrefix("127.") else {
            throw CLIError("--host must be a loopback address (127.0.0.1, ::1 or localhost): the sandbox is never exposed")
        }
        guard (100...599).contains(status) else { throw CLIError("--status must be an HTTP status from 100 to 599") }
        let sandbox = SandboxGateway(
            host: host, port: port, behaviour: .init(delay: .milliseconds(delayMs), status: status), log: Self.writeLine)
        let bound = try await sandbox.start()
        Self.writeLine("sandbox gateway listening on http://\(host):\(bound) (POST /sms, /email, /letter); Ctrl-C stops it")
        await Signals.waitForTermination()
        await sandbox.stop()
    }

    /// Unbuffered, so each request shows at once even when stdout is a file or a pipe.
    @Sendable static func writeLine(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure end-to-end throughput against a loopback gateway next to a plain libcurl loop (use a release build).",
        discussion: """
            With --gateway URL: the same against a gateway that is another process (it must answer any POST with 2xx): \
            a raw libcurl ceiling, `varsel enqueue FILE` and `varsel serve` until every message is sent, as child processes, \
            one table per run with the ratios to the ceiling and the project's targets.
            """)
    @Option(help: "Messages per measurement (default 3000; with --gateway 30000).") var messages: Int?
    @Option(help: "Sends in flight (default 128; with --gateway 64: the ceiling's transfers and each gateway's max_connections).")
    var inFlight: Int?
    @Option(help: "Template directory.") var templates: String?
    @Option(help: "sqlite (a temporary file, one dispatcher in this process) or postgres (1, 2 and 3 `varsel serve` processes).")
    var store = "sqlite"
    @Option(help: "With --store postgres: a throwaway database (its schema varsel is dropped and made again), postgres://user@host/db; password from PGPASSWORD.")
    var url: String?
    @Option(help: "With --store postgres: the daemon counts to measure, comma-separated.") var daemons = "1,2,3"
    @Option(help: "Measure against this gateway (http://host:port) instead of the in-process sandbox; it must answer any POST with 2xx.")
    var gateway: String?
    @Option(help: "With --gateway: runs, each with its own ceiling; more than one also prints the medians (default 1).") var runs: Int?
    @Option(help: "With --gateway: the message mixes, comma-separated: mixed (60 % SMS, 30 % email, 10 % letter), sms (default mixed,sms).")
    var mix: String?
    @Flag(help: "With --gateway: also measure the API's enqueue (single POSTs and batches of 1,000 lines).") var http = false
    @Option(help: "With --gateway: timed requests of the ceiling, after a warm-up of a twentieth of them, at most 5,000 (default 100000).")
    var ceilingRequests: Int?
    @Option(help: "With --gateway --http: seconds of each HTTP load (default 10).") var httpSeconds: Int?
    @Option(help: "With --gateway: also time the first --messages sends of the first mix with this many queued (e.g. 1000000).")
    var queued: Int?
    @Option(help: "With --gateway: also measure the first mix on this throwaway PostgreSQL database (its schema varsel is dropped and made again); password from PGPASSWORD.")
    var postgres: String?
    @Option(help: "With --gateway: also measure enqueue → gateway latency with messages POSTed in batches of 20 at these rates (msg/s, comma-separated, e.g. 500,1000,2000).")
    var latency: String?
    @Option(help: "With --gateway --latency: seconds messages are offered at each rate (default 15).") var latencySeconds: Int?
    @Option(help: "With --gateway: also run this peer, NAME=COMMAND (repeatable); the command gets the gateway in VARSEL_BENCH_GATEWAY and prints `msg/s <rate>` last, e.g. postfix=scripts/peer-postfix, apprise=scripts/peer-apprise.")
    var peer: [String] = []

    func run() async throws {
        CLILogging.bootstrap(level: .error)
        #if DEBUG
        print("note: this is a debug build; for figures build as deployed (`scripts/build-release`) and run `.build-release/release/varsel bench`")
        #endif
        if let gateway {
            try await runAgainst(gateway: gateway)
            return
        }
        let gatewayOnly = [("--runs", runs != nil), ("--mix", mix != nil), ("--http", http), ("--ceiling-requests", ceilingRequests != nil),
                           ("--http-seconds", httpSeconds != nil), ("--queued", queued != nil), ("--postgres", postgres != nil),
                           ("--latency", latency != nil), ("--latency-seconds", latencySeconds != nil), ("--peer", !peer.isEmpty)]
        if let (name, _) = gatewayOnly.first(where: \.1) { throw CLIError("\(name) needs --gateway URL") }
        let messages = messages ?? 3000
        let inFlight = inFlight ?? 128
        let directory = try ShippedTemplates.locate(templates)
        if store == "postgres" {
            guard let url else { throw CLIError("--store postgres needs --url postgres://user@host/database (a throwaway database)") }
            let counts = daemons.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !counts.isEmpty, counts.allSatisfy({ (1...16).contains($0) }) else { throw CLIError("--daemons: counts from 1 to 16, e.g. 1,2,3") }
            let figures = try await VarselDaemon.PostgresBench.run(
                url: url, password: ProcessInfo.processInfo.environment["PGPASSWORD"], daemonCounts: counts, messages: messages,
                maxInFlight: inFlight, templatesDirectory: directory, executable: Self.executable, logger: Logger(label: "varsel"))
            print(VarselDaemon.PostgresBench.table(figures))
            return
        }
        guard store == "sqlite" else { throw CLIError("--store: sqlite or postgres") }
        let figures = try await VarselDaemon.Bench.run(
            messages: messages, maxInFlight: inFlight, templatesDirectory: directory, logger: Logger(label: "varsel"))
        print(VarselDaemon.Bench.table(figures))
    }

    /// `--gateway URL`: the store is the daemon's own SQLite file, so --store and its options do not apply.
    private func runAgainst(gateway: String) async throws {
        guard store == "sqlite", url == nil else { throw CLIError("--gateway measures the SQLite store only: drop --store postgres and --url") }
        let options: WireBench.Options
        do {
            options = try WireBench.Options(
                gateway: gateway, messages: messages ?? 30_000, runs: runs ?? 1, mix: mix ?? "mixed,sms", http: http, inFlight: inFlight ?? 64,
                ceilingRequests: ceilingRequests ?? 100_000, httpSeconds: httpSeconds ?? 10, queued: queued, postgres: postgres,
                latency: latency, latencySeconds: latencySeconds ?? 15, peers: peer, templates: try ShippedTemplates.locate(templates), executable: Self.executable)
        } catch {
            throw CLIError("\(error)")
        }
        do {
            try await WireBench.run(options) { table in
                print(table)
                fflush(nil)  // each table as its run ends, also into a pipe
            }
        } catch {
            throw CLIError("bench failed: \(error)")
        }
    }

    /// This executable, for the children: argv[0] when it names a path, else the running image.
    private static var executable: String {
        let argument = CommandLine.arguments[0]
        let path = argument.contains("/") ? argument : "/proc/self/exe"
        return URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Bring the store's schema up to date and print its version (serve does the same at start).")
    @OptionGroup var options: ConfigOption

    func run() async throws {
        let config = try options.load(secrets: .skip)
        do {
            print(try await CommandActions.migrate(config: config))
        } catch {
            throw CLIError("\(error)")
        }
    }
}

struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gateway", abstract: "Gateway tools.", subcommands: [Test.self])

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
        commandName: "test",
            abstract: "Send one clearly marked test message through a configured gateway and print the request and the reply, secrets redacted.",
            discussion: "Nothing is stored. Exits 0 when the gateway accepted the message, 1 when it did not.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The gateway's name under gateways: in the configuration.") var name: String
        @Option(help: "A phone number in E.164 form (+4791234567) for an SMS gateway, or an email address for an email gateway.") var to: String

        func run() async throws {
            let config = try options.load()
            let outcome: GatewayTest.Outcome
            do {
                outcome = try await GatewayTest.run(config: config, gateway: name, to: to)
            } catch {
                throw CLIError("\(error)")
            }
            print(outcome.report)
            if !outcome.accepted { throw ExitCode(1) }
        }
    }
}

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "config", abstract: "Configuration tools.", subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "check", abstract: "Validate a configuration file and print the effective values, secrets redacted.")
        @OptionGroup var options: ConfigOption

        func run() async throws {
            let config = try options.load()
            print(EffectiveConfig.describe(config))
        }
    }
}

struct TemplatesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "templates", abstract: "Template tools.", subcommands: [Check.self, Preview.self])

    struct Preview: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
        commandName: "preview",
            abstract: "Render a template with the kind's sample data (templates/_samples/<kind>.json) or --data FILE.",
            discussion: "Prints SMS text with encoding and segments, email subject and text; writes email and letter HTML into --out. --all renders every kind, channel, locale and tone into --out with an index.html.")
        @Option(help: "Template directory (default: ./templates, then the installed set).") var dir: String?
        @Option(help: "The kind, e.g. reminder.") var kind: String?
        @Option(help: "sms, email or letter.") var channel: String?
        @Option(help: "A locale such as nb-NO (falls back like a real send).") var locale: String?
        @Option(help: "direct or indirect (falls back like a real send).") var tone: String?
        @Option(help: "A JSON file: a message, or just its data object.") var data: String?
        @Option(help: "Where to write HTML files.") var out = "preview"
        @Flag(help: "Render every combination into --out.") var all = false

        func run() async throws {
            let directory = try ShippedTemplates.locate(dir)
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            if all {
                let pages = try TemplatePreview.all(directory: directory)
                for (name, page) in pages { try page.write(toFile: "\(out)/\(name)", atomically: true, encoding: .utf8) }
                print("wrote \(pages.count) files; open \(out)/index.html")
                return
            }
            guard let kind, let channel, let locale else {
                throw ValidationError("give --kind, --channel and --locale (or --all)")
            }
            let dataFile = try data.map { path in
                guard let contents = FileManager.default.contents(atPath: path) else { throw CLIError("cannot read \(path)") }
                return contents
            }
            let output = try TemplatePreview.render(directory: directory, kind: kind, channel: channel, locale: locale, tone: tone, data: dataFile)
            print(output.summary)
            for (name, html) in output.files {
                let path = "\(out)/\(name)"
                try html.write(toFile: path, atomically: true, encoding: .utf8)
                print("wrote \(path)")
            }
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
        commandName: "check",
            abstract: "Check a template set as the daemon does before using it.",
            discussion: """
                Parses every template and checks it against its kind's schema (_schema/<kind>.yaml), renders \
                it with the kind's sample data (_samples/<kind>.json), checks SMS encoding and length, HTML \
                well-formedness and threatening wording (_rules/forbidden_wording.yaml), and which kind × \
                channel × locale × tone combinations resolve. Problems go to stderr as \
                file:line:column: error|warning: message; the SMS table and coverage matrix to stdout. \
                Exits 1 on any error; warnings alone exit 0.
                """)
        @Option(help: "Template directory (default: templates.dir of --config, else ./templates).") var dir: String?
        @Option(help: "Configuration file: default locale, sms_max_parts and each kind's channels.") var config: String?
        @Flag(help: "Print only the problems and the summary, not the SMS table and coverage matrix.") var quiet = false

        func run() async throws {
            let loaded = try config.map { try ConfigLoader.load(path: $0, secrets: .skip) }
            let directory = try dir ?? loaded?.templates.directory ?? ShippedTemplates.locate(nil)
            let options = loaded?.templateCheckOptions ?? VarselConfig.defaultTemplateCheckOptions
            let outcome = CommandActions.checkTemplates(directory, options: options, quiet: quiet)
            if !outcome.output.isEmpty { print(outcome.output) }
            for line in outcome.problems { FileHandle.standardError.write(Data("\(line)\n".utf8)) }
            guard outcome.ok else {
                FileHandle.standardError.write(Data("\(outcome.summary)\n".utf8))
                throw ExitCode.failure
            }
            print(outcome.summary)
        }
    }
}


struct IntakeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "intake", abstract: "Transactional intake (varsel.enqueue in SQL, PostgreSQL store).", subcommands: [Errors.self])

    struct Errors: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
        commandName: "errors",
            abstract: "Intake rows a daemon rejected, newest first: intake id, when, the error (and with --json what was sent).")
        @OptionGroup var options: ConfigOption
        @Option(help: "How many (1 to 1000).") var limit: Int = 50
        @Flag(help: "One JSON object per row, with the message as sent.") var json = false

        func run() async throws {
            CLILogging.bootstrap(level: .warning)
            guard (1...1000).contains(limit) else { throw CLIError("--limit: use a whole number from 1 to 1000") }
            let config = try options.load(secrets: .skip)
            do {
                for line in try await CommandActions.intakeErrors(limit: limit, json: json, config: config) { print(line) }
            } catch {
                throw CLIError("\(error)")
            }
        }
    }
}

struct PlansCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plans", abstract: "Collection plan tools.", subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
        commandName: "check",
            abstract: "Check the collection plans against the country rules and the kinds.",
            discussion: """
                Reads every <name>.yaml in the plan directory (docs/plans.md) and checks each plan against \
                its country's collection rules (docs/collection-rules.md) and the configured kinds: the \
                earliest reminder and fee, the fee cap and the number and spacing of fees, the days \
                between steps, the channels a notice may go by and its deadline. Each plan's steps are \
                printed by day on stdout; problems go to stderr as file:line:column: error|warning: \
                message. Exits 1 on any error; warnings alone exit 0.
                """)
        @Option(help: "Plan directory (default: plans.dir of --config, else ./plans, then the installed plans).") var dir: String?
        @Option(help: "Configuration file: its collection rules and kinds (default: the shipped ones).") var config: String?

        func run() async throws {
            let loaded = try config.map { try ConfigLoader.load(path: $0, secrets: .skip) }
            let directory = try dir ?? loaded?.plans.directory ?? Self.shippedPlans()
            let outcome = CommandActions.checkPlans(directory, config: loaded)
            if !outcome.output.isEmpty { print(outcome.output) }
            for line in outcome.problems { FileHandle.standardError.write(Data("\(line)\n".utf8)) }
            guard outcome.ok else {
                FileHandle.standardError.write(Data("\(outcome.summary)\n".utf8))
                throw ExitCode.failure
            }
            print(outcome.summary)
        }

        /// Where the shipped plans are when neither --dir nor --config names them.
        static func shippedPlans() throws -> String {
            let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            let candidates = [
                "plans", executable.appendingPathComponent("../share/varsel/plans").standardizedFileURL.path, "/usr/share/varsel/plans", "/etc/varsel/plans",
            ]
            for candidate in candidates {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), isDirectory.boolValue { return candidate }
            }
            throw CLIError("cannot find the plan directory (looked in \(candidates.joined(separator: ", "))); pass --dir DIR")
        }
    }
}
