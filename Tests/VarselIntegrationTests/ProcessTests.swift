import Foundation
import Testing
import VarselCore
import VarselDaemon
import VarselStore
import VarselTemplates
import VarselTestSupport

/// `varsel serve` and the CLI as separate processes: crashes, signals, bad configuration, output contracts.
@Suite(.serialized) struct ProcessTests {
    static func writeConfig(
        _ directory: TemporaryDirectory, gatewayBase: String, templates: String = Paths.templates, timeoutMs: Int = 20_000, leaseSeconds: Int = 60
    ) -> String {
        directory.write(
            "varsel.yaml",
            Fixtures.config(
                storePath: directory.file("varsel.db"), gatewayBase: gatewayBase, templates: templates, workerID: "proc", leaseSeconds: leaseSeconds,
                timeoutMs: timeoutMs))
    }

    static func enqueue(_ config: String, _ lines: [String]) async throws -> [[String: Any]] {
        let run = try await ChildProcess.run(["enqueue", "--config", config, "-"], stdin: Data(lines.joined(separator: "\n").utf8))
        return ndjsonObjects(run.stdout)
    }

    @Test("a message leased by a process killed mid-send is sent after restart, with the same Idempotency-Key, and the lost attempt is marked ambiguous")
    func killedMidSend() async throws {
        let directory = TemporaryDirectory()
        // The gateway holds the request past any time the test may take to see it and kill the daemon
        // (a loaded machine can starve the test for tens of seconds), and neither the request's
        // timeout nor the lease runs out before: the kill always finds the send in flight.
        let sandbox = SandboxGateway(behaviour: .init(delay: .seconds(600)))
        try await sandbox.start()
        let config = Self.writeConfig(directory, gatewayBase: sandbox.baseURL, timeoutMs: 600_000, leaseSeconds: 900)
        let id = try #require(try await Self.enqueue(config, [Fixtures.sms(key: "crash-1")]).first?["id"] as? String)

        let first = try ChildProcess(arguments: ["serve", "--config", config])
        #expect(await eventually { sandbox.received.count == 1 }, "the first run never sent: \(first.stderr)")
        first.signal(SIGKILL)
        await first.wait(timeout: .seconds(10))

        let store = try SQLiteMessageStore(path: directory.file("varsel.db"))
        let during = try #require(try await store.status(id: id))
        #expect(during.state == .sending)
        #expect(during.attempts.map(\.outcome) == [.pending])

        sandbox.setBehaviour(.init())
        let second = try ChildProcess(arguments: ["serve", "--config", config])
        #expect(await eventually { (try? await store.status(id: id))?.state == .sent }, "not sent after restart: \(second.stderr)")
        second.signal(SIGTERM)
        #expect(await second.wait(timeout: .seconds(20)) == 0)

        let after = try #require(try await store.status(id: id))
        #expect(after.attempts.map(\.outcome) == [.ambiguous, .accepted])
        #expect(Set(after.attempts.map(\.idempotencyKey)) == ["\(id).sms"])
        #expect(after.decisions.contains { $0.text.contains("lease reclaimed") })
        let keys = sandbox.received.map(\.idempotencyKey)
        #expect(keys == ["\(id).sms", "\(id).sms"])
        #expect(sandbox.received.last?.repeatedKey == true)
        #expect(sandbox.received[0].body == sandbox.received[1].body, "the resend must carry the same content")
        await sandbox.stop()
    }

