import Foundation
import VarselCore
import VarselStore

/// Group commit for single enqueues (`POST /v1/messages`): the messages of requests that arrive while
/// a write is under way are stored together in the next transaction, one sync to disk for all of them,
/// and each request is answered only after that transaction committed.
///
/// Idempotency holds inside a group: a second message with a key already in the group is answered
/// as a duplicate or a conflict, as it would be a moment later. A group whose transaction fails is
/// written again one message at a time, so one message's failure is only its own.
final class EnqueueGroup: Sendable {
    /// The most messages written in one transaction; more wait for the next.
    static let maxGroup = 512

    private let commit: GroupCommit<MessageRequest, EnqueueOutcome>

    init(store: any MessageStore, caseStops: CaseStopPolicy) {
        commit = GroupCommit(maxGroup: Self.maxGroup) { requests in
            do {
                let outcomes = try await store.enqueue(requests, now: Date(), caseStops: caseStops)
                guard outcomes.count == requests.count else {
                    throw StoreError("the store returned \(outcomes.count) outcomes for \(requests.count) messages")
                }
                return outcomes.map { .success($0) }
            } catch {
                guard requests.count > 1 else { return [.failure(error)] }
                var results: [Result<EnqueueOutcome, any Error>] = []
                for request in requests {
                    results.append(await Result(catching: {
                        guard let outcome = try await store.enqueue([request], now: Date(), caseStops: caseStops).first else {
                            throw StoreError("the store returned no outcome")
                        }
                        return outcome
                    }))
                }
                return results
            }
        }
    }

    /// Messages not answered yet: waiting, or in the transaction being written.
    var unansweredCount: Int { commit.unansweredCount }

    /// Stores `request` (with the others waiting) and returns its outcome once it is on disk.
    func enqueue(_ request: MessageRequest) async throws -> EnqueueOutcome {
        try await commit.submit(request)
    }
}
