import Foundation
import Logging
import VarselCore
import VarselPostgres
import VarselStore

/// `varsel bench --store postgres`: 1, 2 and 3 `varsel serve` processes on one PostgreSQL database
/// sending the same messages to the sandbox gateway (in this process), next to the plain libcurl
/// loop. For each count: messages per second from the commit of the batch to the last message
/// recorded as sent, and CPU seconds per 1,000 messages of the daemons and of PostgreSQL's
/// processes, read from `/proc` (so PostgreSQL must run on this host).
public enum PostgresBench {
    public struct Row: Sendable {
        public let daemons: Int
        public let seconds: Double
        public let daemonCPU: Double
        public let postgresCPU: Double
    }

    public struct Figures: Sendable {
        public let messages: Int
        public let baselineSeconds: Double
        public let rows: [Row]
    }

    /// `url` names a throwaway database: its schema `varsel` is dropped and made again before each count.
    public static func run(
        url: String, password: String?, daemonCounts: [Int], messages: Int, maxInFlight: Int, templatesDirectory: String, executable: String,
        logger: Logger
    ) async throws -> Figures {
        var settings = try PostgresSettings.parse(url: url)
        settings.password = password
        let workspace = FileManager.default.temporaryDirectory.appendingPathComponent("varsel-bench-pg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: workspace, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: workspace) }
        let sandbox = SandboxGateway()
        try await sandbox.start()
        defer { Task { await sandbox.stop() } }
        let storeLine = "store: { backend: postgres, url: \"\(url)\", sslmode: \(settings.sslMode.rawValue), pool_size: 8,\(password == nil ? "" : " password_env: VARSEL_BENCH_PG_PASSWORD,") path: \(workspace.appendingPathComponent("state.db").path) }"
        // Each daemon's API on a port of its own.
        let yaml = "server: { host: 127.0.0.1, port: 0 }\n"
            + Bench.yaml(store: storeLine, templatesDirectory: templatesDirectory, base: sandbox.baseURL, maxInFlight: maxInFlight)
        let configFile = workspace.appendingPathComponent("varsel.yaml").path
        try yaml.write(toFile: configFile, atomically: true, encoding: .utf8)
        let config = try ConfigLoader.load(yaml: yaml, baseDirectory: workspace.path)
        let requests = (0..<messages).map { BenchMessages.request(index: $0) }
        let baselineSeconds = try await Bench.baseline(requests: requests, config: config, maxInFlight: maxInFlight)

        var rows: [Row] = []
        for count in daemonCounts {
            try await PostgresMessageStore.dropSchema(settings: settings, logger: logger)
            let store = try await PostgresMessageStore(settings: settings, logger: logger)
            let environment = password.map { ["VARSEL_BENCH_PG_PASSWORD": $0] } ?? [:]
            let logs = (0..<count).map { workspace.appendingPathComponent("daemon-\(count)-\($0).log").path }
            let daemons = try logs.map { log in try spawn(executable, ["serve", "--config", configFile], environment: environment, log: log) }
            do {
                // Every daemon is up (registered) before the batch is committed.
                let deadline = ContinuousClock.now + .seconds(120)
                while try await store.activeRuns().count < count {
                    guard ContinuousClock.now < deadline, daemons.allSatisfy(\.isRunning) else { throw BenchError(description: "the daemons did not start") }
                    try await Task.sleep(for: .milliseconds(50))
                }
                let postgresBefore = postgresCPUSeconds()
                let start = ContinuousClock.now
                let outcomes = try await store.enqueue(requests, now: Date())
                guard outcomes.count == messages else { throw BenchError(description: "the batch was not stored") }
                while (try await store.countByState()[.sent] ?? 0) < messages {
                    guard ContinuousClock.now < start + .seconds(1800), daemons.allSatisfy(\.isRunning) else {
                        let said = logs.compactMap { try? String(contentsOfFile: $0, encoding: .utf8) }.joined().suffix(2000)
                        throw BenchError(description: "not all sent: \(try await store.countByState()); the daemons said: \(said)")
                    }
                    try await Task.sleep(for: .milliseconds(20))
                }
                let seconds = (ContinuousClock.now - start).seconds
                let daemonCPU = daemons.map { cpuSeconds(pid: $0.processIdentifier) ?? 0 }.reduce(0, +)
                let postgresCPU = postgresCPUSeconds() - postgresBefore
                rows.append(Row(daemons: count, seconds: seconds, daemonCPU: daemonCPU, postgresCPU: postgresCPU))
            } catch {
                stop(daemons)
                await store.close()
                throw error
            }
            stop(daemons)
            await store.close()
        }
        return Figures(messages: messages, baselineSeconds: baselineSeconds, rows: rows)
    }

    public static func table(_ figures: Figures) -> String {
        func pad(_ text: String, _ width: Int) -> String { text.count >= width ? text : text + String(repeating: " ", count: width - text.count) }
        func number(_ value: Double, _ digits: Int = 0) -> String { String(format: "%.\(digits)f", value) }
        let baselineRate = Double(figures.messages) / figures.baselineSeconds
        var lines = [
            pad("measure", 42) + pad("messages", 10) + pad("seconds", 9) + pad("msg/s", 8) + pad("ratio", 7)
                + pad("daemon CPU-s/1k", 17) + "PostgreSQL CPU-s/1k",
            pad("plain libcurl loop (baseline)", 42) + pad("\(figures.messages)", 10) + pad(number(figures.baselineSeconds, 3), 9)
                + pad(number(baselineRate), 8) + pad("1.00", 7) + pad("-", 17) + "-",
        ]
        for row in figures.rows {
            let rate = Double(figures.messages) / row.seconds
            let perThousand = 1000 / Double(figures.messages)
            lines.append(
                pad("varsel on PostgreSQL, \(row.daemons) daemon\(row.daemons == 1 ? "" : "s")", 42) + pad("\(figures.messages)", 10)
                    + pad(number(row.seconds, 3), 9) + pad(number(rate), 8) + pad(number(rate / baselineRate, 2), 7)
                    + pad(number(row.daemonCPU * perThousand, 2), 17) + number(row.postgresCPU * perThousand, 2))
        }
        return lines.joined(separator: "\n")
    }

    static func spawn(_ executable: String, _ arguments: [String], environment: [String: String], log: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["VARSEL_LOG_LEVEL"] = "error"
        for (key, value) in environment { env[key] = value }
        process.environment = env
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: log) ?? FileHandle.nullDevice
        try process.run()
        return process
    }

