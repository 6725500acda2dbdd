import Foundation
import VarselStore

/// Which registered runs of daemons have stopped, so that their leases can be reclaimed at once
/// rather than after they expire. A run is never judged stopped while its process may be alive:
///
/// - A run of the same `worker_id` on this host whose process no longer exists has stopped (the
///   previous run of this daemon, killed or crashed): its leases come back at once.
/// - Any run whose heartbeat is older than `staleAfter` (the lease length: its leases have expired
///   anyway) has stopped.
/// - Everything else is live, whatever its `worker_id`: two daemons given the same name never take
///   each other's leases for their own.
enum RunLiveness {
    static func stopped(
        _ runs: [DaemonRun], workerID: String, host: String, now: Date, staleAfter: TimeInterval,
        processExists: (Int32) -> Bool = RunLiveness.processExists
    ) -> [DaemonRun] {
        runs.filter { run in
            if now.timeIntervalSince(run.heartbeatAt) > staleAfter { return true }
            return run.workerID == workerID && run.host == host && !processExists(run.pid)
        }
    }

    /// How many daemons are alive now, judged by heartbeats within `within` (this one included).
    static func liveCount(_ runs: [DaemonRun], now: Date, within: TimeInterval) -> Int {
        max(1, runs.filter { now.timeIntervalSince($0.heartbeatAt) <= within }.count)
    }

    /// Whether a process with this id exists on this host (`kill(pid, 0)`; `EPERM` means it does).
    static func processExists(_ pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        return kill(pid, 0) == 0 || errno == EPERM
    }
}
