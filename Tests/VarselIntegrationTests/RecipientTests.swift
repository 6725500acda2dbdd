import Foundation
import Testing
import VarselCore
import VarselDaemon
import VarselStore
import VarselTestSupport

/// Stored recipient preferences through the API: merge on send, stored opt-outs win, GDPR erasure.
@Suite(.serialized) struct RecipientTests {
    static let record = #"{"name":"Kari Nordmann","locale":"nb-NO","country":"NO","phone":"+4791234567","email":"kari@example.no"}"#

    static func put(_ api: APITests.Running, _ id: String, _ body: String) async throws -> (Int, [String: Any]) {
        let reply = try await api.client.send("PUT", "/v1/recipients/\(id)", body: Data(body.utf8))
        return (reply.status, (try? JSONSerialization.jsonObject(with: reply.body)) as? [String: Any] ?? [:])
    }

    static func message(recipient: String, key: String) -> String {
        Fixtures.message(key: key, recipient: recipient)
    }

    @Test("PUT creates (201) and replaces (200) a record, GET returns it, bad fields are named, DELETE needs admin", arguments: StoreBackend.allCases)
    func crud(_ backend: StoreBackend) async throws {
        let api = try await APITests.Running.start(backend: backend)
        #expect(try await Self.put(api, "debtor-42", Self.record).0 == 201)
        #expect(try await Self.put(api, "debtor-42", Self.record).0 == 200)
        let (status, body) = try await api.get("/v1/recipients/debtor-42")
        #expect(status == 200)
        #expect(body["phone"] as? String == "+4791234567" && body["id"] as? String == "debtor-42")
        let (bad, problem) = try await Self.put(api, "debtor-42", #"{"phone":"12345","opt_out":["fax"]}"#)
        #expect(bad == 422)
        let fields = (problem["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
        #expect(fields.contains("phone") && fields.contains("opt_out[0]"))
        #expect(try await Self.put(api, "debtor-42", #"{"id":"someone-else"}"#).0 == 422)
        #expect(try await api.get("/v1/recipients/nobody").0 == 404)
        #expect(try await api.client.send("DELETE", "/v1/recipients/debtor-42").status == 403)
        await api.stop()
    }

    @Test("a message naming a stored recipient may leave out contact points, and is sent to the stored ones", arguments: StoreBackend.allCases)
    func mergeOnSend(_ backend: StoreBackend) async throws {
        let api = try await APITests.Running.start(backend: backend)
        _ = try await Self.put(api, "debtor-42", Self.record)
        let (status, body) = try await api.post("/v1/messages", Self.message(recipient: #""id":"debtor-42","channels":["sms"]"#, key: "m1"))
        #expect(status == 202)
        #expect(try await api.post("/v1/messages", Self.message(recipient: #""id":"unknown-7","channels":["sms"]"#, key: "m2")).0 == 422)
        await api.components.dispatcher.run(untilIdle: true)
        #expect(api.sandbox.received.first?.json?["to"] as? String == "+4791234567")
        let id = try #require(body["id"] as? String)
        let state = try #require(try await api.components.store.status(id: id))
        #expect(state.state == .sent && state.locale == "nb")
        #expect(state.decisions.contains { $0.text.hasPrefix("preferences merged from the stored record of recipient debtor-42") })
        await api.stop()
    }

    @Test("an opt-out stored for the recipient wins, even when stored after the message was enqueued", arguments: StoreBackend.allCases)
    func storedOptOutWins(_ backend: StoreBackend) async throws {
        let api = try await APITests.Running.start(backend: backend)
        _ = try await Self.put(api, "debtor-42", Self.record)
        let body = try await api.post(
            "/v1/messages", Self.message(recipient: #""id":"debtor-42","channels":["sms","email"],"phone":"+4798765432""#, key: "o1")).1
        let id = try #require(body["id"] as? String)
        _ = try await Self.put(api, "debtor-42", Self.record.replacingOccurrences(of: #""email""#, with: #""opt_out":["sms"],"email""#))
        await api.components.dispatcher.run(untilIdle: true)
        let status = try #require(try await api.components.store.status(id: id))
        #expect(status.channel == .email)
        #expect(status.decisions.contains { $0.text == "sms skipped: recipient opted out" })
        #expect(api.sandbox.received.map(\.channel) == ["email"])
        await api.stop()
    }

    @Test("DELETE erases the recipient's personal data, cancels what was not sent, keeps the proof, and says so", arguments: StoreBackend.allCases)
    func erasure(_ backend: StoreBackend) async throws {
        let api = try await APITests.Running.start(backend: backend)
        _ = try await Self.put(api, "debtor-42", Self.record)
        let sentID = try #require(try await api.post("/v1/messages", Self.message(recipient: #""id":"debtor-42","channels":["sms"]"#, key: "e1")).1["id"] as? String)
        await api.components.dispatcher.run(untilIdle: true)
        let queuedID = try #require(try await api.post("/v1/messages", Self.message(recipient: #""id":"debtor-42","channels":["email"]"#, key: "e2")).1["id"] as? String)

        let admin = APIClient(baseURL: api.client.baseURL, token: api.staticAdminToken)
        defer { admin.close() }
        let reply = try await admin.send("DELETE", "/v1/recipients/debtor-42")
        #expect(reply.status == 200)
        let body = try #require(try JSONSerialization.jsonObject(with: reply.body) as? [String: Any])
        #expect(body["erased"] as? Bool == true && body["messages_scrubbed"] as? Int == 2 && body["messages_cancelled"] as? Int == 1)
        #expect((body["detail"] as? String)?.contains("personal data erased") == true)
        #expect(try await api.get("/v1/recipients/debtor-42").0 == 404)
        #expect(try await admin.send("DELETE", "/v1/recipients/debtor-42").status == 404)

        let sent = try #require(try await api.components.store.status(id: sentID))
        #expect(sent.state == .sent && sent.content == nil && sent.template != nil)
        #expect(sent.attempts.count == 1)
        let queued = try #require(try await api.components.store.status(id: queuedID))
        #expect(queued.state == .cancelled && queued.reason == "recipient's personal data erased")
        await api.components.dispatcher.run(untilIdle: true)
        #expect(api.sandbox.received.count == 1)
        await api.stop()
    }
}
