import Foundation
import Logging
import VarselHTTP
import VarselPostgres

/// `varsel bench --gateway URL`: Varsel as an operator runs it, next to the ceiling, all against one
/// gateway that is another process (nginx answering every POST, say), in one run:
///
/// 1. the ceiling: a plain libcurl multi loop POSTing a fixed SMS-like body to URL/sms (``RawCurlLoad``);
/// 2. for each mix, `varsel enqueue --config CFG FILE` of N messages, timed as a child process;
/// 3. then `varsel serve --config CFG`, timed from listening until `/metrics` counts every message sent,
///    with its peak resident memory and CPU time per message;
/// 4. with `http`, the API's enqueue: single POSTs and NDJSON batches against a live `varsel serve`;
/// 5. with `postgres`, steps 2 and 3 for the first mix again on that PostgreSQL database;
/// 6. with `queued`, the first mix again with that many messages queued, timing the first N sends:
///    the cost of a send must not grow with the depth of the queue;
/// 7. with `latencyRates`, enqueue → gateway latency with messages POSTed at each fixed rate;
/// 8. with `peers`, each peer's command, and Varsel's dispatch rate as a multiple of its rate.
///
/// Only ratios taken in the same run mean much: the machine, the gateway and the client share the
/// cores, so rates move from run to run; the CPU time per message moves less.
///
/// - Important: Every child is stopped and every file removed on every way out: the end, an error,
///   SIGINT or SIGTERM (``BenchInterrupt``). Every wait has a deadline.
public enum WireBench {
    /// The ceiling's request body: a Norwegian payment reminder by SMS as an `http-json` gateway gets it (~250 bytes).
    static let ceilingBody = #"{"to":"+4791234567","from":"Varsel","text":"Hei Kari, faktura 10023 p\u00e5 1 250,00 kr forfalt 01.11. "#
        + #"Betal innen 15.11. for \u00e5 unng\u00e5 inkassovarsel. Betal med Vipps: https://pay.example/abc","reference":"msg-0000000001"}"#

    /// What to measure, checked: every bad value is refused with a message naming the option.
    public struct Options: Sendable {
        /// The gateway's base URL, without a trailing slash.
        let gateway: String
        let messages: Int
        let runs: Int
        let mixes: [WireBenchInput.Mix]
        let http: Bool
        /// Transfers in flight for the ceiling, and each gateway's `max_connections`.
        let inFlight: Int
        /// Timed requests of the ceiling (after a warm-up of a twentieth of them, at most 5,000).
        let ceilingRequests: Int
        /// How long each HTTP enqueue load lasts.
        let httpSeconds: Int
        /// Messages queued for the deep-queue measurement (nil: none).
        let queued: Int?
        /// A throwaway PostgreSQL database to measure the first mix on too (nil: none).
        let postgres: String?
        /// Offered rates, in messages a second, to measure enqueue → gateway latency at (none: not measured).
        let latencyRates: [Int]
        /// How long messages are offered at each latency rate.
        let latencySeconds: Int
        /// Other software to measure against the same gateway, in order.
        let peers: [Peer]
        let templates: String
        /// The `varsel` executable the children run.
        let executable: String

