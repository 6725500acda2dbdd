import Crypto
import Foundation
import Synchronization
import Testing
import VarselCore
import VarselDaemon
import VarselGateways
import VarselHTTP
import VarselTestSupport

/// The `sendgrid` preset against a loopback stand-in of SendGrid's v3 Mail Send API, and its Event
/// Webhook receipts signed with ECDSA P-256.
@Suite struct SendGridTests {
    /// SendGrid's own published test vector (sendgrid-python `test/unit/test_eventwebhook.py`): its
    /// verification key, the signature of `timestamp + payload`, and the payload (compact JSON with
    /// sorted keys and a trailing CRLF).
    enum Vector {
        static let publicKey =
            "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g=="
        static let otherPublicKey =
            "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqTxd43gyp8IOEto2LdIfjRQrIbsd4SXZkLW6jDutdhXSJCWHw8REntlo7aNDthvj+y7GjUuFDb/R1NGe1OPzpA=="
        static let signature = "MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM="
        static let timestamp = "1600112502"
        static let payload =
            #"[{"email":"hello@world.com","event":"dropped","reason":"Bounced Address","sg_event_id":"ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA","sg_message_id":"LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0","smtp-id":"<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>","timestamp":1600112492}]"#
            + "\r\n"
    }

    static func adapter(publicKey: String?, maxAge: TimeInterval = 300) -> SendGridAdapter {
        var configuration = GatewayConfiguration(name: "gw", kind: .sendgrid, url: "https://api.sendgrid.com", from: "Fjordkraft <krav@fjordkraft.example>")
        if let publicKey {
            configuration.receipts = .init(format: nil, signature: .preset(scheme: "sendgrid", key: Array(publicKey.utf8), maxAge: maxAge))
        }
        return SendGridAdapter(configuration: configuration)
    }

    static func headers(signature: String, timestamp: String) -> [String: String] {
        ["x-twilio-email-event-webhook-signature": signature, "x-twilio-email-event-webhook-timestamp": timestamp]
    }

    /// What SendGrid sends: base64 DER of the ECDSA P-256/SHA-256 signature of `timestamp + body`.
    static func sign(_ body: String, timestamp: String, with key: P256.Signing.PrivateKey) throws -> String {
        try key.signature(for: Data((timestamp + body).utf8)).derRepresentation.base64EncodedString()
    }

    static func now() -> String { String(Int(Date().timeIntervalSince1970)) }

    @Test("the request is SendGrid's documented v3 mail/send: Bearer token, JSON personalizations with our id in custom_args, from name and address, text before HTML; the id is X-Message-Id")
    func request() async throws {
        let harness = try await PresetHarness.start(
            channel: "email",
            gateway: #"type: sendgrid, from: "Fjordkraft AS <krav@fjordkraft.example>", reply_to: "kundeservice@fjordkraft.example", token_env: SG_KEY"#,
            environment: ["SG_KEY": "SG.test-key.secret"]
        ) { _ in .init(status: 202, body: "", headers: ["X-Message-Id": "W86EgYT6SQKk0lRflfLRsA"]) }
        let status = try await harness.send(Fixtures.email(key: "sg1"))
        #expect(status.state == .sent)
        #expect(status.attempts.first?.providerID == "W86EgYT6SQKk0lRflfLRsA")
        #expect(status.attempts.first?.httpStatus == 202)
        let request = try #require(harness.standIn.requests.first)
        #expect(request.method == "POST")
        #expect(request.path == "/v3/mail/send")
        #expect(request.headers["authorization"] == "Bearer SG.test-key.secret")
        #expect(request.headers["content-type"] == "application/json")
        let content = try #require(status.content)
        let html = try #require(content.html)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])
        #expect(Set(body.keys) == ["personalizations", "from", "reply_to", "subject", "content", "tracking_settings"])
        let personalizations = try #require(body["personalizations"] as? [[String: Any]])
        #expect(personalizations.count == 1)
        #expect(personalizations[0]["to"] as? [[String: String]] == [["email": "sven@example.se"]])
        #expect(personalizations[0]["custom_args"] as? [String: String] == ["varsel_message_id": status.id])
        #expect(body["from"] as? [String: String] == ["email": "krav@fjordkraft.example", "name": "Fjordkraft AS"])
        #expect(body["reply_to"] as? [String: String] == ["email": "kundeservice@fjordkraft.example"])
        #expect(body["subject"] as? String == content.subject)
        #expect(body["content"] as? [[String: String]] == [["type": "text/plain", "value": content.text], ["type": "text/html", "value": html]])
        let tracking = try #require(body["tracking_settings"] as? [String: [String: Bool]])
        #expect(tracking == ["click_tracking": ["enable": false], "open_tracking": ["enable": false]])
        await harness.stop()
    }

