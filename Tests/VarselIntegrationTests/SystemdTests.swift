import Foundation
import Logging
import Testing
import VarselCore
@testable import VarselDaemon
import VarselGateways
import VarselHTTP
import VarselStore
import VarselTestSupport

/// The sd_notify protocol against a real unix datagram socket standing in for systemd.
@Suite(.serialized) struct SystemdTests {
    @Test("serve: READY=1 only after recovery and start-up, STATUS with the queue, WATCHDOG=1 while healthy, RELOADING=1 … READY=1 on SIGHUP, STOPPING=1 on SIGTERM")
    func notifyProtocol() async throws {
        let directory = TemporaryDirectory()
        let listener = NotifyListener(directory: directory)
        let config = directory.write(
            "varsel.yaml", Fixtures.config(storePath: directory.file("varsel.db"), gatewayBase: "http://127.0.0.1:\(closedLoopbackPort())"))
        // A previous run that died holding a lease: start-up must reclaim it before saying READY.
        let store = try SQLiteMessageStore(path: directory.file("varsel.db"))
        let validator = MessageValidator(kinds: KindRule.shipped)
        _ = try await store.enqueue([try validator.validate(json: Array(Fixtures.sms(key: "stale").utf8)).get()], now: Date())
        #expect(try await store.lease(owner: "test", limit: 10, now: Date(), leaseDuration: 300).count == 1)

        let serve = try ChildProcess(
            arguments: ["serve", "--config", config], environment: ["NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "400000"])
        #expect(await eventually { listener.lines.contains("READY=1") }, "\(serve.stderr)")
        // By the time READY=1 was sent the reclaim and the ready line were already written; the pipe
        // may still be on its way to us, so wait until both are read, then check their order.
        #expect(await eventually {
            let log = serve.stderr
            return log.contains("reclaimed leases of a previous run count=1") && log.contains("notice varsel: ready ")
        }, "\(serve.stderr)")
        let log = serve.stderr
        let reclaimed = try #require(log.range(of: "reclaimed leases of a previous run count=1"))
        let ready = try #require(log.range(of: "notice varsel: ready "))
        #expect(reclaimed.lowerBound < ready.lowerBound)
        #expect(listener.lines.first == "READY=1", "nothing may come before READY=1: \(listener.lines)")
        #expect(listener.lines.contains { $0.hasPrefix("STATUS=ready: ") && $0.contains("queued") && $0.contains("156 template variants") })

        // The dispatch loop turns every 20 ms: the watchdog is fed every 100 ms.
        #expect(await eventually { listener.lines.filter { $0 == "WATCHDOG=1" }.count >= 3 }, "\(listener.lines)")

        serve.signal(SIGHUP)
        #expect(await eventually { listener.lines.contains("RELOADING=1") })
        #expect(await eventually { listener.lines.filter { $0 == "READY=1" }.count == 2 })
        let lines = listener.lines
        let reloading = try #require(lines.firstIndex(of: "RELOADING=1"))
        #expect(lines[reloading + 1].hasPrefix("MONOTONIC_USEC="))
        #expect(lines[(reloading + 1)...].contains("READY=1"))
        #expect(lines.contains { $0.hasPrefix("STATUS=") && $0.contains("in flight") })

        // The periodic status carries the send rate.
        #expect(await eventually { listener.lines.contains { $0.hasPrefix("STATUS=") && $0.contains("sends/s") } })

        serve.signal(SIGTERM)
        #expect(await serve.wait() == 0)
        // Everything it sent before exiting is in the socket; read up to here before looking.
        #expect(await listener.sync())
        #expect(listener.lines.contains("STOPPING=1"))
        let last = listener.lines.lastIndex(of: "STOPPING=1")!
        #expect(!listener.lines[(last + 1)...].contains("READY=1"))
    }

