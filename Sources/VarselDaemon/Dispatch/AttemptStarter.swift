import Foundation
import Logging
import VarselCore
import VarselStore

/// Opens attempts just before their requests are handed to the HTTP client, writing every start
/// that arrived meanwhile in one transaction (one fsync), so a send waits for at most one commit.
final class AttemptStarter: Sendable {
    private let commit: GroupCommit<AttemptStart, StartOutcome?>

    init(store: any MessageStore, now: @escaping @Sendable () -> Date, logger: Logger) {
        commit = GroupCommit(maxGroup: .max) { starts in
            var ids: [String: StartOutcome] = [:]
            do {
                ids = try await store.start(starts, now: now())
            } catch {
                logger.error("cannot record the start of sends; they are not sent and will be retried", metadata: [
                    "error": "\(error)", "count": "\(starts.count)",
                ])
            }
            return starts.map { .success(ids[$0.lease.messageID]) }
        }
    }

    /// The opened attempt, or the deferral by the frequency cap; nil when the lease was lost (or the
    /// store failed). Only `.started` lets the request go out.
    func start(_ start: AttemptStart) async -> StartOutcome? {
        (try? await commit.submit(start)) ?? nil
    }
}
