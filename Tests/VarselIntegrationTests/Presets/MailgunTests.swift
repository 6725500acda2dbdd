import Foundation
import Synchronization
import Testing
import VarselCore
import VarselDaemon
import VarselGateways
import VarselHTTP
import VarselTestSupport

/// The `mailgun` preset against a loopback stand-in of Mailgun's Messages API, and its JSON
/// webhooks signed with HMAC-SHA256 of timestamp and token.
@Suite struct MailgunTests {
    static let signingKey = "key-7e55d003b2f9d4c2e0b5a2f3d1c6e8a9"

    static func adapter(maxAge: TimeInterval = 300) -> MailgunAdapter {
        var configuration = GatewayConfiguration(name: "gw", kind: .mailgun, url: "https://api.mailgun.net", from: "krav@fjordkraft.example")
        configuration.options["domain"] = "mg.fjordkraft.example"
        configuration.receipts = .init(format: nil, signature: .preset(scheme: "mailgun", key: Array(Self.signingKey.utf8), maxAge: maxAge))
        return MailgunAdapter(configuration: configuration)
    }

    /// A random 50-character token, as Mailgun sends.
    static func token() -> String {
        String((0..<50).map { _ in "0123456789abcdef".randomElement()! })
    }

    /// Mailgun's documented `delivered` event-data example, for our message, signed like Mailgun.
    static func delivered(_ messageID: String, timestamp: Int = Int(Date().timeIntervalSince1970), token: String = MailgunTests.token(), key: String = MailgunTests.signingKey) -> String {
        let signature = ReceiptSignature.hex(ReceiptSignature.hmacSHA256(Array(key.utf8), Array("\(timestamp)\(token)".utf8)))
        return """
            {"signature":{"timestamp":"\(timestamp)","token":"\(token)","signature":"\(signature)"},
             "event-data":{"event":"delivered","id":"hK7mQVt1QtqRiOfQXta4sw","timestamp":1529692199.626182,"log-level":"info",
              "envelope":{"transport":"smtp","sender":"krav@fjordkraft.example","sending-ip":"123.123.123.123","targets":"sven@example.se"},
              "flags":{"is-routed":false,"is-authenticated":true,"is-system-test":false,"is-test-mode":false},
              "delivery-status":{"tls":true,"mx-host":"aspmx.l.example.com","code":250,"description":"","session-seconds":0.4367079734802246,"utf8":true,"attempt-no":1,"message":"OK","certificate-verified":true},
              "message":{"headers":{"to":"sven@example.se","message-id":"\(messageID)","from":"krav@fjordkraft.example","subject":"Påminnelse"},"attachments":[],"size":586},
              "recipient":"sven@example.se","recipient-domain":"example.se","campaigns":[],"tags":[],"user-variables":{"varsel_message_id":"x"}}}
            """
    }

    /// The parts of a multipart/form-data body, in order.
    static func parts(of body: [UInt8], contentType: String) throws -> [(String, String)] {
        let boundary = try #require(contentType.components(separatedBy: "boundary=").last)
        let text = String(decoding: body, as: UTF8.self)
        #expect(text.hasSuffix("--\(boundary)--\r\n"))
        var parts: [(String, String)] = []
        for chunk in text.components(separatedBy: "--\(boundary)").dropFirst() where !chunk.hasPrefix("--") {
            // "\r\n" is one Character in Swift.
            let part = try #require(chunk.hasPrefix("\r\n") && chunk.hasSuffix("\r\n") ? String(chunk.dropFirst().dropLast()) : nil)
            let split = try #require(part.range(of: "\r\n\r\n"))
            let header = String(part[..<split.lowerBound])
            #expect(header.hasPrefix("Content-Disposition: form-data; name=\"") && header.hasSuffix("\"") && !header.contains("\r\n"))
            let name = String(header.dropFirst("Content-Disposition: form-data; name=\"".count).dropLast())
            parts.append((name, String(part[split.upperBound...])))
        }
        return parts
    }

