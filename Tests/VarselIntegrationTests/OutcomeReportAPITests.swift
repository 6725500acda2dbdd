import Foundation
import Testing
import VarselCore
@testable import VarselDaemon
import VarselStore
import VarselTestSupport

/// `GET /v1/reports/outcomes` and `varsel report outcomes` over real sends and events on both stores.
@Suite(.serialized) struct OutcomeReportAPITests {
    typealias Running = APITests.Running

    @Test("sends and a payment: the report by channel counts messages, cases and the paid case; bad parameters → 400 naming them", arguments: StoreBackend.allCases)
    func report(_ backend: StoreBackend) async throws {
        let api = try await Running.start(backend: backend)
        for index in 0..<3 {
            let line = Fixtures.sms(key: "o\(index)").replacingOccurrences(of: "case-o\(index)", with: "inv-o\(index)")
            #expect(try await api.post("/v1/messages", line).0 == 202)
        }
        #expect(try await api.post("/v1/messages", Fixtures.email(key: "oe").replacingOccurrences(of: "case-oe", with: "inv-o0")).0 == 202)
        await api.components.dispatcher.run(untilIdle: true)
        #expect(try await api.post("/v1/cases/inv-o1/events", #"{"type": "paid"}"#).0 == 201)

        let (status, report) = try await api.get("/v1/reports/outcomes?by=channel&paid_within_days=14")
        #expect(status == 200, "\(report)")
        let rows = try #require(report["rows"] as? [[String: Any]])
        let sms = try #require(rows.first { $0["channel"] as? String == "sms" })
        #expect(sms["messages"] as? Int == 3 && sms["cases"] as? Int == 3 && sms["paid"] as? Int == 1)
        #expect(abs((sms["rate"] as? Double ?? 0) - 0.3333) < 1e-4)
        let email = try #require(rows.first { $0["channel"] as? String == "email" })
        #expect(email["messages"] as? Int == 1 && email["paid"] as? Int == 0)
        #expect(report["attribution"] as? String == "last")

        let bad = try await api.get("/v1/reports/outcomes?by=colour&paid_within_days=0")
        #expect(bad.0 == 400)
        #expect(Set((bad.1["errors"] as? [[String: Any]])?.compactMap { $0["field"] as? String } ?? []) == ["by", "paid_within_days"])
        await api.stop()
    }

    @Test("varsel report outcomes prints a table, JSON, or an HTML page with SVG charts; a bad dimension is an error")
    func command() async throws {
        let directory = TemporaryDirectory()
        let sandbox = SandboxGateway()
        try await sandbox.start()
        let config = ProcessTests.writeConfig(directory, gatewayBase: sandbox.baseURL)
        _ = try await ProcessTests.enqueue(config, [Fixtures.sms(key: "r1")])
        let serve = try ChildProcess(arguments: ["serve", "--config", config])
        let store = try SQLiteMessageStore(path: directory.file("varsel.db"))
        #expect(await eventually(timeout: .seconds(60)) { (try? await store.countByState())?[.sent] == 1 })
        await serve.terminate()
        await sandbox.stop()
        let table = try await ChildProcess.run(["report", "outcomes", "--by", "channel,hour", "--config", config])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("channel") && table.stdout.contains("sms") && table.stdout.contains("95% interval"), "\(table.stdout)")
        let json = try await ChildProcess.run(["report", "outcomes", "--format", "json", "--config", config])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((object["rows"] as? [[String: Any]])?.first?["messages"] as? Int == 1)
        let html = try await ChildProcess.run(["report", "outcomes", "--format", "html", "--config", config])
        #expect(html.stdout.hasPrefix("<!doctype html>") && html.stdout.contains("<svg") && html.stdout.contains("Rate by hour"))
        let bad = try await ChildProcess.run(["report", "outcomes", "--by", "colour", "--config", config])
        #expect(bad.status != 0 && bad.stderr.contains("--by: 'colour' is not a dimension"))
    }
}
