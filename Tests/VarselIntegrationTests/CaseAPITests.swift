import Foundation
import Testing
import VarselCore
@testable import VarselDaemon
import VarselStore
import VarselTestSupport

/// `POST /v1/cases` and `GET /v1/cases/{case_ref}` through real HTTP and real stores: a plan's steps
/// become messages, events stop them, deadlines are stated when a step goes.
@Suite(.serialized) struct CaseAPITests {
    typealias Running = APITests.Running

    static let plan = CollectionPlan(name: "standard-no", country: "NO", steps: [
        PlanStep(name: "reminder-1", kind: "reminder", anchor: .dueDate, days: 14, channels: [.sms], fee: "35.00"),
        PlanStep(name: "reminder-2", kind: "reminder", anchor: .previous, days: 14, channels: [.sms], skipIfAmountAbove: "50000"),
        PlanStep(name: "notice", kind: "collection_notice", anchor: .previous, days: 14, channels: [.letter], deadlineDays: 14),
    ])

    static func body(_ caseRef: String, due: String, amount: String = "1250.00", plan: String = "standard-no") -> String {
        #"{"case_ref": "\#(caseRef)", "plan": "\#(plan)", "recipient": {"name": "Kari Nordmann", "country": "NO", "phone": "+4791234567", "address": {"lines": ["Storgata 1"], "postal_code": "0155", "city": "Oslo", "country": "NO"}}, "data": {"creditor": "Fjordkraft AS", "invoice_number": "10023", "amount": "\#(amount)", "currency": "NOK", "due_date": "\#(due)", "payment_link": "https://pay.example/abc"}}"#
    }

