import Foundation
import Synchronization
import Testing
import VarselCore
import VarselDaemon
import VarselGateways
import VarselHTTP
import VarselTestSupport

/// The `postmark` preset against a loopback stand-in of Postmark's Email API, and its Delivery and
/// Bounce webhooks (unsigned by Postmark: protected by Basic auth in the webhook URL).
@Suite struct PostmarkTests {
    static let accepted = #"{"To":"sven@example.se","SubmittedAt":"2014-02-17T07:25:01.4178645-05:00","MessageID":"0a129aee-e1cd-480d-b08d-4f48548ff48d","ErrorCode":0,"Message":"OK"}"#

    static func adapter() -> PostmarkAdapter {
        var configuration = GatewayConfiguration(name: "gw", kind: .postmark, url: "https://api.postmarkapp.com", from: "krav@fjordkraft.example")
        configuration.receipts = .init(format: nil, signature: .none)
        return PostmarkAdapter(configuration: configuration)
    }

    /// Postmark's documented Delivery webhook example, for our message.
    static func delivery(_ messageID: String) -> String {
        """
        {"RecordType":"Delivery","ServerID":23,"MessageStream":"outbound","MessageID":"\(messageID)","Recipient":"sven@example.se",\
        "Tag":"welcome-email","DeliveredAt":"2019-11-05T16:33:54.9070259Z","Details":"Test delivery webhook details",\
        "Metadata":{"varsel_message_id":"x"}}
        """
    }

    /// Postmark's documented Bounce webhook example, for our message.
    static func bounce(_ messageID: String, type: String = "HardBounce", typeCode: Int = 1) -> String {
        """
        {"RecordType":"Bounce","MessageStream":"outbound","ID":4323372036854775807,"Type":"\(type)","TypeCode":\(typeCode),\
        "Name":"Hard bounce","Tag":"Test","MessageID":"\(messageID)","Metadata":{"a_key":"a_value"},"ServerID":23,\
        "Description":"The server was unable to deliver your message (ex: unknown user, mailbox not found).",\
        "Details":"Test bounce details","Email":"sven@example.se","From":"krav@fjordkraft.example",\
        "BouncedAt":"2019-11-05T16:33:54.9070259Z","DumpAvailable":true,"Inactive":true,"CanActivate":true,"Subject":"Test subject"}
        """
    }

    @Test("the request is Postmark's documented POST /email: server token header, JSON From, To, Subject, TextBody, HtmlBody, ReplyTo, MessageStream, Metadata with our id, no tracking; the id is MessageID")
    func request() async throws {
        let harness = try await PresetHarness.start(
            channel: "email",
            gateway: #"type: postmark, from: "Fjordkraft <krav@fjordkraft.example>", reply_to: "kundeservice@fjordkraft.example", message_stream: reminders, token_file: postmark.token"#,
            files: ["postmark.token": "server-token-123\n"]
        ) { _ in .init(status: 200, body: Self.accepted) }
        let status = try await harness.send(Fixtures.email(key: "pm1"))
        #expect(status.state == .sent)
        #expect(status.attempts.first?.providerID == "0a129aee-e1cd-480d-b08d-4f48548ff48d")
        #expect(status.attempts.first?.httpStatus == 200)
        let request = try #require(harness.standIn.requests.first)
        #expect(request.method == "POST")
        #expect(request.path == "/email")
        #expect(request.headers["x-postmark-server-token"] == "server-token-123")
        #expect(request.headers["accept"] == "application/json")
        #expect(request.headers["content-type"] == "application/json")
        let content = try #require(status.content)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])
        #expect(Set(body.keys) == ["From", "To", "Subject", "TextBody", "HtmlBody", "ReplyTo", "MessageStream", "Metadata", "TrackOpens", "TrackLinks"])
        #expect(body["From"] as? String == "Fjordkraft <krav@fjordkraft.example>")
        #expect(body["To"] as? String == "sven@example.se")
        #expect(body["Subject"] as? String == content.subject)
        #expect(body["TextBody"] as? String == content.text)
        #expect(body["HtmlBody"] as? String == content.html)
        #expect(body["ReplyTo"] as? String == "kundeservice@fjordkraft.example")
        #expect(body["MessageStream"] as? String == "reminders")
        #expect(body["Metadata"] as? [String: String] == ["varsel_message_id": status.id])
        #expect(body["TrackOpens"] as? Bool == false)
        #expect(body["TrackLinks"] as? String == "None")
        await harness.stop()
    }

