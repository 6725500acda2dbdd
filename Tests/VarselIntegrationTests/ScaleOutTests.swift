import Foundation
import Logging
import PostgresNIO
import Testing
import VarselCore
import VarselDaemon
@testable import VarselPostgres
import VarselStore
import VarselTestSupport

/// Several `varsel serve` processes on one PostgreSQL database (started by the tests), sending to
/// one loopback sandbox gateway that records every request with its Idempotency-Key.
@Suite(.serialized) struct ScaleOutTests {
    /// A database, a gateway, a configuration file and the daemons running on them.
    final class Fleet: @unchecked Sendable {
        let directory = TemporaryDirectory()
        let sandbox: SandboxGateway
        let settings: PostgresSettings
        let url: String
        let configPath: String
        let store: PostgresMessageStore
        var daemons: [ChildProcess] = []

        /// `url`: a database of the caller's (by default a new one in the shared test cluster).
        init(
            sandbox: SandboxGateway, url: String? = nil, pollMilliseconds: Int? = nil, policy: String? = nil, gatewayExtra: String = "",
            leaseSeconds: Int = 60, maxInFlight: Int = 64
        ) async throws {
            self.sandbox = sandbox
            try await sandbox.start()
            if let url { self.url = url } else { self.url = try await SharedPostgres.shared.newDatabase() }
            settings = try StoreBackend.settings(url: self.url)
            var yaml = Fixtures.config(
                storePath: directory.file("varsel.db"), gatewayBase: sandbox.baseURL, maxInFlight: maxInFlight, leaseSeconds: leaseSeconds,
                timeoutMs: min(20_000, leaseSeconds * 1000 / 2))
            yaml = yaml.replacingOccurrences(
                of: "store: { path: \"\(directory.file("varsel.db"))\" }",
                with: "store: { backend: postgres, url: \"\(self.url)\", sslmode: disable, pool_size: 4, path: \"\(directory.file("varsel.db"))\" }")
            if let pollMilliseconds { yaml = yaml.replacingOccurrences(of: "poll_interval_ms: 20", with: "poll_interval_ms: \(pollMilliseconds)") }
            if let policy { yaml = yaml.replacingOccurrences(of: "policy: { frequency_cap: { enabled: false }, contact_windows: { enabled: false } }", with: policy) }
            if !gatewayExtra.isEmpty {
                yaml = yaml.replacingOccurrences(of: "connect_timeout_ms: 2000 }", with: "connect_timeout_ms: 2000, \(gatewayExtra) }")
            }
            configPath = directory.write("varsel.yaml", yaml)
            // The schema exists before any daemon starts (each would migrate it at start too).
            store = try await PostgresMessageStore(settings: settings, logger: quietLogger)
        }

        @discardableResult
        func startDaemon() throws -> ChildProcess {
            let daemon = try ChildProcess(arguments: ["serve", "--config", configPath])
            daemons.append(daemon)
            return daemon
        }

        /// Enqueues NDJSON through `varsel enqueue` (one transaction per 1,000 lines); the ids.
        func enqueue(_ lines: [String]) async throws -> [String] {
            let run = try await ChildProcess.run(["enqueue", "--config", configPath, "-"], stdin: Data(lines.joined(separator: "\n").utf8), timeout: .seconds(300))
            #expect(run.status == 0, "\(run.stderr)")
            return run.stdout.split(separator: "\n").compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["id"] as? String
            }
        }

        func count(_ state: MessageState) async throws -> Int { try await store.countByState()[state] ?? 0 }

        /// Waits until nothing is queued or sending (bounded; the callers assert on what they find).
        func settled(timeout: Duration = .seconds(600)) async -> Bool {
            await eventually(timeout: timeout, every: .milliseconds(250)) {
                let counts = (try? await store.countByState()) ?? [.queued: 1]
                return (counts[.queued] ?? 0) + (counts[.sending] ?? 0) == 0
            }
        }

