import Dispatch
import Foundation

/// While `varsel bench --gateway` runs, SIGINT and SIGTERM end it without leaving anything behind:
/// its `varsel serve` and `varsel enqueue` children are killed and reaped and its workspace (the
/// SQLite files of the runs) is removed before the bench exits with 128 + the signal.
///
/// Every other exit path (the end, a thrown error) cleans up where it is; this covers the one that
/// skips `defer`.
final class BenchInterrupt {
    private static let signals: [Int32] = [SIGINT, SIGTERM]
    private let sources: [any DispatchSourceSignal]

    /// Installs the handlers until ``remove()``.
    init(workspace: URL) {
        sources = Self.signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                FileHandle.standardError.write(Data("varsel bench: stopped by signal \(number); stopping its children\n".utf8))
                BenchChild.killAll()
                Self.removeTree(workspace)
                exit(128 + number)
            }
            source.resume()
            return source
        }
    }

    /// Removes `directory` and everything in it, also while the bench's own way out removes it at the
    /// same moment (a removal that meets an entry the other one deleted first fails; it is tried again).
    static func removeTree(_ directory: URL) {
        for _ in 0..<10 where FileManager.default.fileExists(atPath: directory.path) {
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// Gives the signals back their default action.
    func remove() {
        for source in sources { source.cancel() }
        for number in Self.signals { signal(number, SIG_DFL) }
    }
}
