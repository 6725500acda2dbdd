import Foundation
import Testing
@testable import VarselDaemon
import VarselTestSupport

/// `varsel bench --gateway URL` as an operator runs it: the real executable against a loopback
/// stand-in of a gateway that answers every POST with 202, as nginx does in the reference method.
/// Rates are never asserted beyond being positive: the machine is shared.
@Suite struct WireBenchTests {
    /// A gateway stand-in that takes anything (`Tests/StandIns/accepting_gateway.py`), in a process of
    /// its own: a bench run sends it hundreds of requests, which an in-process server answers only as
    /// fast as this process's shared task pool, busy with every other test, lets it.
    final class AcceptingGateway {
        static let script = Paths.packageRoot.appendingPathComponent("Tests/StandIns/accepting_gateway.py").path
        let directory = TemporaryDirectory()
        let process: ChildProcess
        let baseURL: String

        init() async throws {
            process = try ChildProcess(
                arguments: [Self.script, "--counts", directory.file("counts.json"), "--lifetime", "1200"], executable: "/usr/bin/python3")
            let child = process
            _ = await eventually(timeout: .seconds(60)) { child.announcedPort != nil || !child.isRunning }
            let port = try #require(Int(child.announcedPort ?? ""), "the gateway stand-in did not start: \(child.stderr)")
            baseURL = "http://127.0.0.1:\(port)"
        }

        /// Stops it; then `requests` holds what it took.
        func stop() async { await process.terminate() }

        /// Requests taken, by path (once stopped).
        var requests: [String: Int] {
            guard let data = FileManager.default.contents(atPath: directory.file("counts.json")) else { return [:] }
            return (try? JSONDecoder().decode([String: Int].self, from: data)) ?? [:]
        }
    }

    static func acceptingGateway() async throws -> AcceptingGateway { try await AcceptingGateway() }

