import Foundation
import Testing
import VarselCore

/// The learned send hour: the open hours of a contact window, the seeded generator, Beta draws, Thompson
/// sampling over the open hours, the per-hour statistics of earlier sends, and a seeded simulation showing
/// that the choice settles on the best hour without ever leaving the window.
@Suite struct LearnedSendHourTests {
    static let oslo = TimeZone(identifier: "Europe/Oslo")!

    static func instant(_ text: String) -> Date {
        guard let date = RFC3339.parseTimestamp(text) else { fatalError("bad test timestamp \(text)") }
        return date
    }

    // MARK: Open hours

    @Test("open hours for NO: Monday 8–20, Saturday 9–14, Sunday and public holidays closed")
    func norwegianOpenHours() {
        let windows = ContactWindows.defaults
        #expect(windows.openHours(on: CalendarDate(year: 2026, month: 5, day: 4), country: "NO") == Array(8...20), "Monday")
        #expect(windows.openHours(on: CalendarDate(year: 2026, month: 5, day: 2), country: "NO") == Array(9...14), "Saturday")
        #expect(windows.openHours(on: CalendarDate(year: 2026, month: 5, day: 3), country: "NO") == [], "Sunday")
        #expect(windows.openHours(on: CalendarDate(year: 2026, month: 5, day: 1), country: "NO") == [], "Labour Day, a Friday")
        #expect(windows.openHours(on: CalendarDate(year: 2026, month: 12, day: 25), country: "NO") == [], "Christmas Day, a Friday")
        #expect(windows.openHours(on: CalendarDate(year: 2026, month: 5, day: 4), country: "no") == Array(8...20), "country matched upper-cased")
    }

    @Test("open hours for FI are 7–21 every day, holidays included")
    func finnishOpenHours() {
        for day in 1...7 {
            #expect(ContactWindows.defaults.openHours(on: CalendarDate(year: 2026, month: 5, day: day), country: "FI") == Array(7...21), "2026-05-0\(day)")
        }
    }

    @Test("no open-hour restriction: unknown country, nil country, disabled windows")
    func unrestrictedOpenHours() {
        let monday = CalendarDate(year: 2026, month: 5, day: 4)
        #expect(ContactWindows.defaults.openHours(on: monday, country: "US") == nil)
        #expect(ContactWindows.defaults.openHours(on: monday, country: nil) == nil)
        let disabled = ContactWindows(enabled: false, rules: ContactWindows.defaults.rules)
        #expect(disabled.openHours(on: monday, country: "NO") == nil)
    }

    @Test("only whole hours inside a custom window count")
    func partialHours() {
        let monday = CalendarDate(year: 2026, month: 5, day: 4)
        func hours(_ start: LocalTime, _ end: LocalTime) -> [Int]? {
            let rule = ContactWindowRule(open: [1: ClosedOpenTimeRange(start: start, end: end)], closedOnHolidays: false)
            return ContactWindows(rules: ["NO": rule]).openHours(on: monday, country: "NO")
        }
        #expect(hours(LocalTime(hour: 8, minute: 30), LocalTime(hour: 12)) == [9, 10, 11])
        #expect(hours(LocalTime(hour: 8), LocalTime(hour: 12, minute: 59)) == [8, 9, 10, 11])
        #expect(hours(LocalTime(hour: 22), LocalTime.endOfDay) == [22, 23])
        #expect(hours(LocalTime.startOfDay, LocalTime(hour: 1)) == [0])
        #expect(hours(LocalTime(hour: 8, minute: 30), LocalTime(hour: 9, minute: 15)) == [], "open, but no whole hour")
    }

    // MARK: Seeded generator and Beta draws

