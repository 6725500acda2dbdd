import Foundation
import Testing
import VarselCore
@testable import VarselDaemon
import VarselStore
import VarselTestSupport

/// `POST /v1/cases/{case_ref}/events` and `varsel case event`, through real HTTP and real stores,
/// with the dispatcher sending to the loopback sandbox gateway.
@Suite(.serialized) struct CaseEventAPITests {
    typealias Running = APITests.Running

    static func sms(_ key: String, case caseRef: String) -> String {
        Fixtures.sms(key: key).replacingOccurrences(of: "case-\(key)", with: caseRef)
    }

    @Test("paid → 201 with what it cancelled; a later reminder → 409 naming the stop, a retry of an earlier one → 200; a receipt still goes; dispute_resolved does not reopen a paid case, reopened does", arguments: StoreBackend.allCases)
    func paidStopsCase(_ backend: StoreBackend) async throws {
        let api = try await Running.start(backend: backend)
        let sent = try #require(try await api.post("/v1/messages", Self.sms("p0", case: "inv-7")).1["id"] as? String)
        await api.components.dispatcher.run(untilIdle: true)
        let queued = try #require(try await api.post("/v1/messages", Self.sms("p1", case: "inv-7")).1["id"] as? String)

        let (status, reply) = try await api.post("/v1/cases/inv-7/events", #"{"type": "paid", "amount": "1250.00", "currency": "NOK"}"#)
        #expect(status == 201, "\(reply)")
        #expect(reply["cancelled_ids"] as? [String] == [queued])
        #expect(reply["already_sent_ids"] as? [String] == [sent])
        let event = try #require(reply["event"] as? [String: Any])
        #expect(event["type"] as? String == "paid" && event["amount"] as? String == "1250.00" && (event["id"] as? String)?.hasPrefix("evt_") == true)
        #expect((reply["case"] as? [String: Any])?["standing"] as? String == "paid")

        let (refusedStatus, refused) = try await api.post("/v1/messages", Self.sms("p2", case: "inv-7"))
        #expect(refusedStatus == 409)
        #expect(refused["type"] as? String == "urn:varsel:problem:case-stopped")
        #expect((refused["detail"] as? String)?.contains("case inv-7 is stopped: paid") == true)
        #expect(try await api.components.store.list(caseRef: "inv-7", state: nil, limit: 10, after: nil).count == 2, "nothing stored")
        // A retry of a message enqueued before the stop answers as it did (200, the same id), not 409.
        let (replayStatus, replay) = try await api.post("/v1/messages", Self.sms("p1", case: "inv-7"))
        #expect(replayStatus == 200 && replay["id"] as? String == queued, "\(replay)")
        let receipt = Fixtures.message(key: "p3", kind: "payment_received", recipient: #""phone":"+4791234567""#,
            data: #"{"creditor":"Fjordkraft AS","invoice_number":"10023","amount":"1250.00","currency":"NOK"}"#)
            .replacingOccurrences(of: "case-p3", with: "inv-7")
        #expect(try await api.post("/v1/messages", receipt).0 == 202, "a receipt of the payment is not a demand")

        #expect(try await api.post("/v1/cases/inv-7/events", #"{"type": "dispute_resolved"}"#).1["case"].flatMap { ($0 as? [String: Any])?["standing"] as? String } == "paid")
        #expect(try await api.post("/v1/messages", Self.sms("p4", case: "inv-7")).0 == 409)
        #expect(try await api.post("/v1/cases/inv-7/events", #"{"type": "reopened", "note": "payment reversed"}"#).0 == 201)
        #expect(try await api.post("/v1/messages", Self.sms("p5", case: "inv-7")).0 == 202)

        let (listed, events) = try await api.get("/v1/cases/inv-7/events")
        #expect(listed == 200)
        #expect((events["events"] as? [[String: Any]])?.compactMap { $0["type"] as? String } == ["paid", "dispute_resolved", "reopened"])
        #expect(events["standing"] as? String == "open")
        await api.stop()
    }

    @Test("bad events → 422 naming the field, nothing recorded; the read-only token → 403; a repeated key → 200 with the first event; another event under it → 409")
    func eventInput() async throws {
        let api = try await Running.start()
        for (body, field) in [
            (#"{"type": "settled"}"#, "type"), (#"{"type": "partially_paid"}"#, "amount"), (#"{"type": "paid", "amount": "-3"}"#, "amount"),
            (#"{"type": "paid", "at": "2099-01-01T00:00:00Z"}"#, "at"), (#"{"type": "paid", "currency": "NOK"}"#, "currency"),
        ] {
            let (status, problem) = try await api.post("/v1/cases/inv-8/events", body)
            #expect(status == 422, "\(body)")
            #expect((problem["errors"] as? [[String: Any]])?.first?["field"] as? String == field, "\(body): \(problem)")
        }
        let notJSON = try await api.post("/v1/cases/inv-8/events", "not json").0
        #expect(notJSON == 400 || notJSON == 422)
        #expect(try await api.post("/v1/cases/inv-8/events", #"{"type": "paid"}"#, as: api.readToken).0 == 403)
        #expect((try await api.get("/v1/cases/inv-8/events").1["events"] as? [Any])?.isEmpty == true, "nothing recorded")

        let body = #"{"type": "partially_paid", "amount": "100"}"#
        let (first, firstReply) = try await api.post("/v1/cases/inv-8/events", body, headers: ["Idempotency-Key": "pay-8"])
        let (again, againReply) = try await api.post("/v1/cases/inv-8/events", body, headers: ["Idempotency-Key": "pay-8"])
        #expect(first == 201 && again == 200)
        #expect((firstReply["event"] as? [String: Any])?["id"] as? String == (againReply["event"] as? [String: Any])?["id"] as? String)
        #expect(againReply["duplicate"] as? Bool == true)
        #expect(try await api.post("/v1/cases/inv-8/events", #"{"type": "partially_paid", "amount": "200"}"#, headers: ["Idempotency-Key": "pay-8"]).0 == 409)
        #expect((try await api.get("/v1/cases/inv-8/events").1["events"] as? [Any])?.count == 1)
        await api.stop()
    }

    @Test("a case reference with a space or a slash, percent-encoded in the path, names that case")
    func encodedCaseRef() async throws {
        let api = try await Running.start()
        let id = try #require(try await api.post("/v1/messages", Self.sms("enc", case: "inv 10/a")).1["id"] as? String)
        let (status, reply) = try await api.post("/v1/cases/inv%2010%2Fa/events", #"{"type": "disputed"}"#)
        #expect(status == 201)
        #expect(reply["cancelled_ids"] as? [String] == [id])
        #expect((reply["event"] as? [String: Any])?["case_ref"] as? String == "inv 10/a")
        #expect((try await api.get("/v1/cases/inv%2010%2Fa/events").1["events"] as? [Any])?.count == 1)
        await api.stop()
    }

    @Test("partially_paid: a reminder accepted before it is sent with what is left, and says why in its trail", arguments: StoreBackend.allCases)
    func partialPaymentLowersAmount(_ backend: StoreBackend) async throws {
        let api = try await Running.start(backend: backend)
        let id = try #require(try await api.post("/v1/messages", Self.sms("pp", case: "inv-9")).1["id"] as? String)
        #expect(try await api.post("/v1/cases/inv-9/events", #"{"type": "partially_paid", "amount": "400.00", "currency": "NOK"}"#).0 == 201)
        await api.components.dispatcher.run(untilIdle: true)
        let text = try #require(api.sandbox.received.first?.json?["text"] as? String)
        #expect(text.contains("850,00"), "\(text)")
        #expect(!text.contains("1 250,00") && !text.contains("1250,00"), "\(text)")
        let status = try #require(try await api.components.store.status(id: id))
        #expect(status.decisions.contains { $0.text.contains("amount 850.00 NOK: 1250.00 less partial payments 400.00") })
        await api.stop()
    }

    @Test("events racing sends: after paid returns, nothing of the case is sent but what it reported as already sent", arguments: StoreBackend.allCases)
    func paidRacingSends(_ backend: StoreBackend) async throws {
        // Two connections and 200 ms a send: the case's 60 messages take seconds to go out.
        let api = try await Running.start(backend: backend, gatewayOptions: "max_connections: 2")
        api.sandbox.setBehaviour(.init(delay: .milliseconds(200)))
        var ids: [String] = []
        for index in 0..<60 { ids.append(try #require(try await api.post("/v1/messages", Self.sms("r\(index)", case: "inv-race")).1["id"] as? String)) }
        let dispatcher = api.components.dispatcher
        let running = Task { await dispatcher.run() }
        // Let some sends go out, then the payment arrives.
        #expect(await eventually { api.sandbox.received.count >= 5 })
        let (status, reply) = try await api.post("/v1/cases/inv-race/events", #"{"type": "paid"}"#)
        #expect(status == 201)
        let alreadySent = Set(reply["already_sent_ids"] as? [String] ?? [])
        let cancelled = Set(reply["cancelled_ids"] as? [String] ?? [])
        #expect(!cancelled.isEmpty, "the payment came too late to test anything")
        #expect(alreadySent.count + cancelled.count + (reply["already_finished_ids"] as? [String] ?? []).count == ids.count)
        // Every message ends; none the event cancelled reaches the gateway.
        let store = api.components.store
        let settled = try await eventually(timeout: .seconds(60)) {
            let sending = try await store.list(caseRef: "inv-race", state: .sending, limit: 100, after: nil)
            let queued = try await store.list(caseRef: "inv-race", state: .queued, limit: 100, after: nil)
            return sending.isEmpty && queued.isEmpty
        }
        #expect(settled)
        dispatcher.requestStop()
        _ = await running.value
        let received = Set(api.sandbox.received.compactMap { $0.json?["message_id"] as? String })
        #expect(received.isSubset(of: alreadySent.union(reply["already_finished_ids"] as? [String] ?? [])), "sent after paid returned: \(received.subtracting(alreadySent))")
        #expect(received.isDisjoint(with: cancelled))
        for id in cancelled { #expect(try await store.status(id: id)?.state == .cancelled) }
        await api.stop()
    }

    @Test("varsel case event records an event on the local store and prints what it cancelled; a bad type is an error naming the field; varsel case show prints the case")
    func caseEventCommand() async throws {
        let directory = TemporaryDirectory()
        let config = ProcessTests.writeConfig(directory, gatewayBase: "http://127.0.0.1:1")
        let id = try #require(try await ProcessTests.enqueue(config, [Self.sms("cli", case: "inv-cli")]).first?["id"] as? String)
        let run = try await ChildProcess.run(["case", "event", "inv-cli", "disputed", "--note", "debtor objects", "--config", config])
        #expect(run.status == 0, "\(run.stderr)")
        let reply = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(reply["cancelled_ids"] as? [String] == [id])
        #expect((reply["event"] as? [String: Any])?["note"] as? String == "debtor objects")
        let later = try await ProcessTests.enqueue(config, [Self.sms("cli2", case: "inv-cli")])
        #expect((later.first?["error"] as? String)?.contains("case inv-cli is stopped: disputed") == true, "\(later)")
        let bad = try await ChildProcess.run(["case", "event", "inv-cli", "settled", "--config", config])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("type: 'settled' is not an event type"))
        let noAmount = try await ChildProcess.run(["case", "event", "inv-cli", "partially_paid", "--config", config])
        #expect(noAmount.status != 0 && noAmount.stderr.contains("amount: required for partially_paid"))

        let shown = try await ChildProcess.run(["case", "show", "inv-cli", "--config", config])
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout.hasPrefix("case inv-cli · stopped: disputed"), "\(shown.stdout)")
        #expect(shown.stdout.contains("disputed") && shown.stdout.contains(id))
        let json = try await ChildProcess.run(["case", "show", "inv-cli", "--json", "--config", config])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["standing"] as? String == "disputed")
        #expect((object["messages"] as? [[String: Any]])?.first?["state"] as? String == "cancelled")
        let unknown = try await ChildProcess.run(["case", "show", "nothing", "--config", config])
        #expect(unknown.status != 0 && unknown.stderr.contains("nothing is known of case nothing"))
    }
}
