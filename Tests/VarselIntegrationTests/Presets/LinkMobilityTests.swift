import Foundation
import Testing
import VarselCore
@testable import VarselDaemon
@testable import VarselGateways
import VarselHTTP
import VarselTestSupport

/// The `linkmobility` preset against a stand-in of LINK Mobility's SMS REST API ("SMS REST API – MT
/// and Delivery Reports", v1.18): the documented request and reply, its error codes, and delivery
/// reports posted to a gate with Basic credentials.
@Suite(.serialized) struct LinkMobilityTests {
    static let files = ["link.user": "varsel-api\n", "link.pass": "s3cret:pw\n", "gate.user": "link-gate\n", "gate.pass": "gate-pa55\n"]
    static let gateway = """
        type: linkmobility, from: Fjordkraft, platform_id: COMMON_API, platform_partner_id: "4711", delivery_report_gate: BVldZyQt, \
        username_file: link.user, password_file: link.pass, receipts: { signature: basic, username_file: gate.user, password_file: gate.pass }
        """
    /// The reply in the document's "Success Result".
    static let queued = #"{"messageId":"Dcshuhod0PMAAAFQ+/PbnR3x","resultCode":1005,"description":"Queued","smsCount":1}"#
    static let gateAuth = "Basic " + Data("link-gate:gate-pa55".utf8).base64EncodedString()