    @Test("SeededRandom is xoshiro256** seeded by SplitMix64, reproducible per seed")
    func seededRandom() {
        // Reference values from an independent implementation of the published algorithms.
        var zero = SeededRandom(seed: 0)
        #expect([zero.next(), zero.next(), zero.next()] == [0x99EC_5F36_CB75_F2B4, 0xBF6E_1F78_4956_452A, 0x1A5F_849D_4933_E6E0])
        var answer = SeededRandom(seed: 42)
        #expect([answer.next(), answer.next(), answer.next()] == [0x1578_0B2E_0C2E_C716, 0x6104_D986_6D11_3A7E, 0xAE17_5332_39E4_99A1])
        var a = SeededRandom(seed: 7), b = SeededRandom(seed: 7)
        #expect((0..<100).map { _ in a.next() } == (0..<100).map { _ in b.next() })
    }

    /// Mean and variance of `count` seeded draws; fails the test on a draw outside [0, 1].
    static func moments(alpha: Double, beta: Double, count: Int = 20_000, seed: UInt64) -> (mean: Double, variance: Double) {
        var rng = SeededRandom(seed: seed)
        var sum = 0.0, sumOfSquares = 0.0
        for _ in 0..<count {
            let x = BetaSampling.sample(alpha: alpha, beta: beta, using: &rng)
            #expect((0...1).contains(x), "Beta(\(alpha), \(beta)) drew \(x)")
            sum += x
            sumOfSquares += x * x
        }
        let mean = sum / Double(count)
        return (mean, sumOfSquares / Double(count) - mean * mean)
    }

    @Test("Beta draws have the right mean and variance, for shapes above and below 1")
    func betaMoments() {
        // Beta(a, b): mean a / (a + b), variance ab / ((a + b)² (a + b + 1)).
        let twoFive = Self.moments(alpha: 2, beta: 5, seed: 11)
        #expect(abs(twoFive.mean - 2.0 / 7) < 0.01, "\(twoFive)")
        #expect(abs(twoFive.variance - 10.0 / 392) < 0.002, "\(twoFive)")
        // Symmetric, so the mean is 0.5 whatever the shape; the variance (1/8) checks the shape < 1 boost.
        let half = Self.moments(alpha: 0.5, beta: 0.5, seed: 12)
        #expect(abs(half.mean - 0.5) < 0.01, "\(half)")
        #expect(abs(half.variance - 0.125) < 0.005, "\(half)")
        let skewed = Self.moments(alpha: 0.5, beta: 2, seed: 13)
        #expect(abs(skewed.mean - 0.2) < 0.01, "\(skewed)")
        #expect(abs(skewed.variance - 1.0 / 21.875) < 0.003, "\(skewed)")
        let large = Self.moments(alpha: 901, beta: 101, count: 2_000, seed: 14)
        #expect(abs(large.mean - 0.9) < 0.002, "\(large)")
    }

    @Test("tiny shapes still draw numbers in [0, 1]")
    func tinyShapes() {
        var rng = SeededRandom(seed: 5)
        for _ in 0..<2_000 {
            let x = BetaSampling.sample(alpha: 0.001, beta: 0.002, using: &rng)
            #expect((0...1).contains(x), "drew \(x)")
        }
    }

    // MARK: Choosing an hour

    @Test("no open hour, no choice; a lone open hour is always chosen")
    func emptyAndLone() throws {
        var rng = SeededRandom(seed: 1)
        #expect(LearnedSendHour.choose(openHours: [], stats: [14: HourStats(sends: 10, paid: 5)], using: &rng) == nil)
        let lone = try #require(LearnedSendHour.choose(openHours: [11], stats: [14: HourStats(sends: 1000, paid: 900)], using: &rng))
        #expect(lone.hour == 11)
        #expect(lone.reason.hasPrefix("learned send hour 11:00"), "\(lone.reason)")
    }

    @Test("overwhelming data: the best hour wins every seeded draw, and the reason names it and its counts")
    func overwhelming() throws {
        var stats = Dictionary(uniqueKeysWithValues: (8...20).map { ($0, HourStats(sends: 1000, paid: 10)) })
        stats[14] = HourStats(sends: 1000, paid: 900)
        var rng = SeededRandom(seed: 2026)
        for _ in 0..<200 {
            let choice = try #require(LearnedSendHour.choose(openHours: Array(8...20), stats: stats, using: &rng))
            #expect(choice.hour == 14)
        }
        let choice = try #require(LearnedSendHour.choose(openHours: Array(8...20), stats: stats, using: &rng))
        #expect(choice.reason.hasPrefix("learned send hour 14:00 by Thompson sampling over the open hours 08–20: drew "), "\(choice.reason)")
        #expect(choice.reason.hasSuffix(" % for 14:00 (900 paid of 1000 earlier sends), the highest of 13 hours"), "\(choice.reason)")
    }

