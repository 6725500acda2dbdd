import Foundation

/// A throwaway PostgreSQL cluster for tests, from Debian's `postgresql` package: `initdb` in a
/// temporary directory (as the unprivileged user `nobody` when the tests run as root, since initdb
/// refuses root), listening on 127.0.0.1 at a free port and on a unix socket in that directory,
/// with `fsync` off (a crash of the test machine loses nothing of value). `stop()` shuts it down
/// immediately; every step is bounded in time.
///
/// A missing PostgreSQL is an error, never a skip: the suite fails and says what to install.
public final class PostgresCluster: @unchecked Sendable {
    public struct Missing: Error, CustomStringConvertible {
        public let description: String
    }

    public let directory: TemporaryDirectory
    /// The TCP port on 127.0.0.1 (another is tried when the free port picked was taken meanwhile).
    public private(set) var port: Int
    public let user = "varsel"
    public let database = "varsel"
    let binaries: String
    let runAs: String?
    /// The postmaster, a child of this process (not daemonised by pg_ctl, whose forked server would
    /// hold this process's pipes), spawned with nothing of this process's open but its log.
    var server: ServerProcess?
    var watchdog: ServerProcess?

    /// `postgres://varsel@127.0.0.1:<port>/varsel` (trust authentication: no password).
    public var url: String { "postgres://\(user)@127.0.0.1:\(port)/\(database)" }
    var data: String { directory.file("data") }

    private init(directory: TemporaryDirectory, port: Int, binaries: String, runAs: String?) {
        self.directory = directory
        self.port = port
        self.binaries = binaries
        self.runAs = runAs
    }

    /// The newest installed server's `bin` directory (`/usr/lib/postgresql/<major>/bin`).
    static func locateBinaries() throws -> String {
        let root = "/usr/lib/postgresql"
        let majors = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        for major in majors.reversed() where FileManager.default.isExecutableFile(atPath: "\(root)/\(major)/bin/initdb") {
            return "\(root)/\(major)/bin"
        }
        throw Missing(description: "PostgreSQL is not installed (no \(root)/<version>/bin/initdb): install Debian's postgresql package (scripts/deps.sh test does)")
    }