    @Test("a case: 201 with its scheduled steps; the same body → 200 and the same case; another body → 409; GET shows steps and what is next; paid stops the rest", arguments: StoreBackend.allCases)
    func createAndStop(_ backend: StoreBackend) async throws {
        let api = try await Running.start(backend: backend, plans: ["standard-no": Self.plan])
        let due = Fixtures.day(10)
        let (status, reply) = try await api.post("/v1/cases", Self.body("inv-100", due: due))
        #expect(status == 201, "\(reply)")
        let steps = try #require(reply["steps"] as? [[String: Any]])
        #expect(steps.compactMap { $0["step"] as? String } == ["reminder-1", "reminder-2", "notice"])
        #expect(steps.allSatisfy { ($0["message_id"] as? String)?.hasPrefix("msg_") == true })
        let again = try await api.post("/v1/cases", Self.body("inv-100", due: due))
        #expect(again.0 == 200)
        #expect((again.1["steps"] as? [[String: Any]])?.compactMap { $0["message_id"] as? String } == steps.compactMap { $0["message_id"] as? String })
        #expect(try await api.post("/v1/cases", Self.body("inv-100", due: due, amount: "999.00")).0 == 409)
        #expect(try await api.components.store.list(caseRef: "inv-100", state: nil, limit: 10, after: nil).count == 3)

        let (shown, view) = try await api.get("/v1/cases/inv-100")
        #expect(shown == 200)
        #expect(view["plan"] as? String == "standard-no")
        #expect((view["next"] as? [String: Any])?["step"] as? String == "reminder-1")
        #expect((view["steps"] as? [[String: Any]])?.allSatisfy { $0["state"] as? String == "queued" } == true)

        let (_, paid) = try await api.post("/v1/cases/inv-100/events", #"{"type": "paid"}"#)
        #expect((paid["cancelled_ids"] as? [String])?.count == 3)
        let (_, after) = try await api.get("/v1/cases/inv-100")
        #expect(after["standing"] as? String == "paid")
        #expect(after["next"] is NSNull)
        #expect((after["events"] as? [[String: Any]])?.count == 1)
        #expect(try await api.get("/v1/cases/nothing-here").0 == 404)
        await api.stop()
    }

    @Test("the amount decides the steps: above 50 000 the second reminder is skipped")
    func conditions() async throws {
        let api = try await Running.start(plans: ["standard-no": Self.plan])
        let (status, reply) = try await api.post("/v1/cases", Self.body("inv-big", due: Fixtures.day(10), amount: "60000.00"))
        #expect(status == 201)
        #expect((reply["steps"] as? [[String: Any]])?.compactMap { $0["step"] as? String } == ["reminder-1", "notice"])
        await api.stop()
    }

    @Test("bad cases → 422 naming the field, nothing stored: unknown plan, no due date, a bad recipient; a stopped case → 409")
    func badCases() async throws {
        let api = try await Running.start(plans: ["standard-no": Self.plan])
        let unknown = try await api.post("/v1/cases", Self.body("inv-x", due: Fixtures.day(10), plan: "gentle"))
        #expect(unknown.0 == 422)
        #expect((unknown.1["errors"] as? [[String: Any]])?.first?["field"] as? String == "plan")
        let noDue = try await api.post("/v1/cases", Self.body("inv-x", due: "soon"))
        #expect(noDue.0 == 422)
        #expect((noDue.1["errors"] as? [[String: Any]])?.contains { $0["field"] as? String == "data.due_date" } == true)
        let badPhone = try await api.post("/v1/cases", Self.body("inv-x", due: Fixtures.day(10)).replacingOccurrences(of: "+4791234567", with: "12"))
        #expect(badPhone.0 == 422)
        #expect((badPhone.1["errors"] as? [[String: Any]])?.filter { $0["field"] as? String == "recipient.phone" }.count == 1, "said once, not per step")
        #expect(try await api.components.store.list(caseRef: "inv-x", state: nil, limit: 10, after: nil).isEmpty)
        _ = try await api.post("/v1/cases/inv-stop/events", #"{"type": "disputed"}"#)
        let stopped = try await api.post("/v1/cases", Self.body("inv-stop", due: Fixtures.day(10)))
        #expect(stopped.0 == 409)
        #expect(stopped.1["type"] as? String == "urn:varsel:problem:case-stopped")
        #expect(try await api.components.store.list(caseRef: "inv-stop", state: nil, limit: 10, after: nil).isEmpty, "nothing of the case kept")
        await api.stop()
    }

    @Test("a step states its deadline when it goes: a step due long ago goes now, with today plus the plan's days", arguments: StoreBackend.allCases)
    func deadlineAtSend(_ backend: StoreBackend) async throws {
        let api = try await Running.start(backend: backend, plans: ["standard-no": Self.plan])
        let (status, reply) = try await api.post("/v1/cases", Self.body("inv-late", due: Fixtures.day(-20)))
        #expect(status == 201, "\(reply)")
        let first = try #require((reply["steps"] as? [[String: Any]])?.first?["message_id"] as? String)
        let oslo = TimeZone(identifier: "Europe/Oslo")!
        let before = ValueRules.today(Date(), in: oslo)
        await api.components.dispatcher.run(untilIdle: true)
        let after = ValueRules.today(Date(), in: oslo)
        let sent = try #require(try await api.components.store.status(id: first))
        #expect(sent.state == .sent, "\(sent.reason ?? "")")
        // Today in Oslo plus 14 days (either side of midnight, should the run cross it).
        let expected = Set([before, after].map { today in
            let (year, month, day) = RFC3339.civilFromDays(today.dayNumber + 14)
            return "deadline \(CalendarDate(year: year, month: month, day: day)): plan standard-no, step reminder-1"
        })
        #expect(sent.decisions.contains { line in expected.contains { line.text.hasPrefix($0) } }, "\(sent.decisions.map(\.text))")
        await api.stop()
    }

    @Test("the shipped plans load as the daemon loads them, and a Norwegian case is created from standard-no; a broken plan set is not used and says why")
    func shippedPlans() async throws {
        let directory = TemporaryDirectory()
        let plansDir = Paths.packageRoot.appendingPathComponent("plans").path
        let config = try ConfigLoader.load(
            yaml: Fixtures.config(storePath: directory.file("varsel.db"), gatewayBase: "http://127.0.0.1:1") + "\nplans: { dir: \"\(plansDir)\" }",
            baseDirectory: directory.path)
        let loaded = PlanLoading.load(config: config, logger: quietLogger)
        #expect(loaded.failure == nil)
        #expect(Set(loaded.plans.keys) == ["standard-no", "standard-se", "standard-dk", "standard-fi"])
        let api = try await Running.start(plans: loaded.plans)
        let (status, reply) = try await api.post("/v1/cases", Self.body("inv-shipped", due: Fixtures.day(-3)))
        #expect(status == 201, "\(reply)")
        #expect((reply["steps"] as? [[String: Any]])?.compactMap { $0["step"] as? String } == ["reminder-1", "reminder-2", "notice"])
        await api.stop()

        let broken = directory.url.appendingPathComponent("plans")
        try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
        _ = directory.write("plans/loose.yaml", "name: loose\ncountry: DK\nsteps:\n  - { name: r1, kind: reminder, after: { due_date: 0 }, fee: \"500.00\" }\n")
        let brokenConfig = try ConfigLoader.load(
            yaml: Fixtures.config(storePath: directory.file("varsel.db"), gatewayBase: "http://127.0.0.1:1") + "\nplans: { dir: \"\(broken.path)\" }",
            baseDirectory: directory.path)
        let refused = PlanLoading.load(config: brokenConfig, logger: quietLogger)
        #expect(refused.plans.isEmpty)
        #expect(refused.failure?.contains("no plan is in force") == true, "\(refused.failure ?? "")")
    }
}