    @Test("no data: the reason says so, and every open hour is chosen about equally often")
    func noData() throws {
        let open = Array(8...19)
        var counts: [Int: Int] = [:]
        var rng = SeededRandom(seed: 99)
        for _ in 0..<2_400 {
            let choice = try #require(LearnedSendHour.choose(openHours: open, stats: [:], using: &rng))
            counts[choice.hour, default: 0] += 1
            #expect(choice.reason.hasSuffix("over the open hours 08–19: no earlier sends to similar debtors yet: every open hour equally likely"),
                    "\(choice.reason)")
        }
        #expect(Set(counts.keys) == Set(open))
        for hour in open { #expect(counts[hour, default: 0] >= 100, "hour \(hour): \(counts)") }
        // Sends at hours outside the open ones are no data for them.
        let outside = try #require(LearnedSendHour.choose(openHours: open, stats: [3: HourStats(sends: 50, paid: 5)], using: &rng))
        #expect(outside.reason.contains("no earlier sends to similar debtors yet"), "\(outside.reason)")
    }

    @Test("open hours with gaps are named as runs; the same seed gives the same choice")
    func gapsAndReproducibility() throws {
        let stats = [8: HourStats(sends: 20, paid: 3), 13: HourStats(sends: 5, paid: 1)]
        var first = SeededRandom(seed: 3), second = SeededRandom(seed: 3)
        let a = try #require(LearnedSendHour.choose(openHours: [13, 10, 8, 9, 13], stats: stats, using: &first))
        let b = try #require(LearnedSendHour.choose(openHours: [8, 9, 10, 13], stats: stats, using: &second))
        #expect(a == b, "duplicates and order do not change the draw")
        #expect(a.reason.contains("over the open hours 08–10, 13: drew "), "\(a.reason)")
        #expect(a.reason.hasSuffix("the highest of 4 hours"), "\(a.reason)")
        #expect([8, 9, 10, 13].contains(a.hour))
    }

    // MARK: Statistics of earlier sends

