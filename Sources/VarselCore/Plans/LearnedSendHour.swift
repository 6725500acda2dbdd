import Foundation

/// What earlier sends at one local hour achieved: how many went out, and how many of those were followed
/// by a payment in time.
public struct HourStats: Sendable, Hashable {
    public var sends: Int
    public var paid: Int

    public init(sends: Int = 0, paid: Int = 0) {
        self.sends = sends
        self.paid = paid
    }
}

/// The local hour at which a plan step with `timing: learned` is sent, learned from the outcomes of earlier
/// sends to similar debtors (same country and channel).
///
/// Thompson sampling: each open hour's payment rate is uncertain, with a Beta(1 + paid, 1 + unpaid)
/// posterior from a uniform prior; one draw per hour, the highest wins. Hours that did well win often,
/// hours with few sends still win now and then, so the choice keeps learning without a fixed split between
/// exploring and exploiting. Only hours from `ContactWindows.openHours(on:country:)` are offered, so the choice
/// never leaves the contact window. Pure: the caller brings the sends, the payments, the clock and the
/// generator (`SeededRandom` in tests and the demo, `SystemRandomNumberGenerator` in the daemon).
public enum LearnedSendHour {
    /// The hour chosen and one readable sentence saying why, for the message's audit trail.
    public struct Choice: Sendable, Hashable {
        /// Local hour, 0...23.
        public let hour: Int
        public let reason: String

        public init(hour: Int, reason: String) {
            self.hour = hour
            self.reason = reason
        }
    }

    /// The open hour with the highest Beta(1 + paid, 1 + sends − paid) draw; ties go to the earliest hour.
    /// `nil` when `openHours` is empty. Duplicate hours count once and are drawn for in ascending order;
    /// hours without stats have had no sends. Inconsistent counts are read as sensibly as they allow:
    /// negative counts as 0, `paid` above `sends` as all paid.
    public static func choose(
        openHours: [Int], stats: [Int: HourStats], using rng: inout some RandomNumberGenerator
    ) -> Choice? {
        choose(openHours: openHours, stats: stats) { _, alpha, beta in BetaSampling.sample(alpha: alpha, beta: beta, using: &rng) }
    }

    /// The same choice with each hour's draw from a generator of its own, seeded by `seed` and the
    /// hour: with the same seed and counts an hour always draws the same, so the hour chosen over a
    /// day's open hours is chosen again over the hours left when that hour comes. The dispatcher seeds
    /// it with the message and the day, so a message deferred to its learned hour is sent then.
    public static func choose(openHours: [Int], stats: [Int: HourStats], seed: UInt64) -> Choice? {
        choose(openHours: openHours, stats: stats) { hour, alpha, beta in
            var rng = SeededRandom(seed: seed ^ (UInt64(hour + 1) &* 0x9E37_79B9_7F4A_7C15))
            return BetaSampling.sample(alpha: alpha, beta: beta, using: &rng)
        }
    }

    private static func choose(openHours: [Int], stats: [Int: HourStats], draw: (Int, Double, Double) -> Double) -> Choice? {
        let hours = Set(openHours).sorted()
        guard !hours.isEmpty else { return nil }
        var best: (hour: Int, draw: Double)?
        for hour in hours {
            let (sends, paid) = counts(stats[hour])
            let value = draw(hour, Double(1 + paid), Double(1 + sends - paid))
            if best.map({ value > $0.draw }) ?? true { best = (hour, value) }
        }
        guard let best else { return nil }
        return Choice(hour: best.hour, reason: reason(hour: best.hour, draw: best.draw, hours: hours, stats: stats))
    }