    static func object(_ bytes: [UInt8]) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:]
    }

    /// The document's delivery report example, for our message.
    static func report(id: String, refId: String, resultCode: Int, operatorResultCode: String? = "2") -> [UInt8] {
        let report: [String: Any] = [
            "refId": refId, "id": id, "operator": "no.telenor", "sentTimestamp": "2015-11-19T09:37:35Z", "timestamp": "2015-11-19T09:37:00Z",
            "resultCode": resultCode, "operatorResultCode": operatorResultCode ?? NSNull(), "segments": 1, "gateCustomParameters": [String: String](),
            "customParameters": ["received": "2015-11-19 10:37:36"],
        ]
        return Array(try! JSONSerialization.data(withJSONObject: report, options: [.sortedKeys]))
    }

    @Test("POST /sms/send: JSON with source, destination, userData, platform ids, refId = our message id, the gate, Basic auth; messageId is the provider id")
    func request() async throws {
        let harness = try await PresetHarness.start(channel: "sms", gateway: Self.gateway, files: Self.files) { _ in .init(status: 200, body: Self.queued) }
        let status = try await harness.send(Fixtures.sms(key: "lm1"))
        #expect(status.state == .sent)
        #expect(status.attempts.first?.providerID == "Dcshuhod0PMAAAFQ+/PbnR3x")
        #expect(status.attempts.first?.httpStatus == 200)
        let request = try #require(harness.standIn.requests.first)
        #expect(request.method == "POST")
        #expect(request.path == "/sms/send")
        #expect(request.headers["content-type"] == "application/json")
        #expect(request.headers["authorization"] == "Basic " + Data("varsel-api:s3cret:pw".utf8).base64EncodedString())
        let body = Self.object(request.body)
        #expect(Set(body.keys) == [
            "source", "sourceTON", "destination", "destinationTON", "userData", "dcs", "platformId", "platformPartnerId", "refId",
            "useDeliveryReport", "deliveryReportGates", "ignoreResponse", "customParameters",
        ])
        #expect(body["source"] as? String == "Fjordkraft")
        #expect(body["sourceTON"] as? String == "ALPHANUMERIC")
        #expect(body["destination"] as? String == "+4791234567")
        #expect(body["destinationTON"] as? String == "MSISDN")
        #expect(body["userData"] as? String == status.content?.text)
        #expect(body["dcs"] as? String == "TEXT")
        #expect(body["platformId"] as? String == "COMMON_API")
        #expect(body["platformPartnerId"] as? String == "4711")
        #expect(body["refId"] as? String == status.id)
        #expect(body["useDeliveryReport"] as? Bool == true)
        #expect(body["deliveryReportGates"] as? [String] == ["BVldZyQt"])
        #expect(body["ignoreResponse"] as? Bool == false)
        #expect(body["customParameters"] as? [String: String] == ["replySmsCount": "true"])
        await harness.stop()
    }

    @Test("a base URL given with /sms (as the document lists them) still posts to /sms/send; a short number and +MSISDN get their sourceTON")
    func urlAndSourceTON() async throws {
        let harness = try await PresetHarness.start(
            channel: "sms", gateway: Self.gateway.replacingOccurrences(of: "from: Fjordkraft", with: "from: \"+4799999999\""), urlPath: "/sms",
            files: Self.files
        ) { _ in .init(status: 200, body: Self.queued) }
        _ = try await harness.send(Fixtures.sms(key: "lm-url"))
        #expect(harness.standIn.requests.first?.path == "/sms/send")
        #expect(Self.object(harness.standIn.requests.first?.body ?? [])["sourceTON"] as? String == "MSISDN")
        await harness.stop()
        #expect(LinkMobilityAdapter.sourceTON(of: "2333") == "SHORTNUMBER")
        #expect(LinkMobilityAdapter.sourceTON(of: "Fjordkraft") == "ALPHANUMERIC")
    }

    @Test("errors: bad platformPartnerId (106201) and access denied (106101) are permanent, no gates available (106300), 429 and 5xx transient; a 200 naming a final failure is permanent")
    func errors() async throws {
        // The recipient's number picks the stand-in's answer.
        let answers: [String: LoopbackServer.Reply] = [
            "+4790000001": .init(status: 400, body: #"{"resultCode":106201,"description":"Invalid or missing platformPartnerId. Please check your platformPartnerId."}"#),
            "+4790000002": .init(status: 403, body: #"{"resultCode":106101,"description":"Access denied. Please check your username and password."}"#),
            "+4790000003": .init(status: 400, body: #"{"resultCode":106300,"description":"No gates available. Please contact Support and include your whole transaction."}"#),
            "+4790000004": .init(status: 429, body: ""),
            "+4790000005": .init(status: 503, body: "<html>unavailable</html>", contentType: "text/html"),
            "+4790000006": .init(status: 200, body: #"{"messageId":"x1","resultCode":2106,"description":"Number error"}"#),
        ]
        let harness = try await PresetHarness.start(channel: "sms", gateway: Self.gateway, files: Self.files) { request in
            answers[Self.object(request.body)["destination"] as? String ?? ""] ?? .init(status: 500, body: "")
        }
        var outcomes: [String: (AttemptOutcome?, String?)] = [:]
        for phone in answers.keys.sorted() {
            let status = try await harness.send(Fixtures.sms(key: "lm-e\(phone.suffix(1))", phone: phone))
            #expect(status.state == .failed)
            outcomes[phone] = (status.attempts.first?.outcome, status.attempts.first?.error)
        }
        #expect(outcomes["+4790000001"]?.0 == .permanent)
        #expect(outcomes["+4790000001"]?.1 == "gateway gw answered HTTP 400: 106201: Invalid or missing platformPartnerId. Please check your platformPartnerId.")
        #expect(outcomes["+4790000002"]?.0 == .permanent)
        #expect(outcomes["+4790000003"]?.0 == .transient)
        #expect(outcomes["+4790000004"]?.0 == .transient)
        #expect(outcomes["+4790000005"]?.0 == .transient)
        #expect(outcomes["+4790000006"]?.0 == .permanent)
        #expect(outcomes["+4790000006"]?.1 == "gateway gw answered HTTP 200: 2106: Number error")
        await harness.stop()
    }

    @Test("basic: a report with the gate's credentials is recorded (1001 → delivered); a wrong or missing password is refused and records nothing; a repeat is a duplicate")
    func basicReceipts() async throws {
        let harness = try await PresetHarness.start(channel: "sms", gateway: Self.gateway, files: Self.files) { _ in .init(status: 200, body: Self.queued) }
        let status = try await harness.send(Fixtures.sms(key: "lm-r1"))
        let delivered = Self.report(id: "Dcshuhod0PMAAAFQ+/PbnR3x", refId: status.id, resultCode: 1001)

        let wrong = "Basic " + Data("link-gate:guess".utf8).base64EncodedString()
        #expect(try await harness.callback(body: delivered, headers: ["Authorization": wrong]).status == 403)
        #expect(try await harness.callback(body: delivered).status == 401)
        var now = try await harness.status(status.id)
        #expect(now.state == .sent && now.receipts.count == 1, "nothing may be recorded from a refused callback")

        let sent = Self.report(id: "Dcshuhod0PMAAAFQ+/PbnR3x", refId: status.id, resultCode: 1000, operatorResultCode: nil)
        #expect(try await harness.callback(body: sent, headers: ["Authorization": Self.gateAuth]).status == 200)
        let first = try await harness.callback(body: delivered, headers: ["Authorization": Self.gateAuth])
        #expect(first.status == 200)
        #expect(first.json["state"] as? String == "delivered")
        let replay = try await harness.callback(body: delivered, headers: ["Authorization": Self.gateAuth])
        #expect(replay.status == 200)
        #expect(replay.json["duplicate"] as? Bool == true)
        now = try await harness.status(status.id)
        #expect(now.state == .delivered)
        #expect(now.receipts.map(\.status) == ["accepted", "sent", "delivered"])
        await harness.stop()
    }

    @Test("a not-delivered report (2106 number error) fails the message with LINK's reason; a form-encoded report (a gate template) is read too")
    func failedReport() async throws {
        let harness = try await PresetHarness.start(channel: "sms", gateway: Self.gateway, files: Self.files) { _ in .init(status: 200, body: Self.queued) }
        let status = try await harness.send(Fixtures.sms(key: "lm-f1"))
        let form = Array("id=Dcshuhod0PMAAAFQ%2B%2FPbnR3x&resultCode=2106&operatorResultCode=11".utf8)
        let reply = try await harness.callback(body: form, contentType: "application/x-www-form-urlencoded", headers: ["Authorization": Self.gateAuth])
        #expect(reply.status == 200)
        // The failure sends the message back to planning, which finds no other channel.
        await harness.components.dispatcher.run(untilIdle: true)
        let now = try await harness.status(status.id)
        #expect(now.state == .failed)
        #expect(now.reason == "undelivered according to gw: LINK Mobility resultCode 2106: number error (operator code 11); no other usable channel")
        #expect(try await harness.callback(body: Array(#"{"id":"x","resultCode":77777}"#.utf8), headers: ["Authorization": Self.gateAuth]).status == 400)
        #expect(try await harness.callback(body: Array(#"{"resultCode":1001}"#.utf8), headers: ["Authorization": Self.gateAuth]).status == 400)
        await harness.stop()
    }

    @Test("a text in several parts: smsCount registers the part ids {id}$0…; delivered when every part's report says so")
    func parts() async throws {
        let harness = try await PresetHarness.start(channel: "sms", gateway: Self.gateway, files: Self.files) { _ in
            .init(status: 200, body: #"{"messageId":"QC5BGwiuYk0AAAFiQ08nTFOS","resultCode":1005,"description":"Queued","smsCount":2}"#)
        }
        let status = try await harness.send(Fixtures.sms(key: "lm-p1"))
        #expect(status.attempts.first?.providerID == "QC5BGwiuYk0AAAFiQ08nTFOS")
        let part0 = Self.report(id: "QC5BGwiuYk0AAAFiQ08nTFOS$0", refId: status.id, resultCode: 1001)
        #expect(try await harness.callback(body: part0, headers: ["Authorization": Self.gateAuth]).status == 200)
        #expect(try await harness.status(status.id).state == .sent, "one part delivered of two")
        let part1 = Self.report(id: "QC5BGwiuYk0AAAFiQ08nTFOS$1", refId: status.id, resultCode: 1001)
        #expect(try await harness.callback(body: part1, headers: ["Authorization": Self.gateAuth]).status == 200)
        #expect(try await harness.status(status.id).state == .delivered)
        await harness.stop()
    }

    @Test("what LINK cannot carry or the config lacks is refused before sending: a 4-byte character, from, the gate when receipts are on")
    func refusals() throws {
        var configuration = GatewayConfiguration(name: "link", kind: .linkmobility, url: "https://n-eu.linkmobility.io", from: "Fjordkraft")
        configuration.options = ["platform_id": "COMMON_API", "platform_partner_id": "4711"]
        configuration.secrets = ["username": "u", "password": "p"]
        let adapter = LinkMobilityAdapter(configuration: configuration)
        #expect(adapter.configurationProblem == nil)
        func message(_ text: String) -> OutboundMessage {
            OutboundMessage(
                messageID: "msg_1", idempotencyKey: "msg_1.sms", recipient: Recipient(phone: "+4791234567"),
                content: RenderedContent(
                    templateID: "t", templateVersion: "sha256:0", channel: .sms, subject: nil, text: text, html: nil,
                    sms: nil, contentHash: "sha256:0"))
        }
        #expect(throws: GatewayRequestError.self) { try adapter.request(for: message("Betal nå 🙂")) }
        let plain = try adapter.request(for: message("Betal nå – €"))
        #expect(Self.object(plain.body)["useDeliveryReport"] as? Bool == false)
        #expect(Self.object(plain.body)["deliveryReportGates"] == nil)

        let base = "channels:\n  sms: { gateways: [link] }\ngateways:\n  link: { type: linkmobility, url: \"https://n-eu.linkmobility.io\", platform_id: A, platform_partner_id: B, username_env: U, password_env: P"
        let environment = ["U": "u", "P": "p", "GU": "g", "GP": "h"]
        func errors(_ yaml: String) -> [String] { ConfigTests.errors(yaml, environment: environment) }
        #expect(errors(base + ", from: Fjordkraft }").isEmpty)
        #expect(errors(base + " }").contains { $0.contains("needs from") })
        #expect(errors(base + ", from: Fjordkraft, receipts: { signature: basic, username_env: GU, password_env: GP } }").contains { $0.contains("receipts need delivery_report_gate") })
        #expect(errors(base + ", from: Fjordkraft, receipts: {} }").contains { $0.contains("carry no signature of their own") })
        #expect(errors(base + ", from: Fjordkraft, source_ton: PHONE }").contains { $0.contains("source_ton") })
    }
}