        func stop() async {
            for daemon in daemons { await daemon.terminate(timeout: .seconds(30)) }
            await sandbox.stop()
            await store.close()
        }

        /// Runs `sql` in a transaction of its own connection, committed or rolled back.
        func transaction(_ statements: [PostgresQuery], commit: Bool) async throws -> [PostgresRow] {
            try await store.client.withConnection { connection in
                try await connection.query("BEGIN", logger: quietLogger)
                var rows: [PostgresRow] = []
                for statement in statements { rows += try await connection.query(statement, logger: quietLogger).collect() }
                try await connection.query(commit ? "COMMIT" : "ROLLBACK", logger: quietLogger)
                return rows
            }
        }

        /// Every message's attempts: how many requests went out per message, and which were ambiguous.
        func attemptsByMessage() async throws -> [String: [String]] {
            try await store.client.withConnection { connection in
                var result: [String: [String]] = [:]
                for row in try await connection.query("SELECT message_id, outcome FROM varsel.attempts ORDER BY id", logger: quietLogger).collect() {
                    let (id, outcome) = try row.decode((String, String).self)
                    result[id, default: []].append(outcome)
                }
                return result
            }
        }
    }

    static func lines(_ count: Int, prefix: String) -> [String] {
        (0..<count).map { index in
            let key = "\(prefix)-\(index)"
            switch index % 3 {
            case 0: return Fixtures.sms(key: key, phone: "+4791\(String(format: "%06d", index))")
            case 1: return Fixtures.email(key: key, email: "p\(index)@example.se")
            default: return Fixtures.letter(key: key)
            }
        }
    }

    /// Each message reached the gateway once, except resends of a request whose outcome was never
    /// recorded (ambiguous), which carry the same Idempotency-Key.
    static func expectEachSentOnce(_ fleet: Fleet, ids: [String]) async throws {
        let received = Dictionary(grouping: fleet.sandbox.received, by: { $0.idempotencyKey ?? "" })
        let attempts = try await fleet.attemptsByMessage()
        var duplicates = 0
        for id in ids {
            let arrivals = received.filter { $0.key.hasPrefix(id + ".") }.values.flatMap { $0 }
            let requests = arrivals.count
            let ambiguous = attempts[id, default: []].filter { $0 == "ambiguous" }.count
            if requests != 1 {
                #expect(
                    requests >= 1 && requests <= 1 + ambiguous,
                    "\(id): \(requests) requests (at \(arrivals.map { RFC3339.format($0.at) })), attempts \(attempts[id, default: []])")
                duplicates += 1
            }
        }
        let states = try await fleet.store.countByState()
        #expect(states[.sent] == ids.count, "every message sent: \(states)")
    }

    @Test("three daemons on one database send 5,000 messages over three channels, each to the gateway once")
    func threeDaemons() async throws {
        let fleet = try await Fleet(sandbox: SandboxGateway())
        let ids = try await fleet.enqueue(Self.lines(5_000, prefix: "fleet"))
        #expect(ids.count == 5_000)
        for _ in 0..<3 { try fleet.startDaemon() }
        let settled = await fleet.settled()
        let counts = try await fleet.store.countByState()
        #expect(settled, "not settled: \(counts)")
        try await Self.expectEachSentOnce(fleet, ids: ids)
        let runs = try await fleet.store.activeRuns()
        #expect(Set(runs.map(\.runID)).count == 3, "three runs registered under one worker_id: \(runs.map(\.runID))")
        let owners = try await fleet.store.client.withConnection { connection in
            try await connection.query(
                "SELECT count(DISTINCT lease_owner) FROM varsel.messages WHERE lease_owner IS NOT NULL", logger: quietLogger
            ).collect().first?.decode(Int.self)
        }
        #expect(owners == 0, "no lease is left behind")
        await fleet.stop()
    }

    @Test("a daemon killed with SIGKILL mid-run: the other two finish its messages after its leases expire; nothing is lost")
    func killedDaemon() async throws {
        let fleet = try await Fleet(sandbox: SandboxGateway(behaviour: .init(delay: .milliseconds(20))), leaseSeconds: 5)
        let ids = try await fleet.enqueue(Self.lines(600, prefix: "kill"))
        let victim = try fleet.startDaemon()
        try fleet.startDaemon()
        try fleet.startDaemon()
        #expect(await eventually(timeout: .seconds(120)) { fleet.sandbox.received.count >= 50 })
        victim.signal(SIGKILL)
        await victim.wait(timeout: .seconds(10))
        let settled = await fleet.settled()
        let counts = try await fleet.store.countByState()
        #expect(settled, "not settled: \(counts)")
        try await Self.expectEachSentOnce(fleet, ids: ids)
        await fleet.stop()
    }

    @Test("100 kill -9 and restart cycles across three daemons: every message is sent, none is lost, a resend only when ambiguous")
    func killLoop() async throws {
        let fleet = try await Fleet(sandbox: SandboxGateway(behaviour: .init(delay: .milliseconds(5))), leaseSeconds: 5)
        let ids = try await fleet.enqueue(Self.lines(1_500, prefix: "loop"))
        for _ in 0..<3 { try fleet.startDaemon() }
        var generator = SystemRandomNumberGenerator()
        for cycle in 0..<100 {
            let index = Int.random(in: 0..<3, using: &generator)
            let victim = fleet.daemons[index]
            victim.signal(SIGKILL)
            await victim.wait(timeout: .seconds(10))
            fleet.daemons[index] = try ChildProcess(arguments: ["serve", "--config", fleet.configPath])
            // Let the new run start before the next kill (it registers, reclaims, leases).
            try await Task.sleep(for: .milliseconds(cycle % 10 == 0 ? 600 : 150))
        }
        let settled = await fleet.settled()
        let counts = try await fleet.store.countByState()
        #expect(settled, "not settled: \(counts)")
        try await Self.expectEachSentOnce(fleet, ids: ids)
        await fleet.stop()
    }

    @Test("a case cancelled while three daemons send: nothing of it reaches the gateway after the cancel returns")
    func cancelWhileRunning() async throws {
        // Three daemons with 8 sends in flight each, half a second per send: the case takes a while.
        let fleet = try await Fleet(sandbox: SandboxGateway(behaviour: .init(delay: .milliseconds(500))), maxInFlight: 8)
        let lines = (0..<600).map { index in
            Fixtures.message(
                key: "case-\(index)", recipient: #""locale":"nb-NO","country":"NO","channels":["sms"],"phone":"+4792\#(String(format: "%06d", index))""#
            ).replacingOccurrences(of: #""case_ref":"case-case-\#(index)""#, with: #""case_ref":"case-big""#)
        }
        let ids = try await fleet.enqueue(lines)
        #expect(ids.count == 600)
        for _ in 0..<3 { try fleet.startDaemon() }
        #expect(await eventually(timeout: .seconds(120)) { fleet.sandbox.received.count >= 20 })
        let cancel = try await ChildProcess.run(["cancel", "--config", fleet.configPath, "--case", "case-big", "--reason", "paid"])
        #expect(cancel.status == 0, "\(cancel.stderr)")
        let outcome = try #require(try JSONSerialization.jsonObject(with: Data(cancel.stdout.utf8)) as? [String: Any])
        let alreadySent = Set(outcome["already_sent_ids"] as? [String] ?? [])
        let cancelled = outcome["cancelled_ids"] as? [String] ?? []
        #expect(cancelled.count + alreadySent.count == 600, "\(outcome)")
        #expect(!cancelled.isEmpty)
        #expect(await fleet.settled())
        // Every request the gateway ever got for the case belongs to a message that was already handed over.
        let sentIDs = Set(fleet.sandbox.received.compactMap { $0.idempotencyKey?.split(separator: ".").first.map(String.init) })
        #expect(sentIDs.isSubset(of: alreadySent), "sent after the cancel: \(sentIDs.subtracting(alreadySent).sorted().prefix(5))")
        let states = try await fleet.store.countByState()
        #expect(states[.cancelled] == cancelled.count)
        await fleet.stop()
    }

    @Test("with three daemons a frequency cap of 1 per recipient holds: one message to the recipient is sent, the rest wait")
    func frequencyCapAcrossDaemons() async throws {
        let policy = "policy: { frequency_cap: { enabled: true, max_messages: 1, window: 7d }, contact_windows: { enabled: false } }"
        let fleet = try await Fleet(sandbox: SandboxGateway(), policy: policy)
        for _ in 0..<3 { try fleet.startDaemon() }
        #expect(await eventually(timeout: .seconds(60)) { ((try? await fleet.store.activeRuns()) ?? []).count == 3 })
        let ids = try await fleet.enqueue((0..<30).map { Fixtures.sms(key: "cap-\($0)") })
        #expect(ids.count == 30)
        // Every message has been leased and judged once: one sent, 29 deferred.
        #expect(await eventually(timeout: .seconds(120)) {
            let counts = (try? await fleet.store.countByState()) ?? [:]
            return counts[.sent] == 1 && counts[.queued] == 29
        })
        try await Task.sleep(for: .seconds(2))
        #expect(fleet.sandbox.received.count == 1)
        #expect(try await fleet.count(.sent) == 1)
        await fleet.stop()
    }

    @Test("a gateway's rate limit is the total over three daemons: each takes a third")
    func rateLimitAcrossDaemons() async throws {
        let fleet = try await Fleet(sandbox: SandboxGateway(), gatewayExtra: "rate_limit: 15, rate_burst: 3", leaseSeconds: 6)
        let daemons = try (0..<3).map { _ in try fleet.startDaemon() }
        // Each daemon learns of the others at its heartbeat (every 2 s with this lease): every one
        // says it shares the limit three ways before anything is enqueued.
        for daemon in daemons {
            #expect(await eventually(timeout: .seconds(60)) { daemon.announcedPort != nil }, "\(daemon.stderr)")
            let client = APIClient(baseURL: "http://127.0.0.1:\(daemon.announcedPort ?? "0")", token: nil)
            defer { client.close() }
            #expect(await eventually(timeout: .seconds(60)) {
                guard let reply = try? await client.send("GET", "/metrics") else { return false }
                let line = String(decoding: reply.body, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("varsel_live_daemons ") }
                return line.flatMap { Double($0.dropFirst("varsel_live_daemons ".count)) } == 3
            }, "a daemon did not count three live daemons: \(daemon.stderr)")
        }
        let ids = try await fleet.enqueue((0..<150).map { Fixtures.sms(key: "rate-\($0)", phone: "+4793\(String(format: "%06d", $0))") })
        #expect(await fleet.settled())
        try await Self.expectEachSentOnce(fleet, ids: ids)
        let times = fleet.sandbox.received.filter { $0.channel == "sms" }.map(\.at).sorted()
        #expect(times.count == 150)
        // 150 sends at 15/s with a burst of 3 take at least (150 - 3) / 15 s; three daemons each
        // sending at the full rate would take a third of that.
        let span = try #require(times.last).timeIntervalSince(try #require(times.first))
        #expect(span >= (150 - 3) / 15.0 * 0.9, "150 sends took \(span) s")
        // And no stretch holds more than the rate allows: any two seconds the rate for two seconds and
        // the burst, and half a second more for requests the gateway saw later than they left (three
        // daemons and PostgreSQL on two busy cores: one second once held 19 sends where 18 could have
        // left). Three daemons each at the full rate would put 90 there.
        for start in times {
            let inWindow = times.filter { $0 >= start && $0 < start.addingTimeInterval(2) }.count
            #expect(inWindow <= Int(15 * 2.5) + 3, "\(inWindow) sends within two seconds from \(start)")
        }
        await fleet.stop()
    }

    @Test("transactional intake: a committed varsel.enqueue is sent once, a rolled-back one never, an invalid one is reported with its error; a wake-up, not the poll, picks them up")
    func intake() async throws {
        // Ten minutes between polls: only LISTEN/NOTIFY can bring these messages out within the test.
        let fleet = try await Fleet(sandbox: SandboxGateway(), pollMilliseconds: 600_000)
        let daemon = try fleet.startDaemon()
        #expect(await eventually(timeout: .seconds(60)) { daemon.announcedPort != nil }, "\(daemon.stderr)")
        // The daemon's first look found nothing; from here on only notices wake it.
        try await Task.sleep(for: .seconds(1))

        let committed = Fixtures.sms(key: "intake-commit")
        let rows = try await fleet.transaction(["SELECT varsel.enqueue(\(committed)::jsonb)"], commit: true)
        let intakeID = try #require(try rows.first?.decode(Int64.self))
        _ = try await fleet.transaction(["SELECT varsel.enqueue(\(Fixtures.sms(key: "intake-rollback"))::jsonb)"], commit: false)
        let invalid = #"{"kind":"reminder","recipient":{"phone":"not a phone"},"data":{}}"#
        _ = try await fleet.transaction(["SELECT varsel.enqueue(\(invalid)::jsonb)"], commit: true)

        #expect(await eventually(timeout: .seconds(60)) { fleet.sandbox.received.count == 1 }, "\(daemon.stderr)")
        #expect(fleet.sandbox.received.first?.idempotencyKey?.hasSuffix(".sms") == true)
        let messageID = try await fleet.store.client.withConnection { connection in
            try await connection.query("SELECT message_id FROM varsel.intake WHERE id = \(intakeID)", logger: quietLogger).collect().first?.decode(String?.self)
        }
        #expect(messageID != nil)
        #expect(await eventually(timeout: .seconds(30)) { (try? await fleet.store.intakeErrors(limit: 10, before: nil).count) == 1 })

        // The same key again through intake is the same message, not a second one.
        _ = try await fleet.transaction(["SELECT varsel.enqueue(\(committed)::jsonb)"], commit: true)
        #expect(await eventually(timeout: .seconds(30)) {
            let pending = try? await fleet.store.client.withConnection { connection in
                try await connection.query("SELECT count(*) FROM varsel.intake WHERE accepted_at IS NULL AND rejected_at IS NULL", logger: quietLogger)
                    .collect().first?.decode(Int.self)
            }
            return pending == 0
        })
        try await Task.sleep(for: .seconds(1))
        #expect(fleet.sandbox.received.count == 1, "sent once")
        #expect(try await fleet.store.countByState() == [.sent: 1])

        // The rejected row through the API and the CLI.
        let port = try #require(daemon.announcedPort)
        let token = try await ChildProcess.run(["token", "create", "--config", fleet.configPath, "--scopes", "read"])
        let client = APIClient(baseURL: "http://127.0.0.1:\(port)", token: token.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        let (status, body) = try await client.send("GET", "/v1/intake/errors")
        client.close()
        #expect(status == 200)
        let reply = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        let errors = try #require(reply["errors"] as? [[String: Any]])
        #expect(errors.count == 1)
        #expect((errors.first?["error"] as? String)?.contains("recipient.phone") == true, "\(errors)")
        #expect(((errors.first?["message"] as? [String: Any])?["recipient"] as? [String: Any])?["phone"] as? String == "not a phone")
        let cli = try await ChildProcess.run(["intake", "errors", "--config", fleet.configPath])
        #expect(cli.status == 0, "\(cli.stderr)")
        #expect(cli.stdout.contains("recipient.phone"))
        // SIGTERM stops a daemon on PostgreSQL in order too (its listener and intake loop end).
        daemon.signal(SIGTERM)
        #expect(await daemon.wait(timeout: .seconds(20)) == 0, "\(daemon.stderr)")
        await fleet.stop()
    }
}
