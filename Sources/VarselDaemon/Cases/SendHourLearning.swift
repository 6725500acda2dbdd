import Foundation
import Synchronization
import VarselCore
import VarselStore

/// What a learned send hour learns from (`timing: learned`, docs/plans.md): the sends of the last
/// `plans.learn_lookback_days` per country and channel, counted by the debtor's local hour with the
/// cases paid within `plans.learn_paid_within_days`, read from the store and kept for a few minutes.
final class SendHourLearning: Sendable {
    /// Similar debtors: the same country and channel.
    struct Group: Hashable, Sendable {
        let country: String?
        let channel: Channel
    }

    private let store: any MessageStore
    let paidWithinDays: Int
    let lookbackDays: Int
    /// How long counts are reused before they are read again.
    let refresh: TimeInterval
    private let cache = Mutex<(at: Date, stats: [Group: [Int: HourStats]])?>(nil)

    init(store: any MessageStore, plans: VarselConfig.Plans) {
        self.store = store
        self.paidWithinDays = plans.learnPaidWithinDays
        self.lookbackDays = plans.learnLookbackDays
        self.refresh = plans.learnRefresh
    }

    /// Sends and payments by local hour, per group, as of `now`.
    func stats(now: Date) async throws -> [Group: [Int: HourStats]] {
        if let cached = cache.withLock({ $0 }), now >= cached.at, now.timeIntervalSince(cached.at) < refresh { return cached.stats }
        let messages = try await store.sentMessages(from: now.addingTimeInterval(-Double(lookbackDays) * 86_400), to: now)
        let payments = OutcomeReport.payments(try await store.caseEvents(caseRefs: Set(messages.compactMap(\.caseRef))))
        var stats: [Group: [Int: HourStats]] = [:]
        for (group, sends) in Dictionary(grouping: messages, by: { Group(country: $0.country?.uppercased(), channel: $0.channel) }) {
            stats[group] = LearnedSendHour.stats(
                messages: sends, payments: payments, country: group.country, channel: group.channel, paidWithinDays: paidWithinDays, now: now)
        }
        cache.withLock { $0 = (now, stats) }
        return stats
    }
}
