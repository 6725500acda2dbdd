import Foundation
import Logging
import VarselCore
import VarselStore

/// A batch planned and rendered, its plan not committed yet.
struct PlannedBatch: Sendable {
    let preparations: [Preparation]
    /// Its sends, in the batch's order.
    let outbound: [QueuedSend]
    /// When its messages were read: the leases its commit claims run from then.
    let readAt: ContinuousClock.Instant
    /// The messages it was planned from if they were leased as they were taken (PostgreSQL): a batch
    /// that waited too long is planned again from them, and one never committed is given back. Empty
    /// when its commit is to claim them (SQLite): such a batch is simply dropped.
    let leasedMessages: [LeasedMessage]

    var leased: Bool { !leasedMessages.isEmpty }
}

extension Dispatcher {
    /// Plans and renders a batch: reads what planning judges by (recent sends under the frequency
    /// cap, stored recipients, case events and steps, learned send hours), then each message's plan.
    func plan(_ leased: [LeasedMessage], readAt: ContinuousClock.Instant) async throws -> PlannedBatch {
        let set = templates()
        let at = now()
        let cap = preparer.frequencyCap
        var recent = cap.enabled
            ? try await store.acceptedSends(recipientKeys: Set(leased.map { RecipientKey.of($0.request.recipient) }), since: at.addingTimeInterval(-cap.window))
            : [:]
        // The send history only for what the country rules judge by it: reminders and notices.
        let reads = try await store.planningReads(
            recipientIDs: Set(leased.compactMap(\.request.recipient.id)), caseRefs: Set(leased.compactMap(\.request.caseRef)),
            stepCaseRefs: Set(leased.filter { preparer.step($0.request) != .none }.compactMap(\.request.caseRef)))
        let hourStats = leased.contains { $0.request.planStep?.timing == .learned && $0.attempts == 0 } ? try await sendHours.stats(now: at) : [:]
        var preparations: [Preparation] = []
        var outbound: [QueuedSend] = []
        for message in leased {
            let key = RecipientKey.of(message.request.recipient)
            let (preparation, outgoing) = preparer.prepare(
                message, stored: message.request.recipient.id.flatMap { reads.recipients[$0] }, recentSends: recent[key] ?? [],
                caseEvents: message.request.caseRef.flatMap { reads.caseEvents[$0] } ?? [],
                caseSteps: message.request.caseRef.flatMap { reads.caseSteps[$0] } ?? [], hourStats: hourStats, templates: set, now: at)
            // Count this batch's sends too, so a batch cannot exceed the cap on its own.
            if case .send = preparation, cap.enabled { recent[key, default: []].append(at) }
            preparations.append(preparation)
            if case .send(let send) = preparation, let outgoing { outbound.append(QueuedSend(send: send, message: outgoing, leased: message)) }
            if case .finish(let lease, let state, let reason, _) = preparation {
                logger.notice("message not sent", metadata: ["message_id": "\(lease.messageID)", "state": "\(state.rawValue)", "reason": "\(reason)"])
            }
        }
        return PlannedBatch(
            preparations: preparations, outbound: outbound, readAt: readAt, leasedMessages: leased.allSatisfy(\.lease.isHeld) ? leased : [])
    }
}
