import Foundation
import Testing
import VarselCore
import VarselDaemon
import VarselGateways
import VarselStore
import VarselTestSupport

/// Delivery receipts: parsing, signatures, and forward-only statuses through the API.
@Suite(.serialized) struct ReceiptTests {
    @Test("Twilio's signature matches the public test vector")
    func twilioVector() {
        let parameters = [
            ("CallSid", "CA1234567890ABCDE"), ("Caller", "+12349013030"), ("Digits", "1234"), ("From", "+12349013030"), ("To", "+18005551212"),
        ]
        let signature = ReceiptSignature.twilioSignature(
            authToken: Array("12345".utf8), url: "https://mycompany.com/myapp.php?foo=1&bar=2", parameters: parameters)
        #expect(signature == "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
        let body = Array(FormEncoding.encode(parameters.reversed()).utf8)
        let check = ReceiptSignature.twilio(authToken: Array("12345".utf8), publicURL: "https://mycompany.com/myapp.php?foo=1&bar=2")
        #expect(check.verify(headers: ["x-twilio-signature": signature], body: body, now: Date()) == nil)
        #expect(check.verify(headers: ["x-twilio-signature": signature], body: body + Array("&x=1".utf8), now: Date()) == .invalid)
        #expect(check.verify(headers: [:], body: body, now: Date()) == .missing("X-Twilio-Signature"))
    }

