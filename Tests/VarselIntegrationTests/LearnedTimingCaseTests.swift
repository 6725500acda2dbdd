import Foundation
import Testing
import VarselCore
@testable import VarselDaemon
import VarselStore
import VarselTestSupport

/// A plan with `timing: learned`: its steps go at an hour of the contact window chosen from earlier
/// outcomes read from the store, and the trail says which hour and why.
@Suite(.serialized) struct LearnedTimingCaseTests {
    typealias Clock = SendTimeRulesTests.Clock
    static let oslo = TimeZone(identifier: "Europe/Oslo")!

    static var plan: CollectionPlan {
        var plan = CollectionPlan(name: "learned-no", country: "NO", steps: [
            PlanStep(name: "reminder-1", kind: "reminder", anchor: .dueDate, days: 14, channels: [.sms]),
            PlanStep(name: "reminder-2", kind: "reminder", anchor: .previous, days: 14, channels: [.sms]),
        ])
        plan.timing = .learned
        return plan
    }

    static func local(_ date: Date) -> (day: CalendarDate, hour: Int, weekday: Int) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = oslo
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .weekday], from: date)
        return (CalendarDate(year: parts.year!, month: parts.month!, day: parts.day!), parts.hour!, parts.weekday!)
    }

    @Test("earlier sends where 18:00 got paid: on the step's day the dispatcher waits for 18:00 Oslo time, then sends, and the trail says which hour and why", arguments: StoreBackend.allCases)
    func learnsFromTheStore(_ backend: StoreBackend) async throws {
        let clock = Clock(RFC3339.parseTimestamp("2026-11-02T07:00:00Z")!)
        let running = try await SendTimeRulesTests.Running.start(backend, clock: clock, contactWindows: true)
        // History: on Monday 2 November, ten SMS cases sent at each hour 08–20 Oslo time; those sent at 18:00 were paid the next day.
        var paidCases: [String] = []
        for hour in 8...20 {
            clock.set(RFC3339.parseTimestamp("2026-11-02T\(String(format: "%02d", hour - 1)):00:00Z")!)
            for index in 0..<10 {
                let caseRef = "hist-\(hour)-\(index)"
                // Due before the test's clock, whatever today's date is.
                let line = Fixtures.sms(key: caseRef, phone: "+4791\(String(format: "%06d", hour * 100 + index))")
                    .replacingOccurrences(of: "case-\(caseRef)", with: caseRef)
                    .replacingOccurrences(of: Fixtures.data, with: Fixtures.data(deadline: "2026-12-31", dueDate: "2026-10-01"))
                _ = try await running.enqueue(line, now: clock.now)
                if hour == 18 { paidCases.append(caseRef) }
            }
            await running.components.dispatcher.run(untilIdle: true)
        }
        #expect(try await running.components.store.countByState() == [.sent: 130])
        clock.set(RFC3339.parseTimestamp("2026-11-03T12:00:00Z")!)
        let config = running.components.config
        for caseRef in paidCases {
            _ = try await running.components.store.recordCaseEvent(
                CaseEventRequest(caseRef: caseRef, type: .paid, at: clock.now), caseStops: CaseStopPolicy(kinds: config.planning.kinds), now: clock.now)
        }

        // Three weeks later (Monday 09:00 Oslo), a late case: its first step is due today.
        clock.set(RFC3339.parseTimestamp("2026-11-23T08:00:00Z")!)
        let stats = try await SendHourLearning(store: running.components.store, plans: config.plans).stats(now: clock.now)
        #expect(stats[SendHourLearning.Group(country: "NO", channel: .sms)]?[18] == HourStats(sends: 10, paid: 10))
        #expect(stats[SendHourLearning.Group(country: "NO", channel: .sms)]?[9] == HourStats(sends: 10, paid: 0))
        let validator = MessageValidator(kinds: config.planning.kinds, collectionRules: config.planning.collectionRules, now: { clock.now })
        let body = CaseAPITests.body("learned-1", due: "2026-11-01").replacingOccurrences(of: "standard-no", with: "learned-no")
        let value = try MessageValidator.parse(json: Array(body.utf8)).get()
        let built = try CaseBuilder(validator: validator).build(
            value, plans: ["learned-no": Self.plan], stored: [:], now: clock.now, learnedWithin: config.contactWindows).get()
        #expect(built.steps.allSatisfy { $0.message.planStep?.timing == .learned })
        // Each step waits for the first open hour of its day: today 09:00 (now), and Monday 7 December 08:00.
        #expect(built.steps.map { $0.message.sendAfter.map(RFC3339.format) } == ["2026-11-23T08:00:00Z", "2026-12-07T07:00:00Z"])
        let created = try await running.components.store.createCase(
            caseRef: built.caseRef, plan: built.plan.name, requestHash: built.requestHash, steps: built.steps,
            caseStops: CaseStopPolicy(kinds: config.planning.kinds), now: clock.now)
        guard case .created(let record) = created else {
            Issue.record("\(created)")
            return
        }

        // At 09:00 the dispatcher chooses 18:00 from the outcomes and waits for it.
        await running.components.dispatcher.run(untilIdle: true)
        let waiting = try await running.status(record.steps[0].messageID)
        #expect(waiting.state == .queued && waiting.nextAttemptAt.map(RFC3339.format) == "2026-11-23T17:00:00Z", "\(waiting.decisions.map(\.text))")
        let wait = try #require(waiting.decisions.last?.text)
        #expect(wait.hasPrefix("waiting for the learned send hour: learned send hour 18:00 by Thompson sampling over the open hours 09–20: drew "), "\(wait)")
        #expect(wait.contains("(10 paid of 10 earlier sends), the highest of 12 hours; similar debtors: NO, sms"), "\(wait)")
        // At 18:00 it goes: the same draws choose the same hour among the hours left.
        clock.set(RFC3339.parseTimestamp("2026-11-23T17:00:00Z")!)
        await running.components.dispatcher.run(untilIdle: true)
        let sent = try await running.status(record.steps[0].messageID)
        #expect(sent.state == .sent, "\(sent.decisions.map(\.text))")
        #expect(sent.decisions.contains { $0.text.hasPrefix("learned send hour 18:00 by Thompson sampling over the open hours 18–20") }, "\(sent.decisions.map(\.text))")
        await running.stop()
    }

    @Test("POST /v1/cases with a learned plan and no history: every step inside the Norwegian window (weekday 08–20, Saturday 09–14, never Sunday)")
    func throughTheAPI() async throws {
        let api = try await APITests.Running.start(plans: ["learned-no": Self.plan], contactWindows: true)
        for index in 0..<6 {
            let body = CaseAPITests.body("api-learned-\(index)", due: Fixtures.day(index)).replacingOccurrences(of: "standard-no", with: "learned-no")
            let (status, reply) = try await api.post("/v1/cases", body)
            #expect(status == 201, "\(reply)")
            for step in try #require(reply["steps"] as? [[String: Any]]) {
                let text = try #require(step["send_after"] as? String)
                let at = Self.local(try #require(RFC3339.parseTimestamp(text)))
                #expect(at.weekday != 1, "never a Sunday")
                #expect(at.weekday == 7 ? (9...14).contains(at.hour) : (8...20).contains(at.hour), "\(at)")
            }
        }
        await api.stop()
    }

    @Test("a plan's timing: its own, else plans.timing for its country, else fixed")
    func timingSetting() throws {
        let config = try ConfigLoader.load(yaml: ConfigTests.minimal + "\nplans: { timing: { se: learned } }\n", baseDirectory: "/etc/varsel")
        var plan = CollectionPlan(name: "p", country: "SE", steps: [])
        #expect(config.plans.timing(of: plan) == .learned)
        plan.timing = .fixed
        #expect(config.plans.timing(of: plan) == .fixed)
        #expect(config.plans.timing(of: CollectionPlan(name: "q", country: "NO", steps: [])) == .fixed)
        #expect(ConfigTests.errors(ConfigTests.minimal + "\nplans: { timing: { NOR: learned, SE: sometimes }, learn_paid_within_days: 0 }\n").sorted() == [
            "plans.learn_paid_within_days: expected a whole number from 1 to 90",
            "plans.timing.NOR: expected an ISO 3166-1 alpha-2 country code such as NO",
            "plans.timing.SE: use fixed or learned",
        ])
    }
}
