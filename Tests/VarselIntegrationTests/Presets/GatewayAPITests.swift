import Foundation
import Testing
import VarselCore
@testable import VarselDaemon
import VarselGateways
import VarselHTTP
import VarselTestSupport

/// The `gatewayapi` preset against a stand-in of GatewayAPI's REST API: `/rest/mtsms` as documented,
/// its error codes, and delivery status notifications signed as a JWT in `X-Gwapi-Signature`.
@Suite(.serialized) struct GatewayAPITests {
    static let files = ["gwapi.token": "Go-Create-an-API-token\n", "gwapi.webhook": "secret\n"]
    static let gateway = """
        type: gatewayapi, from: Fjordkraft, token_file: gwapi.token, callback_url: "https://varsel.example/v1/receipts/gw", \
        receipts: { signature: jwt, secret_file: gwapi.webhook }
        """
    /// The documented reply; its id is the one in the documented webhook token below.
    static let reply = #"{"ids":[2381703],"usage":{"countries":{"NO":1},"currency":"DKK","total_cost":0.30}}"#
    /// GatewayAPI's published example of an `X-Gwapi-Signature` token, signed with the secret "secret".
    static let publishedToken =
        "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJpZCI6MjM4MTcwMywibXNpc2RuIjo0NTQyNjA5MDQ1LCJ0aW1lIjoxNTIyNzY0MDYyLCJzdGF0dXMiOiJERUxJVkVSRUQiLCJlcnJvciI6bnVsbCwiY29kZSI6bnVsbCwidXNlcnJlZiI6bnVsbCwiY2FsbGJhY2tfdXJsIjoiaHR0cDovL2JiYWY3MTQyLm5ncm9rLmlvIiwiYXBpIjo0fQ.KdfDH65bnQtgxEkFnpAQodOciAJedZFB13r9wEo8t3Y"
    /// Its claims, as GatewayAPI posts them in the body too.
    static let publishedClaims =
        #"{"id":2381703,"msisdn":4542609045,"time":1522764062,"status":"DELIVERED","error":null,"code":null,"userref":null,"callback_url":"http://bbaf7142.ngrok.io","api":4}"#

