import Foundation
import GRDB
import Synchronization
import Testing
import VarselCore
import VarselDaemon
import VarselStore
import VarselTestSupport

/// Crash safety of the whole daemon: kill -9 at random moments, and a stale worker after SIGSTOP.
@Suite(.serialized) struct CrashSafetyTests {
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// A configuration file on the store `storeLine` (`StoreBackend.configLine`: share one line to share the store).
    static func config(
        _ directory: TemporaryDirectory, storeLine: String, gateway: String, worker: String, lease: Int = 60, timeoutMs: Int = 10_000, name: String = "varsel.yaml"
    ) -> String {
        directory.write(
            name,
            Fixtures.config(
                storePath: directory.file("varsel.db"), gatewayBase: gateway, workerID: worker, maxInFlight: 32, leaseSeconds: lease,
                timeoutMs: timeoutMs, extraDispatch: ", shutdown_grace_seconds: 5")
                .replacingOccurrences(of: "store: { path: \"\(directory.file("varsel.db"))\" }", with: storeLine)
                + "\nretry: { min_backoff: 0s, max_backoff: 0s }\n")
    }

    @Test(
        "kill -9 at random moments, restart: every message ends in exactly one terminal state, none is lost, and every duplicate carried the same key and is marked ambiguous",
        arguments: StoreBackend.allCases)
    func killLoop(backend: StoreBackend) async throws {
        let cycles = Int(ProcessInfo.processInfo.environment["VARSEL_KILL_CYCLES"] ?? "") ?? 50
        let messages = 300
        let seed = UInt64(ProcessInfo.processInfo.environment["VARSEL_KILL_SEED"] ?? "") ?? UInt64(Date().timeIntervalSince1970)
        var random = SeededGenerator(state: seed)
        let directory = TemporaryDirectory()
        let sandbox = SandboxGateway(behaviour: .init(delay: .milliseconds(15)))
        try await sandbox.start()
        let config = Self.config(directory, storeLine: try await backend.configLine(directory), gateway: sandbox.baseURL, worker: "killed")
        let lines = (0..<messages).map { Fixtures.sms(key: "kill-\($0)", phone: "+4791\(String(format: "%06d", $0))") }
        let enqueue = try await ChildProcess.run(["enqueue", "--config", config, "-"], stdin: Data(lines.joined(separator: "\n").utf8))
        #expect(enqueue.status == 0)

        for _ in 0..<cycles {
            let child = try ChildProcess(arguments: ["serve", "--config", config, "--log-level", "error"])
            try await Task.sleep(for: .milliseconds(Int.random(in: 30...250, using: &random)))
            child.signal(SIGKILL)
            await child.wait(timeout: .seconds(10))
        }
        let store = try await StoreBackend.open(configPath: config)
        let final = try ChildProcess(arguments: ["serve", "--config", config, "--log-level", "notice"])
        #expect(await eventually { final.stderr.contains("ready") }, "\(final.stderr)")
        let settled = await eventually(timeout: .seconds(120)) {
            let counts = (try? await store.countByState()) ?? [:]
            return counts[.queued] == nil && counts[.sending] == nil
        }
        final.signal(SIGTERM)
        #expect(await final.wait(timeout: .seconds(30)) == 0)
        let counts = try await store.countByState()
        #expect(settled, "messages still not terminal: \(counts)")

        let terminal = counts.filter { $0.key.isTerminal }.values.reduce(0, +)
        var byKey: [String: Int] = [:]
        for request in sandbox.received { byKey[request.idempotencyKey ?? "?", default: 0] += 1 }
        var duplicates = 0
        var lost = 0
        var unmarked = 0
        for page in try await store.list(caseRef: nil, state: nil, limit: messages + 10, after: nil).map(\.id) {
            guard let status = try await store.status(id: page) else {
                lost += 1
                continue
            }
            let seen = byKey["\(status.id).sms"] ?? 0
            if status.state == .sent, seen == 0 { lost += 1 }
            if seen > 1 {
                duplicates += 1
                if !status.attempts.contains(where: { $0.outcome == .ambiguous }) { unmarked += 1 }
            }
        }
        let listed = try await store.list(caseRef: nil, state: nil, limit: messages + 10, after: nil).count
        print("kill loop (\(backend.rawValue)): seed \(seed), \(cycles) kill -9 cycles, \(messages) messages, \(terminal) terminal (\(counts.map { "\($0.key.rawValue) \($0.value)" }.sorted().joined(separator: ", "))), gateway requests \(sandbox.received.count), messages seen twice or more \(duplicates) (all with one key: \(byKey.keys.allSatisfy { $0.hasSuffix(".sms") })), unmarked duplicates \(unmarked), lost \(lost)")
        #expect(listed == messages)
        #expect(terminal == messages)
        #expect(counts[.sent] == messages)
        #expect(lost == 0)
        #expect(unmarked == 0)
        #expect(byKey.keys.allSatisfy { $0.hasSuffix(".sms") }, "every request carries the message's key")
        await sandbox.stop()
        await store.close()
    }