    @Test("a data: image in the HTML goes as an inline attachment with a content_id the HTML refers to by cid:; its base64 is the image")
    func inlineImage() throws {
        var configuration = GatewayConfiguration(name: "gw", kind: .sendgrid, url: "https://api.sendgrid.com", from: "krav@fjordkraft.example")
        configuration.secrets["token"] = "SG.key"
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + (0..<300).map { UInt8($0 % 251) }
        let message = InlineImageFixture.message(png: png)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(SendGridAdapter(configuration: configuration).request(for: message).body)) as? [String: Any])
        let attachments = try #require(body["attachments"] as? [[String: String]])
        #expect(attachments.count == 1)
        let attachment = attachments[0]
        #expect(attachment["type"] == "image/png" && attachment["disposition"] == "inline")
        #expect(attachment["content"].flatMap { Data(base64Encoded: $0) }.map(Array.init) == png)
        let id = try #require(attachment["content_id"])
        #expect(attachment["filename"] == id)
        let html = try #require((body["content"] as? [[String: String]])?.last?["value"])
        #expect(html.contains("src=\"cid:\(id)\"") && !html.contains("data:image"))
        // Without data: images the body has no attachments at all.
        let plain = try #require(try JSONSerialization.jsonObject(with: Data(SendGridAdapter(configuration: configuration).request(for: InlineImageFixture.message(png: nil)).body)) as? [String: Any])
        #expect(plain["attachments"] == nil)
    }

    @Test("a bare from address is sent without a name; a message without an address or on another channel is refused before sending")
    func fromAndChannel() throws {
        var configuration = GatewayConfiguration(name: "gw", kind: .sendgrid, url: "https://api.sendgrid.com/", from: "krav@fjordkraft.example")
        configuration.secrets["token"] = "SG.k"
        let adapter = SendGridAdapter(configuration: configuration)
        let content = RenderedContent(
            templateID: "t", templateVersion: "sha256:0", channel: .email, subject: "Påminnelse", text: "Hej", html: nil, sms: nil, contentHash: "sha256:1")
        let message = OutboundMessage(
            messageID: "msg_1", idempotencyKey: "msg_1.email", recipient: Recipient(email: "sven@example.se"), content: content)
        let request = try adapter.request(for: message)
        #expect(request.url == "https://api.sendgrid.com/v3/mail/send")
        let body = try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])
        #expect(body["from"] as? [String: String] == ["email": "krav@fjordkraft.example"])
        #expect(body["content"] as? [[String: String]] == [["type": "text/plain", "value": "Hej"]])
        #expect(body["reply_to"] == nil)
        #expect(throws: GatewayRequestError.self) {
            try adapter.request(for: OutboundMessage(messageID: "m", idempotencyKey: "k", recipient: Recipient(phone: "+4791234567"), content: content))
        }
        let sms = RenderedContent(templateID: "t", templateVersion: "v", channel: .sms, subject: nil, text: "x", html: nil, sms: nil, contentHash: "h")
        #expect(throws: GatewayRequestError.self) {
            try adapter.request(for: OutboundMessage(messageID: "m", idempotencyKey: "k", recipient: Recipient(email: "a@b.se"), content: sms))
        }
    }

    @Test("SendGrid's error replies: 400 and 401 permanent with errors[0].message, 413 permanent, 429 and 500 transient")
    func errors() async throws {
        let replies: [LoopbackServer.Reply] = [
            .init(status: 400, body: #"{"errors":[{"message":"The from address does not match a verified Sender Identity.","field":"from","help":null}]}"#),
            .init(status: 401, body: #"{"errors":[{"field":null,"message":"The provided authorization grant is invalid, expired, or revoked","help":null}]}"#),
            .init(status: 413, body: #"{"errors":[{"message":"The JSON payload you have included in your request is too large.","field":null,"help":null}]}"#),
            .init(status: 429, body: #"{"errors":[{"field":null,"message":"too many requests"}]}"#),
            .init(status: 500, body: ""),
        ]
        let next = Mutex(0)
        let harness = try await PresetHarness.start(
            channel: "email", gateway: #"type: sendgrid, from: "krav@fjordkraft.example", token_env: SG_KEY"#, environment: ["SG_KEY": "SG.k"]
        ) { _ in replies[next.withLock { index in defer { index += 1 }; return min(index, replies.count - 1) }] }
        var attempts: [MessageStatus.Attempt] = []
        for key in ["e1", "e2", "e3", "e4", "e5"] {
            attempts.append(try #require(try await harness.send(Fixtures.email(key: key)).attempts.first))
        }
        #expect(attempts.map(\.outcome) == [.permanent, .permanent, .permanent, .transient, .transient])
        #expect(attempts.map(\.httpStatus) == [400, 401, 413, 429, 500])
        #expect(attempts[0].error == "gateway gw answered HTTP 400: from: The from address does not match a verified Sender Identity.")
        #expect(attempts[1].error?.hasSuffix("The provided authorization grant is invalid, expired, or revoked") == true)
        #expect(attempts.allSatisfy { $0.providerID == nil })
        await harness.stop()
    }

    @Test("SendGrid's published signature vector verifies; a changed payload, another key, a bad signature and a timestamp outside max_age do not")
    func publishedVector() throws {
        let adapter = Self.adapter(publicKey: Vector.publicKey)
        #expect(adapter.configurationProblem == nil)
        let at = Date(timeIntervalSince1970: 1_600_112_502 + 10)
        let callback = ReceiptCallback(headers: Self.headers(signature: Vector.signature, timestamp: Vector.timestamp), body: Array(Vector.payload.utf8))
        #expect(adapter.verify(callback, now: at) == nil)
        let changed = ReceiptCallback(
            headers: callback.headers, body: Array(Vector.payload.replacingOccurrences(of: "dropped", with: "delivered").utf8))
        #expect(adapter.verify(changed, now: at) == .invalid)
        let otherTimestamp = ReceiptCallback(headers: Self.headers(signature: Vector.signature, timestamp: "1600112503"), body: callback.body)
        #expect(adapter.verify(otherTimestamp, now: at) == .invalid)
        #expect(Self.adapter(publicKey: Vector.otherPublicKey).verify(callback, now: at) == .invalid)
        let badSignature = "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH3j/0="
        #expect(adapter.verify(ReceiptCallback(headers: Self.headers(signature: badSignature, timestamp: Vector.timestamp), body: callback.body), now: at) == .invalid)
        #expect(adapter.verify(callback, now: at.addingTimeInterval(301)) == .expired)
        #expect(Self.adapter(publicKey: Vector.publicKey, maxAge: 3600).verify(callback, now: at.addingTimeInterval(301)) == nil)
        #expect(adapter.verify(ReceiptCallback(body: callback.body), now: at) == .missing("X-Twilio-Email-Event-Webhook-Signature"))
        // The vector's event: dropped ("Bounced Address") for X-Message-Id LRzXl_NHStOGhQ4kofSm_A.
        #expect(try adapter.receipts(from: callback) == [
            ParsedReceipt(providerID: "LRzXl_NHStOGhQ4kofSm_A", status: .rejected, providerStatus: "dropped", error: "Bounced Address")
        ])
    }

    @Test("the verification key must parse (base64 DER or PEM), else the gateway's configuration is refused")
    func keyParsing() throws {
        #expect(Self.adapter(publicKey: "not a key").configurationProblem?.contains("receipts.public_key") == true)
        #expect(Self.adapter(publicKey: String(Vector.publicKey.dropLast(8))).configurationProblem != nil)
        let key = Vector.publicKey
        let pem = "-----BEGIN PUBLIC KEY-----\n\(key.prefix(64))\n\(key.dropFirst(64))\n-----END PUBLIC KEY-----\n"
        #expect(Self.adapter(publicKey: pem).configurationProblem == nil)
        let at = Date(timeIntervalSince1970: 1_600_112_502)
        let callback = ReceiptCallback(headers: Self.headers(signature: Vector.signature, timestamp: Vector.timestamp), body: Array(Vector.payload.utf8))
        #expect(Self.adapter(publicKey: pem).verify(callback, now: at) == nil)
        #expect(Self.adapter(publicKey: nil).configurationProblem == nil)
        let directory = TemporaryDirectory()
        let yaml = """
            store: { path: "\(directory.file("varsel.db"))" }
            templates: { dir: "\(Paths.templates)" }
            channels:
              email: { gateways: [gw] }
            gateways:
              gw: { type: sendgrid, from: "krav@fjordkraft.example", token_env: SG_KEY, receipts: { public_key: "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE" } }
            """
        let error = #expect(throws: (any Error).self) {
            _ = try ConfigLoader.load(yaml: yaml, baseDirectory: directory.path, environment: ["SG_KEY": "SG.k"])
        }
        #expect("\(error.map { "\($0)" } ?? "")".contains("gateways.gw.receipts"))
        #expect("\(error.map { "\($0)" } ?? "")".contains("not an ECDSA P-256 public key"))
    }

    @Test("event mapping: processed → accepted, deferred → sent, delivered, bounce → undelivered (blocked → rejected), dropped → rejected; engagement events skipped")
    func eventMapping() throws {
        let adapter = Self.adapter(publicKey: Vector.publicKey)
        let events = """
            [{"email":"a@example.com","event":"processed","sg_message_id":"AAA.filterdrecv-1"},
             {"email":"a@example.com","event":"deferred","sg_message_id":"AAA.filterdrecv-1","response":"400 try again later","attempt":"5"},
             {"email":"a@example.com","event":"delivered","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0","response":"250 OK"},
             {"email":"a@example.com","event":"bounce","sg_message_id":"BBB.recvd-x","reason":"500 unknown recipient","status":"5.0.0","type":"bounce"},
             {"email":"a@example.com","event":"bounce","sg_message_id":"CCC","reason":"550 blocked by policy","status":"5.7.1","type":"blocked"},
             {"email":"a@example.com","event":"open","sg_message_id":"AAA.filterdrecv-1","useragent":"x"},
             {"email":"a@example.com","event":"click","url":"https://pay.example/abc"},
             {"email":"a@example.com","event":"spamreport","sg_message_id":"AAA.filterdrecv-1"},
             {"email":"a@example.com","event":"group_unsubscribe","asm_group_id":10}]
            """
        let receipts = try adapter.receipts(from: ReceiptCallback(body: Array(events.utf8)))
        #expect(receipts == [
            ParsedReceipt(providerID: "AAA", status: .accepted, providerStatus: "processed", error: nil),
            ParsedReceipt(providerID: "AAA", status: .sent, providerStatus: "deferred", error: nil),
            ParsedReceipt(providerID: "14c5d75ce93.dfd.64b469", status: .delivered, providerStatus: "delivered", error: nil),
            ParsedReceipt(providerID: "BBB", status: .undelivered, providerStatus: "bounce/bounce", error: "500 unknown recipient (5.0.0)"),
            ParsedReceipt(providerID: "CCC", status: .rejected, providerStatus: "bounce/blocked", error: "550 blocked by policy (5.7.1)"),
        ])
        #expect(try adapter.receipts(from: ReceiptCallback(body: Array(#"[{"event":"open","sg_message_id":"AAA"}]"#.utf8))).isEmpty)
        #expect(throws: ReceiptError.self) { try adapter.receipts(from: ReceiptCallback(body: Array(#"{"event":"delivered"}"#.utf8))) }
        #expect(throws: ReceiptError.self) { try adapter.receipts(from: ReceiptCallback(body: Array(#"[{"event":"delivered","email":"a@b"}]"#.utf8))) }
        #expect(throws: ReceiptError.self) { try adapter.receipts(from: ReceiptCallback(body: Array(#"[{"sg_message_id":"AAA"}]"#.utf8))) }
    }

    @Test("Event Webhook through the API: a signed batch is recorded (delivered), a tampered or unsigned one is refused with nothing recorded, a re-post is recorded once and an old timestamp is refused")
    func webhook() async throws {
        let key = P256.Signing.PrivateKey()
        let publicKey = key.publicKey.derRepresentation.base64EncodedString()
        let harness = try await PresetHarness.start(
            channel: "email",
            gateway: #"type: sendgrid, from: "krav@fjordkraft.example", token_env: SG_KEY, receipts: { public_key: "\#(publicKey)", max_age_seconds: 300 }"#,
            environment: ["SG_KEY": "SG.k"]
        ) { _ in .init(status: 202, body: "", headers: ["X-Message-Id": "W86EgYT6SQKk0lRflfLRsA"]) }
        let sent = try await harness.send(Fixtures.email(key: "sgw1"))
        #expect(sent.state == .sent)
        let events = """
            [{"email":"sven@example.se","timestamp":\(Self.now()),"smtp-id":"<W86EgYT6SQKk0lRflfLRsA@ismtpd0001p1lon1.sendgrid.net>","event":"processed","sg_event_id":"cHJvY2Vzc2Vk","sg_message_id":"W86EgYT6SQKk0lRflfLRsA.filterdrecv-5645d9c87f-6r7w5-1-62A9CF3B-12.0","varsel_message_id":"\(sent.id)"},
            {"email":"sven@example.se","timestamp":\(Self.now()),"smtp-id":"<W86EgYT6SQKk0lRflfLRsA@ismtpd0001p1lon1.sendgrid.net>","event":"delivered","ip":"168.1.1.1","sg_event_id":"ZGVsaXZlcmVk","sg_message_id":"W86EgYT6SQKk0lRflfLRsA.filterdrecv-5645d9c87f-6r7w5-1-62A9CF3B-12.0","response":"250 OK","varsel_message_id":"\(sent.id)"},
            {"email":"sven@example.se","timestamp":\(Self.now()),"event":"open","sg_event_id":"b3Blbg","sg_message_id":"W86EgYT6SQKk0lRflfLRsA.filterdrecv-5645d9c87f-6r7w5-1-62A9CF3B-12.0","useragent":"Mozilla/5.0","ip":"255.255.255.255"}]

            """
        let timestamp = Self.now()
        let signature = try Self.sign(events, timestamp: timestamp, with: key)
        let headers = Self.headers(signature: signature, timestamp: timestamp)

        let unsigned = try await harness.callback(body: Array(events.utf8))
        #expect(unsigned.status == 401)
        let tampered = try await harness.callback(body: Array(events.replacingOccurrences(of: "250 OK", with: "250 Ok").utf8), headers: headers)
        #expect(tampered.status == 403)
        let otherKey = try Self.sign(events, timestamp: timestamp, with: P256.Signing.PrivateKey())
        #expect(try await harness.callback(body: Array(events.utf8), headers: Self.headers(signature: otherKey, timestamp: timestamp)).status == 403)
        let old = String(Int(Date().timeIntervalSince1970) - 600)
        let replayedLate = try await harness.callback(
            body: Array(events.utf8), headers: Self.headers(signature: try Self.sign(events, timestamp: old, with: key), timestamp: old))
        #expect(replayedLate.status == 403)
        #expect(try await harness.status(sent.id).receipts.allSatisfy { $0.source != "webhook:gw" }, "nothing may be recorded from a refused callback")

        let valid = try await harness.callback(body: Array(events.utf8), headers: headers)
        #expect(valid.status == 200)
        let answers = try #require(valid.json["receipts"] as? [[String: Any]])
        #expect(answers.count == 2, "the open event is skipped")
        #expect(answers.last?["state"] as? String == "delivered")
        let delivered = try await harness.status(sent.id)
        #expect(delivered.state == .delivered)
        #expect(delivered.receipts.filter { $0.source == "webhook:gw" }.map(\.status) == ["accepted", "delivered"])

        let again = try await harness.callback(body: Array(events.utf8), headers: headers)
        #expect(again.status == 200)
        #expect((again.json["receipts"] as? [[String: Any]])?.allSatisfy { $0["duplicate"] as? Bool == true } == true)
        #expect(try await harness.status(sent.id).receipts.filter { $0.source == "webhook:gw" }.count == 2)
        await harness.stop()
    }

    @Test("a bounce reported by the Event Webhook ends the email attempt undelivered, with SendGrid's reason")
    func bounceThroughAPI() async throws {
        let key = P256.Signing.PrivateKey()
        let harness = try await PresetHarness.start(
            channel: "email",
            gateway: #"type: sendgrid, from: "krav@fjordkraft.example", token_env: SG_KEY, receipts: { public_key: "\#(key.publicKey.derRepresentation.base64EncodedString())" }"#,
            environment: ["SG_KEY": "SG.k"]
        ) { _ in .init(status: 202, body: "", headers: ["X-Message-Id": "Qm91bmNlZE1lc3NhZ2VJRA"]) }
        let sent = try await harness.send(Fixtures.email(key: "sgb1"))
        let events = #"[{"email":"sven@example.se","timestamp":1700000000,"event":"bounce","sg_event_id":"Ym91bmNl","sg_message_id":"Qm91bmNlZE1lc3NhZ2VJRA.filterdrecv-1","reason":"550 5.1.1 The email account that you tried to reach does not exist","status":"5.1.1","type":"bounce"}]"#
        let timestamp = Self.now()
        let reply = try await harness.callback(
            body: Array(events.utf8), headers: Self.headers(signature: try Self.sign(events, timestamp: timestamp, with: key), timestamp: timestamp))
        #expect(reply.status == 200)
        let status = try await harness.status(sent.id)
        #expect(status.receipts.contains { $0.status == "undelivered" && $0.source == "webhook:gw" })
        #expect(status.decisions.contains { $0.text.contains("undelivered according to gw: 550 5.1.1 The email account that you tried to reach does not exist (5.1.1)") })
        await harness.stop()
    }
}
