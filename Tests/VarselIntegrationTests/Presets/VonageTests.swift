import Foundation
import Testing
import VarselCore
import VarselDaemon
import VarselGateways
import VarselHTTP
import VarselStore
import VarselTestSupport

/// The `vonage` preset against a stand-in of Vonage's SMS API (https://developer.vonage.com/en/api/sms):
/// the form-encoded request, the per-part reply, per-part delivery receipts and signed webhooks
/// (https://developer.vonage.com/en/getting-started/concepts/signing-messages).
@Suite(.serialized) struct VonageTests {
    static let signatureSecret = "vonage-signature-secret"

    static func start(
        extra: String = "", receipts: String = "receipts: { signature: vonage, secret_file: vonage.sig }",
        reply: @escaping @Sendable () -> LoopbackServer.Reply
    ) async throws -> PresetHarness {
        try await PresetHarness.start(
            channel: "sms",
            gateway: """
                type: vonage, from: Fjordkraft, api_key_file: vonage.key, api_secret_file: vonage.secret, \
                callback: "https://varsel.example/v1/receipts/gw", signature_method: sha256, \(receipts)\(extra)
                """,
            files: [
                "vonage.key": "abcd1234\n", "vonage.secret": "abcdef0123456789\n", "vonage.sig": signatureSecret + "\n",
                "dlr.user": "vonage-dlr\n", "dlr.pass": "dlr-secret\n",
            ],
            respond: { _ in reply() })
    }

    /// A reply with one accepted message object per id, as Vonage documents it.
    static func reply(ids: [String]) -> LoopbackServer.Reply {
        let messages = ids.map {
            #"{"to":"4791234567","message-id":"\#($0)","status":"0","remaining-balance":"15.53590000","message-price":"0.03330000","network":"24201"}"#
        }
        return .init(status: 200, body: #"{"message-count":"\#(ids.count)","messages":[\#(messages.joined(separator: ","))]}"#)
    }

    /// A delivery receipt for one part, with the fields of Vonage's DLR reference, signed as Vonage
    /// signs webhooks (`timestamp`, `nonce`, `sig`; HMAC in upper-case hex like Vonage's libraries).
    static func receipt(
        _ id: String, status: String, clientRef: String, errCode: String = "0", at: Date = Date(), method: String = "sha256",
        secret: String = signatureSecret
    ) -> [String: String] {
        var fields = [
            "msisdn": "4791234567", "to": "Fjordkraft", "network-code": "24201", "messageId": id, "price": "0.03330000",
            "status": status, "scts": "2001011400", "err-code": errCode, "api-key": "abcd1234", "client-ref": clientRef,
            "message-timestamp": "2020-01-01 12:00:00", "timestamp": String(Int(at.timeIntervalSince1970)), "nonce": UUID().uuidString,
        ]
        fields["sig"] = VonageAdapter.signature(fields, secret: Array(secret.utf8), method: method).uppercased()
        return fields
    }

    /// A reminder whose text runs past 160 GSM-7 characters (a long creditor name): two parts.
    static func longSMS(key: String) -> String {
        let data = Fixtures.data.replacingOccurrences(of: "Fjordkraft AS", with: "Fjordkraft AS, kundesenter for Vestland og Rogaland")
        return Fixtures.message(key: key, recipient: #""locale":"nb-NO","country":"NO","channels":["sms"],"phone":"+4791234567""#, data: data)
    }

    static func json(_ fields: [String: String]) -> [UInt8] {
        Array(try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]))
    }

    static func query(_ fields: [String: String]) -> String {
        FormEncoding.encode(fields.sorted { $0.key < $1.key })
    }

