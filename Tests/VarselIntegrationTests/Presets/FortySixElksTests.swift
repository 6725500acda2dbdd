import Foundation
import Testing
import VarselCore
@testable import VarselDaemon
import VarselGateways
import VarselHTTP
import VarselTestSupport

/// The `46elks` preset against a stand-in of 46elks' API: the form-encoded `POST /a1/sms` as
/// documented, its refusals, and delivery reports posted to `whendelivered` with Basic credentials.
@Suite(.serialized) struct FortySixElksTests {
    static let files = ["elks.user": "u2c3f4e8a9b\n", "elks.pass": "API-PASSWORD-1234\n", "dlr.user": "elk-dlr\n", "dlr.pass": "p@ss word:1\n"]
    static let gateway = """
        type: 46elks, from: Fjordkraft, username_file: elks.user, password_file: elks.pass, when_delivered: "https://varsel.example/v1/receipts/gw", \
        receipts: { signature: basic, username_file: dlr.user, password_file: dlr.pass }
        """
    /// The reply to POST /a1/sms as 46elks documents it (with dontlog=message the text is left out).
    static let created =
        #"{"status":"created","direction":"outgoing","from":"Fjordkraft","created":"2024-05-04T13:37:42.314100","parts":1,"to":"+4791234567","cost":5000,"id":"s70df59406a1b4643b96f3f91e0bfb7b0","dontlog":"message"}"#
    static let dlrAuth = "Basic " + Data("elk-dlr:p@ss word:1".utf8).base64EncodedString()

    static func form(_ bytes: [UInt8]) -> [String: String] {
        Dictionary(FormEncoding.decode(String(decoding: bytes, as: UTF8.self)), uniquingKeysWith: { first, _ in first })
    }

    @Test("POST /a1/sms: form-encoded from, to, message, whendelivered (with the receipt credentials), dontlog=message, Basic auth; id is the provider id")
    func request() async throws {
        let harness = try await PresetHarness.start(channel: "sms", gateway: Self.gateway, files: Self.files) { _ in .init(status: 200, body: Self.created) }
        let status = try await harness.send(Fixtures.sms(key: "el1"))
        #expect(status.state == .sent)
        #expect(status.attempts.first?.providerID == "s70df59406a1b4643b96f3f91e0bfb7b0")
        let request = try #require(harness.standIn.requests.first)
        #expect(request.method == "POST")
        #expect(request.path == "/a1/sms")
        #expect(request.headers["content-type"] == "application/x-www-form-urlencoded")
        #expect(request.headers["authorization"] == "Basic " + Data("u2c3f4e8a9b:API-PASSWORD-1234".utf8).base64EncodedString())
        let form = Self.form(request.body)
        #expect(Set(form.keys) == ["from", "to", "message", "whendelivered", "dontlog"])
        #expect(form["from"] == "Fjordkraft")
        #expect(form["to"] == "+4791234567")
        #expect(form["message"] == status.content?.text)
        #expect(form["dontlog"] == "message")
        #expect(form["whendelivered"] == "https://elk-dlr:p%40ss%20word%3A1@varsel.example/v1/receipts/gw")
        // What 46elks makes of that URL is the Authorization the receipt check expects.
        let url = try #require(URL(string: form["whendelivered"] ?? ""))
        #expect(url.user?.removingPercentEncoding == "elk-dlr" && url.password?.removingPercentEncoding == "p@ss word:1")
        await harness.stop()
    }

    @Test("errors: a 4xx with a plain-text reason (invalid to number, not enough credits, bad auth) is permanent; 429 and 5xx are transient")
    func errors() async throws {
        let answers: [String: LoopbackServer.Reply] = [
            "+4790000011": .init(status: 400, body: "Invalid to number", contentType: "text/plain"),
            "+4790000012": .init(status: 403, body: "Not enough credits", contentType: "text/plain"),
            "+4790000013": .init(status: 401, body: "Invalid credentials\n", contentType: "text/plain"),
            "+4790000014": .init(status: 429, body: "Too many requests", contentType: "text/plain"),
            "+4790000015": .init(status: 502, body: "", contentType: "text/plain"),
        ]
        let harness = try await PresetHarness.start(channel: "sms", gateway: Self.gateway, files: Self.files) { request in
            answers[Self.form(request.body)["to"] ?? ""] ?? .init(status: 500, body: "")
        }
        var outcomes: [String: (AttemptOutcome?, String?)] = [:]
        for phone in answers.keys.sorted() {
            let status = try await harness.send(Fixtures.sms(key: "el-e\(phone.suffix(1))", phone: phone))
            #expect(status.state == .failed)
            outcomes[phone] = (status.attempts.first?.outcome, status.attempts.first?.error)
        }
        #expect(outcomes["+4790000011"]?.0 == .permanent)
        #expect(outcomes["+4790000011"]?.1 == "gateway gw answered HTTP 400: Invalid to number")
        #expect(outcomes["+4790000012"]?.0 == .permanent)
        #expect(outcomes["+4790000013"]?.0 == .permanent)
        #expect(outcomes["+4790000013"]?.1 == "gateway gw answered HTTP 401: Invalid credentials")
        #expect(outcomes["+4790000014"]?.0 == .transient)
        #expect(outcomes["+4790000015"]?.0 == .transient)
        await harness.stop()
    }