    @Test("a data: image in the HTML goes as an attachment with ContentID cid:…, which the HTML refers to; its base64 is the image")
    func inlineImage() throws {
        var configuration = GatewayConfiguration(name: "gw", kind: .postmark, url: "https://api.postmarkapp.com", from: "krav@fjordkraft.example")
        configuration.secrets["token"] = "server-token"
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + (0..<300).map { UInt8($0 % 251) }
        let body = try #require(try JSONSerialization.jsonObject(
            with: Data(PostmarkAdapter(configuration: configuration).request(for: InlineImageFixture.message(png: png)).body)) as? [String: Any])
        let attachments = try #require(body["Attachments"] as? [[String: String]])
        #expect(attachments.count == 1)
        let attachment = attachments[0]
        #expect(attachment["ContentType"] == "image/png")
        #expect(attachment["Content"].flatMap { Data(base64Encoded: $0) }.map(Array.init) == png)
        let name = try #require(attachment["Name"])
        #expect(attachment["ContentID"] == "cid:" + name)
        let html = try #require(body["HtmlBody"] as? String)
        #expect(html.contains("src=\"cid:\(name)\"") && !html.contains("data:image"))
        let plain = try #require(try JSONSerialization.jsonObject(
            with: Data(PostmarkAdapter(configuration: configuration).request(for: InlineImageFixture.message(png: nil)).body)) as? [String: Any])
        #expect(plain["Attachments"] == nil)
    }

    @Test("the Message Stream defaults to outbound")
    func defaultStream() throws {
        var configuration = GatewayConfiguration(name: "gw", kind: .postmark, url: "https://api.postmarkapp.com", from: "krav@fjordkraft.example")
        configuration.secrets["token"] = "t"
        let content = RenderedContent(
            templateID: "t", templateVersion: "v", channel: .email, subject: "S", text: "T", html: nil, sms: nil, contentHash: "h")
        let request = try PostmarkAdapter(configuration: configuration).request(
            for: OutboundMessage(messageID: "msg_1", idempotencyKey: "k", recipient: Recipient(email: "a@example.se"), content: content))
        #expect(request.url == "https://api.postmarkapp.com/email")
        let body = try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])
        #expect(body["MessageStream"] as? String == "outbound")
        #expect(body["HtmlBody"] == nil && body["ReplyTo"] == nil)
    }

    @Test("Postmark's error replies: 422 ErrorCode 300 and 406 and 401 ErrorCode 10 permanent; 429, 500 and 503 ErrorCode 100 (maintenance) transient")
    func errors() async throws {
        let replies: [LoopbackServer.Reply] = [
            .init(status: 422, body: #"{"ErrorCode":300,"Message":"Invalid 'To' address: 'sven@'."}"#),
            .init(status: 422, body: #"{"ErrorCode":406,"Message":"You tried to send to a recipient that has been marked as inactive."}"#),
            .init(status: 401, body: #"{"ErrorCode":10,"Message":"No Account or Server API tokens were supplied in the HTTP headers."}"#),
            .init(status: 429, body: #"{"ErrorCode":429,"Message":"Rate limit exceeded."}"#),
            .init(status: 500, body: #"{"ErrorCode":0,"Message":"Internal Server Error"}"#),
            .init(status: 503, body: #"{"ErrorCode":100,"Message":"Maintenance"}"#),
        ]
        let next = Mutex(0)
        let harness = try await PresetHarness.start(
            channel: "email", gateway: #"type: postmark, from: "krav@fjordkraft.example", token_env: PM_TOKEN"#, environment: ["PM_TOKEN": "t"]
        ) { _ in replies[next.withLock { index in defer { index += 1 }; return min(index, replies.count - 1) }] }
        var attempts: [MessageStatus.Attempt] = []
        for key in ["e1", "e2", "e3", "e4", "e5", "e6"] {
            attempts.append(try #require(try await harness.send(Fixtures.email(key: key)).attempts.first))
        }
        #expect(attempts.map(\.outcome) == [.permanent, .permanent, .permanent, .transient, .transient, .transient])
        #expect(attempts.map(\.httpStatus) == [422, 422, 401, 429, 500, 503])
        #expect(attempts[1].error == "gateway gw answered HTTP 422: Postmark error 406: You tried to send to a recipient that has been marked as inactive.")
        #expect(attempts[2].error?.contains("Postmark error 10:") == true)
        await harness.stop()
    }

    @Test("a 200 whose ErrorCode is not 0 is not taken for accepted; ErrorCode 100 is transient whatever the status")
    func errorCodeInBody() {
        let adapter = Self.adapter()
        let refused = adapter.interpret(HTTPResponse(status: 200, body: Array(#"{"ErrorCode":406,"Message":"Inactive recipient"}"#.utf8)))
        #expect(refused.outcome == .permanent && refused.providerID == nil && refused.error == "Postmark error 406: Inactive recipient")
        #expect(adapter.interpret(HTTPResponse(status: 422, body: Array(#"{"ErrorCode":100,"Message":"Maintenance"}"#.utf8))).outcome == .transient)
        let ok = adapter.interpret(HTTPResponse(status: 200, body: Array(Self.accepted.utf8)))
        #expect(ok == ProviderAnswer(outcome: .accepted, providerID: "0a129aee-e1cd-480d-b08d-4f48548ff48d"))
    }

    @Test("record mapping: Delivery → delivered; HardBounce, SoftBounce → undelivered; Transient → sent; Blocked, SpamNotification → rejected; AutoResponder, SpamComplaint, Open, Click skipped")
    func recordMapping() throws {
        let adapter = Self.adapter()
        func parse(_ body: String) throws -> [ParsedReceipt] { try adapter.receipts(from: ReceiptCallback(body: Array(body.utf8))) }
        #expect(try parse(Self.delivery("m-1")) == [ParsedReceipt(providerID: "m-1", status: .delivered, providerStatus: "Delivery", error: nil)])
        #expect(try parse(Self.bounce("m-2")) == [ParsedReceipt(
            providerID: "m-2", status: .undelivered, providerStatus: "Bounce/HardBounce",
            error: "The server was unable to deliver your message (ex: unknown user, mailbox not found).: Test bounce details")])
        #expect(try parse(Self.bounce("m-3", type: "SoftBounce", typeCode: 4096)).first?.status == .undelivered)
        #expect(try parse(Self.bounce("m-4", type: "Transient", typeCode: 2)) == [ParsedReceipt(
            providerID: "m-4", status: .sent, providerStatus: "Bounce/Transient", error: nil)])
        #expect(try parse(Self.bounce("m-5", type: "Blocked", typeCode: 100006)).first?.status == .rejected)
        #expect(try parse(Self.bounce("m-6", type: "SpamNotification", typeCode: 512)).first?.status == .rejected)
        #expect(try parse(Self.bounce("m-7", type: "AutoResponder", typeCode: 64)).isEmpty)
        #expect(try parse(Self.bounce("m-8", type: "SpamComplaint", typeCode: 100001)).isEmpty)
        #expect(try parse(#"{"RecordType":"SpamComplaint","MessageID":"m-9","Type":"SpamComplaint"}"#).isEmpty)
        #expect(try parse(#"{"RecordType":"Open","MessageID":"m-9","FirstOpen":true}"#).isEmpty)
        #expect(try parse(#"{"RecordType":"Click","MessageID":"m-9"}"#).isEmpty)
        #expect(throws: ReceiptError.self) { try parse(#"{"MessageID":"m-9"}"#) }
        #expect(throws: ReceiptError.self) { try parse(#"{"RecordType":"Delivery"}"#) }
        #expect(throws: ReceiptError.self) { try parse("[]") }
    }

    @Test("receipts need signature basic or none: Postmark signs nothing, so the loader will not pick a default")
    func explicitScheme() throws {
        let directory = TemporaryDirectory()
        let yaml = """
            store: { path: "\(directory.file("varsel.db"))" }
            templates: { dir: "\(Paths.templates)" }
            channels:
              email: { gateways: [gw] }
            gateways:
              gw: { type: postmark, from: "krav@fjordkraft.example", token_env: PM_TOKEN, receipts: { max_age_seconds: 300 } }
            """
        let error = #expect(throws: (any Error).self) {
            _ = try ConfigLoader.load(yaml: yaml, baseDirectory: directory.path, environment: ["PM_TOKEN": "t"])
        }
        #expect("\(error.map { "\($0)" } ?? "")".contains("gateways.gw.receipts.signature"))
        let basic = yaml.replacingOccurrences(of: "max_age_seconds: 300", with: "signature: basic, username_env: PM_USER, password_env: PM_PASS")
        let config = try ConfigLoader.load(yaml: basic, baseDirectory: directory.path, environment: ["PM_TOKEN": "t", "PM_USER": "postmark", "PM_PASS": "hook-pass"])
        #expect(config.gateways["gw"]?.receipts?.signature.schemeName == "basic")
    }

    @Test("webhooks through the API with Basic auth: Delivery records delivered, a HardBounce undelivered; a wrong or missing password is refused with nothing recorded; a re-post is recorded once")
    func webhooks() async throws {
        let ids = Mutex(0)
        let harness = try await PresetHarness.start(
            channel: "email",
            gateway: #"type: postmark, from: "krav@fjordkraft.example", token_env: PM_TOKEN, receipts: { signature: basic, username_env: PM_USER, password_env: PM_PASS }"#,
            environment: ["PM_TOKEN": "t", "PM_USER": "postmark", "PM_PASS": "hook-pass"]
        ) { _ in
            let n = ids.withLock { value in defer { value += 1 }; return value }
            return .init(status: 200, body: Self.accepted.replacingOccurrences(of: "0a129aee-e1cd-480d-b08d-4f48548ff48d", with: "0a129aee-e1cd-480d-b08d-00000000000\(n)"))
        }
        let first = try await harness.send(Fixtures.email(key: "pmw1"))
        let second = try await harness.send(Fixtures.email(key: "pmw2", email: "kari@example.no"))
        let firstID = try #require(first.attempts.first?.providerID)
        let secondID = try #require(second.attempts.first?.providerID)
        #expect(firstID != secondID)
        let good = ["Authorization": "Basic " + Data("postmark:hook-pass".utf8).base64EncodedString()]
        let wrong = ["Authorization": "Basic " + Data("postmark:guess".utf8).base64EncodedString()]

        #expect(try await harness.callback(body: Array(Self.delivery(firstID).utf8)).status == 401)
        #expect(try await harness.callback(body: Array(Self.delivery(firstID).utf8), headers: wrong).status == 403)
        #expect(try await harness.status(first.id).receipts.allSatisfy { $0.source != "webhook:gw" })

        let delivered = try await harness.callback(body: Array(Self.delivery(firstID).utf8), headers: good)
        #expect(delivered.status == 200)
        #expect(delivered.json["state"] as? String == "delivered")
        #expect(try await harness.status(first.id).state == .delivered)
        let again = try await harness.callback(body: Array(Self.delivery(firstID).utf8), headers: good)
        #expect(again.status == 200 && again.json["duplicate"] as? Bool == true)
        #expect(try await harness.status(first.id).receipts.filter { $0.source == "webhook:gw" }.count == 1)

        let bounced = try await harness.callback(body: Array(Self.bounce(secondID).utf8), headers: good)
        #expect(bounced.status == 200)
        let status = try await harness.status(second.id)
        #expect(status.receipts.contains { $0.status == "undelivered" && $0.source == "webhook:gw" })
        #expect(status.decisions.contains { $0.text.contains("undelivered according to gw: The server was unable to deliver your message") })

        let open = try await harness.callback(body: Array(#"{"RecordType":"Open","MessageID":"\#(firstID)","FirstOpen":true}"#.utf8), headers: good)
        #expect(open.status == 200)
        #expect(try await harness.status(first.id).receipts.filter { $0.source == "webhook:gw" }.count == 1)
        await harness.stop()
    }
}