        public init(
            gateway: String, messages: Int = 30_000, runs: Int = 1, mix: String = "mixed,sms", http: Bool = false, inFlight: Int = 64,
            ceilingRequests: Int = 100_000, httpSeconds: Int = 10, queued: Int? = nil, postgres: String? = nil, latency: String? = nil,
            latencySeconds: Int = 15, peers: [String] = [], templates: String, executable: String
        ) throws {
            let trimmed = gateway.hasSuffix("/") ? String(gateway.dropLast()) : gateway
            guard let url = URL(string: trimmed), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
                  let host = url.host, !host.isEmpty, url.query == nil, url.fragment == nil
            else {
                throw BenchError(description: "--gateway: an http:// or https:// URL of a gateway that answers any POST with 2xx, e.g. http://127.0.0.1:18080 (got '\(gateway)')")
            }
            guard messages >= 1 else { throw BenchError(description: "--messages: at least 1 (got \(messages))") }
            guard (1...100).contains(runs) else { throw BenchError(description: "--runs: from 1 to 100 (got \(runs))") }
            let names = mix.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let mixes = names.compactMap(WireBenchInput.Mix.init(rawValue:))
            guard !names.isEmpty, mixes.count == names.count else {
                throw BenchError(description: "--mix: mixed or sms, comma-separated, e.g. mixed,sms (got '\(mix)')")
            }
            guard (1...1024).contains(inFlight) else { throw BenchError(description: "--in-flight: from 1 to 1024 (got \(inFlight))") }
            guard ceilingRequests >= 1 else { throw BenchError(description: "--ceiling-requests: at least 1 (got \(ceilingRequests))") }
            guard (1...600).contains(httpSeconds) else { throw BenchError(description: "--http-seconds: from 1 to 600 (got \(httpSeconds))") }
            if let queued, !(messages...100_000_000).contains(queued) {
                throw BenchError(description: "--queued: from --messages (\(messages)) to 100000000 (got \(queued))")
            }
            var latencyRates: [Int] = []
            if let latency {
                let rates = latency.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
                guard !rates.isEmpty, rates.allSatisfy({ WireBench.latencyRateRange.contains($0 ?? 0) }) else {
                    throw BenchError(description: "--latency: offered rates in messages a second, comma-separated, each from 20 to 100000, e.g. 500,1000,2000 (got '\(latency)')")
                }
                latencyRates = rates.compactMap { $0 }
            }
            guard (1...600).contains(latencySeconds) else { throw BenchError(description: "--latency-seconds: from 1 to 600 (got \(latencySeconds))") }
            self.peers = try peers.map(Peer.parse)
            if let name = Dictionary(grouping: self.peers, by: \.name).first(where: { $0.value.count > 1 })?.key {
                throw BenchError(description: "--peer: \(name) is named twice")
            }
            self.latencyRates = latencyRates
            self.latencySeconds = latencySeconds
            self.gateway = trimmed
            self.messages = messages
            self.runs = runs
            self.mixes = mixes
            self.http = http
            self.inFlight = inFlight
            self.ceilingRequests = ceilingRequests
            self.httpSeconds = httpSeconds
            self.queued = queued
            if let postgres {
                do {
                    _ = try PostgresSettings.parse(url: postgres)
                } catch {
                    throw BenchError(description: "--postgres: \(error) (got '\(postgres)')")
                }
            }
            self.postgres = postgres
            self.templates = templates
            self.executable = executable
        }
    }

    /// A latency rate's bounds: one batch of 20 a second at least.
    static let latencyRateRange = 20...100_000