    @Test("a data: image in the HTML goes as an `inline` file whose filename the HTML refers to by cid:; the file's bytes are the image")
    func inlineImage() throws {
        var configuration = GatewayConfiguration(name: "gw", kind: .mailgun, url: "https://api.mailgun.net", from: "krav@fjordkraft.example")
        configuration.options["domain"] = "mg.fjordkraft.example"
        configuration.secrets["api_key"] = "key-1"
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + (0..<300).map { UInt8($0 % 251) }
        let request = try MailgunAdapter(configuration: configuration).request(for: InlineImageFixture.message(png: png))
        let contentType = try #require(request.headers.first { $0.name == "Content-Type" }?.value)
        let boundary = Array(("--" + (try #require(contentType.components(separatedBy: "boundary=").last))).utf8)
        // The parts, split on the delimiter as bytes (an image is not UTF-8).
        var parts: [[UInt8]] = []
        var start = 0
        let body = request.body
        var index = 0
        while index + boundary.count <= body.count {
            if body[index..<(index + boundary.count)].elementsEqual(boundary) {
                if index > start { parts.append(Array(body[start..<index])) }
                index += boundary.count
                start = index
            } else {
                index += 1
            }
        }
        let file = try #require(parts.first { String(decoding: $0.prefix(200), as: UTF8.self).contains("name=\"inline\"") })
        let separator: [UInt8] = [13, 10, 13, 10]
        let split = try #require((0..<(file.count - 3)).first { file[$0..<($0 + 4)].elementsEqual(separator) })
        let header = String(decoding: file[..<split], as: UTF8.self)
        let filename = try #require(header.components(separatedBy: "filename=\"").last?.components(separatedBy: "\"").first)
        #expect(header.contains("Content-Disposition: form-data; name=\"inline\"; filename=\"\(filename)\"\r\nContent-Type: image/png"))
        #expect(Array(file[(split + 4)...].dropLast(2)) == png)
        let html = try #require(parts.map { String(decoding: $0, as: UTF8.self) }.first { $0.contains("name=\"html\"") })
        #expect(html.contains("src=\"cid:\(filename)\"") && !html.contains("data:image"))
    }

    @Test("the request is Mailgun's documented POST /v3/{domain}/messages: Basic api:<key>, multipart form with from, to, subject, text, html, h:Reply-To, v:varsel_message_id, o:tracking; the id is `id` without <>")
    func request() async throws {
        let harness = try await PresetHarness.start(
            channel: "email",
            gateway: #"type: mailgun, domain: mg.fjordkraft.example, from: "Fjordkraft <krav@mg.fjordkraft.example>", reply_to: "kundeservice@fjordkraft.example", api_key_file: mailgun.key"#,
            files: ["mailgun.key": "key-3ax6xnjp29jd6fds4gc373sgvjxteol0\n"]
        ) { _ in .init(status: 200, body: #"{"id":"<20111114174239.25659.5817@samples.mailgun.org>","message":"Queued. Thank you."}"#) }
        let status = try await harness.send(Fixtures.email(key: "mg1"))
        #expect(status.state == .sent)
        #expect(status.attempts.first?.providerID == "20111114174239.25659.5817@samples.mailgun.org")
        #expect(status.attempts.first?.httpStatus == 200)
        let request = try #require(harness.standIn.requests.first)
        #expect(request.method == "POST")
        #expect(request.path == "/v3/mg.fjordkraft.example/messages")
        #expect(request.headers["authorization"] == "Basic " + Data("api:key-3ax6xnjp29jd6fds4gc373sgvjxteol0".utf8).base64EncodedString())
        let contentType = try #require(request.headers["content-type"])
        #expect(contentType.hasPrefix("multipart/form-data; boundary="))
        let content = try #require(status.content)
        let parts = try Self.parts(of: request.body, contentType: contentType)
        #expect(parts.map(\.0) == ["from", "to", "subject", "text", "html", "h:Reply-To", "v:varsel_message_id", "o:tracking"])
        let fields = Dictionary(uniqueKeysWithValues: parts)
        #expect(fields["from"] == "Fjordkraft <krav@mg.fjordkraft.example>")
        #expect(fields["to"] == "sven@example.se")
        #expect(fields["subject"] == content.subject)
        #expect(fields["text"] == content.text)
        #expect(fields["html"] == content.html)
        #expect(fields["h:Reply-To"] == "kundeservice@fjordkraft.example")
        #expect(fields["v:varsel_message_id"] == status.id)
        #expect(fields["o:tracking"] == "no")
        await harness.stop()
    }

    @Test("values are sent as UTF-8 bytes unchanged (CRLF, quotes, non-Latin text); the EU base URL and a domain that is not one")
    func encoding() throws {
        var configuration = GatewayConfiguration(name: "gw", kind: .mailgun, url: "https://api.eu.mailgun.net/", from: "Fjordkraft <krav@fjordkraft.example>")
        configuration.options["domain"] = "mg.fjordkraft.example"
        configuration.secrets["api_key"] = "key-1"
        let text = "Hej Sven,\r\nbetala 1 250,00 kr före 1 maj. \"Citat\" — Ελληνικά 日本語 🙂"
        let content = RenderedContent(
            templateID: "t", templateVersion: "v", channel: .email, subject: "Påminnelse: faktura 10023", text: text, html: nil, sms: nil, contentHash: "h")
        let message = OutboundMessage(messageID: "msg_1", idempotencyKey: "k", recipient: Recipient(email: "sven@example.se"), content: content)
        let request = try MailgunAdapter(configuration: configuration).request(for: message)
        #expect(request.url == "https://api.eu.mailgun.net/v3/mg.fjordkraft.example/messages")
        #expect(request.basicAuth?.user == "api" && request.basicAuth?.password == "key-1")
        let contentType = try #require(request.headers.first { $0.name.lowercased() == "content-type" }?.value)
        let fields = Dictionary(uniqueKeysWithValues: try Self.parts(of: request.body, contentType: contentType))
        #expect(fields["text"] == text)
        #expect(fields["subject"] == "Påminnelse: faktura 10023")
        #expect(fields["html"] == nil && fields["h:Reply-To"] == nil)
        #expect(request.body.count == String(decoding: request.body, as: UTF8.self).utf8.count, "the body is valid UTF-8")

        configuration.options["domain"] = "mg.example/../../v4"
        #expect(MailgunAdapter(configuration: configuration).configurationProblem?.hasPrefix("domain:") == true)
        #expect(throws: GatewayRequestError.self) { try MailgunAdapter(configuration: configuration).request(for: message) }
    }

    @Test("Mailgun's error replies: 400, 401 and 402 permanent with Mailgun's message, 429 and 500 transient")
    func errors() async throws {
        let replies: [LoopbackServer.Reply] = [
            .init(status: 400, body: #"{"message":"'to' parameter is not a valid address. please check documentation"}"#),
            .init(status: 401, body: "Forbidden", contentType: "text/plain"),
            .init(status: 402, body: #"{"message":"Domain mg.fjordkraft.example is not allowed to send: Free accounts are for test purposes only."}"#),
            .init(status: 429, body: #"{"message":"Too many requests"}"#),
            .init(status: 500, body: #"{"message":"Internal Server Error"}"#),
        ]
        let next = Mutex(0)
        let harness = try await PresetHarness.start(
            channel: "email", gateway: #"type: mailgun, domain: mg.fjordkraft.example, from: "krav@fjordkraft.example", api_key_env: MG_KEY"#,
            environment: ["MG_KEY": "key-1"]
        ) { _ in replies[next.withLock { index in defer { index += 1 }; return min(index, replies.count - 1) }] }
        var attempts: [MessageStatus.Attempt] = []
        for key in ["e1", "e2", "e3", "e4", "e5"] {
            attempts.append(try #require(try await harness.send(Fixtures.email(key: key)).attempts.first))
        }
        #expect(attempts.map(\.outcome) == [.permanent, .permanent, .permanent, .transient, .transient])
        #expect(attempts.map(\.httpStatus) == [400, 401, 402, 429, 500])
        #expect(attempts[0].error == "gateway gw answered HTTP 400: 'to' parameter is not a valid address. please check documentation")
        #expect(attempts[1].error == "gateway gw answered HTTP 401: Forbidden")
        await harness.stop()
    }

    @Test("the signature: HMAC-SHA256 of timestamp + token verifies; another key, a changed token or timestamp, a missing signature, an old timestamp and a token seen before do not")
    func signature() {
        let adapter = Self.adapter()
        let now = Date()
        let stamp = Int(now.timeIntervalSince1970)
        let valid = ReceiptCallback(body: Array(Self.delivered("m-1", timestamp: stamp, token: "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0").utf8))
        #expect(adapter.verify(ReceiptCallback(body: Array(Self.delivered("m-1", key: "key-other").utf8)), now: now) == .invalid)
        let changedToken = String(decoding: valid.body, as: UTF8.self).replacingOccurrences(of: "a8ce0edb2dd8", with: "a8ce0edb2dd9")
        #expect(adapter.verify(ReceiptCallback(body: Array(changedToken.utf8)), now: now) == .invalid)
        let changedStamp = String(decoding: valid.body, as: UTF8.self).replacingOccurrences(of: "\"\(stamp)\"", with: "\"\(stamp - 1)\"")
        #expect(adapter.verify(ReceiptCallback(body: Array(changedStamp.utf8)), now: now) == .invalid)
        #expect(adapter.verify(ReceiptCallback(body: Array(#"{"event-data":{"event":"delivered"}}"#.utf8)), now: now) == .missing("signature"))
        #expect(adapter.verify(ReceiptCallback(body: Array(Self.delivered("m-1", timestamp: stamp - 301).utf8)), now: now) == .expired)
        #expect(adapter.verify(valid, now: now) == nil)
        #expect(adapter.verify(valid, now: now) == .expired, "the same token again is a replay")
        // ReceiptSignature's HMAC against a known value: RFC 4231 test case 2.
        #expect(ReceiptSignature.hex(ReceiptSignature.hmacSHA256(Array("Jefe".utf8), Array("what do ya want for nothing?".utf8)))
            == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test("event mapping: accepted, delivered, failed temporary → sent, failed permanent → undelivered (suppress-bounce → rejected), rejected; opened, clicked, complained skipped")
    func eventMapping() throws {
        let adapter = Self.adapter()
        func parse(_ eventData: String) throws -> [ParsedReceipt] {
            try adapter.receipts(from: ReceiptCallback(body: Array(#"{"signature":{},"event-data":\#(eventData)}"#.utf8)))
        }
        #expect(try parse(#"{"event":"accepted","message":{"headers":{"message-id":"a@mg.example"}}}"#)
            == [ParsedReceipt(providerID: "a@mg.example", status: .accepted, providerStatus: "accepted", error: nil)])
        // Mailgun's documented examples: Failed (Permanent), Failed (Permanent, Delayed Bounce), Failed (Temporary).
        #expect(try parse("""
            {"event":"failed","id":"pl271FzxTTmGRW8Uj3dUWw","timestamp":1529701969.818328,"log-level":"error","severity":"permanent","reason":"suppress-bounce",
             "delivery-status":{"attempt-no":1,"message":"","code":605,"description":"Not delivering to previously bounced address","session-seconds":0.0},
             "message":{"headers":{"to":"joan@example.com","message-id":"20180622211249.1.2A6098970A380E12@example.org","from":"john@example.org","subject":"Test Subject"}}}
            """) == [ParsedReceipt(
                providerID: "20180622211249.1.2A6098970A380E12@example.org", status: .rejected, providerStatus: "failed/permanent/suppress-bounce",
                error: "605 Not delivering to previously bounced address (suppress-bounce)")])
        #expect(try parse("""
            {"severity":"permanent","delivery-status":{"bounce-code":"5.1.1","message":"smtp; 550-5.1.1 The email account that you tried to reach does not exist.","code":550,
             "description":"I'm sorry to have to inform you that your message could not be delivered to one or more recipients.","enhanced-code":"5.1.1"},
             "reason":"generic","flags":{"is-delayed-bounce":true},"message":{"headers":{"to":"test@test.com","message-id":"20221019211537.93011d31ea99c5a8@test.com"}},"event":"failed"}
            """) == [ParsedReceipt(
                providerID: "20221019211537.93011d31ea99c5a8@test.com", status: .undelivered, providerStatus: "failed/permanent/generic",
                error: "550 smtp; 550-5.1.1 The email account that you tried to reach does not exist. (generic)")])
        #expect(try parse("""
            {"severity":"temporary","delivery-status":{"code":451,"retry-seconds":600,"enhanced-code":"4.7.652","attempt-no":1,
             "message":"4.7.652 The mail server has exceeded the maximum number of connections."},"reason":"generic",
             "message":{"headers":{"message-id":"20221006142837.1618e01bf42da9fa@test.com"}},"event":"failed"}
            """).first?.status == .sent)
        #expect(try parse(#"{"event":"rejected","reject":{"reason":"Sandbox subdomains are for test purposes only."},"message":{"headers":{"message-id":"r@mg.example"}}}"#)
            == [ParsedReceipt(providerID: "r@mg.example", status: .rejected, providerStatus: "rejected", error: "Sandbox subdomains are for test purposes only.")])
        for event in ["opened", "clicked", "unsubscribed", "complained", "stored"] {
            #expect(try parse(#"{"event":"\#(event)","message":{"headers":{"message-id":"a@mg.example"}}}"#).isEmpty)
        }
        #expect(throws: ReceiptError.self) { try parse(#"{"event":"delivered","message":{"headers":{}}}"#) }
        #expect(throws: ReceiptError.self) { try parse(#"{"event":"failed","message":{"headers":{"message-id":"a@mg.example"}}}"#) }
        #expect(throws: ReceiptError.self) { try adapter.receipts(from: ReceiptCallback(body: Array(#"{"signature":{}}"#.utf8))) }
    }

    @Test("webhooks through the API: a signed delivered event is recorded; a forged signature, an unsigned body and an old timestamp are refused with nothing recorded; the same token again is refused")
    func webhooks() async throws {
        let harness = try await PresetHarness.start(
            channel: "email",
            gateway: #"type: mailgun, domain: mg.fjordkraft.example, from: "krav@fjordkraft.example", api_key_env: MG_KEY, receipts: { secret_env: MG_SIGNING_KEY, max_age_seconds: 300 }"#,
            environment: ["MG_KEY": "key-1", "MG_SIGNING_KEY": Self.signingKey]
        ) { _ in .init(status: 200, body: #"{"id":"<20240501120000.1.ABCDEF0123456789@mg.fjordkraft.example>","message":"Queued. Thank you."}"#) }
        let sent = try await harness.send(Fixtures.email(key: "mgw1"))
        let providerID = try #require(sent.attempts.first?.providerID)
        #expect(providerID == "20240501120000.1.ABCDEF0123456789@mg.fjordkraft.example")

        #expect(try await harness.callback(body: Array(Self.delivered(providerID, key: "key-forged").utf8)).status == 403)
        #expect(try await harness.callback(body: Array(#"{"event-data":{"event":"delivered"}}"#.utf8)).status == 401)
        let old = Int(Date().timeIntervalSince1970) - 3600
        #expect(try await harness.callback(body: Array(Self.delivered(providerID, timestamp: old).utf8)).status == 403)
        #expect(try await harness.status(sent.id).receipts.allSatisfy { $0.source != "webhook:gw" })

        let body = Array(Self.delivered(providerID).utf8)
        let valid = try await harness.callback(body: body)
        #expect(valid.status == 200)
        #expect(valid.json["state"] as? String == "delivered")
        #expect(try await harness.status(sent.id).state == .delivered)
        let replayed = try await harness.callback(body: body)
        #expect(replayed.status == 403)
        #expect(try await harness.status(sent.id).receipts.filter { $0.source == "webhook:gw" }.map(\.status) == ["delivered"])
        await harness.stop()
    }

    @Test("a permanent failure reported by the webhook ends the attempt undelivered, with Mailgun's reason")
    func failedThroughAPI() async throws {
        let harness = try await PresetHarness.start(
            channel: "email",
            gateway: #"type: mailgun, domain: mg.fjordkraft.example, from: "krav@fjordkraft.example", api_key_env: MG_KEY, receipts: { secret_env: MG_SIGNING_KEY }"#,
            environment: ["MG_KEY": "key-1", "MG_SIGNING_KEY": Self.signingKey]
        ) { _ in .init(status: 200, body: #"{"id":"<20240501120000.2.FEDCBA@mg.fjordkraft.example>","message":"Queued. Thank you."}"#) }
        let sent = try await harness.send(Fixtures.email(key: "mgf1"))
        let body = Self.delivered("20240501120000.2.FEDCBA@mg.fjordkraft.example")
            .replacingOccurrences(of: #""event":"delivered""#, with: #""event":"failed","severity":"permanent","reason":"bounce""#)
            .replacingOccurrences(of: #""code":250"#, with: #""code":550"#)
            .replacingOccurrences(of: #""message":"OK""#, with: #""message":"5.1.1 The email account that you tried to reach does not exist""#)
        let reply = try await harness.callback(body: Array(body.utf8))
        #expect(reply.status == 200)
        let status = try await harness.status(sent.id)
        #expect(status.receipts.contains { $0.status == "undelivered" && $0.source == "webhook:gw" })
        #expect(status.decisions.contains { $0.text.contains("undelivered according to gw: 550 5.1.1 The email account that you tried to reach does not exist (bounce)") })
        await harness.stop()
    }
}
