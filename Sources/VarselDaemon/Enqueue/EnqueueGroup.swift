import Foundation
import Logging
import Synchronization
import VarselCore
import VarselStore

/// Group commit for single enqueues (`POST /v1/messages`): the messages of requests that arrive while
/// a write is under way are stored together in the next transaction, one sync to disk for all of them,
/// and each request is answered only after that transaction committed. Under load a request waits for
/// at most the write in progress and its own; alone, it is written at once.
///
/// Idempotency holds inside a group: a second message with a key already in the group is answered
/// as a duplicate or a conflict, as it would be a moment later. A group whose transaction fails is
/// written again one message at a time, so one message's failure is only its own.
final class EnqueueGroup: Sendable {
    private struct Waiting {
        let request: MessageRequest
        let continuation: CheckedContinuation<EnqueueOutcome, any Error>
    }

    private struct State {
        var waiting: [Waiting] = []
        var writing = false
        /// Messages of the transaction being written.
        var writingCount = 0
    }

    /// The most messages written in one transaction; more wait for the next.
    static let maxGroup = 512

    private let state = Mutex(State())
    private let store: any MessageStore
    private let caseStops: CaseStopPolicy

    init(store: any MessageStore, caseStops: CaseStopPolicy) {
        self.store = store
        self.caseStops = caseStops
    }

    /// Messages not answered yet: waiting, or in the transaction being written.
    var unansweredCount: Int { state.withLock { $0.waiting.count + $0.writingCount } }

    /// Stores `request` (with the others waiting) and returns its outcome once it is on disk.
    func enqueue(_ request: MessageRequest) async throws -> EnqueueOutcome {
        try await withCheckedThrowingContinuation { continuation in
            let writeNow = state.withLock { state -> Bool in
                state.waiting.append(Waiting(request: request, continuation: continuation))
                guard !state.writing else { return false }
                state.writing = true
                return true
            }
            if writeNow { Task { await self.writeAll() } }
        }
    }

    private func writeAll() async {
        while true {
            let group = state.withLock { state -> [Waiting] in
                let taken = Array(state.waiting.prefix(Self.maxGroup))
                state.waiting.removeFirst(taken.count)
                state.writingCount = taken.count
                if taken.isEmpty { state.writing = false }
                return taken
            }
            guard !group.isEmpty else { return }
            do {
                let outcomes = try await store.enqueue(group.map(\.request), now: Date(), caseStops: caseStops)
                guard outcomes.count == group.count else { throw StoreError("the store returned \(outcomes.count) outcomes for \(group.count) messages") }
                for (waiting, outcome) in zip(group, outcomes) { waiting.continuation.resume(returning: outcome) }
            } catch {
                guard group.count > 1 else {
                    group[0].continuation.resume(throwing: error)
                    continue
                }
                for waiting in group {
                    do {
                        let outcome = try await store.enqueue([waiting.request], now: Date(), caseStops: caseStops).first
                        guard let outcome else { throw StoreError("the store returned no outcome") }
                        waiting.continuation.resume(returning: outcome)
                    } catch {
                        waiting.continuation.resume(throwing: error)
                    }
                }
            }
        }
    }
}