    @Test("basic: reports with the whendelivered credentials are recorded (sent, then delivered); wrong or missing ones are refused and record nothing; a repeat is a duplicate")
    func basicReceipts() async throws {
        let harness = try await PresetHarness.start(channel: "sms", gateway: Self.gateway, files: Self.files) { _ in .init(status: 200, body: Self.created) }
        let status = try await harness.send(Fixtures.sms(key: "el-r1"))
        let delivered = Array("id=s70df59406a1b4643b96f3f91e0bfb7b0&status=delivered&delivered=2018-07-13T13%3A57%3A23.741000".utf8)
        let form = "application/x-www-form-urlencoded"

        let wrong = "Basic " + Data("elk-dlr:guess".utf8).base64EncodedString()
        #expect(try await harness.callback(body: delivered, contentType: form, headers: ["Authorization": wrong]).status == 403)
        #expect(try await harness.callback(body: delivered, contentType: form).status == 401)
        var now = try await harness.status(status.id)
        #expect(now.state == .sent && now.receipts.count == 1, "nothing may be recorded from a refused callback")

        let sent = Array("id=s70df59406a1b4643b96f3f91e0bfb7b0&status=sent".utf8)
        #expect(try await harness.callback(body: sent, contentType: form, headers: ["Authorization": Self.dlrAuth]).status == 200)
        #expect(try await harness.status(status.id).state == .sent)
        let first = try await harness.callback(body: delivered, contentType: form, headers: ["Authorization": Self.dlrAuth])
        #expect(first.status == 200)
        #expect(first.json["state"] as? String == "delivered")
        let replay = try await harness.callback(body: delivered, contentType: form, headers: ["Authorization": Self.dlrAuth])
        #expect(replay.status == 200)
        #expect(replay.json["duplicate"] as? Bool == true)
        now = try await harness.status(status.id)
        #expect(now.state == .delivered)
        #expect(now.receipts.map(\.status) == ["accepted", "sent", "delivered"])
        await harness.stop()
    }

    @Test("a failed report fails the message with 46elks' word; an unknown status or a missing id is a 400")
    func failedReport() async throws {
        let harness = try await PresetHarness.start(channel: "sms", gateway: Self.gateway, files: Self.files) { _ in .init(status: 200, body: Self.created) }
        let status = try await harness.send(Fixtures.sms(key: "el-f1"))
        let form = "application/x-www-form-urlencoded"
        let failed = Array("id=s70df59406a1b4643b96f3f91e0bfb7b0&status=failed".utf8)
        #expect(try await harness.callback(body: failed, contentType: form, headers: ["Authorization": Self.dlrAuth]).status == 200)
        // The failure sends the message back to planning, which finds no other channel.
        await harness.components.dispatcher.run(untilIdle: true)
        let now = try await harness.status(status.id)
        #expect(now.state == .failed)
        #expect(now.reason == "failed according to gw: 46elks: failed, could not be delivered; no other usable channel")
        let unknown = Array("id=s70df59406a1b4643b96f3f91e0bfb7b0&status=teleported".utf8)
        #expect(try await harness.callback(body: unknown, contentType: form, headers: ["Authorization": Self.dlrAuth]).status == 400)
        #expect(try await harness.callback(body: Array("status=delivered".utf8), contentType: form, headers: ["Authorization": Self.dlrAuth]).status == 400)
        await harness.stop()
    }

    @Test("config: from is required, when_delivered may not carry credentials, receipts need when_delivered; without receipts the URL goes as given")
    func configuration() throws {
        let base = "channels:\n  sms: { gateways: [elks] }\ngateways:\n  elks: { type: 46elks, username_env: U, password_env: P"
        let environment = ["U": "u", "P": "p", "RU": "r", "RP": "s"]
        func errors(_ yaml: String) -> [String] { ConfigTests.errors(yaml, environment: environment) }
        #expect(errors(base + ", from: Fjordkraft }").isEmpty)
        #expect(errors(base + " }").contains { $0.contains("needs from") })
        #expect(errors(base + ", from: Fjordkraft, when_delivered: \"https://u:p@varsel.example/v1/receipts/elks\" }").contains { $0.contains("no user or password in the URL") })
        #expect(errors(base + ", from: Fjordkraft, receipts: { signature: basic, username_env: RU, password_env: RP } }").contains { $0.contains("receipts need when_delivered") })

        var configuration = GatewayConfiguration(name: "elks", kind: .fortySixElks, url: "https://api.46elks.com", from: "+46766861004")
        configuration.options = ["when_delivered": "https://varsel.example/v1/receipts/elks?k=1"]
        configuration.secrets = ["username": "u", "password": "p"]
        let message = OutboundMessage(
            messageID: "msg_1", idempotencyKey: "msg_1.sms", recipient: Recipient(phone: "+46700000000"),
            content: RenderedContent(
                templateID: "t", templateVersion: "sha256:0", channel: .sms, subject: nil, text: "Påminnelse 🦌", html: nil, sms: nil, contentHash: "sha256:0"))
        let request = try FortySixElksAdapter(configuration: configuration).request(for: message)
        #expect(request.url == "https://api.46elks.com/a1/sms")
        let form = Self.form(request.body)
        #expect(form["whendelivered"] == "https://varsel.example/v1/receipts/elks?k=1")
        #expect(form["message"] == "Påminnelse 🦌")
        #expect(form["from"] == "+46766861004")
    }
}