    @Test("varsel serve allocates from at most its limit of malloc arenas while sending (two a core and four more, at least eight); MALLOC_ARENA_MAX and MALLOC_TRIM_THRESHOLD_ in the environment are left to glibc")
    func mallocArenas() async throws {
        let operatorsChoice = MallocSettings.apply(environment: ["MALLOC_ARENA_MAX": "8", "MALLOC_TRIM_THRESHOLD_": "1048576"])
        #expect(operatorsChoice.arenaLimit == nil && operatorsChoice.trimThreshold == nil, "the operator's choice stands")
        let arenasOnly = MallocSettings.apply(environment: ["MALLOC_TRIM_THRESHOLD_": "1048576"])
        #expect(arenasOnly.arenaLimit == MallocSettings.defaultArenaLimit && arenasOnly.trimThreshold == nil)
        let both = MallocSettings.apply(environment: [:])
        #expect(both.arenaLimit == MallocSettings.defaultArenaLimit && both.trimThreshold == 128 * 1024)
        #expect([1, 2, 4, 16, 64].map(MallocSettings.defaultArenaLimit(cores:)) == [8, 8, 12, 36, 132])
        #expect(MallocSettings.defaultArenaLimit == MallocSettings.defaultArenaLimit(cores: ProcessInfo.processInfo.activeProcessorCount))
        let directory = TemporaryDirectory()
        let sandbox = SandboxGateway()
        try await sandbox.start()
        let config = Self.writeConfig(directory, gatewayBase: sandbox.baseURL)
        let lines = (0..<300).map { index in
            [Fixtures.sms(key: "a\(index)", phone: "+47912\(String(format: "%05d", index))"), Fixtures.email(key: "e\(index)")][index % 2]
        }
        #expect(try await Self.enqueue(config, lines).count == 300)
        let serve = try ChildProcess(arguments: ["serve", "--config", config])
        let store = try SQLiteMessageStore(path: directory.file("varsel.db"))
        #expect(await eventually { ((try? await store.countByState()) ?? [:])[.sent] == 300 }, "not all sent: \(serve.stderr)")
        let maps = try String(contentsOfFile: "/proc/\(serve.pid)/maps", encoding: .utf8)
        serve.signal(SIGTERM)
        #expect(await serve.wait(timeout: .seconds(30)) == 0)
        await sandbox.stop()
        // Besides the main arena (the brk heap), each arena is 64 MiB of anonymous memory at a 64 MiB
        // boundary (its used part and its reserve); unlimited, a sending daemon had thirteen.
        #expect(Self.mallocArenas(maps) <= MallocSettings.defaultArenaLimit - 1, "\(maps)")
    }

