import Foundation
import Testing
import VarselCore

/// Attribution and report figures on a small data set computed by hand.
@Suite struct OutcomeReportTests {
    static let start = RFC3339.parseTimestamp("2026-11-02T09:00:00Z")!
    static let oslo = TimeZone(identifier: "Europe/Oslo")!

    static func send(_ id: String, case caseRef: String?, _ channel: Channel, day: Double, kind: String = "reminder") -> SentMessage {
        SentMessage(
            id: id, caseRef: caseRef, kind: kind, channel: channel, locale: "nb", tone: "direct", templateVersion: "v1", country: "NO", step: nil,
            variant: nil, sentAt: start.addingTimeInterval(day * 86_400), timeZone: oslo)
    }

    /// A: SMS on day 0, email on day 3, paid on day 5. B: SMS on day 0, paid on day 20 (outside 14
    /// days). C: email on day 1, paid on day 2. D: SMS on day 0, never paid. A letter without a case.
    static let messages = [
        send("a1", case: "A", .sms, day: 0), send("a2", case: "A", .email, day: 3), send("b1", case: "B", .sms, day: 0),
        send("c1", case: "C", .email, day: 1), send("d1", case: "D", .sms, day: 0), send("x1", case: nil, .letter, day: 0),
    ]
    static let payments = ["A": start.addingTimeInterval(5 * 86_400), "B": start.addingTimeInterval(20 * 86_400), "C": start.addingTimeInterval(2 * 86_400)]

    func byChannel(_ attribution: Attribution) -> [String: OutcomeRow] {
        let rows = OutcomeReport.rows(messages: Self.messages, payments: Self.payments, by: [.channel], paidWithinDays: 14, attribution: attribution)
        return Dictionary(uniqueKeysWithValues: rows.map { ($0.keys["channel"]!, $0) })
    }

    @Test("last-message attribution: a payment is credited to the last send before it, within the window")
    func lastAttribution() throws {
        let rows = byChannel(.last)
        let sms = try #require(rows["sms"])
        #expect((sms.messages, sms.cases, sms.paid, sms.rate, sms.medianDaysToPay) == (3, 3, 0, 0, nil))
        let email = try #require(rows["email"])
        #expect((email.messages, email.cases, email.paid, email.rate) == (2, 2, 2, 1))
        #expect(email.medianDaysToPay == 1.5, "2 days (A) and 1 day (C)")
        let letter = try #require(rows["letter"])
        #expect((letter.messages, letter.cases, letter.paid) == (1, 1, 0))
    }

    @Test("all-message attribution: every send before the payment within the window gets it")
    func allAttribution() throws {
        let rows = byChannel(.all)
        let sms = try #require(rows["sms"])
        #expect((sms.paid, sms.medianDaysToPay) == (1, 5))
        #expect(abs(sms.rate - 1.0 / 3) < 1e-12)
        #expect(abs(sms.rateLow - 0.061492) < 1e-5 && abs(sms.rateHigh - 0.792340) < 1e-5)
        #expect(rows["email"]?.paid == 2)
        // A longer window lets B's late payment count.
        let long = OutcomeReport.rows(messages: Self.messages, payments: Self.payments, by: [.channel], paidWithinDays: 30, attribution: .all)
        #expect(long.first { $0.keys["channel"] == "sms" }?.paid == 2)
    }

    @Test("the Wilson interval against known values")
    func wilson() {
        for (successes, trials, low, high) in [(0, 10, 0.0, 0.277533), (5, 10, 0.236593, 0.763407), (81, 263, 0.255289, 0.366210)] {
            let interval = OutcomeReport.wilson(successes: successes, trials: trials)
            #expect(abs(interval.low - low) < 1e-5 && abs(interval.high - high) < 1e-5, "\(successes)/\(trials): \(interval)")
        }
        #expect(OutcomeReport.median([3, 1, 2]) == 2 && OutcomeReport.median([]) == nil)
    }

    @Test("hour and weekday are the debtor's: 23:30 UTC on a Saturday is 00:30 Sunday in Oslo")
    func localHour() {
        let late = SentMessage(
            id: "h", caseRef: "H", kind: "reminder", channel: .sms, locale: nil, tone: nil, templateVersion: nil, country: "NO", step: nil, variant: nil,
            sentAt: RFC3339.parseTimestamp("2026-11-07T23:30:00Z")!, timeZone: Self.oslo)
        #expect(OutcomeDimension.hour.value(of: late) == "00")
        #expect(OutcomeDimension.weekday.value(of: late) == "sun")
        #expect(OutcomeDimension.step.value(of: late) == "-")
        let rows = OutcomeReport.rows(messages: Self.messages, payments: Self.payments, by: [.channel, .hour], paidWithinDays: 14, attribution: .last)
        #expect(rows.map { $0.keys["hour"] } == ["10", "10", "10"], "09:00 UTC is 10:00 in Oslo in November")
    }
}
