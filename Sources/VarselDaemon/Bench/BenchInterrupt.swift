import Foundation
import UnixSignals

/// While `varsel bench --gateway` runs, SIGINT and SIGTERM end it without leaving anything behind:
/// its `varsel serve` and `varsel enqueue` children are killed and reaped and its workspace (the
/// SQLite files of the runs) is removed before the bench exits with 128 + the signal.
///
/// Every other exit path (the end, a thrown error) cleans up where it is; this covers the one that
/// skips `defer`.
struct BenchInterrupt {
    private let watcher: Task<Void, Never>

    /// Traps the signals until ``remove()``.
    static func trap(workspace: URL) async -> BenchInterrupt {
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        return BenchInterrupt(watcher: Task { await watch(signals, workspace: workspace) })
    }

    private static func watch(_ signals: UnixSignalsSequence, workspace: URL) async {
        for await signal in signals {
            FileHandle.standardError.write(Data("varsel bench: stopped by signal \(signal); stopping its children\n".utf8))
            BenchChild.killAll()
            removeTree(workspace)
            exit(128 + signal.rawValue)
        }
    }

    /// Removes `directory` and everything in it, also while the bench's own way out removes it at the
    /// same moment (a removal that meets an entry the other one deleted first fails; it is tried again).
    static func removeTree(_ directory: URL) {
        for _ in 0..<10 where FileManager.default.fileExists(atPath: directory.path) {
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// Stops trapping: the signals get their default action back.
    func remove() { watcher.cancel() }
}