    static func stop(_ daemons: [Process]) {
        for daemon in daemons where daemon.isRunning { daemon.terminate() }
        for daemon in daemons { daemon.waitUntilExit() }
    }

    /// User plus system CPU seconds of a process (`/proc/<pid>/stat`, fields 14 and 15).
    static func cpuSeconds(pid: Int32) -> Double? {
        guard let (_, fields) = procStat(pid), fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// CPU seconds of every PostgreSQL process on this host, including exited backends (`cutime`,
    /// `cstime` of the postmaster).
    static func postgresCPUSeconds() -> Double {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        var total = 0.0
        for entry in entries {
            guard let pid = Int32(entry), let (command, fields) = procStat(pid), command == "postgres", fields.count > 14 else { continue }
            total += fields[11...14].compactMap { Double($0) }.reduce(0, +) / Double(sysconf(Int32(_SC_CLK_TCK)))
        }
        return total
    }

    /// A process's command name and the fields of `/proc/<pid>/stat` after it, from the state
    /// (field 3) on: utime (field 14) is at index 11.
    static func procStat(_ pid: Int32) -> (command: Substring, fields: [Substring])? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")"), open < close
        else { return nil }
        return (stat[stat.index(after: open)..<close], stat[stat.index(after: close)...].split(separator: " "))
    }
}