    @Test("a worker paused (SIGSTOP) beyond its lease cannot record its late result after SIGCONT; the other worker's send stands", arguments: StoreBackend.allCases)
    func staleWorker(backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        // Worker a is paused the moment its request reaches the gateway, before any answer can leave,
        // however slowly the test itself runs (no race against the 500 ms reply).
        let workerA = Mutex<(pid: Int32?, paused: Bool)>((nil, false))
        let sqliteFile = backend == .sqlite ? directory.file("varsel.db") : nil
        let sandbox = SandboxGateway(behaviour: .init(delay: .milliseconds(500)), log: { _ in
            // Set just after the spawn, so always there already; waited for rather than assumed.
            let deadline = ContinuousClock.now + .seconds(30)
            while workerA.withLock({ $0.pid }) == nil, ContinuousClock.now < deadline { usleep(1_000) }
            workerA.withLock { worker in
                guard !worker.paused, let pid = worker.pid else { return }
                Self.pauseOutsideWrites(pid, sqliteFile: sqliteFile)
                worker.paused = true
            }
        })
        try await sandbox.start()
        let storeLine = try await backend.configLine(directory)
        let configA = Self.config(directory, storeLine: storeLine, gateway: sandbox.baseURL, worker: "worker-a", lease: 5, timeoutMs: 4_000, name: "a.yaml")
        let configB = Self.config(directory, storeLine: storeLine, gateway: sandbox.baseURL, worker: "worker-b", lease: 5, timeoutMs: 4_000, name: "b.yaml")
        let enqueue = try await ChildProcess.run(["enqueue", "--config", configA, "-"], stdin: Data(Fixtures.sms(key: "stale").utf8))
        let id = try #require((try? JSONSerialization.jsonObject(with: Data(enqueue.stdout.utf8)) as? [String: Any])?["id"] as? String)

        let a = try ChildProcess(arguments: ["serve", "--config", configA])
        workerA.withLock { $0.pid = a.pid }
        #expect(await eventually { sandbox.received.count == 1 })
        // The request is counted as it arrives, and worker a paused after (`pauseOutsideWrites`).
        #expect(await eventually { workerA.withLock { $0.paused } }, "worker a was not paused at its send")
        let b = try ChildProcess(arguments: ["serve", "--config", configB])
        let store = try await StoreBackend.open(configPath: configA)
        #expect(await eventually(timeout: .seconds(30)) { (try? await store.status(id: id))?.state == .sent }, "worker b never took over: \(b.stderr)")
        a.signal(SIGCONT)
        #expect(await eventually { a.stderr.contains("result not recorded: the lease was lost") }, "\(a.stderr)")
        a.signal(SIGTERM)
        b.signal(SIGTERM)
        #expect(await a.wait() == 0)
        #expect(await b.wait() == 0)

        let status = try #require(try await store.status(id: id))
        #expect(status.state == .sent)
        #expect(status.attempts.map(\.outcome) == [.ambiguous, .accepted], "the stale worker must not overwrite: \(status.attempts)")
        #expect(sandbox.received.count == 2)
        #expect(Set(sandbox.received.compactMap(\.idempotencyKey)) == ["\(id).sms"])
        await sandbox.stop()
        await store.close()
    }

    /// Stops `pid` (SIGSTOP) at a moment it holds no write lock on the SQLite file `sqliteFile`: the
    /// worker's loop may be in a write as its request reaches the gateway (its next read of the
    /// queue runs on the writer), and SQLite has one write lock for the file, so a worker stopped
    /// inside one stalls every other writer (`database is locked` after the 10 s busy timeout) and
    /// is a stuck lock holder, not the stale worker this test is about. Until the file takes a write,
    /// the worker runs on for a millisecond and is stopped again; its reply is not sent meanwhile
    /// (this runs before the gateway's delay). On PostgreSQL a stopped worker's open transaction
    /// holds only what it locked (its rows, a recipient's or a case's lock), none of which the other
    /// worker's takeover needs.
    static func pauseOutsideWrites(_ pid: Int32, sqliteFile: String?) {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            kill(pid, SIGSTOP)
            waitUntilStopped(pid, deadline: deadline)
            guard let sqliteFile, !canWrite(sqliteFile), ContinuousClock.now < deadline else { return }
            kill(pid, SIGCONT)
            usleep(1_000)
        }
    }

    /// Waits until every thread of `pid` is stopped (a signal stops each at its next return to user mode).
    static func waitUntilStopped(_ pid: Int32, deadline: ContinuousClock.Instant) {
        let tasks = "/proc/\(pid)/task"
        while ContinuousClock.now < deadline {
            let threads = (try? FileManager.default.contentsOfDirectory(atPath: tasks)) ?? []
            let running = threads.contains { thread in
                // The state follows the command name's closing parenthesis: T (stopped) or t (traced).
                guard let stat = try? String(contentsOfFile: "\(tasks)/\(thread)/stat", encoding: .utf8),
                      let close = stat.lastIndex(of: ")") else { return false }
                let state = stat[stat.index(after: close)...].drop { $0 == " " }.first
                return state != "T" && state != "t"
            }
            if !running { return }
            usleep(200)
        }
    }

    /// Whether another connection could take the write lock on `path` at once.
    static func canWrite(_ path: String) -> Bool {
        var configuration = GRDB.Configuration()
        configuration.busyMode = .immediateError
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            try queue.inDatabase { db in
                try db.execute(sql: "BEGIN IMMEDIATE")
                try db.execute(sql: "ROLLBACK")
            }
            return true
        } catch {
            return false
        }
    }
}