    @Test("the generic HMAC-SHA256 signature: valid, tampered, replayed outside the window, missing")
    func hmac() {
        let secret = Array("receipt-secret".utf8)
        let check = ReceiptSignature.hmacSHA256(secret: secret, maxAge: 300)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let body = Array(#"{"provider_id":"p1","status":"delivered"}"#.utf8)
        let timestamp = "1800000000"
        let signature = ReceiptSignature.hmacHeader(secret: secret, timestamp: timestamp, body: body)
        #expect(signature.hasPrefix("sha256=") && signature.count == 71)
        let headers = ["x-varsel-timestamp": timestamp, "x-varsel-signature": signature]
        #expect(check.verify(headers: headers, body: body, now: now) == nil)
        #expect(check.verify(headers: headers, body: body + [32], now: now) == .invalid)
        #expect(check.verify(headers: headers, body: body, now: now.addingTimeInterval(301)) == .expired)
        #expect(check.verify(headers: ["x-varsel-timestamp": timestamp], body: body, now: now) == .missing("X-Varsel-Signature"))
        var wrongKey = headers
        wrongKey["x-varsel-signature"] = ReceiptSignature.hmacHeader(secret: Array("other".utf8), timestamp: timestamp, body: body)
        #expect(check.verify(headers: wrongKey, body: body, now: now) == .invalid)
    }

    @Test("receipt bodies: the generic JSON shape and Twilio's StatusCallback; unknown statuses and missing ids are refused")
    func parsing() throws {
        let generic = try ReceiptFormat.generic.parse(body: Array(#"{"provider_id":"gw-1","status":"undelivered","error":"absent subscriber"}"#.utf8))
        #expect(generic.providerID == "gw-1" && generic.status == .undelivered && generic.error == "absent subscriber")
        let twilio = try ReceiptFormat.twilio.parse(body: Array("MessageSid=SM1&MessageStatus=failed&ErrorCode=30003&To=%2B4791234567".utf8))
        #expect(twilio.providerID == "SM1" && twilio.status == .failed && twilio.error == "Twilio error 30003")
        #expect(try ReceiptFormat.twilio.parse(body: Array("MessageSid=SM1&MessageStatus=sending".utf8)).status == .sent)
        #expect(throws: ReceiptError.self) { try ReceiptFormat.generic.parse(body: Array(#"{"status":"delivered"}"#.utf8)) }
        #expect(throws: ReceiptError.self) { try ReceiptFormat.generic.parse(body: Array(#"{"provider_id":"x","status":"teleported"}"#.utf8)) }
        #expect(throws: ReceiptError.self) { try ReceiptFormat.twilio.parse(body: Array("MessageStatus=delivered".utf8)) }
    }

    @Test("statuses move forward only: delivered is final, a late 'sent' or 'failed' never replaces it, duplicates are harmless, unknown ids → 404", arguments: StoreBackend.allCases)
    func forwardOnlyThroughAPI(_ backend: StoreBackend) async throws {
        let api = try await APITests.Running.start(backend: backend, receipts: "receipts: { signature: hmac-sha256, secret_env: RECEIPT_SECRET }")
        let id = try #require(try await api.post("/v1/messages", Fixtures.sms(key: "r1")).1["id"] as? String)
        await api.components.dispatcher.run(untilIdle: true)
        let providerID = try #require(api.sandbox.received.first?.providerID)
        let secret = Array("receipt-secret-for-tests".utf8)

        func send(_ status: String, provider: String? = nil, timestamp: Date = Date(), tamper: Bool = false, sign: Bool = true) async throws -> Int {
            let body = Array(#"{"provider_id":"\#(provider ?? providerID)","status":"\#(status)"}"#.utf8)
            let stamp = String(Int(timestamp.timeIntervalSince1970))
            var headers = ["Content-Type": "application/json", "X-Varsel-Timestamp": stamp]
            if sign { headers["X-Varsel-Signature"] = ReceiptSignature.hmacHeader(secret: secret, timestamp: stamp, body: body) }
            let sent = tamper ? body + Array(" ".utf8) : body
            return try await api.anonymous.send("POST", "/v1/receipts/sms-main", body: Data(sent), headers: headers).status
        }

        #expect(try await send("delivered", sign: false) == 401)
        #expect(try await send("delivered", tamper: true) == 403)
        #expect(try await send("delivered", timestamp: Date().addingTimeInterval(-3600)) == 403)
        #expect(try await api.components.store.status(id: id)?.state == .sent, "nothing may be recorded from a bad signature")
        #expect(try await api.components.store.status(id: id)?.receipts.count == 1)

        #expect(try await send("sent") == 200)
        #expect(try await send("delivered") == 200)
        #expect(try await send("delivered") == 200)
        #expect(try await send("sent") == 200)
        #expect(try await send("failed") == 200)
        #expect(try await send("delivered", provider: "no-such-id") == 404)
        #expect(try await api.anonymous.send("POST", "/v1/receipts/nowhere", body: Data("{}".utf8)).status == 404)

        let status = try #require(try await api.components.store.status(id: id))
        #expect(status.state == .delivered)
        #expect(status.receipts.map(\.status) == ["accepted", "sent", "delivered", "failed"])
        #expect(status.receipts.last?.source == "webhook:sms-main")
        #expect(status.decisions.contains { $0.text.contains("receipt failed from webhook:sms-main ignored") })
        await api.stop()
    }

    @Test("an undelivered receipt falls back to the next usable channel; with none left the message fails with the provider's reason", arguments: StoreBackend.allCases)
    func undelivered(_ backend: StoreBackend) async throws {
        let api = try await APITests.Running.start(backend: backend, receipts: "receipts: { signature: none }")
        let onlySMS = try #require(try await api.post("/v1/messages", Fixtures.sms(key: "u1")).1["id"] as? String)
        let withEmail = try #require(try await api.post(
            "/v1/messages",
            Fixtures.message(key: "u2", recipient: #""locale":"nb-NO","channels":["sms","email"],"phone":"+4791234568","email":"kari@example.no""#)
        ).1["id"] as? String)
        await api.components.dispatcher.run(untilIdle: true)
        #expect(api.sandbox.received.map(\.channel) == ["sms", "sms"])
        for request in api.sandbox.received {
            let body = #"{"provider_id":"\#(request.providerID)","status":"undelivered","error":"absent subscriber"}"#
            #expect(try await api.anonymous.send("POST", "/v1/receipts/sms-main", body: Data(body.utf8)).status == 200)
        }
        await api.components.dispatcher.run(untilIdle: true)
        let failed = try #require(try await api.components.store.status(id: onlySMS))
        #expect(failed.state == .failed)
        #expect(failed.reason == "undelivered according to sms-main: absent subscriber; no other usable channel")
        let fellBack = try #require(try await api.components.store.status(id: withEmail))
        #expect(fellBack.state == .sent && fellBack.channel == .email, "\(fellBack.decisions.map(\.text)) \(fellBack.reason ?? "")")
        #expect(fellBack.decisions.contains { $0.text.contains("falling back from sms to the next usable channel") })
        #expect(fellBack.decisions.contains { $0.text == "sms skipped: already tried" })
        #expect(api.sandbox.received.map(\.channel) == ["sms", "sms", "email"])
        await api.stop()
    }
}
