import Foundation

/// One run of `varsel serve` (or of anything that dispatches), registered in the store so that
/// daemons sharing a queue can tell each other apart, whatever their `worker_id`.
///
/// Its `runID` is the owner of every lease it takes. A run is live while its process is (checked by
/// pid on the same host) or, seen from another host, while its heartbeat is recent.
public struct DaemonRun: Sendable, Hashable {
    /// Unique per run: `<worker_id>/<random>`.
    public let runID: String
    /// `dispatch.worker_id`: the name an operator gave the daemon (the host name by default).
    public let workerID: String
    /// The host it runs on, and its process id there.
    public let host: String
    public let pid: Int32
    public let startedAt: Date
    public var heartbeatAt: Date

    public init(runID: String, workerID: String, host: String, pid: Int32, startedAt: Date, heartbeatAt: Date) {
        self.runID = runID
        self.workerID = workerID
        self.host = host
        self.pid = pid
        self.startedAt = startedAt
        self.heartbeatAt = heartbeatAt
    }

    /// A new run of this process.
    public static func current(workerID: String, now: Date) -> DaemonRun {
        let random = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        return DaemonRun(
            runID: "\(workerID)/\(random)", workerID: workerID, host: ProcessInfo.processInfo.hostName,
            pid: ProcessInfo.processInfo.processIdentifier, startedAt: now, heartbeatAt: now)
    }
}