    @Test("stats count mature sends per debtor-local hour, paid within the window, of one country and channel")
    func stats() {
        func send(_ id: String, _ caseRef: String?, _ at: String, country: String? = "NO", channel: Channel = .sms) -> SentMessage {
            SentMessage(
                id: id, caseRef: caseRef, kind: "reminder", channel: channel, locale: "nb", tone: nil, templateVersion: nil, country: country,
                step: "first", variant: nil, sentAt: Self.instant(at), timeZone: Self.oslo)
        }
        // November: Oslo is UTC+1; June: UTC+2. Window 7 days; now 2026-11-30T12:00Z, so mature up to 2026-11-23T12:00Z.
        let messages = [
            send("m1", "A", "2026-11-02T08:15:00Z"),  // 09 local, A paid 2 days later: paid
            send("m2", "B", "2026-11-02T08:40:00Z"),  // 09 local, B paid 10 days later: outside the window
            send("m3", "I", "2026-06-01T07:00:00Z"),  // 09 local in summer time, I paid the same day: paid
            send("m4", "C", "2026-11-03T13:00:00Z"),  // 14 local, C paid exactly 7 days later: paid
            send("m5", "D", "2026-11-03T13:30:00Z"),  // 14 local, D never paid
            send("m6", "E", "2026-11-03T13:59:59Z"),  // 14 local, E paid before this send: not paid by it
            send("m7", nil, "2026-11-04T17:00:00Z"),  // 18 local, no case: never paid
            send("m8", "H", "2026-11-05T19:00:00Z", country: "no"),  // 20 local, country compared ignoring case, paid
            send("m9", "J", "2026-11-23T12:00:00Z"),  // 13 local, exactly mature, unpaid
            send("x1", "F", "2026-11-25T10:00:00Z"),  // too recent: its window has not ended
            send("x2", "G", "2026-11-02T08:00:00Z", country: "SE"),  // other country
            send("x3", "A", "2026-11-02T08:00:00Z", channel: .email),  // other channel
            send("x4", "K", "2026-11-02T08:00:00Z", country: nil),  // no country
        ]
        let payments = [
            "A": Self.instant("2026-11-04T08:15:00Z"), "B": Self.instant("2026-11-12T08:40:00Z"), "I": Self.instant("2026-06-01T15:00:00Z"),
            "C": Self.instant("2026-11-10T13:00:00Z"), "E": Self.instant("2026-11-01T10:00:00Z"), "H": Self.instant("2026-11-06T09:00:00Z"),
            "F": Self.instant("2026-11-26T10:00:00Z"), "G": Self.instant("2026-11-03T10:00:00Z"), "K": Self.instant("2026-11-03T10:00:00Z"),
            "m7": Self.instant("2026-11-05T10:00:00Z"), "message:m7": Self.instant("2026-11-05T10:00:00Z"),
        ]
        let stats = LearnedSendHour.stats(
            messages: messages, payments: payments, country: "NO", channel: .sms, paidWithinDays: 7, now: Self.instant("2026-11-30T12:00:00Z"))
        #expect(stats == [
            9: HourStats(sends: 3, paid: 2), 13: HourStats(sends: 1, paid: 0), 14: HourStats(sends: 3, paid: 1),
            18: HourStats(sends: 1, paid: 0), 20: HourStats(sends: 1, paid: 1),
        ])
        // Once its window has ended, the recent send counts, and was paid.
        let later = LearnedSendHour.stats(
            messages: messages, payments: payments, country: "NO", channel: .sms, paidWithinDays: 7, now: Self.instant("2026-12-02T10:00:00Z"))
        #expect(later[11] == HourStats(sends: 1, paid: 1))
        // Messages without a country are their own group.
        let none = LearnedSendHour.stats(
            messages: messages, payments: payments, country: nil, channel: .sms, paidWithinDays: 7, now: Self.instant("2026-11-30T12:00:00Z"))
        #expect(none == [9: HourStats(sends: 1, paid: 1)])
    }

    // MARK: Seeded simulation

    /// Synthetic payment rate per local hour: 8 % to 12 % for most hours, 20 % at 18:00.
    static func rate(hour: Int) -> Double { hour == 18 ? 0.20 : 0.08 + 0.01 * Double(hour % 5) }

    @Test("seeded simulation: over NO weekday hours the choice settles on the best hour (18) and never leaves the window",
          arguments: [20_260_501, 1, 2, 3, 4] as [UInt64])
    func simulation(seed: UInt64) throws {
        let open = try #require(ContactWindows.defaults.openHours(on: CalendarDate(year: 2026, month: 5, day: 4), country: "NO"))
        #expect(open == Array(8...20))
        var rng = SeededRandom(seed: seed)
        var stats: [Int: HourStats] = [:]
        var lastThousand: [Int: Int] = [:]
        var outside = 0
        let rounds = 4_000
        for round in 0..<rounds {
            let choice = try #require(LearnedSendHour.choose(openHours: open, stats: stats, using: &rng))
            if !open.contains(choice.hour) { outside += 1 }
            let paid = Double.random(in: 0..<1, using: &rng) < Self.rate(hour: choice.hour)
            stats[choice.hour, default: HourStats()].sends += 1
            if paid { stats[choice.hour, default: HourStats()].paid += 1 }
            if round >= rounds - 1_000 { lastThousand[choice.hour, default: 0] += 1 }
        }
        #expect(outside == 0)
        let best = lastThousand[18, default: 0]
        #expect(lastThousand.allSatisfy { $0.key == 18 || $0.value < best }, "seed \(seed): \(lastThousand.sorted { $0.key < $1.key })")
        #expect(best >= 500, "seed \(seed): hour 18 chosen \(best) of the last 1000 rounds")
    }
}