    /// The arenas glibc mapped besides the main one, read from `/proc/PID/maps`.
    static func mallocArenas(_ maps: String) -> Int32 {
        let size: UInt64 = 64 << 20
        let regions: [(start: UInt64, end: UInt64, anonymous: Bool)] = maps.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            let bounds = fields.first?.split(separator: "-") ?? []
            guard fields.count >= 5, bounds.count == 2, let start = UInt64(bounds[0], radix: 16), let end = UInt64(bounds[1], radix: 16) else { return nil }
            return (start, end, fields.count == 5 && fields[4] == "0")
        }
        var count: Int32 = 0
        for (index, region) in regions.enumerated() where region.anonymous && region.start % size == 0 {
            var end = region.end
            var next = index + 1
            while next < regions.count, regions[next].anonymous, regions[next].start == end, end - region.start < size {
                end = regions[next].end
                next += 1
            }
            if end - region.start == size { count += 1 }
        }
        return count
    }

    @Test("SIGTERM stops leasing, lets sends in flight finish and record, and exits 0")
    func sigtermDrains() async throws {
        let directory = TemporaryDirectory()
        let sandbox = SandboxGateway(behaviour: .init(delay: .milliseconds(400)))
        try await sandbox.start()
        let config = Self.writeConfig(directory, gatewayBase: sandbox.baseURL)
        let lines = (0..<5).map { Fixtures.sms(key: "t\($0)", phone: "+4791\(String(format: "%06d", $0))") }
        #expect(try await Self.enqueue(config, lines).count == 5)
        let serve = try ChildProcess(arguments: ["serve", "--config", config])
        #expect(await eventually { sandbox.received.count >= 1 })
        serve.signal(SIGTERM)
        #expect(await serve.wait(timeout: .seconds(20)) == 0, "\(serve.stderr)")
        #expect(serve.stderr.contains("stopping on signal"))
        let store = try SQLiteMessageStore(path: directory.file("varsel.db"))
        let counts = try await store.countByState()
        #expect(counts[.sending] == nil, "a send in flight was left unrecorded: \(counts)")
        #expect(counts[.sent] == sandbox.received.count)
        await sandbox.stop()
    }

    @Test("while SIGTERM drains a send in flight, the API still takes delivery receipts; it stops after the dispatcher")
    func receiptsDuringDrain() async throws {
        let directory = TemporaryDirectory()
        let sandbox = SandboxGateway()
        try await sandbox.start()
        let config = directory.write(
            "varsel.yaml",
            Fixtures.config(storePath: directory.file("varsel.db"), gatewayBase: sandbox.baseURL, workerID: "drain")
                .replacingOccurrences(of: "connect_timeout_ms: 2000 }", with: "connect_timeout_ms: 2000, receipts: { signature: none } }"))
        let first = try #require(try await Self.enqueue(config, [Fixtures.sms(key: "drain-1")]).first?["id"] as? String)
        let serve = try ChildProcess(arguments: ["serve", "--config", config])
        let store = try SQLiteMessageStore(path: directory.file("varsel.db"))
        #expect(await eventually(timeout: .seconds(60)) { (try? await store.status(id: first))?.state == .sent }, "\(serve.stderr)")
        let providerID = try #require(try await store.status(id: first)?.attempts.last?.providerID)
        let port = try #require(serve.announcedPort)

        // The next send is held by the gateway for a while: the drain waits for it.
        sandbox.setBehaviour(.init(delay: .seconds(20)))
        let second = try #require(try await Self.enqueue(config, [Fixtures.sms(key: "drain-2", phone: "+4791000002")]).first?["id"] as? String)
        #expect(await eventually(timeout: .seconds(60)) { sandbox.received.count == 2 }, "\(serve.stderr)")
        serve.signal(SIGTERM)
        #expect(await eventually(timeout: .seconds(60)) { serve.stderr.contains("stopping on signal") })

        let client = APIClient(baseURL: "http://127.0.0.1:\(port)", token: nil)
        let reply = try await client.send(
            "POST", "/v1/receipts/sms-main", body: Data(#"{"provider_id":"\#(providerID)","status":"delivered"}"#.utf8))
        client.close()
        #expect(reply.status == 200, "the API must still take receipts while sends in flight drain")
        #expect(await serve.wait(timeout: .seconds(60)) == 0, "\(serve.stderr)")
        #expect(try await store.status(id: first)?.state == .delivered)
        #expect(try await store.status(id: second)?.state == .sent, "the send in flight was recorded before the stop")
        await sandbox.stop()
    }

    @Test("a second daemon with the same worker_id never takes the live lease of the first; a daemon started after the first was killed takes it back at once")
    func sameWorkerIDTwoDaemons() async throws {
        let directory = TemporaryDirectory()
        let sandbox = SandboxGateway(behaviour: .init(delay: .seconds(600)))
        try await sandbox.start()
        // Leases far longer than the test: only a reclaim at start-up can bring the message back.
        let config = directory.write(
            "varsel.yaml",
            Fixtures.config(storePath: directory.file("varsel.db"), gatewayBase: sandbox.baseURL, workerID: "same-name", leaseSeconds: 900, timeoutMs: 600_000))
        let id = try #require(try await Self.enqueue(config, [Fixtures.sms(key: "twin-1")]).first?["id"] as? String)
        let store = try SQLiteMessageStore(path: directory.file("varsel.db"))

        let first = try ChildProcess(arguments: ["serve", "--config", config])
        #expect(await eventually(timeout: .seconds(60)) { sandbox.received.count == 1 }, "the first daemon never sent: \(first.stderr)")
        let second = try ChildProcess(arguments: ["serve", "--config", config])
        #expect(await eventually(timeout: .seconds(60)) { second.announcedPort != nil }, "\(second.stderr)")
        #expect(!second.stderr.contains("reclaimed leases"), "\(second.stderr)")
        let during = try #require(try await store.status(id: id))
        #expect(during.state == .sending, "the first daemon's lease must hold")
        #expect(during.attempts.map(\.outcome) == [.pending])
        #expect(sandbox.received.count == 1)
        #expect(try await store.activeRuns().filter { $0.workerID == "same-name" }.count == 2)

        first.signal(SIGKILL)
        await first.wait(timeout: .seconds(30))
        sandbox.setBehaviour(.init())
        let third = try ChildProcess(arguments: ["serve", "--config", config])
        #expect(await eventually(timeout: .seconds(120)) { (try? await store.status(id: id))?.state == .sent }, "\(third.stderr)")
        #expect(third.stderr.contains("reclaimed leases of a previous run count=1"), "\(third.stderr)")
        let after = try #require(try await store.status(id: id))
        #expect(after.attempts.map(\.outcome) == [.ambiguous, .accepted])
        #expect(sandbox.received.count == 2)
        #expect(Set(sandbox.received.map(\.idempotencyKey)) == ["\(id).sms"])

        second.signal(SIGTERM)
        third.signal(SIGTERM)
        #expect(await second.wait(timeout: .seconds(60)) == 0)
        let thirdStatus = await third.wait(timeout: .seconds(60))
        #expect(thirdStatus == 0, "status \(String(describing: thirdStatus)), reason \(third.endedBySignal ? "signal" : "exit"): \(third.stderr)")
        #expect(try await store.activeRuns().isEmpty, "clean stops and the killed run are all marked stopped")
        await sandbox.stop()
    }

    @Test("migrate brings a new store to the current schema and says which migrations it applied; run again it applies none; a store directory that does not exist is an error")
    func migrate() async throws {
        let directory = TemporaryDirectory()
        let config = Self.writeConfig(directory, gatewayBase: "http://127.0.0.1:\(closedLoopbackPort())")
        let first = try await ChildProcess.run(["migrate", "--config", config])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("store sqlite \(directory.file("varsel.db")): schema v20-attempts-counted-with-outcome; applied 20 migration(s): v1, v2-tokens"), "\(first.stdout)")
        let second = try await ChildProcess.run(["migrate", "--config", config])
        #expect(second.status == 0)
        #expect(second.stdout.contains("schema v20-attempts-counted-with-outcome, already current"), "\(second.stdout)")
        let elsewhere = directory.write(
            "elsewhere.yaml", Fixtures.config(storePath: directory.file("missing/dir/varsel.db"), gatewayBase: "http://127.0.0.1:1"))
        let missing = try await ChildProcess.run(["migrate", "--config", elsewhere])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("does not exist"), "\(missing.stderr)")
    }

    @Test("enqueue opens the store while it reads its first lines: into a new store every line is stored and answered; a store that cannot be opened is one error and no result, whatever the input", arguments: ["lines", "invalid", "empty"])
    func enqueueWhileTheStoreOpens(_ input: String) async throws {
        let directory = TemporaryDirectory()
        let text = switch input {
        case "lines": (0..<2_500).map { Fixtures.sms(key: "open-\($0)") }.joined(separator: "\n")
        case "invalid": "{\"kind\": 1}"
        default: ""
        }
        let config = Self.writeConfig(directory, gatewayBase: "http://127.0.0.1:\(closedLoopbackPort())")
        let stored = try await ChildProcess.run(["enqueue", "--config", config, "-"], stdin: Data(text.utf8))
        let results = stored.stdout.split(separator: "\n")
        switch input {
        case "lines":
            #expect(stored.status == 0, "\(stored.stderr)")
            #expect(results.count == 2_500 && results.allSatisfy { $0.contains(#""state":"queued""#) }, "\(stored.stdout.prefix(500))")
            let store = try SQLiteMessageStore(path: directory.file("varsel.db"))
            #expect(try await store.countByState() == [.queued: 2_500])
        default:
            #expect(stored.status != 0)
            #expect(results.count == 1 && results[0].contains(#""error""#), "\(stored.stdout)")
        }
        let elsewhere = directory.write(
            "elsewhere.yaml", Fixtures.config(storePath: directory.file("missing/dir/varsel.db"), gatewayBase: "http://127.0.0.1:1"))
        let missing = try await ChildProcess.run(["enqueue", "--config", elsewhere, "-"], stdin: Data(text.utf8))
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("does not exist"), "\(missing.stderr)")
        #expect(missing.stdout.isEmpty, "\(missing.stdout.prefix(500))")
    }

    @Test("serve refuses a bad configuration with one clear error before anything is leased", arguments: [
        ("channels:\n  fax: { gateways: [sms-main] }", "channels.fax: unknown channel"),
        ("gateways:\n  sms-main: { type: http-json, from: X }", "gateways.sms-main.url: required"),
        ("templates: { dir: /nonexistent/templates }", "not a readable directory"),
        ("gateways:\n  sms-main: { type: http-json, url: \"http://127.0.0.1:1/sms\", auth_token: hunter2 }", "secrets are never read from the YAML file"),
    ])
    func badConfig(override: String, expected: String) async throws {
        let directory = TemporaryDirectory()
        let config = Self.writeConfig(directory, gatewayBase: "http://127.0.0.1:1")
        let id = try #require(try await Self.enqueue(config, [Fixtures.sms(key: "bad")]).first?["id"] as? String)
        // Later keys replace earlier ones in the merged tree; append the faulty section.
        var text = try String(contentsOfFile: config, encoding: .utf8)
        if override.hasPrefix("gateways:") || override.hasPrefix("channels:") {
            let section = override.hasPrefix("gateways:") ? "gateways:" : "channels:"
            let name = override.hasPrefix("gateways:") ? "  sms-main:" : "  fax:"
            text = text.split(separator: "\n").filter { !$0.hasPrefix(name) }.joined(separator: "\n")
            text = text.replacingOccurrences(of: section + "\n", with: override + "\n")
        } else {
            text = text.split(separator: "\n").filter { !$0.hasPrefix("templates:") }.joined(separator: "\n") + "\n" + override
        }
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        let run = try await ChildProcess.run(["serve", "--config", config], timeout: .seconds(20))
        #expect(run.status != 0 && run.status != nil)
        #expect(run.stderr.contains(expected), "stderr: \(run.stderr)")
        #expect(!run.stderr.contains("hunter2"), "a secret leaked into the error")
        let store = try SQLiteMessageStore(path: directory.file("varsel.db"))
        #expect(try await store.status(id: id)?.state == .queued)
        #expect(try await store.status(id: id)?.attempts.isEmpty == true)
    }

    @Test("enqueue prints one JSON object per line, rejects a bad line with its number and field, stores only the good lines, and exits non-zero")
    func enqueueOutput() async throws {
        let directory = TemporaryDirectory()
        let config = Self.writeConfig(directory, gatewayBase: "http://127.0.0.1:1")
        let input = [
            Fixtures.sms(key: "a"),
            #"{"kind":"reminder","recipient":{"phone":"+4791234567"},"data":{"creditor":"x"}"#,
            "",
            Fixtures.email(key: "b").replacingOccurrences(of: "sven@example.se", with: "not-an-email"),
            Fixtures.letter(key: "c"),
        ].joined(separator: "\n")
        let run = try await ChildProcess.run(["enqueue", "--config", config, "-"], stdin: Data(input.utf8))
        #expect(run.status == 1)
        let lines = run.stdout.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(lines.count == 4)
        #expect(lines[0]?["line"] as? Int == 1 && lines[0]?["state"] as? String == "queued" && (lines[0]?["id"] as? String)?.hasPrefix("msg_") == true)
        #expect(lines[1]?["line"] as? Int == 2 && (lines[1]?["error"] as? String)?.contains("not valid JSON") == true)
        #expect(lines[2]?["line"] as? Int == 4 && (lines[2]?["error"] as? String)?.contains("recipient.email") == true)
        #expect(lines[3]?["line"] as? Int == 5 && lines[3]?["state"] as? String == "queued")
        let store = try SQLiteMessageStore(path: directory.file("varsel.db"))
        #expect(try await store.countByState() == [.queued: 2])

        let good = try await ChildProcess.run(["enqueue", "--config", config, "-"], stdin: Data(Fixtures.sms(key: "a").utf8))
        #expect(good.status == 0)
        #expect(good.stdout.contains(#""duplicate":true"#))
    }

    @Test("enqueue whose results cannot be written (standard output on a full disk) says so and how many lines were stored, and exits non-zero")
    func enqueueOutputLost() async throws {
        let directory = TemporaryDirectory()
        let config = Self.writeConfig(directory, gatewayBase: "http://127.0.0.1:1")
        let child = try ChildProcess(
            arguments: ["-c", #"exec "$0" enqueue --config "$1" - > /dev/full"#, Paths.varselBinary, config],
            stdin: Data([Fixtures.sms(key: "full-1"), Fixtures.sms(key: "full-2")].joined(separator: "\n").utf8), executable: "/bin/sh")
        let status = await child.wait(timeout: .seconds(60))
        #expect(status == 1, "\(child.stderr)")
        #expect(child.stderr.contains("2 line(s) were stored, but their results could not be written to standard output"), "\(child.stderr)")
        #expect(child.stderr.contains("nothing after them was read or stored"), "\(child.stderr)")
        #expect(child.stderr.contains("space"), "the cause is named: \(child.stderr)")
        let store = try SQLiteMessageStore(path: directory.file("varsel.db"))
        #expect(try await store.countByState() == [.queued: 2])
    }

    @Test("enqueue reads a file of several chunks as it goes and stores every line in order; a file it cannot open or read is named with the reason, and nothing is stored")
    func enqueueReadsAsItGoes() async throws {
        let directory = TemporaryDirectory()
        let config = Self.writeConfig(directory, gatewayBase: "http://127.0.0.1:1")
        // Longer than two chunks and than many reads; the last line without its LF, CRLF in the middle.
        let lines = (1...2_500).map { Fixtures.sms(key: "file-\($0)") }
        let file = directory.write("messages.ndjson", lines[..<1_200].joined(separator: "\n") + "\r\n" + lines[1_200...].joined(separator: "\n"))
        let run = try await ChildProcess.run(["enqueue", "--config", config, file])
        #expect(run.status == 0, "\(run.stderr)")
        let results = ndjsonObjects(run.stdout)
        #expect(results.map { $0["line"] as? Int } == Array(1...2_500))
        let ids = results.compactMap { $0["id"] as? String }
        #expect(ids.count == 2_500 && ids == ids.sorted(), "every line stored, ids in input order")

        let missing = try await ChildProcess.run(["enqueue", "--config", config, directory.file("absent.ndjson")])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("cannot read \(directory.file("absent.ndjson")): No such file or directory"), "\(missing.stderr)")
        let folder = try await ChildProcess.run(["enqueue", "--config", config, directory.path])
        #expect(folder.status == 1)
        #expect(folder.stderr.contains("cannot read \(directory.path) to its end (Is a directory); 0 line(s) before it were stored"), "\(folder.stderr)")
        let store = try SQLiteMessageStore(path: directory.file("varsel.db"))
        #expect(try await store.countByState() == [.queued: 2_500])
    }

    @Test("enqueue prints a chunk's results once the chunk is committed, before the rest of its input has arrived; a failed line among them still fails the run")
    func enqueuePrintsAsItCommits() async throws {
        let directory = TemporaryDirectory()
        let config = Self.writeConfig(directory, gatewayBase: "http://127.0.0.1:1")
        // One whole chunk (1,000 lines, one of them invalid), then nothing until the test has seen the
        // chunk's results, then 500 more lines. Were results printed at the end only, the first 1,000
        // would never show while the input waits.
        var first = (1...1_000).map { Fixtures.sms(key: "early-\($0)") }
        first[499] = #"{"kind": "reminder"}"#
        let firstFile = directory.write("first.ndjson", first.joined(separator: "\n") + "\n")
        let restFile = directory.write("rest.ndjson", (1...500).map { Fixtures.sms(key: "late-\($0)") }.joined(separator: "\n") + "\n")
        let go = directory.file("go")
        let script = #"{ cat "$2"; i=0; while [ ! -e "$4" ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done; cat "$3"; } | exec "$0" enqueue --config "$1" -"#
        let child = try ChildProcess(arguments: ["-c", script, Paths.varselBinary, config, firstFile, restFile, go], executable: "/bin/sh")
        func printed() -> [[String: Any]] {
            ndjsonObjects(child.stdout)
        }
        let early = await eventually { printed().count >= 1_000 }
        FileManager.default.createFile(atPath: go, contents: Data())
        #expect(early, "the first chunk's results were printed while the input waited (\(printed().count) printed)")
        #expect(await child.wait(timeout: .seconds(120)) == 1, "one line was refused: \(child.stderr)")
        let results = printed()
        #expect(results.map { $0["line"] as? Int } == Array(1...1_500))
        #expect((results[499]["error"] as? String)?.contains("recipient") == true, "\(results[499])")
        let ids = results.compactMap { $0["id"] as? String }
        #expect(ids.count == 1_499 && ids == ids.sorted())
        let store = try SQLiteMessageStore(path: directory.file("varsel.db"))
        #expect(try await store.countByState() == [.queued: 1_499])
    }

    @Test("enqueue holds data to the kinds' schemas read on their own: a template that does not parse leaves the check on, a schema that does not parse turns it off")
    func enqueueReadsSchemasAlone() async throws {
        let directory = TemporaryDirectory()
        let templates = TemporaryDirectory()
        Fixtures.writeMiniTemplates(templates, sms: "{{creditor}} {{creditor_phone}}", phoneRequired: true)
        templates.write("reminder/en/direct/email.mustache", "{{#creditor}} never closed")
        // The set as a whole does not load: its schema is all the check has.
        #expect(throws: TemplateSetError.self) { try TemplateSet(directory: templates.path, files: TemplateSetLoader.readFiles(templates.path)) }
        let config = Self.writeConfig(directory, gatewayBase: "http://127.0.0.1:1", templates: templates.path)
        func enqueue(_ message: String) async throws -> (status: Int32?, stdout: String, stderr: String) {
            try await ChildProcess.run(["enqueue", "--config", config, "-"], stdin: Data(message.utf8))
        }

        let refused = try await enqueue(Fixtures.sms(key: "no-phone"))
        #expect(refused.status == 1)
        #expect(refused.stdout.contains("data.creditor_phone: required by the templates of kind reminder (_schema/reminder.yaml)"), "\(refused.stdout)")
        let data = Fixtures.data.replacingOccurrences(of: "}", with: #","creditor_phone":"22 12 34 56"}"#)
        let accepted = try await enqueue(Fixtures.message(key: "phone", recipient: #""locale":"nb-NO","country":"NO","phone":"+4791234567""#, data: data))
        #expect(accepted.status == 0, "\(accepted.stdout)")

        templates.write("_schema/reminder.yaml", "fields: [")
        let unchecked = try await enqueue(Fixtures.sms(key: "no-phone-unchecked"))
        #expect(unchecked.status == 0, "\(unchecked.stdout)")
        let store = try SQLiteMessageStore(path: directory.file("varsel.db"))
        #expect(try await store.countByState() == [.queued: 2])
    }

    @Test("an enqueue is on disk before it is acknowledged: under strace, the commit's frames in the write-ahead log are synced before the result is printed")
    func enqueueSyncedBeforeAcknowledged() async throws {
        let directory = TemporaryDirectory()
        let config = Self.writeConfig(directory, gatewayBase: "http://127.0.0.1:1")
        // The store exists already (created, migrated, its log checkpointed): the enqueue's own commit is the last write.
        #expect(try await Self.enqueue(config, [Fixtures.sms(key: "first")]).first?["id"] != nil)
        let input = directory.write("message.json", Fixtures.sms(key: "traced"))
        let trace = directory.file("enqueue.trace")
        let strace = try Self.strace()
        // -y names each descriptor's file (`7</…/varsel.db-wal>`), -s shows enough of the result line.
        let child = try ChildProcess(
            arguments: ["-f", "-qq", "-y", "-s", "200", "-o", trace, "-e", "trace=pwrite64,pwritev,write,fsync,fdatasync", Paths.varselBinary, "enqueue", "--config", config, input],
            executable: strace)
        #expect(await child.wait(timeout: .seconds(120)) == 0, "\(child.stderr)")
        #expect(child.stdout.contains(#""state":"queued""#), "\(child.stdout)")

        // In call order: the last frame written to the log before the result goes out must be
        // followed by a sync of the log, also before it (a sync of any descriptor of the file).
        let log = try Self.logWrites(trace: trace, store: directory.file("varsel.db")) { line in
            Self.calls(line, "write") && line.contains(" write(1<") && line.contains("queued")
        }
        let ack = try #require(log.marked, "no result line in the trace")
        let frame = try #require(log.lastFrame, "no write to the log before the result")
        #expect((log.lastSync ?? -1) > frame, "the log's last frame (trace line \(frame + 1)) was not synced before the result (line \(ack + 1))")
    }

    @Test("varsel serve has the attempt it opens on disk before the request leaves for the gateway: its log's last frame is synced first (traced with strace)")
    func attemptSyncedBeforeRequestLeaves() async throws {
        let directory = TemporaryDirectory()
        let sandbox = SandboxGateway()
        try await sandbox.start()
        let config = Self.writeConfig(directory, gatewayBase: sandbox.baseURL)
        #expect(try await Self.enqueue(config, [Fixtures.sms(key: "traced-send")]).first?["id"] != nil)
        let trace = directory.file("serve.trace")
        let strace = try Self.strace()
        // -yy names each descriptor's file or socket (`7</…/varsel.db-wal>`, `9<TCP:[…->127.0.0.1:port]>`).
        let child = try ChildProcess(
            arguments: ["-f", "--seccomp-bpf", "-qq", "-yy", "-s", "64", "-o", trace, "-e", "trace=pwrite64,pwritev,fsync,fdatasync,write,writev,sendto,sendmsg",
                        Paths.varselBinary, "serve", "--config", config],
            executable: strace)
        let sent = await eventually(timeout: .seconds(120)) { sandbox.received.count == 1 }
        // SIGTERM to the daemon itself (strace's child), which stops at once; strace then exits with it.
        let children = (try? String(contentsOfFile: "/proc/\(child.pid)/task/\(child.pid)/children", encoding: .utf8)) ?? ""
        for pid in children.split(separator: " ").compactMap({ pid_t($0) }) { kill(pid, SIGTERM) }
        await child.terminate()
        await sandbox.stop()
        #expect(sent, "the message was not sent: \(child.stderr)")

        // In call order, up to the first request to the gateway: the last frame written to the log
        // must be followed by a sync of the log before the request.
        let gateway = "->127.0.0.1:\(try #require(URL(string: sandbox.baseURL)?.port))]>"
        let log = try Self.logWrites(trace: trace, store: directory.file("varsel.db")) { line in
            Self.calls(line, "write", "writev", "sendto", "sendmsg") && line.contains(gateway) && line.contains("POST ")
        }
        let sending = try #require(log.marked, "no request to the gateway in the trace")
        let frame = try #require(log.lastFrame, "no write to the log before the request")
        #expect((log.lastSync ?? -1) > frame, "the log's last frame (trace line \(frame + 1)) was not synced before the request (line \(sending + 1))")
    }

    /// The strace executable; the test fails naming the package when there is none.
    static func strace() throws -> String {
        try #require(["/usr/bin/strace", "/bin/strace"].first { FileManager.default.isExecutableFile(atPath: $0) }, "strace is needed (apt-get install strace)")
    }

    /// Whether a line of an strace log is a call of one of `names`.
    static func calls(_ line: Substring, _ names: String...) -> Bool { names.contains { line.contains(" \($0)(") } }

    /// In an strace log taken with `-y`, in call order up to the first line `marks` accepts: the
    /// line of the last frame written to the store's write-ahead log, of the last sync of the log
    /// (of any descriptor of the file), and of the marked line (0-based; nil when there was none).
    static func logWrites(trace: String, store: String, until marks: (Substring) -> Bool) throws
        -> (lastFrame: Int?, lastSync: Int?, marked: Int?)
    {
        let wal = "<" + store + "-wal>"
        var lastFrame: Int?
        var lastSync: Int?
        for (index, line) in try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n").enumerated() {
            if calls(line, "pwrite64", "pwritev"), line.contains(wal) {
                lastFrame = index
            } else if calls(line, "fdatasync", "fsync"), line.contains(wal) {
                lastSync = index
            } else if marks(line) {
                return (lastFrame, lastSync, index)
            }
        }
        return (lastFrame, lastSync, nil)
    }

    @Test("status --json prints the status contract; an unknown id is an error on stderr")
    func statusCommand() async throws {
        let directory = TemporaryDirectory()
        let config = Self.writeConfig(directory, gatewayBase: "http://127.0.0.1:1")
        let id = try #require(try await Self.enqueue(config, [Fixtures.email(key: "st")]).first?["id"] as? String)
        let run = try await ChildProcess.run(["status", "--config", config, id, "--json"])
        #expect(run.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(json["id"] as? String == id)
        #expect(json["state"] as? String == "queued")
        #expect(json["sms"] is NSNull)
        let missing = try await ChildProcess.run(["status", "--config", config, "msg_nope"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("no message with id msg_nope"))
    }
}

/// The CLI against a running daemon over HTTP.
@Suite(.serialized) struct RemoteCLITests {
    @Test("enqueue, status and cancel --case talk to a running daemon with the token from VARSEL_TOKEN")
    func remote() async throws {
        let directory = TemporaryDirectory()
        let config = ProcessTests.writeConfig(directory, gatewayBase: "http://127.0.0.1:\(closedLoopbackPort())")
        let tokenRun = try await ChildProcess.run(["token", "create", "--config", config, "--scopes", "enqueue,read,cancel"])
        let token = tokenRun.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.hasPrefix("vt_"))
        let serve = try ChildProcess(arguments: ["serve", "--config", config])
        #expect(await eventually { serve.announcedPort != nil }, "\(serve.stderr)")
        let server = "http://127.0.0.1:\(serve.announcedPort ?? "0")"
        let later = RFC3339.format(Date().addingTimeInterval(3600))
        let message = Fixtures.sms(key: "remote").replacingOccurrences(of: #""kind""#, with: #""send_after":"\#(later)","kind""#)

        let enqueue = try ChildProcess(arguments: ["enqueue", "--server", server, "-"], environment: ["VARSEL_TOKEN": token], stdin: Data(message.utf8))
        #expect(await enqueue.wait() == 0, "\(enqueue.stderr)")
        let line = try #require(try JSONSerialization.jsonObject(with: Data(enqueue.stdout.utf8)) as? [String: Any])
        let id = try #require(line["id"] as? String)

        let status = try ChildProcess(arguments: ["status", "--server", server, id], environment: ["VARSEL_TOKEN": token])
        #expect(await status.wait() == 0)
        #expect(status.stdout.contains(#""state" : "queued""#))

        let cancel = try ChildProcess(arguments: ["cancel", "--server", server, "--case", "case-remote"], environment: ["VARSEL_TOKEN": token])
        #expect(await cancel.wait() == 0, "\(cancel.stderr)")
        #expect(cancel.stdout.contains(#""cancelled":1"#))

        // A batch with no valid line is a 422 problem; the CLI still prints one result per input line.
        let invalid = try ChildProcess(
            arguments: ["enqueue", "--server", server, "-"], environment: ["VARSEL_TOKEN": token], stdin: Data("{\"kind\":\"reminder\"}\r\nnot json\r\n".utf8))
        #expect(await invalid.wait() == 1)
        let lines = ndjsonObjects(invalid.stdout)
        #expect(lines.map { $0["line"] as? Int } == [1, 2] && lines.allSatisfy { $0["error"] is String }, "\(invalid.stdout) \(invalid.stderr)")
        #expect(invalid.stderr.contains("HTTP 422"), "\(invalid.stderr)")

        // Results that cannot be written (standard output on a full disk): exit 1, and how many were stored.
        let full = try ChildProcess(
            arguments: ["-c", #"exec "$0" enqueue --server "$1" - > /dev/full"#, Paths.varselBinary, server], environment: ["VARSEL_TOKEN": token],
            stdin: Data(message.replacingOccurrences(of: "\"remote\"", with: "\"remote-full\"").utf8), executable: "/bin/sh")
        #expect(await full.wait() == 1, "\(full.stderr)")
        #expect(full.stderr.contains("1 line(s) were stored, but their results could not be written to standard output"), "\(full.stderr)")

        let denied = try ChildProcess(arguments: ["status", "--server", server, id], environment: ["VARSEL_TOKEN": "vt_wrong"])
        #expect(await denied.wait() == 1)
        #expect(denied.stderr.contains("HTTP 401"))
        serve.signal(SIGTERM)
        #expect(await serve.wait() == 0)
    }
}
