import Foundation
import Logging
import Synchronization
import VarselStore

/// Opens attempts just before their requests are handed to the HTTP client, writing every start
/// that arrived meanwhile in one transaction (one fsync), so a send waits for at most one commit.
final class AttemptStarter: Sendable {
    private struct Waiting {
        let start: AttemptStart
        let continuation: CheckedContinuation<StartOutcome?, Never>
    }

    private struct State {
        var waiting: [Waiting] = []
        var writing = false
    }

    private let state = Mutex(State())
    private let store: any MessageStore
    private let now: @Sendable () -> Date
    private let logger: Logger

    init(store: any MessageStore, now: @escaping @Sendable () -> Date, logger: Logger) {
        self.store = store
        self.now = now
        self.logger = logger
    }

    /// The opened attempt, or the deferral by the frequency cap; nil when the lease was lost (or the
    /// store failed). Only `.started` lets the request go out.
    func start(_ start: AttemptStart) async -> StartOutcome? {
        await withCheckedContinuation { continuation in
            let writeNow = state.withLock { state -> Bool in
                state.waiting.append(Waiting(start: start, continuation: continuation))
                guard !state.writing else { return false }
                state.writing = true
                return true
            }
            if writeNow { Task { await self.writeAll() } }
        }
    }

    private func writeAll() async {
        while true {
            let batch = state.withLock { state -> [Waiting] in
                if state.waiting.isEmpty { state.writing = false }
                defer { state.waiting = [] }
                return state.waiting
            }
            guard !batch.isEmpty else { return }
            var ids: [String: StartOutcome] = [:]
            do {
                ids = try await store.start(batch.map(\.start), now: now())
            } catch {
                logger.error("cannot record the start of sends; they are not sent and will be retried", metadata: [
                    "error": "\(error)", "count": "\(batch.count)",
                ])
            }
            for waiting in batch { waiting.continuation.resume(returning: ids[waiting.start.lease.messageID]) }
        }
    }
}