    /// The table's rows by figure: value, unit, ratio, target (`,` taken out of the value).
    static func rows(_ stdout: String) -> [String: (value: Double?, unit: String, ratio: String, target: String)] {
        var rows: [String: (value: Double?, unit: String, ratio: String, target: String)] = [:]
        for line in stdout.split(separator: "\n") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == 5, cells[0] != "figure", !cells[0].hasPrefix("-") else { continue }
            rows[cells[0]] = (Double(cells[1].replacingOccurrences(of: ",", with: "")), cells[2], cells[3], cells[4])
        }
        return rows
    }

    /// The bench workspaces in `directory`.
    static func workspaces(in directory: String) -> Set<String> {
        Set(((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasPrefix("varsel-bench-gateway-") })
    }

    @Test("one run against an outside gateway prints the ceiling, enqueue, dispatch with its ratio, CPU, the time a send holds its connection before and after its request leaves, RSS, the HTTP figures, the deep-queue figures and the latency at two offered rates, all positive, every message sent; it leaves nothing behind")
    func oneRun() async throws {
        let gateway = try await Self.acceptingGateway()
        // The bench's temporary directory of its own: the other benches of this suite, running at the
        // same time, make their workspaces in the shared one.
        let scratch = TemporaryDirectory("bench-tmp")
        let child = try ChildProcess(
            arguments: [
                "bench", "--gateway", gateway.baseURL, "--messages", "200", "--runs", "1", "--mix", "sms", "--ceiling-requests", "200",
                "--in-flight", "8", "--http", "--http-seconds", "1", "--queued", "500", "--latency", "100,2500", "--latency-seconds", "1",
            ],
            environment: ["TMPDIR": scratch.path])
        let madeWorkspace = await eventually(timeout: .seconds(300)) { !Self.workspaces(in: scratch.path).isEmpty || !child.isRunning }
            && !Self.workspaces(in: scratch.path).isEmpty
        let status = await child.wait(timeout: .seconds(900))
        let run = (status: status, stdout: child.stdout, stderr: child.stderr)
        await gateway.stop()
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("run 1 of 1: 200 messages, gateway \(gateway.baseURL)"), "\(run.stdout)")
        let rows = Self.rows(run.stdout)

        let ceiling = try #require(rows["ceiling: raw libcurl POSTs to /sms, 8 in flight"], "\(run.stdout)")
        #expect((ceiling.value ?? 0) > 0 && ceiling.unit == "req/s" && ceiling.ratio == "100 %")
        let enqueue = try #require(rows["enqueue sms: varsel enqueue FILE"], "\(run.stdout)")
        #expect((enqueue.value ?? 0) > 0 && enqueue.unit == "msg/s" && enqueue.target.hasPrefix("≥ 50,000 msg/s"))
        let dispatch = try #require(rows["dispatch sms: varsel serve, listening to all sent"], "\(run.stdout)")
        #expect((dispatch.value ?? 0) > 0 && dispatch.unit == "msg/s" && dispatch.target.hasPrefix("≥ 30 % of ceiling"))
        let ratio = try #require(Double(dispatch.ratio.replacingOccurrences(of: " %", with: "")), "ratio \(dispatch.ratio)")
        #expect(ratio > 0)
        let sent = try #require(rows["dispatch sms: messages sent"], "\(run.stdout)")
        #expect(sent.value == 200 && sent.unit == "of 200")
        #expect((rows["dispatch sms: CPU (user + system) per message"]?.value ?? 0) > 0, "\(run.stdout)")
        // Where a send's time on its connection went, from the daemon's own histograms.
        let held = try #require(rows["dispatch sms: a send's slot held before its request went to the HTTP client, mean"], "\(run.stdout)")
        let answer = try #require(rows["dispatch sms: then until the gateway's answer, mean"], "\(run.stdout)")
        #expect((held.value ?? 0) > 0 && held.unit == "ms" && (answer.value ?? 0) > 0 && answer.unit == "ms", "\(run.stdout)")
        let rss = try #require(rows["dispatch sms: peak RSS of varsel serve"], "\(run.stdout)")
        #expect((rss.value ?? 0) > 0 && rss.unit == "MiB" && rss.target.hasPrefix("≤ 64 MiB"))
        let anonymous = try #require(rows["dispatch sms: of which anonymous (RssAnon), peak"], "\(run.stdout)")
        #expect((anonymous.value ?? 0) > 0 && (anonymous.value ?? 0) < (rss.value ?? 0) && anonymous.unit == "MiB" && anonymous.target == "-")
        #expect((rows["POST /v1/messages, 32 connections"]?.value ?? 0) > 0, "\(run.stdout)")
        #expect((rows["POST /v1/messages, p99 latency"]?.value ?? 0) > 0, "\(run.stdout)")
        #expect((rows["POST /v1/messages:batch, 1,000 lines, 4 clients"]?.value ?? 0) > 0, "\(run.stdout)")
        // --queued 500: the SMS mix again with 500 queued, the first 200 sends timed, beside the 200 queued.
        #expect((rows["enqueue sms, 500 messages: varsel enqueue FILE"]?.value ?? 0) > 0, "\(run.stdout)")
        let deep = try #require(rows["dispatch sms with 500 queued: first 200 sends"], "\(run.stdout)")
        #expect((deep.value ?? 0) > 0 && deep.unit == "msg/s" && deep.ratio.hasSuffix(" %"))
        #expect((rows["dispatch sms with 500 queued: CPU per message"]?.value ?? 0) > 0, "\(run.stdout)")
        #expect(rows["dispatch sms with 500 queued: peak RSS of varsel serve"]?.target.hasPrefix("≤ 64 MiB") == true, "\(run.stdout)")
        let flat = try #require(rows["dispatch sms: rate with 500 queued / with 200"], "\(run.stdout)")
        #expect((flat.value ?? 0) > 0 && flat.unit == "%" && flat.target.hasPrefix("≥ 90 %"))
        // --latency 100,2500 for 1 s: 100 and 2,500 messages POSTed on schedule, each sent; their delays from the store.
        for (rate, name) in [(100, "100"), (2500, "2,500")] {
            let prefix = "latency at \(name) msg/s offered"
            let posted = try #require(rows["\(prefix): messages POSTed a second"], "\(run.stdout)")
            #expect((posted.value ?? 0) > 0 && posted.unit == "msg/s")
            let p50 = try #require(rows["\(prefix): enqueue → gateway p50"]?.value, "\(run.stdout)")
            let p99 = try #require(rows["\(prefix): enqueue → gateway p99"], "\(run.stdout)")
            let max = try #require(rows["\(prefix): enqueue → gateway max"]?.value, "\(run.stdout)")
            #expect(p50 > 0 && p50 <= (p99.value ?? 0) && (p99.value ?? 0) <= max && p99.unit == "ms", "\(run.stdout)")
            // The issue's bound is set at 2,000 msg/s (and so holds below it); above it there is none.
            if rate <= 2_000 {
                #expect(p99.target.hasPrefix("≤ 25 ms"), "\(p99.target)")
            } else {
                #expect(p99.target == "-", "\(p99.target)")
            }
        }
        #expect(rows["enqueue mixed: varsel enqueue FILE"] == nil, "--mix sms measures the SMS mix only")
        #expect(!run.stdout.contains("median of"), "one run has no medians")

        // The ceiling's POSTs and every message went to the stand-in, to the SMS path: 200 + 200 + 200 + 2,600.
        #expect((gateway.requests["/sms"] ?? 0) >= 3_200, "\(gateway.requests)")
        #expect(madeWorkspace, "the bench made its workspace in TMPDIR")
        #expect(Self.workspaces(in: scratch.path).isEmpty, "the workspace was left behind")
    }

    @Test("--postgres URL measures the first mix again on that database: enqueue, dispatch with its ratio to the ceiling, CPU, and its rate as a share of SQLite's")
    func postgres() async throws {
        let cluster = try await PostgresCluster.start()
        let gateway = try await Self.acceptingGateway()
        let run = try await ChildProcess.run(
            ["bench", "--gateway", gateway.baseURL, "--messages", "150", "--mix", "mixed", "--ceiling-requests", "100", "--in-flight", "8",
             "--postgres", cluster.url],
            timeout: .seconds(900))
        await gateway.stop()
        await cluster.stop()
        #expect(run.status == 0, "\(run.stderr)")
        let rows = Self.rows(run.stdout)
        #expect((rows["enqueue mixed on PostgreSQL: varsel enqueue FILE"]?.value ?? 0) > 0, "\(run.stdout)")
        let dispatch = try #require(rows["dispatch mixed on PostgreSQL: varsel serve, listening to all sent"], "\(run.stdout)")
        #expect((dispatch.value ?? 0) > 0 && dispatch.unit == "msg/s" && dispatch.ratio.hasSuffix(" %"))
        #expect((rows["dispatch mixed on PostgreSQL: CPU of varsel serve per message"]?.value ?? 0) > 0, "\(run.stdout)")
        let share = try #require(rows["dispatch mixed: rate on PostgreSQL / on SQLite"], "\(run.stdout)")
        #expect((share.value ?? 0) > 0 && share.unit == "%" && share.target.hasPrefix("≥ 40 %"))
        // The emails and letters of both stores reached the stand-in: 60 of each store's 150 messages.
        #expect(gateway.requests.filter { $0.key != "/sms" }.values.reduce(0, +) >= 120, "\(gateway.requests)")
    }

    @Test("--peer NAME=COMMAND runs each peer after Varsel's figures, with the gateway in VARSEL_BENCH_GATEWAY, and prints its rate and Varsel's dispatch rate as a multiple of it, with the issue's target for postfix and apprise; a peer that fails or prints no rate ends the bench with an error naming it")
    func peers() async throws {
        let gateway = try await Self.acceptingGateway()
        let directory = TemporaryDirectory()
        let seen = directory.file("seen-gateway")
        let base = ["bench", "--gateway", gateway.baseURL, "--messages", "50", "--mix", "sms", "--ceiling-requests", "50", "--in-flight", "4"]
        let run = try await ChildProcess.run(
            base + ["--peer", "postfix=printf '%s' \"$VARSEL_BENCH_GATEWAY\" > \(seen); echo measuring >&2; echo 'msg/s 250'",
                    "--peer", "my-queue=printf 'warming up\\nmsg/s 12.5\\n\\n'"],
            timeout: .seconds(600))
        #expect(run.status == 0, "\(run.stderr)")
        let rows = Self.rows(run.stdout)
        #expect((try? String(contentsOfFile: seen, encoding: .utf8)) == gateway.baseURL, "the peer gets the gateway's URL")
        let dispatch = try #require(rows["dispatch sms: varsel serve, listening to all sent"]?.value, "\(run.stdout)")
        let postfix = try #require(rows["peer postfix: its rate"], "\(run.stdout)")
        #expect(postfix.value == 250 && postfix.unit == "msg/s")
        let overPostfix = try #require(rows["dispatch sms / peer postfix"], "\(run.stdout)")
        #expect(overPostfix.unit == "×" && overPostfix.target.hasPrefix("≥ 10 ×"), "\(run.stdout)")
        #expect(abs((overPostfix.value ?? 0) - dispatch / 250) <= 0.051 + dispatch / 250 * 0.01, "\(run.stdout)")
        let other = try #require(rows["dispatch sms / peer my-queue"], "\(run.stdout)")
        #expect(other.target == "-", "no target for a peer the issue does not name")
        #expect(rows["peer my-queue: its rate"]?.unit == "msg/s", "\(run.stdout)")
        #expect(run.stderr.contains("varsel bench: peer postfix:"), "\(run.stderr)")

        let failing = try await ChildProcess.run(base + ["--peer", "broken=echo cannot start >&2; exit 3"], timeout: .seconds(600))
        #expect(failing.status != 0 && failing.status != nil)
        #expect(failing.stderr.contains("peer broken (echo cannot start >&2; exit 3) failed with status 3: cannot start"), "\(failing.stderr)")
        let silent = try await ChildProcess.run(base + ["--peer", "silent=echo done"], timeout: .seconds(600))
        #expect(silent.status != 0 && silent.status != nil)
        #expect(silent.stderr.contains("peer silent (echo done) did not end with a line `msg/s <rate>`"), "\(silent.stderr)")
        await gateway.stop()
    }

    @Test("the batch load counts the lines a batch answer says were stored, and nothing for an answer that is not one")
    func acceptedLinesOfAnAnswer() {
        let results = (1...3).map { EnqueueBatch.LineResult(line: $0, id: "msg_\($0)", state: "queued", duplicate: nil, error: nil) }
        let reply = APIServer.BatchReply(accepted: 1_000, rejected: 2, results: results, note: "stored")
        #expect(WireBench.acceptedLines(reply.json) == 1_000)
        #expect(WireBench.acceptedLines(Array(#"{"results":[],"accepted":7}"#.utf8)) == 7)
        for junk in ["", "[]", "{\"accepted\":\"7\"}", "<html>", "{\"accepted\":"] {
            #expect(WireBench.acceptedLines(Array(junk.utf8)) == 0, "\(junk)")
        }
    }

    @Test("a bad option is refused before anything starts, with a message naming it", arguments: [
        (["--gateway", "ftp://127.0.0.1:18080"], "--gateway: an http:// or https:// URL"),
        (["--gateway", "127.0.0.1:18080"], "--gateway: an http:// or https:// URL"),
        (["--gateway", "http://127.0.0.1:18080/?x=1"], "--gateway: an http:// or https:// URL"),
        (["--gateway", "http://127.0.0.1:18080", "--messages", "0"], "--messages: at least 1 (got 0)"),
        (["--gateway", "http://127.0.0.1:18080", "--runs", "0"], "--runs: from 1 to 100 (got 0)"),
        (["--gateway", "http://127.0.0.1:18080", "--mix", "sms,email"], "--mix: mixed or sms"),
        (["--gateway", "http://127.0.0.1:18080", "--in-flight", "0"], "--in-flight: from 1 to 1024 (got 0)"),
        (["--gateway", "http://127.0.0.1:18080", "--ceiling-requests", "0"], "--ceiling-requests: at least 1 (got 0)"),
        (["--gateway", "http://127.0.0.1:18080", "--http-seconds", "0"], "--http-seconds: from 1 to 600 (got 0)"),
        (["--gateway", "http://127.0.0.1:18080", "--store", "postgres", "--url", "postgres://bench@127.0.0.1/bench"],
         "--gateway measures the SQLite store only"),
        (["--runs", "2"], "--runs needs --gateway URL"),
        (["--http"], "--http needs --gateway URL"),
        (["--queued", "1000"], "--queued needs --gateway URL"),
        (["--postgres", "postgres://bench@127.0.0.1/bench"], "--postgres needs --gateway URL"),
        (["--latency", "2000"], "--latency needs --gateway URL"),
        (["--peer", "postfix=scripts/peer-postfix"], "--peer needs --gateway URL"),
        (["--gateway", "http://127.0.0.1:18080", "--peer", "postfix"], "--peer: NAME=COMMAND"),
        (["--gateway", "http://127.0.0.1:18080", "--peer", "Postfix=x"], "(got 'Postfix=x')"),
        (["--gateway", "http://127.0.0.1:18080", "--peer", "postfix= "], "(got 'postfix= ')"),
        (["--gateway", "http://127.0.0.1:18080", "--peer", "a=x", "--peer", "a=y"], "--peer: a is named twice"),
        (["--latency-seconds", "5"], "--latency-seconds needs --gateway URL"),
        (["--gateway", "http://127.0.0.1:18080", "--latency", "fast"], "--latency: offered rates in messages a second, comma-separated, each from 20 to 100000"),
        (["--gateway", "http://127.0.0.1:18080", "--latency", "500,10"], "(got '500,10')"),
        (["--gateway", "http://127.0.0.1:18080", "--latency", "500,"], "(got '500,')"),
        (["--gateway", "http://127.0.0.1:18080", "--latency", "500", "--latency-seconds", "0"], "--latency-seconds: from 1 to 600 (got 0)"),
        (["--gateway", "http://127.0.0.1:18080", "--postgres", "mysql://x@127.0.0.1/db"], "--postgres: "),
        (["--gateway", "http://127.0.0.1:18080", "--messages", "10", "--queued", "5"], "--queued: from --messages (10) to 100000000 (got 5)"),
    ])
    func badOption(arguments: [String], message: String) async throws {
        let run = try await ChildProcess.run(["bench"] + arguments, timeout: .seconds(120))
        #expect(run.status != 0 && run.status != nil)
        #expect(run.stderr.contains(message), "\(run.stderr)")
        #expect(!run.stderr.contains("varsel bench: ceiling"), "nothing may start: \(run.stderr)")
    }

    @Test("a gateway that does not answer 2xx, or not at all, ends the bench at the ceiling with an error naming it")
    func gatewayThatFails() async throws {
        let refusing = LoopbackServer { _ in .init(status: 500, body: #"{"error":"down"}"#) }
        try await refusing.start()
        let failing = try await ChildProcess.run(
            ["bench", "--gateway", refusing.baseURL, "--messages", "10", "--ceiling-requests", "40"], timeout: .seconds(300))
        await refusing.stop()
        #expect(failing.status != 0 && failing.status != nil)
        #expect(failing.stderr.contains("the gateway at \(refusing.baseURL) did not answer"), "\(failing.stderr)")
        #expect(failing.stderr.contains("HTTP 500"), "\(failing.stderr)")
        #expect(!failing.stderr.contains("varsel bench: enqueue"), "\(failing.stderr)")

        // A port nothing listens on: the port of a server that was just stopped.
        let gone = try await Self.acceptingGateway()
        let url = gone.baseURL
        await gone.stop()
        let unreachable = try await ChildProcess.run(["bench", "--gateway", url, "--messages", "10", "--ceiling-requests", "40"], timeout: .seconds(300))
        #expect(unreachable.status != 0 && unreachable.status != nil)
        #expect(unreachable.stderr.contains("the gateway at \(url) did not answer"), "\(unreachable.stderr)")
    }
}