    @Test("a message is a form POST to /sms/json with Basic auth (key:secret): from, to as digits, text, client-ref = our id, callback; the id is messages[0].message-id")
    func request() async throws {
        let harness = try await Self.start { Self.reply(ids: ["0A0000000123ABCD1"]) }
        let status = try await harness.send(Fixtures.sms(key: "vo1"))
        #expect(status.state == .sent, "\(status.reason ?? "")")
        #expect(status.attempts.first?.providerID == "0A0000000123ABCD1")
        let request = try #require(harness.standIn.requests.first)
        #expect(request.method == "POST")
        #expect(request.path == "/sms/json")
        #expect(request.headers["content-type"] == "application/x-www-form-urlencoded")
        #expect(request.headers["authorization"] == "Basic " + Data("abcd1234:abcdef0123456789".utf8).base64EncodedString())
        let pairs = FormEncoding.decode(request.text)
        let form = Dictionary(pairs, uniquingKeysWith: { first, _ in first })
        #expect(pairs.map(\.0) == ["from", "to", "text", "client-ref", "callback"], "no type for a GSM-7 text, no credentials in the body")
        #expect(form["from"] == "Fjordkraft")
        #expect(form["to"] == "4791234567")
        #expect(form["text"] == status.content?.text)
        #expect(form["client-ref"] == status.id)
        #expect(form["callback"] == "https://varsel.example/v1/receipts/gw")
        #expect(!request.text.contains("abcdef0123456789"))
        await harness.stop()
    }

