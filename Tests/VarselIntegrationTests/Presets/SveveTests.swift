import Foundation
import Testing
import VarselCore
import VarselDaemon
import VarselGateways
import VarselStore
import VarselTestSupport

/// The `sveve` preset against a stand-in of Sveve's SMS API (https://sveve.no/apidok/send,
/// https://sveve.no/apidok/dlr): the JSON SendMessage request, its reply, and delivery reports.
@Suite(.serialized) struct SveveTests {
    static let accepted = #"{"response":{"msgOkCount":1,"stdSMSCount":2,"ids":[42824112]}}"#

    static func start(receipts: String = "receipts: { signature: none }", reply: @escaping @Sendable () -> LoopbackServer.Reply)
        async throws -> PresetHarness
    {
        try await PresetHarness.start(
            channel: "sms", gateway: "type: sveve, user: fjordkraft, password_file: sveve.password, from: Fjordkraft, \(receipts)",
            files: ["sveve.password": "sveve-api-pass\n", "dlr.user": "sveve-dlr\n", "dlr.pass": "dlr-secret\n"],
            respond: { _ in reply() })
    }

    @Test("a message is one JSON POST to /SMS/SendMessage: user, passwd, to, msg, from, f=json, ref = our id, reply=false; the id is response.ids[0]")
    func request() async throws {
        let harness = try await Self.start { .init(status: 200, body: Self.accepted) }
        let status = try await harness.send(Fixtures.sms(key: "sv1"))
        #expect(status.state == .sent, "\(status.reason ?? "")")
        #expect(status.attempts.first?.providerID == "42824112")
        #expect(status.attempts.first?.outcome == .accepted)
        let request = try #require(harness.standIn.requests.first)
        #expect(harness.standIn.requests.count == 1)
        #expect(request.method == "POST")
        #expect(request.path == "/SMS/SendMessage")
        #expect(request.headers["content-type"] == "application/json")
        #expect(request.headers["authorization"] == nil, "Sveve takes its credentials in the body")
        let body = try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])
        #expect(Set(body.keys) == ["user", "passwd", "to", "msg", "from", "f", "ref", "reply"])
        #expect(body["user"] as? String == "fjordkraft")
        #expect(body["passwd"] as? String == "sveve-api-pass")
        #expect(body["to"] as? String == "+4791234567")
        #expect(body["msg"] as? String == status.content?.text)
        #expect(body["from"] as? String == "Fjordkraft")
        #expect(body["f"] as? String == "json")
        #expect(body["ref"] as? String == status.id)
        #expect((body["reply"] as? Bool) == false)
        #expect(request.text.contains(#""reply":false"#), "a JSON boolean, not a string or number")
        // Sveve allows 5 concurrent requests per account: the preset's default.
        #expect(harness.components.config.gateways["gw"]?.maxConnections == 5)
        await harness.stop()
    }

    @Test("a 200 whose reply carries an error for the number is not accepted: permanent, with Sveve's message")
    func invalidNumber() async throws {
        let harness = try await Self.start {
            .init(status: 200, body: #"{"response":{"msgOkCount":0,"stdSMSCount":0,"ids":[],"errors":[{"number":"91234567","message":"Ugyldig mobilnummer"}]}}"#)
        }
        let status = try await harness.send(Fixtures.sms(key: "sv2"))
        #expect(status.state == .failed)
        #expect(status.attempts.map(\.outcome) == [.permanent])
        #expect(status.attempts.first?.providerID == nil)
        #expect(status.attempts.first?.error == "gateway gw answered HTTP 200: Sveve: Ugyldig mobilnummer")
        await harness.stop()
    }

    @Test("a 200 with a fatalError (wrong user or password) is permanent and names Sveve's reason")
    func fatalError() async throws {
        let harness = try await Self.start { .init(status: 200, body: #"{"response":{"fatalError":"Feil brukernavn/passord"}}"#) }
        let status = try await harness.send(Fixtures.sms(key: "sv3"))
        #expect(status.state == .failed)
        #expect(status.attempts.map(\.outcome) == [.permanent])
        #expect(status.attempts.first?.error == "gateway gw answered HTTP 200: Sveve: Feil brukernavn/passord")
        await harness.stop()
    }

    @Test("429 (more than 5 requests at once) and 5xx are transient")
    func throttled() async throws {
        for (key, code) in [("sv4", 429), ("sv5", 503)] {
            let harness = try await Self.start { .init(status: code, body: "Too many concurrent requests", contentType: "text/plain") }
            let status = try await harness.send(Fixtures.sms(key: key))
            #expect(status.attempts.map(\.outcome) == [.transient], "HTTP \(code)")
            #expect(status.attempts.first?.httpStatus == code)
            #expect(status.reason?.hasPrefix("gave up after 1 attempt") == true, "\(status.reason ?? "")")
            await harness.stop()
        }
    }

    @Test("a 200 that is not Sveve's JSON leaves the outcome unknown: ambiguous, not accepted")
    func unreadableReply() async throws {
        let harness = try await Self.start { .init(status: 200, body: "<response><msgOkCount>1</msgOkCount></response>", contentType: "text/xml") }
        let status = try await harness.send(Fixtures.sms(key: "sv6"))
        #expect(status.attempts.map(\.outcome) == [.ambiguous])
        await harness.stop()
    }

    @Test("delivery reports by GET (Sveve's published example) and by form POST: true → delivered, false → undelivered with the error")
    func deliveryReports() async throws {
        let harness = try await Self.start { .init(status: 200, body: Self.accepted) }
        let delivered = try await harness.send(Fixtures.sms(key: "sv7"))
        // The documented example, with our id and reference.
        let query = "number=4791234567&status=true&id=42824112&ref=\(delivered.id)&errorCode=&errorDesc="
        let first = try await harness.callback(method: "GET", query: query)
        #expect(first.status == 200)
        #expect(first.json["message_id"] as? String == delivered.id)
        #expect(try await harness.status(delivered.id).state == .delivered)
        #expect(try await harness.status(delivered.id).receipts.last?.status == "delivered")

        await harness.stop()
        let failing = try await Self.start { .init(status: 200, body: #"{"response":{"msgOkCount":1,"stdSMSCount":1,"ids":[42824113]}}"#) }
        let undelivered = try await failing.send(Fixtures.sms(key: "sv8"))
        let form = "number=4791234567&status=false&id=42824113&ref=\(undelivered.id)&errorCode=1&errorDesc=Ukjent+nummer"
        let second = try await failing.callback(body: Array(form.utf8), contentType: "application/x-www-form-urlencoded")
        #expect(second.status == 200)
        await failing.components.dispatcher.run(untilIdle: true)
        let failed = try await failing.status(undelivered.id)
        #expect(failed.state == .failed)
        #expect(failed.receipts.map(\.status).contains("undelivered"))
        #expect(failed.reason?.contains("undelivered according to gw: Sveve error 1: Ukjent nummer") == true, "\(failed.reason ?? "")")
        await failing.stop()
    }

    @Test("a report without id or with a status other than true/false is refused (400) and changes nothing; an incoming SMS is answered 200 with nothing recorded")
    func invalidReports() async throws {
        let harness = try await Self.start { .init(status: 200, body: Self.accepted) }
        let sent = try await harness.send(Fixtures.sms(key: "sv9"))
        #expect(try await harness.callback(method: "GET", query: "number=4791234567&status=true").status == 400)
        #expect(try await harness.callback(method: "GET", query: "number=4791234567&status=maybe&id=42824112").status == 400)
        let incoming = try await harness.callback(method: "GET", query: "number=4791234567&msg=STOPP&prefix=FJORD&shortnumber=2229")
        #expect(incoming.status == 200)
        #expect((incoming.json["receipts"] as? [Any])?.isEmpty == true)
        #expect(try await harness.status(sent.id).state == .sent)
        #expect(try await harness.status(sent.id).receipts.count == 1)
        await harness.stop()
    }

    @Test("basic: a valid report is recorded, a wrong password is refused (403) and a missing one 401, nothing recorded; a replay is a duplicate")
    func basicScheme() async throws {
        let harness = try await Self.start(receipts: "receipts: { signature: basic, username_file: dlr.user, password_file: dlr.pass }") {
            .init(status: 200, body: Self.accepted)
        }
        let sent = try await harness.send(Fixtures.sms(key: "sv10"))
        let query = "number=4791234567&status=true&id=42824112&ref=\(sent.id)&errorCode=&errorDesc="
        func authorization(_ password: String) -> [String: String] {
            ["Authorization": "Basic " + Data("sveve-dlr:\(password)".utf8).base64EncodedString()]
        }
        #expect(try await harness.callback(method: "GET", query: query).status == 401)
        #expect(try await harness.callback(method: "GET", query: query, headers: authorization("wrong")).status == 403)
        #expect(try await harness.status(sent.id).state == .sent, "nothing may be recorded from a bad password")
        #expect(try await harness.status(sent.id).receipts.count == 1)

        let valid = try await harness.callback(method: "GET", query: query, headers: authorization("dlr-secret"))
        #expect(valid.status == 200)
        #expect(try await harness.status(sent.id).state == .delivered)
        let replay = try await harness.callback(method: "GET", query: query, headers: authorization("dlr-secret"))
        #expect(replay.status == 200)
        #expect(replay.json["duplicate"] as? Bool == true)
        #expect(try await harness.status(sent.id).receipts.filter { $0.status == "delivered" }.count == 1)
        await harness.stop()
    }

    @Test("receipts need a scheme: Sveve signs nothing, so the loader asks for basic or none")
    func schemeRequired() throws {
        #expect(SveveAdapter.preset.receiptSchemes.isEmpty)
        let directory = TemporaryDirectory()
        directory.write("sveve.password", "p")
        let yaml = """
            store: { path: "\(directory.file("varsel.db"))" }
            templates: { dir: "\(Paths.templates)" }
            channels:
              sms: { gateways: [gw] }
            gateways:
              gw: { type: sveve, user: fjordkraft, password_file: sveve.password, receipts: { max_age_seconds: 60 } }
            """
        #expect {
            try ConfigLoader.load(yaml: yaml, baseDirectory: directory.path)
        } throws: { error in
            "\(error)".contains("gateways.gw.receipts.signature") && "\(error)".contains("basic")
        }
    }

    @Test("configuration: user and password_file are required, from is at most 11 characters, the URL defaults to https://sveve.no")
    func configuration() throws {
        func load(_ gateway: String) -> String? {
            let directory = TemporaryDirectory()
            directory.write("sveve.password", "p")
            let yaml = """
                store: { path: "\(directory.file("varsel.db"))" }
                templates: { dir: "\(Paths.templates)" }
                channels:
                  sms: { gateways: [gw] }
                gateways:
                  gw: { type: sveve\(gateway) }
                """
            do {
                let config = try ConfigLoader.load(yaml: yaml, baseDirectory: directory.path)
                #expect(config.gateways["gw"]?.url == "https://sveve.no")
                return nil
            } catch {
                return "\(error)"
            }
        }
        #expect(load(", user: fjordkraft, password_file: sveve.password, from: Fjordkraft") == nil)
        #expect(load(", password_file: sveve.password")?.contains("gateways.gw.user") == true)
        #expect(load(", user: fjordkraft")?.contains("gateways.gw.password_file") == true)
        #expect(load(", user: fjordkraft, password: p")?.contains("secrets are never read from the YAML file") == true)
        #expect(load(", user: fjordkraft, password_file: sveve.password, from: Fjordkraft AS Vest")?.contains("at most 11 characters") == true)
    }
}
