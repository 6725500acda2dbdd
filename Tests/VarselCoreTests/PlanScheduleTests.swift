import Foundation
import Testing
import VarselCore

@Suite struct PlanScheduleTests {
    static let plan = CollectionPlan(name: "standard-no", country: "NO", steps: [
        PlanStep(name: "reminder-1", kind: "reminder", anchor: .dueDate, days: 14, fee: "35.00"),
        PlanStep(name: "reminder-2", kind: "reminder", anchor: .previous, days: 14, skipIfAmountAbove: "50000"),
        PlanStep(name: "notice", kind: "collection_notice", anchor: .previous, days: 14, deadlineDays: 14),
        PlanStep(name: "plan-offer", kind: "payment_plan", anchor: .previous, days: 7, onlyIfAmountAbove: "10000"),
    ])
    let oslo = TimeZone(identifier: "Europe/Oslo")!

    @Test("steps fall on their days at 09:00 local, across the end of summer time; a skipped step keeps the days after it")
    func acrossDST() throws {
        let now = RFC3339.parseTimestamp("2026-09-01T00:00:00Z")!
        let due = try #require(RFC3339.parseDate("2026-10-01"))
        let steps = PlanSchedule.schedule(Self.plan, dueDate: due, amount: 1250, timeZone: oslo, now: now)
        #expect(steps.map(\.step.name) == ["reminder-1", "reminder-2", "notice"], "the offer is only above 10 000")
        // 2026-10-15 is summer time (UTC+2), 2026-10-29 and 2026-11-12 winter time (UTC+1): 09:00 local each.
        #expect(steps.map { RFC3339.format($0.sendAfter) } == ["2026-10-15T07:00:00Z", "2026-10-29T08:00:00Z", "2026-11-12T08:00:00Z"])
        let large = PlanSchedule.schedule(Self.plan, dueDate: due, amount: 60000, timeZone: oslo, now: now)
        #expect(large.map(\.step.name) == ["reminder-1", "notice", "plan-offer"])
        #expect(large[1].day.description == "2026-11-12", "the notice keeps its day when reminder-2 is skipped")
        #expect(large[2].day.description == "2026-11-19")
    }

    @Test("a case created late starts now and keeps the plan's gaps; the deadline is the plan's days or the country's minimum for the channel, whichever is longer")
    func pastAndDeadline() throws {
        let now = RFC3339.parseTimestamp("2026-12-02T10:00:00Z")!
        let steps = PlanSchedule.schedule(Self.plan, dueDate: try #require(RFC3339.parseDate("2026-10-01")), amount: 100, timeZone: oslo, now: now)
        #expect(steps.first?.sendAfter == now, "11:00 in Oslo: today's 09:00 has passed, so now")
        #expect(steps.map(\.day.description) == ["2026-12-02", "2026-12-16", "2026-12-30"], "14 days apart, never several steps at once")
        // Before the step hour too: the late first step goes now, not at today's 09:00; the others keep their hour.
        let dawn = RFC3339.parseTimestamp("2026-12-02T05:00:00Z")!
        let beforeNine = PlanSchedule.schedule(Self.plan, dueDate: try #require(RFC3339.parseDate("2026-10-01")), amount: 100, timeZone: oslo, now: dawn)
        #expect(beforeNine.map { RFC3339.format($0.sendAfter) } == ["2026-12-02T05:00:00Z", "2026-12-16T08:00:00Z", "2026-12-30T08:00:00Z"])
        // A first step due today and not late waits for its hour.
        let dueToday = PlanSchedule.schedule(Self.plan, dueDate: try #require(RFC3339.parseDate("2026-11-18")), amount: 100, timeZone: oslo, now: dawn)
        #expect(dueToday.first.map { RFC3339.format($0.sendAfter) } == "2026-12-02T08:00:00Z")
        // A first step still ahead keeps its own day.
        let early = PlanSchedule.schedule(Self.plan, dueDate: try #require(RFC3339.parseDate("2026-11-25")), amount: 100, timeZone: oslo, now: now)
        #expect(early.map(\.day.description) == ["2026-12-09", "2026-12-23", "2027-01-06"])
        let finland = CollectionRules.shipped.countries["FI"]
        let sent = try #require(RFC3339.parseDate("2026-12-02"))
        #expect(PlanSchedule.deadline(sendDate: sent, deadlineDays: 10, rules: finland, channel: .letter).description == "2026-12-19")
        #expect(PlanSchedule.deadline(sendDate: sent, deadlineDays: 10, rules: finland, channel: .email).description == "2026-12-12")
        #expect(PlanSchedule.deadline(sendDate: sent, deadlineDays: 21, rules: finland, channel: .letter).description == "2026-12-23")
        #expect(PlanSchedule.deadline(sendDate: sent, deadlineDays: 14, rules: nil, channel: .sms).description == "2026-12-16")
    }
}
