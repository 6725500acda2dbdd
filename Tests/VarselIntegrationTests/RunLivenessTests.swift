import Foundation
import Testing
@testable import VarselDaemon
import VarselStore

/// Which runs count as stopped, so their leases come back before they expire.
@Suite struct RunLivenessTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func run(_ id: String, worker: String = "w", host: String = "h1", pid: Int32 = 100, beat: TimeInterval = 0) -> DaemonRun {
        DaemonRun(runID: id, workerID: worker, host: host, pid: pid, startedAt: now.addingTimeInterval(-3600), heartbeatAt: now.addingTimeInterval(-beat))
    }

    @Test("same worker on this host with its process gone: stopped; its process alive: live, whatever the name; another host: live until its heartbeat is older than the lease")
    func rules() {
        let runs = [
            run("gone", pid: 100), run("alive", pid: 200), run("other-name-gone", worker: "x", pid: 100),
            run("other-host", host: "h2", pid: 100, beat: 10), run("stale", host: "h2", pid: 300, beat: 400),
        ]
        let stopped = RunLiveness.stopped(runs, workerID: "w", host: "h1", now: now, staleAfter: 300, processExists: { $0 == 200 })
        #expect(stopped.map(\.runID) == ["gone", "stale"])
    }

    @Test("this process exists; pid 0 and a pid past the kernel's limit do not")
    func processCheck() {
        #expect(RunLiveness.processExists(ProcessInfo.processInfo.processIdentifier))
        #expect(!RunLiveness.processExists(0))
        #expect(!RunLiveness.processExists(Int32.max))
    }
}