    /// Runs the bench, handing `report` each run's table as it ends and, after several runs, the medians.
    public static func run(_ options: Options, report: (String) -> Void) async throws {
        let workspace = FileManager.default.temporaryDirectory.appendingPathComponent("varsel-bench-gateway-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: workspace, withIntermediateDirectories: true)
        let interrupt = await BenchInterrupt.trap(workspace: workspace)
        defer {
            interrupt.remove()
            BenchInterrupt.removeTree(workspace)
        }
        var tables: [[WireBenchTable.Row]] = []
        for run in 1...options.runs {
            let figures = try await measure(run: run, options: options, workspace: workspace)
            let rows = WireBenchTable.rows(figures, options: options)
            tables.append(rows)
            report(WireBenchTable.render(
                title: "run \(run) of \(options.runs): \(options.messages) messages, gateway \(options.gateway), \(options.inFlight) in flight",
                rows: rows, notes: figures.notes))
        }
        if tables.count > 1 {
            report(WireBenchTable.render(title: "median of \(tables.count) runs", rows: WireBenchTable.medians(tables), notes: []))
        }
    }

    /// The figures of one run.
    struct RunFigures: Sendable {
        var ceiling: Double
        var mixes: [MixFigures] = []
        var http: HTTPFigures?
        /// The first mix with `Options.queued` queued, the first `Options.messages` sends timed.
        var deep: MixFigures?
        /// The first mix on PostgreSQL.
        var postgres: MixFigures?
        /// Enqueue → gateway latency at each offered rate, in the order asked.
        var latencies: [LatencyFigures] = []
        /// Each peer's rate, in the order given.
        var peers: [PeerFigures] = []
        /// Things worth knowing that are not figures (answers other than 2xx, a daemon that had to be killed).
        var notes: [String] = []
    }

    struct MixFigures: Sendable {
        let mix: WireBenchInput.Mix
        let messages: Int
        let enqueueRate: Double
        let dispatchRate: Double
        let sent: Int
        let cpuMicrosecondsPerMessage: Double
        let peakResidentBytes: Int
        /// The largest anonymous part of it seen (`RssAnon`): what the daemon itself allocated.
        let peakAnonymousBytes: Int
        /// The mean time a send held a gateway connection before its request left (the commit of its
        /// attempt), and then for the answer (`varsel_send_connection_wait_seconds`,
        /// `varsel_send_duration_seconds`): a gateway at its `max_connections` sends at most that many
        /// ÷ their sum a second. NaN if the daemon's metrics did not say.
        let heldBeforeSendingSeconds: Double
        let answerSeconds: Double
    }

    struct HTTPFigures: Sendable {
        let singleRate: Double
        let singleP99Seconds: Double
        let batchRate: Double
    }

    static func measure(run: Int, options: Options, workspace: URL) async throws -> RunFigures {
        var figures = RunFigures(ceiling: try await ceiling(options))
        for mix in options.mixes {
            let directory = workspace.appendingPathComponent("run\(run)-\(mix.rawValue)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            figures.mixes.append(try await enqueueAndDispatch(
                mix: mix, queued: options.messages, run: run, options: options, directory: directory, notes: &figures.notes))
            try? FileManager.default.removeItem(at: directory)
        }
        if let postgres = options.postgres {
            let directory = workspace.appendingPathComponent("run\(run)-postgres")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            // A throwaway database: its schema is made anew for every measurement.
            var settings = try PostgresSettings.parse(url: postgres)
            settings.password = ProcessInfo.processInfo.environment["PGPASSWORD"]
            try await PostgresMessageStore.dropSchema(settings: settings, logger: Logger(label: "varsel-bench"))
            figures.postgres = try await enqueueAndDispatch(
                mix: options.mixes[0], queued: options.messages, run: run, options: options, directory: directory, postgres: postgres,
                notes: &figures.notes)
            try? FileManager.default.removeItem(at: directory)
        }
        if let queued = options.queued {
            let directory = workspace.appendingPathComponent("run\(run)-deep")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            figures.deep = try await enqueueAndDispatch(
                mix: options.mixes[0], queued: queued, run: run, options: options, directory: directory, notes: &figures.notes)
            try? FileManager.default.removeItem(at: directory)
        }
        if options.http {
            let directory = workspace.appendingPathComponent("run\(run)-http")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            figures.http = try await httpEnqueue(options: options, directory: directory, notes: &figures.notes)
            try? FileManager.default.removeItem(at: directory)
        }
        for rate in options.latencyRates {
            let directory = workspace.appendingPathComponent("run\(run)-latency-\(rate)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            figures.latencies.append(try await latency(rate: rate, options: options, directory: directory, notes: &figures.notes))
            try? FileManager.default.removeItem(at: directory)
        }
        for peer in options.peers {
            let directory = workspace.appendingPathComponent("run\(run)-peer-\(peer.name)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            figures.peers.append(try await measure(peer, options: options, directory: directory))
            try? FileManager.default.removeItem(at: directory)
        }
        return figures
    }

    /// The ceiling in requests per second: a warm-up (connections opened, nginx's caches warm), then
    /// the timed requests. Any answer other than 2xx makes the figure meaningless: it throws.
    static func ceiling(_ options: Options) async throws -> Double {
        let load = RawCurlLoad(
            url: options.gateway + "/sms", body: Array(ceilingBody.utf8), headers: ["Content-Type: application/json"],
            inFlight: options.inFlight)
        var measured = RawCurlLoad.Outcome()
        for requests in [min(5_000, options.ceilingRequests / 20), options.ceilingRequests] where requests > 0 {
            progress("ceiling: \(requests) POSTs to \(options.gateway)/sms, \(options.inFlight) in flight")
            // At least 200 requests a second, or the gateway is not one to measure against.
            measured = try await load.run(.afterRequests(requests), deadline: .seconds(60 + requests / 200))
            guard measured.failures == 0 else {
                throw BenchError(description: """
                    the gateway at \(options.gateway) did not answer \(measured.failures) of \(measured.requests) ceiling requests with 2xx \
                    (first: \(measured.firstFailure ?? "?")); it must answer any POST with 2xx
                    """)
            }
        }
        return measured.requestRate
    }

    /// A line on standard error saying what the bench is doing (standard output holds the tables).
    static func progress(_ text: String) {
        FileHandle.standardError.write(Data("varsel bench: \(text)\n".utf8))
    }
}
