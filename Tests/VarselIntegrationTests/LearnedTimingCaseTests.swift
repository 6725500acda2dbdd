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

    @Test("earlier sends where 18:00 got paid: a new case's steps go at 18:00 Oslo time, and the send's trail says which hour and why", arguments: StoreBackend.allCases)
    func learnsFromTheStore(_ backend: StoreBackend) async throws {
        // Monday 2026-11-02, 08:00 Oslo (07:00 UTC).
        let clock = Clock(RFC3339.parseTimestamp("2026-11-02T07:00:00Z")!)
        let running = try await SendTimeRulesTests.Running.start(backend, clock: clock, contactWindows: true)
        // History: three SMS cases sent at each hour 08–20 on that Monday; those sent at 18:00 were paid the next day.
        var paidCases: [String] = []
        for hour in 8...20 {
            clock.set(RFC3339.parseTimestamp("2026-11-02T\(String(format: "%02d", hour - 1)):00:00Z")!)
            for index in 0..<3 {
                let caseRef = "hist-\(hour)-\(index)"
                let line = Fixtures.sms(key: caseRef, phone: "+4791\(String(format: "%06d", hour * 10 + index))")
                    .replacingOccurrences(of: "case-\(caseRef)", with: caseRef)
                _ = try await running.enqueue(line, now: clock.now)
                if hour == 18 { paidCases.append(caseRef) }
            }
            await running.components.dispatcher.run(untilIdle: true)
        }
        #expect(try await running.components.store.countByState() == [.sent: 39])
        clock.set(RFC3339.parseTimestamp("2026-11-03T12:00:00Z")!)
        for caseRef in paidCases {
            _ = try await running.components.store.recordCaseEvent(
                CaseEventRequest(caseRef: caseRef, type: .paid, at: clock.now), caseStops: CaseStopPolicy(kinds: running.components.config.planning.kinds), now: clock.now)
        }

        // Three weeks later, a late case: its first step goes today, at the learned hour.
        clock.set(RFC3339.parseTimestamp("2026-11-23T08:00:00Z")!)
        let config = running.components.config
        let learning = SendHourLearning(store: running.components.store, plans: config.plans, seed: 42)
        let stats = try await learning.stats(now: clock.now)
        #expect(stats[.init(country: "NO", channel: .sms)]?[18] == HourStats(sends: 3, paid: 3))
        #expect(stats[.init(country: "NO", channel: .sms)]?[9] == HourStats(sends: 3, paid: 0))
        let timing = try await learning.timing(now: clock.now, windows: config.contactWindows, channelOrder: config.planning.channelOrder)
        let validator = MessageValidator(kinds: config.planning.kinds, collectionRules: config.planning.collectionRules, now: { clock.now })
        let body = CaseAPITests.body("learned-1", due: "2026-11-01").replacingOccurrences(of: "standard-no", with: "learned-no")
        let value = try MessageValidator.parse(json: Array(body.utf8)).get()
        let built = try CaseBuilder(validator: validator).build(value, plans: ["learned-no": Self.plan], stored: [:], now: clock.now, timing: timing).get()
        for (_, message) in built.steps {
            let local = Self.local(try #require(message.sendAfter))
            #expect(local.hour == 18, "\(message.planStep?.sendHour ?? "")")
            #expect(message.planStep?.sendHour?.contains("learned send hour 18:00 by Thompson sampling over the open hours") == true)
            #expect(message.planStep?.sendHour?.contains("(3 paid of 3 earlier sends)") == true, "\(message.planStep?.sendHour ?? "")")
            #expect(message.planStep?.sendHour?.contains("similar debtors: NO, sms") == true)
        }
        #expect(Self.local(try #require(built.steps[0].message.sendAfter)).day == CalendarDate(year: 2026, month: 11, day: 23))
        let created = try await running.components.store.createCase(
            caseRef: built.caseRef, plan: built.plan.name, requestHash: built.requestHash, steps: built.steps,
            caseStops: CaseStopPolicy(kinds: config.planning.kinds), now: clock.now)
        guard case .created(let record) = created else { Issue.record("\(created)"); return }

        // At 18:00 Oslo the first step goes, and its trail names the hour and the evidence.
        await running.components.dispatcher.run(untilIdle: true)
        #expect(try await running.status(record.steps[0].messageID).state == .queued, "not before its hour")
        clock.set(RFC3339.parseTimestamp("2026-11-23T17:00:00Z")!)
        await running.components.dispatcher.run(untilIdle: true)
        let sent = try await running.status(record.steps[0].messageID)
        #expect(sent.state == .sent, "\(sent.decisions.map(\.text))")
        #expect(sent.decisions.contains { $0.text.hasPrefix("send hour: learned send hour 18:00 by Thompson sampling over the open hours") }, "\(sent.decisions.map(\.text))")
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