    @Test("a text GSM-7 cannot carry is sent with type=unicode, UTF-8 form-encoded")
    func unicode() async throws {
        let harness = try await Self.start { Self.reply(ids: ["0A0000000123ABCD2"]) }
        let data = Fixtures.data.replacingOccurrences(of: "Fjordkraft AS", with: "Energa Łódź")
        let status = try await harness.send(Fixtures.message(key: "vo2", recipient: #""locale":"nb-NO","country":"NO","channels":["sms"],"phone":"+4791234567""#, data: data))
        #expect(status.state == .sent, "\(status.reason ?? "")")
        #expect(status.content?.sms?.encoding == .ucs2)
        let request = try #require(harness.standIn.requests.first)
        let form = Dictionary(FormEncoding.decode(request.text), uniquingKeysWith: { first, _ in first })
        #expect(form["type"] == "unicode")
        #expect(form["text"]?.hasPrefix("Energa Łódź") == true)
        #expect(request.text.contains("text=Energa+%C5%81%C3%B3d%C5%BA"))
        await harness.stop()
    }

    @Test("two parts: both ids are kept; one delivered part leaves the message sent, the second makes it delivered (signed POST-JSON, then GET)")
    func twoPartsDelivered() async throws {
        let harness = try await Self.start { Self.reply(ids: ["0B00000127FDBC63", "0B00000127FDBC64"]) }
        let status = try await harness.send(Self.longSMS(key: "vo3"))
        #expect(status.content?.sms?.encoding == .gsm7)
        #expect(status.content?.sms?.segments == 2, "the text is two GSM-7 segments")
        #expect(status.state == .sent)
        #expect(status.attempts.first?.providerID == "0B00000127FDBC63")

        let first = try await harness.callback(body: Self.json(Self.receipt("0B00000127FDBC63", status: "delivered", clientRef: status.id)))
        #expect(first.status == 200)
        #expect(first.json["message_id"] as? String == status.id)
        #expect(try await harness.status(status.id).state == .sent, "one part of two delivered")

        let second = try await harness.callback(method: "GET", query: Self.query(Self.receipt("0B00000127FDBC64", status: "delivered", clientRef: status.id)))
        #expect(second.status == 200)
        let done = try await harness.status(status.id)
        #expect(done.state == .delivered)
        #expect(done.receipts.filter { $0.status == "delivered" }.map(\.providerID) == ["0B00000127FDBC63", "0B00000127FDBC64"])
        await harness.stop()
    }

    @Test("two parts: a failed part fails the message with Vonage's err-code (signed form POST)")
    func twoPartsOneFailed() async throws {
        let harness = try await Self.start { Self.reply(ids: ["0C00000001", "0C00000002"]) }
        let status = try await harness.send(Self.longSMS(key: "vo4"))
        #expect(status.content?.sms?.segments == 2)
        let delivered = Self.query(Self.receipt("0C00000001", status: "delivered", clientRef: status.id))
        #expect(try await harness.callback(body: Array(delivered.utf8), contentType: "application/x-www-form-urlencoded").status == 200)
        #expect(try await harness.status(status.id).state == .sent)
        let failed = Self.query(Self.receipt("0C00000002", status: "failed", clientRef: status.id, errCode: "3"))
        #expect(try await harness.callback(body: Array(failed.utf8), contentType: "application/x-www-form-urlencoded").status == 200)
        await harness.components.dispatcher.run(untilIdle: true)
        let done = try await harness.status(status.id)
        #expect(done.state == .failed)
        #expect(done.reason?.contains("failed according to gw: Vonage err-code 3 (Absent Subscriber - Permanent)") == true, "\(done.reason ?? "")")
        await harness.stop()
    }

    @Test("accepted and buffered receipts are recorded as sent and change nothing; expired is final")
    func intermediateStatuses() async throws {
        let harness = try await Self.start { Self.reply(ids: ["0D00000001"]) }
        let status = try await harness.send(Fixtures.sms(key: "vo5"))
        for word in ["accepted", "buffered"] {
            #expect(try await harness.callback(body: Self.json(Self.receipt("0D00000001", status: word, clientRef: status.id))).status == 200)
        }
        #expect(try await harness.status(status.id).state == .sent)
        #expect(try await harness.status(status.id).receipts.map(\.status) == ["accepted", "sent"])
        #expect(try await harness.callback(body: Self.json(Self.receipt("0D00000001", status: "expired", clientRef: status.id, errCode: "2"))).status == 200)
        await harness.components.dispatcher.run(untilIdle: true)
        #expect(try await harness.status(status.id).state == .failed)
        await harness.stop()
    }

    @Test("documented non-zero statuses: 1 throttled and 9 out of credit transient, 4 bad credentials and 7 barred number permanent, HTTP 500 transient")
    func errorStatuses() async throws {
        let cases: [(String, Int, String, AttemptOutcome, String)] = [
            ("vo6", 200, #"{"message-count":"1","messages":[{"status":"1","error-text":"Throughput Rate Exceeded - please wait [ 1000 ] and retry"}]}"#, .transient,
             "gateway gw answered HTTP 200: Vonage status 1 (Throttled): Throughput Rate Exceeded - please wait [ 1000 ] and retry"),
            ("vo7", 200, #"{"message-count":"1","messages":[{"status":"9","error-text":"Quota Exceeded - rejected"}]}"#, .transient,
             "gateway gw answered HTTP 200: Vonage status 9 (Partner Quota Violation): Quota Exceeded - rejected"),
            ("vo8", 200, #"{"message-count":"1","messages":[{"status":"4","error-text":"Bad Credentials"}]}"#, .permanent,
             "gateway gw answered HTTP 200: Vonage status 4 (Invalid Credentials): Bad Credentials"),
            ("vo9", 200, #"{"message-count":"1","messages":[{"to":"4791234567","status":"7","error-text":"Number barred."}]}"#, .permanent,
             "gateway gw answered HTTP 200: Vonage status 7 (Number Barred): Number barred."),
            ("vo10", 500, "Internal Server Error", .transient, "gateway gw answered HTTP 500"),
        ]
        for (key, code, body, outcome, error) in cases {
            let harness = try await Self.start { .init(status: code, body: body) }
            let status = try await harness.send(Fixtures.sms(key: key))
            #expect(status.attempts.map(\.outcome) == [outcome], "\(key)")
            #expect(status.attempts.first?.error == error, "\(key)")
            #expect(status.state == .failed, "\(key)")
            await harness.stop()
        }
    }

    @Test("a part refused for a transient reason after another was accepted is ambiguous: a resend repeats the accepted part")
    func partialFailure() async throws {
        let harness = try await Self.start {
            .init(status: 200, body: #"{"message-count":"2","messages":[{"to":"4791234567","message-id":"0E00000001","status":"0"},{"status":"1","error-text":"Throttled"}]}"#)
        }
        let status = try await harness.send(Fixtures.sms(key: "vo11"))
        #expect(status.attempts.map(\.outcome) == [.ambiguous])
        #expect(status.attempts.first?.error == "gateway gw answered HTTP 200: Vonage status 1 (Throttled): Throttled; part 2 of 2, 1 accepted")
        await harness.stop()
    }

    @Test("signed receipts: a tampered one is refused (403) and one without sig (401), nothing recorded; a replay within the window is a duplicate, an old one is refused")
    func signatures() async throws {
        let harness = try await Self.start { Self.reply(ids: ["0F00000001"]) }
        let status = try await harness.send(Fixtures.sms(key: "vo12"))

        var tampered = Self.receipt("0F00000001", status: "delivered", clientRef: status.id)
        tampered["err-code"] = "1"
        #expect(try await harness.callback(body: Self.json(tampered)).status == 403)
        var unsigned = Self.receipt("0F00000001", status: "delivered", clientRef: status.id)
        unsigned["sig"] = nil
        #expect(try await harness.callback(body: Self.json(unsigned)).status == 401)
        let wrongKey = Self.receipt("0F00000001", status: "delivered", clientRef: status.id, secret: "another-secret")
        #expect(try await harness.callback(method: "GET", query: Self.query(wrongKey)).status == 403)
        let stale = Self.receipt("0F00000001", status: "delivered", clientRef: status.id, at: Date().addingTimeInterval(-3600))
        #expect(try await harness.callback(body: Self.json(stale)).status == 403)
        #expect(try await harness.status(status.id).state == .sent, "nothing may be recorded from a bad signature")
        #expect(try await harness.status(status.id).receipts.count == 1)

        let valid = Self.json(Self.receipt("0F00000001", status: "delivered", clientRef: status.id))
        #expect(try await harness.callback(body: valid).status == 200)
        #expect(try await harness.status(status.id).state == .delivered)
        let replay = try await harness.callback(body: valid)
        #expect(replay.status == 200)
        #expect(replay.json["duplicate"] as? Bool == true)
        #expect(try await harness.status(status.id).receipts.filter { $0.status == "delivered" }.count == 1)
        await harness.stop()
    }

    @Test("basic instead of signatures: right credentials recorded, wrong refused; an inbound SMS on the receipt URL is answered 200 with nothing recorded")
    func basicScheme() async throws {
        let harness = try await Self.start(receipts: "receipts: { signature: basic, username_file: dlr.user, password_file: dlr.pass }") {
            Self.reply(ids: ["1000000001"])
        }
        let status = try await harness.send(Fixtures.sms(key: "vo13"))
        let body = Self.json(["messageId": "1000000001", "status": "delivered", "err-code": "0", "msisdn": "4791234567", "client-ref": status.id])
        func authorization(_ password: String) -> [String: String] {
            ["Authorization": "Basic " + Data("vonage-dlr:\(password)".utf8).base64EncodedString()]
        }
        #expect(try await harness.callback(body: body, headers: authorization("nope")).status == 403)
        #expect(try await harness.status(status.id).state == .sent)
        #expect(try await harness.callback(body: body, headers: authorization("dlr-secret")).status == 200)
        #expect(try await harness.status(status.id).state == .delivered)
        let inbound = Self.json(["msisdn": "4791234567", "to": "4712345678", "messageId": "0A0000000123ABCD1", "text": "STOPP", "type": "text", "keyword": "STOPP"])
        let answer = try await harness.callback(body: inbound, headers: authorization("dlr-secret"))
        #expect(answer.status == 200)
        #expect((answer.json["receipts"] as? [Any])?.isEmpty == true)
        await harness.stop()
    }

    @Test("the signing methods match Vonage's published vectors (PHP and Python library tests): md5hash, md5, sha1, sha256, sha512, with & and = in values")
    func publishedVectors() throws {
        let inbound = [
            "message-timestamp": "2013-11-21 15:27:30", "messageId": "020000001B0FE827", "msisdn": "14843472194", "text": "Test again",
            "timestamp": "1385047698", "to": "13239877404", "type": "text",
        ]
        let secret = Array("my_secret_key_for_testing".utf8)
        #expect(VonageAdapter.signature(inbound, secret: secret, method: "md5hash") == "d2e7b1dc968737c5998ad624e02f90b7")
        #expect(VonageAdapter.signature(inbound, secret: secret, method: "md5") == "ddebd46008c2d4e93cce578a332a52d5")
        #expect(VonageAdapter.signature(inbound, secret: secret, method: "sha1") == "27d0d05c2876c7cb1720dbcdba4d492e1e55c09a")
        #expect(VonageAdapter.signature(inbound, secret: secret, method: "sha256") == "ddb8397c2b90aac7f3882d306475c9a5058c92322eef43c92b298b6e0fc0d330")
        #expect(VonageAdapter.signature(inbound, secret: secret, method: "sha512")
            == "e0d3c650f8c9d1a5c174d10dddbfb003e561f59b265616208b0487c5d819481cd3c311d59cf6165ecd1139622d5ba3a256c0d763ac4a9ad9144b5a426b94fe82")
        let ampersand = [
            "keyword": "TEST", "message-timestamp": "2017-04-04 22:57:47", "messageId": "0B00000042AC53BD", "msisdn": "14843472194",
            "nonce": "929d6744-bd28-42c8-b6cf-31d5b4f43732", "sig": "e06d9763e3fd0b9c31beb5fc2fcb011c", "text": "Test with & and =",
            "timestamp": "1491346667", "to": "12192259404", "type": "text",
        ]
        #expect(VonageAdapter.signature(ampersand, secret: secret, method: "md5hash") == "e06d9763e3fd0b9c31beb5fc2fcb011c")
        #expect(VonageAdapter.signature(["a": "1", "b": "2", "timestamp": "1461605396"], secret: Array("secret".utf8), method: "md5hash")
            == "6af838ef94998832dbfc29020b564830")

        // The adapter's check, with the signed webhook as Vonage sends it: a GET query and a POST-JSON body.
        func adapter(_ method: String) -> VonageAdapter {
            var configuration = GatewayConfiguration(name: "gw", kind: .vonage, url: "https://rest.nexmo.com", from: "Fjordkraft")
            configuration.options["signature_method"] = method
            configuration.receipts = .init(format: nil, signature: .preset(scheme: "vonage", key: secret, maxAge: 300))
            return VonageAdapter(configuration: configuration)
        }
        let at = Date(timeIntervalSince1970: 1_491_346_667)
        let get = ReceiptCallback(method: "GET", body: [], query: Self.query(ampersand))
        #expect(adapter("md5hash").verify(get, now: at) == nil)
        #expect(adapter("md5hash").verify(get, now: at.addingTimeInterval(301)) == .expired)
        #expect(adapter("sha256").verify(get, now: at) == .invalid)
        var signed = inbound
        signed["sig"] = "DDB8397C2B90AAC7F3882D306475C9A5058C92322EEF43C92B298B6E0FC0D330"
        let then = Date(timeIntervalSince1970: 1_385_047_698)
        let post = ReceiptCallback(headers: ["content-type": "application/json"], body: Self.json(signed))
        #expect(adapter("sha256").verify(post, now: then) == nil)
        signed["text"] = "Test again!"
        let altered = ReceiptCallback(headers: ["content-type": "application/json"], body: Self.json(signed))
        #expect(adapter("sha256").verify(altered, now: then) == .invalid)
    }

    @Test("configuration: from is required, signature_method must be one Vonage offers")
    func configuration() throws {
        func problem(_ gateway: String) -> String? {
            let directory = TemporaryDirectory()
            directory.write("k", "abcd1234")
            directory.write("s", "abcdef0123456789")
            let yaml = """
                store: { path: "\(directory.file("varsel.db"))" }
                templates: { dir: "\(Paths.templates)" }
                channels:
                  sms: { gateways: [gw] }
                gateways:
                  gw: { type: vonage, api_key_file: k, api_secret_file: s\(gateway) }
                """
            do {
                let config = try ConfigLoader.load(yaml: yaml, baseDirectory: directory.path)
                #expect(config.gateways["gw"]?.url == "https://rest.nexmo.com")
                return nil
            } catch {
                return "\(error)"
            }
        }
        #expect(problem(", from: Fjordkraft") == nil)
        #expect(problem("")?.contains("a vonage gateway needs from") == true)
        #expect(problem(", from: Fjordkraft, signature_method: sha384")?.contains("signature_method: use md5hash, md5, sha1, sha256, sha512") == true)
        #expect(problem(", from: Fjordkraft, api_key: abcd1234")?.contains("secrets are never read from the YAML file") == true)
    }
}