    static func object(_ bytes: [UInt8]) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:]
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// A compact JWS over `claims` with `header`, signed HS256 with `secret`.
    static func token(_ claims: String, header: String = #"{"typ":"JWT","alg":"HS256"}"#, secret: String = "secret") -> String {
        let signingInput = base64URL(Array(header.utf8)) + "." + base64URL(Array(claims.utf8))
        return signingInput + "." + base64URL(ReceiptSignature.hmacSHA256(Array(secret.utf8), Array(signingInput.utf8)))
    }

    @Test("the JWT signer here reproduces GatewayAPI's published token, so the tokens below are the provider's own form")
    func knownVector() {
        #expect(Self.token(Self.publishedClaims) == Self.publishedToken)
    }

    @Test("POST /rest/mtsms: Authorization Token, JSON message, sender, recipients[].msisdn as a number without +, userref = our id, callback_url; ids[0] is the provider id")
    func request() async throws {
        let harness = try await PresetHarness.start(channel: "sms", gateway: Self.gateway, files: Self.files) { _ in .init(status: 200, body: Self.reply) }
        let status = try await harness.send(Fixtures.sms(key: "ga1"))
        #expect(status.state == .sent)
        #expect(status.attempts.first?.providerID == "2381703")
        let request = try #require(harness.standIn.requests.first)
        #expect(request.method == "POST")
        #expect(request.path == "/rest/mtsms")
        #expect(request.headers["authorization"] == "Token Go-Create-an-API-token")
        #expect(request.headers["content-type"] == "application/json")
        let body = Self.object(request.body)
        let gsm = SMSEncoding(text: status.content?.text ?? "").scheme == .gsm7
        #expect(Set(body.keys) == Set(["message", "sender", "recipients", "userref", "callback_url"] + (gsm ? [] : ["encoding"])))
        #expect(body["message"] as? String == status.content?.text)
        #expect(body["sender"] as? String == "Fjordkraft")
        #expect(body["userref"] as? String == status.id)
        #expect(body["callback_url"] as? String == "https://varsel.example/v1/receipts/gw")
        let recipients = try #require(body["recipients"] as? [[String: Any]])
        #expect(recipients.count == 1)
        #expect(recipients.first?["msisdn"] is NSNumber && !(recipients.first?["msisdn"] is String))
        #expect((recipients.first?["msisdn"] as? NSNumber)?.int64Value == 4791234567)
        #expect(request.text.contains(#""msisdn":4791234567"#))
        await harness.stop()
    }

    @Test("a text outside GSM 03.38 asks for encoding UCS2; a numeric sender goes without +; a number that is not E.164 is refused")
    func encoding() throws {
        var configuration = GatewayConfiguration(name: "gw", kind: .gatewayapi, url: "https://gatewayapi.eu", from: "+4740000000")
        configuration.secrets = ["token": "t"]
        let adapter = GatewayAPIAdapter(configuration: configuration)
        func message(_ text: String, phone: String = "+4791234567") -> OutboundMessage {
            OutboundMessage(
                messageID: "msg_1", idempotencyKey: "msg_1.sms", recipient: Recipient(phone: phone),
                content: RenderedContent(
                    templateID: "t", templateVersion: "sha256:0", channel: .sms, subject: nil, text: text, html: nil, sms: nil, contentHash: "sha256:0"))
        }
        let unicode = Self.object(try adapter.request(for: message("Forfall ✓ 12. mars")).body)
        #expect(unicode["encoding"] as? String == "UCS2")
        #expect(unicode["sender"] as? String == "4740000000")
        let plain = try adapter.request(for: message("Forfall 12. mars, kr 1 250"))
        #expect(Self.object(plain.body)["encoding"] == nil)
        #expect(plain.url == "https://gatewayapi.eu/rest/mtsms")
        #expect(throws: GatewayRequestError.self) { try adapter.request(for: message("x", phone: "0047 912")) }
    }

    @Test("errors: 401 invalid token, 403 insufficient credit, 422 duplicate recipient and 500 0x021E (class not configured) are permanent; 429, 503 and code 0x..09 transient")
    func errors() async throws {
        let answers: [String: LoopbackServer.Reply] = [
            "4790000001": .init(status: 401, body: #"{"code":"0x0229","incident_uuid":"d8127429-fa0c-4316-b1f2-e610c3958f43","message":"Invalid token"}"#),
            "4790000002": .init(status: 403, body: #"{"code":"0x0216","incident_uuid":"d8127429-fa0c-4316-b1f2-e610c3958f44","message":"Insufficient credit"}"#),
            "4790000003": .init(
                status: 422, body: #"{"code":"0x0310","message":"A message contains the same recipient more than once. MSISDNs %1 is duplicated","variables":["4790000003"]}"#),
            "4790000004": .init(status: 500, body: #"{"code":"0x021E","message":"Message class %1 is not configured for %2","variables":["premium","4790000004"]}"#),
            "4790000005": .init(status: 429, body: ""),
            "4790000006": .init(status: 503, body: #"{"message":"Service unavailable"}"#),
            "4790000007": .init(status: 400, body: #"{"code":"0x0309","message":"Resource temporarily unavailable"}"#),
        ]
        let harness = try await PresetHarness.start(channel: "sms", gateway: Self.gateway, files: Self.files) { request in
            let msisdn = ((Self.object(request.body)["recipients"] as? [[String: Any]])?.first?["msisdn"] as? NSNumber)?.stringValue ?? ""
            return answers[msisdn] ?? .init(status: 500, body: "")
        }
        var outcomes: [String: (AttemptOutcome?, String?)] = [:]
        for msisdn in answers.keys.sorted() {
            let status = try await harness.send(Fixtures.sms(key: "ga-e\(msisdn.suffix(1))", phone: "+" + msisdn))
            #expect(status.state == .failed)
            outcomes[msisdn] = (status.attempts.first?.outcome, status.attempts.first?.error)
        }
        #expect(outcomes["4790000001"]?.0 == .permanent)
        #expect(outcomes["4790000001"]?.1 == "gateway gw answered HTTP 401: 0x0229 Invalid token")
        #expect(outcomes["4790000002"]?.0 == .permanent)
        #expect(outcomes["4790000003"]?.0 == .permanent)
        #expect(outcomes["4790000003"]?.1?.contains("4790000003") == false, "the variables (a phone number) stay out of the error")
        #expect(outcomes["4790000004"]?.0 == .permanent)
        #expect(outcomes["4790000005"]?.0 == .transient)
        #expect(outcomes["4790000006"]?.0 == .transient)
        #expect(outcomes["4790000007"]?.0 == .transient)
        await harness.stop()
    }

    @Test("jwt: GatewayAPI's published token is recorded (DELIVERED → delivered); a replay is a duplicate; a late ENROUTE does not move it back")
    func validAndReplayed() async throws {
        let harness = try await PresetHarness.start(channel: "sms", gateway: Self.gateway, files: Self.files) { _ in .init(status: 200, body: Self.reply) }
        let status = try await harness.send(Fixtures.sms(key: "ga-r1"))
        let body = Array(Self.publishedClaims.utf8)
        let first = try await harness.callback(body: body, headers: ["X-Gwapi-Signature": Self.publishedToken])
        #expect(first.status == 200)
        #expect(first.json["state"] as? String == "delivered")
        let replay = try await harness.callback(body: body, headers: ["X-Gwapi-Signature": Self.publishedToken])
        #expect(replay.status == 200)
        #expect(replay.json["duplicate"] as? Bool == true)
        let enroute = #"{"id":2381703,"msisdn":4791234567,"time":1522764000,"status":"ENROUTE","error":null,"code":null,"userref":"\#(status.id)"}"#
        #expect(try await harness.callback(body: Array(enroute.utf8), headers: ["X-Gwapi-Signature": Self.token(enroute)]).status == 200)
        let now = try await harness.status(status.id)
        #expect(now.state == .delivered)
        #expect(now.receipts.map(\.status) == ["accepted", "delivered", "sent"])
        await harness.stop()
    }

    @Test("jwt: a changed payload, another key, alg none or HS512, an expired exp, a body that differs from the claims and no header are refused; nothing is recorded")
    func tampered() async throws {
        let harness = try await PresetHarness.start(channel: "sms", gateway: Self.gateway, files: Self.files) { _ in .init(status: 200, body: Self.reply) }
        let status = try await harness.send(Fixtures.sms(key: "ga-t1"))
        let parts = Self.publishedToken.split(separator: ".").map(String.init)
        let undeliverable = Self.publishedClaims.replacingOccurrences(of: "DELIVERED", with: "UNDELIVERABLE")
        let swapped = parts[0] + "." + Self.base64URL(Array(undeliverable.utf8)) + "." + parts[2]
        let body = Array(Self.publishedClaims.utf8)
        let attempts: [(String?, [UInt8], Int)] = [
            (swapped, Array(undeliverable.utf8), 403),
            (Self.token(Self.publishedClaims, secret: "not-the-secret"), body, 403),
            (Self.base64URL(Array(#"{"typ":"JWT","alg":"none"}"#.utf8)) + "." + parts[1] + ".", body, 403),
            (Self.token(Self.publishedClaims, header: #"{"typ":"JWT","alg":"HS512"}"#), body, 403),
            (Self.token(#"{"id":2381703,"status":"DELIVERED","exp":1522764062}"#), Array(#"{"id":2381703,"status":"DELIVERED"}"#.utf8), 403),
            (Self.publishedToken, Array(undeliverable.utf8), 403),
            (nil, body, 401),
        ]
        for (token, body, expected) in attempts {
            let headers = token.map { ["X-Gwapi-Signature": $0] } ?? [:]
            #expect(try await harness.callback(body: body, headers: headers).status == expected, "\(token ?? "no token")")
        }
        let now = try await harness.status(status.id)
        #expect(now.state == .sent)
        #expect(now.receipts.map(\.status) == ["accepted"])
        await harness.stop()
    }

    @Test("jwt: UNDELIVERABLE with its SMS error code fails the message with GatewayAPI's reason")
    func undeliverable() async throws {
        let harness = try await PresetHarness.start(channel: "sms", gateway: Self.gateway, files: Self.files) { _ in .init(status: 200, body: Self.reply) }
        let status = try await harness.send(Fixtures.sms(key: "ga-u1"))
        let claims = #"{"id":2381703,"msisdn":4791234567,"time":1700000000,"status":"UNDELIVERABLE","error":"Unknown subscriber","code":"0x1010","userref":"\#(status.id)"}"#
        #expect(try await harness.callback(body: Array(claims.utf8), headers: ["X-Gwapi-Signature": Self.token(claims)]).status == 200)
        // The failure sends the message back to planning, which finds no other channel.
        await harness.components.dispatcher.run(untilIdle: true)
        let now = try await harness.status(status.id)
        #expect(now.state == .failed)
        #expect(now.reason == "undelivered according to gw: GatewayAPI UNDELIVERABLE: 0x1010 Unknown subscriber; no other usable channel")
        await harness.stop()
    }

    @Test("signature none: the JSON body is read; an incoming-SMS call on the same webhook holds nothing to record")
    func unsigned() async throws {
        let harness = try await PresetHarness.start(
            channel: "sms", gateway: "type: gatewayapi, token_file: gwapi.token, receipts: { signature: none }", files: Self.files
        ) { _ in .init(status: 200, body: Self.reply) }
        let status = try await harness.send(Fixtures.sms(key: "ga-n1"))
        #expect(Self.object(harness.standIn.requests.first?.body ?? [])["sender"] == nil)
        let mo = #"{"id":1000001,"msisdn":4587654321,"receiver":451204,"message":"foo Hello World","senttime":1450000000,"webhook_label":"test"}"#
        let ignored = try await harness.callback(body: Array(mo.utf8))
        #expect(ignored.status == 200)
        #expect((ignored.json["receipts"] as? [Any])?.isEmpty == true)
        #expect(try await harness.callback(body: Array(Self.publishedClaims.utf8)).status == 200)
        #expect(try await harness.status(status.id).state == .delivered)
        #expect(try await harness.callback(body: Array(#"{"id":2381703,"status":"TELEPORTED"}"#.utf8)).status == 400)
        await harness.stop()
    }
}
