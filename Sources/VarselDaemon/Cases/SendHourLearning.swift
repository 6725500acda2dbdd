import Foundation
import Synchronization
import VarselCore
import VarselStore

/// What a learned send hour learns from (`timing: learned`, docs/plans.md): the sends of the last
/// `plans.learn_lookback_days` per country and channel, counted by the debtor's local hour with the
/// cases paid within `plans.learn_paid_within_days`, read from the store and kept for a few minutes;
/// and the random draws of Thompson sampling.
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
    private let random: Mutex<SeededRandom>

    /// `seed` makes the draws reproducible (the simulated demo); without one they are seeded from the system.
    init(store: any MessageStore, plans: VarselConfig.Plans, refresh: TimeInterval = 600, seed: UInt64? = nil) {
        self.store = store
        self.paidWithinDays = plans.learnPaidWithinDays
        self.lookbackDays = plans.learnLookbackDays
        self.refresh = refresh
        var system = SystemRandomNumberGenerator()
        self.random = Mutex(SeededRandom(seed: seed ?? system.next()))
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

    /// One Thompson draw over `hours`.
    func choose(_ hours: [Int], stats: [Int: HourStats]) -> LearnedSendHour.Choice? {
        random.withLock { LearnedSendHour.choose(openHours: hours, stats: stats, using: &$0) }
    }

    /// What `CaseBuilder` needs to time a case's steps, as of `now`.
    func timing(now: Date, windows: ContactWindows, channelOrder: [Channel]) async throws -> CaseBuilder.LearnedTiming {
        let stats = try await stats(now: now)
        return CaseBuilder.LearnedTiming(windows: windows, channelOrder: channelOrder) { group, hours in
            self.choose(hours, stats: stats[group] ?? [:])
        }
    }
}