    /// Sends and payments per debtor-local hour of the send (as `OutcomeDimension.hour`), over the messages of
    /// `country` (compared ignoring case; `nil` matches messages without a country) and `channel`.
    ///
    /// Only mature sends count, those sent at or before `now` − `paidWithinDays` days, so that a recent send is
    /// not counted as unpaid while its payment may still come. A send is paid when its case (`caseRef`; a
    /// message without one is never paid) has a payment at or after the send and at most `paidWithinDays`
    /// days after it. `payments` maps a case to its first payment (`OutcomeReport.payments`), so a send after
    /// that payment counts as unpaid. Each send of a case counts on its own. A negative `paidWithinDays` is
    /// read as 0.
    public static func stats(
        messages: [SentMessage], payments: [String: Date], country: String?, channel: Channel, paidWithinDays: Int, now: Date
    ) -> [Int: HourStats] {
        let window = TimeInterval(max(0, paidWithinDays)) * 86_400
        let matureBy = now.addingTimeInterval(-window)
        let wantedCountry = country?.uppercased()
        var calendars: [TimeZone: Calendar] = [:]
        var result: [Int: HourStats] = [:]
        for message in messages
        where message.channel == channel && message.country?.uppercased() == wantedCountry && message.sentAt <= matureBy {
            let calendar = calendars[message.timeZone] ?? {
                var calendar = Calendar(identifier: .gregorian)
                calendar.timeZone = message.timeZone
                return calendar
            }()
            calendars[message.timeZone] = calendar
            let hour = calendar.component(.hour, from: message.sentAt)
            var paid = false
            if let caseRef = message.caseRef, let paidAt = payments[caseRef] {
                let delay = paidAt.timeIntervalSince(message.sentAt)
                paid = delay >= 0 && delay <= window
            }
            result[hour, default: HourStats()].sends += 1
            if paid { result[hour, default: HourStats()].paid += 1 }
        }
        return result
    }

    /// Sends and payments of one hour, made consistent: 0 ≤ paid ≤ sends.
    private static func counts(_ stats: HourStats?) -> (sends: Int, paid: Int) {
        let sends = max(0, stats?.sends ?? 0)
        return (sends, min(sends, max(0, stats?.paid ?? 0)))
    }

    /// The audit sentence, e.g. "learned send hour 14:00 by Thompson sampling over the open hours 08–20: drew
    /// 23.1 % for 14:00 (41 paid of 180 earlier sends), the highest of 13 hours".
    private static func reason(hour: Int, draw: Double, hours: [Int], stats: [Int: HourStats]) -> String {
        let head = "learned send hour \(clock(hour)) by Thompson sampling over the "
            + (hours.count == 1 ? "open hour " : "open hours ") + ranges(hours)
        guard hours.contains(where: { counts(stats[$0]).sends > 0 }) else {
            return head + ": no earlier sends to similar debtors yet: every open hour equally likely"
        }
        let (sends, paid) = counts(stats[hour])
        let evidence = sends == 0 ? "no earlier sends" : "\(paid) paid of \(sends) earlier send" + (sends == 1 ? "" : "s")
        let percent = String(format: "%.1f %%", draw * 100)
        let rank = hours.count == 1 ? "the only open hour" : "the highest of \(hours.count) hours"
        return head + ": drew \(percent) for \(clock(hour)) (\(evidence)), \(rank)"
    }

    /// `14:00`.
    private static func clock(_ hour: Int) -> String { twoDigits(hour) + ":00" }

    private static func twoDigits(_ hour: Int) -> String { String(format: "%02d", hour) }

    /// Ascending hours as runs: `08–20`, or `08–11, 13–15, 18` when there are gaps.
    private static func ranges(_ hours: [Int]) -> String {
        var runs: [(first: Int, last: Int)] = []
        for hour in hours {
            if let last = runs.last, last.last + 1 == hour {
                runs[runs.count - 1].last = hour
            } else {
                runs.append((hour, hour))
            }
        }
        return runs.map { $0.first == $0.last ? twoDigits($0.first) : twoDigits($0.first) + "–" + twoDigits($0.last) }
            .joined(separator: ", ")
    }
}