    @Test("the watchdog is fed while the dispatch loop turns and starves while one turn is wedged; it resumes when the loop does")
    func watchdogStopsWhenWedged() async throws {
        let directory = TemporaryDirectory()
        let sandbox = SandboxGateway()
        try await sandbox.start()
        let config = try ConfigLoader.load(
            yaml: Fixtures.config(storePath: directory.file("varsel.db"), gatewayBase: sandbox.baseURL), baseDirectory: directory.path)
        let components = try await Daemon.open(config: config, logger: quietLogger)
        defer { components.client.shutdown() }
        let gate = Gate()
        // The same loop as serve's, but rendering waits at the gate when it is closed: one turn stuck.
        let dispatcher = Dispatcher(
            config: config, store: components.store, sender: GatewaySender(gateways: Array(config.gateways.values), client: components.client),
            templates: {
                gate.passThrough()
                return components.templates.current
            },
            logger: quietLogger)
        let listener = NotifyListener(directory: directory)
        let notifier = try #require(SystemdNotifier(socket: listener.path, watchdogTimeout: .milliseconds(400)))
        // The loop runs on its own thread: the gate blocks that thread, not the shared pool.
        let executor = DedicatedExecutor(label: "wedged-dispatcher")
        let loop = Task(executorPreference: executor) { await dispatcher.run() }
        // The watchdog's own log says when it judged the loop stuck (and when it resumed).
        let watchdogLog = LogRecorder()
        let pinger = Task.detached { await Watchdog.run(notifier: notifier, timeout: .milliseconds(400), lastBeat: { dispatcher.lastBeat }, logger: watchdogLog.logger) }
        func pings() -> Int { listener.lines.filter { $0 == "WATCHDOG=1" }.count }
        func stalled() -> Bool {
            watchdogLog.messages.last { $0.contains("no progress") || $0.contains("progress again") }?.contains("no progress") == true
        }

        #expect(await eventually { pings() >= 3 }, "an idle loop still feeds the watchdog")
        gate.close()
        let validator = MessageValidator(kinds: config.planning.kinds)
        _ = try await components.store.enqueue([try validator.validate(json: Array(Fixtures.sms(key: "w1").utf8)).get()], now: Date())
        dispatcher.poke()
        #expect(await eventually { gate.waiting }, "the loop never reached the gate")
        // Wait until the watchdog itself has judged the loop stuck; every ping it sent before that
        // is then in the socket, and sync() reads up to there.
        #expect(await eventually { stalled() }, "the watchdog never noticed the stuck loop: \(watchdogLog.messages)")
        #expect(await listener.sync())
        let starved = pings()
        // A second of a stuck loop (ten ping intervals): not one WATCHDOG=1 may arrive.
        try await Task.sleep(for: .seconds(1))
        #expect(await listener.sync())
        #expect(pings() == starved, "no WATCHDOG=1 while the loop is stuck")
        #expect(stalled(), "the watchdog resumed while the loop was stuck: \(watchdogLog.messages)")

        gate.open()
        #expect(await eventually { pings() > starved }, "pings resume once the loop turns again")
        #expect(await eventually { sandbox.received.count == 1 })
        dispatcher.requestStop()
        await loop.value
        pinger.cancel()
        await sandbox.stop()
    }

    @Test("NOTIFY_SOCKET absent: no notifier; WATCHDOG_PID of another process: no watchdog; @name is the abstract namespace")
    func environment() throws {
        #expect(SystemdNotifier.fromEnvironment([:]) == nil)
        let other = SystemdNotifier.fromEnvironment(["NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"])
        #expect(other != nil && other?.watchdogTimeout == nil)
        let mine = SystemdNotifier.fromEnvironment(["NOTIFY_SOCKET": "@varsel-test", "WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "\(getpid())"])
        #expect(mine?.watchdogTimeout == .seconds(2))
        // One instant for both sides, so the test's own pace cannot move the beat's age.
        let now = ContinuousClock.now
        #expect(Watchdog.isAlive(lastBeat: now - .milliseconds(100), now: now, timeout: .seconds(1)))
        #expect(!Watchdog.isAlive(lastBeat: now - .milliseconds(600), now: now, timeout: .seconds(1)))
    }
}