    /// Creates, starts and opens a cluster with the database `varsel` owned by the user `varsel`.
    public static func start() async throws -> PostgresCluster {
        let binaries = try locateBinaries()
        let directory = TemporaryDirectory()
        let runAs: String? = getuid() == 0 ? "nobody" : nil
        if let runAs {
            // The cluster's files belong to the unprivileged user that runs it.
            guard let account = getpwnam(runAs) else { throw Missing(description: "no user \(runAs) to run PostgreSQL as") }
            chown(directory.path, account.pointee.pw_uid, account.pointee.pw_gid)
        }
        let cluster = PostgresCluster(directory: directory, port: closedLoopbackPort(), binaries: binaries, runAs: runAs)
        try await cluster.run("initdb", ["-D", cluster.data, "-U", cluster.user, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"])
        try await cluster.launch(newPortWhenTaken: true)
        try await cluster.run("createdb", ["-h", "127.0.0.1", "-p", "\(cluster.port)", "-U", cluster.user, cluster.database])
        return cluster
    }

    /// Starts the server and waits until it answers (at most 120 s). The free port picked can be
    /// taken by another process before the server binds it; the server then listens on its socket
    /// only. Such a start is stopped and, with `newPortWhenTaken`, tried on a new port.
    func launch(newPortWhenTaken: Bool) async throws {
        var ready = false
        let deadline = ContinuousClock.now + .seconds(120)
        for _ in 0..<(newPortWhenTaken ? 5 : 1) where !ready {
            server = try spawnServer("postgres", [
                "-D", data, "-p", "\(port)", "-k", directory.path, "-c", "listen_addresses=127.0.0.1",
                "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=500",
                "-c", "shared_buffers=64MB",
            ])
            var portTaken = false
            while !ready, !portTaken, ContinuousClock.now < deadline, server?.isRunning == true {
                ready = (try? await run("pg_isready", ["-h", "127.0.0.1", "-p", "\(port)", "-t", "5"])) != nil
                portTaken = serverLog.contains("could not create listen socket")
                if !ready, !portTaken { try? await Task.sleep(for: .milliseconds(100)) }
            }
            if portTaken, !ready {
                await server?.terminate(timeout: .seconds(60))
                if newPortWhenTaken { port = closedLoopbackPort() }
            }
        }
        guard ready else {
            await stop()
            throw Missing(description: "PostgreSQL did not start within 120 s on port \(port): \(serverLog.suffix(2000))")
        }
    }

    /// Starts a stopped cluster again on the same port, with the same data (a database restart as
    /// its clients see it), and watches this process again.
    public func restart() async throws {
        try await launch(newPortWhenTaken: false)
        try stopWhenThisProcessExits()
    }

    /// Creates an empty database owned by `varsel` and returns its URL.
    public func createDatabase(_ name: String) async throws -> String {
        try await run("createdb", ["-h", "127.0.0.1", "-p", "\(port)", "-U", user, name])
        return "postgres://\(user)@127.0.0.1:\(port)/\(name)"
    }

    /// Stops the cluster and removes its directory when this process ends, however it ends (a crash,
    /// a kill, a test run that never reaches its last line): a watchdog polls this process once a
    /// second. A cluster shared by a whole test run is never released, so its directory (about 1 GB
    /// after the suite) would otherwise stay behind after every run.
    public func stopWhenThisProcessExits() throws {
        let script = "while [ -d /proc/\(getpid()) ]; do sleep 1; done; \"$0\" -D \"$1\" -m immediate -w -t 60 stop; rm -rf -- \"$2\""
        watchdog = try ServerProcess(
            (runAs.map { ["/usr/sbin/runuser", "-u", $0, "--"] } ?? []) + ["/bin/sh", "-c", script, "\(binaries)/pg_ctl", data, directory.path],
            logFile: directory.file("watchdog.log"))
    }

    /// What the server logged (for a failing test's message).
    public var serverLog: String { server?.log ?? "" }

    /// Runs `psql` with one command and returns its output (unaligned, tuples only).
    public func psql(_ command: String) async throws -> String {
        try await run("psql", ["-h", "127.0.0.1", "-p", "\(port)", "-U", user, "-d", database, "-v", "ON_ERROR_STOP=1", "-At", "-c", command])
    }

    /// How `stop` ends the server (`pg_ctl stop -m`).
    public enum StopMode: String, Sendable {
        /// At once, like a crash: with this cluster's `synchronous_commit=off`, the last commits may be lost.
        case immediate
        /// Clients are disconnected and everything committed is written: a database restart as operators do it.
        case fast
    }

    /// Stops the server (by default at once), then waits for the postmaster to exit.
    public func stop(_ mode: StopMode = .immediate) async {
        watchdog?.signal(SIGKILL)
        _ = try? await run("pg_ctl", ["-D", data, "-m", mode.rawValue, "-w", "-t", "60", "stop"])
        await server?.terminate(timeout: .seconds(60))
    }

    /// The server, as the user that owns the cluster, logging to `server.log` in the cluster's directory.
    func spawnServer(_ tool: String, _ arguments: [String]) throws -> ServerProcess {
        let executable = "\(binaries)/\(tool)"
        let log = directory.file("server.log")
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        if let runAs, let account = getpwnam(runAs) { chown(log, account.pointee.pw_uid, account.pointee.pw_gid) }
        return try ServerProcess((runAs.map { ["/usr/sbin/runuser", "-u", $0, "--"] } ?? []) + [executable] + arguments, logFile: log)
    }

    /// One of the cluster's tools, as the user that owns the cluster.
    func spawn(_ tool: String, _ arguments: [String]) throws -> ChildProcess {
        let executable = "\(binaries)/\(tool)"
        if let runAs {
            return try ChildProcess(arguments: ["-u", runAs, "--", executable] + arguments, executable: "/usr/sbin/runuser")
        }
        return try ChildProcess(arguments: arguments, executable: executable)
    }

    @discardableResult
    func run(_ tool: String, _ arguments: [String]) async throws -> String {
        let child = try spawn(tool, arguments)
        // Their output is read for error messages only: a short wait for the pipes' end will do.
        let status = await child.wait(timeout: .seconds(180), drainTimeout: .seconds(1))
        guard status == 0 else {
            throw Missing(description: "\(tool) failed (\(status.map(String.init) ?? "timed out")): \(child.stderr)\(child.stdout)\n\(serverLog.suffix(2000))")
        }
        return child.stdout
    }
}
