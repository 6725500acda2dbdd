import Foundation
import Testing
import VarselCore
import VarselGateways
import VarselTestSupport

/// Twilio's StatusCallback through the API: signed with the auth token over the public URL.
@Suite(.serialized) struct TwilioTests {
    @Test("a StatusCallback signed as Twilio signs it is recorded; a tampered one is refused with nothing recorded; a replay is recorded once")
    func statusCallback() async throws {
        let publicURL = "https://varsel.example/v1/receipts/gw"
        let harness = try await PresetHarness.start(
            channel: "sms",
            gateway: #"type: twilio, account_sid: AC42, auth_token_env: TW_TOKEN, from: Fjordkraft, receipts: { public_url: "\#(publicURL)" }"#,
            environment: ["TW_TOKEN": "tw-token-0123456789"]
        ) { _ in .init(status: 201, body: #"{"sid":"SM42","status":"queued"}"#) }
        let status = try await harness.send(Fixtures.sms(key: "tw-r1"))
        #expect(status.attempts.last?.providerID == "SM42")
        let token = Array("tw-token-0123456789".utf8)
        let fields = [("MessageSid", "SM42"), ("MessageStatus", "delivered"), ("AccountSid", "AC42")]
        let body = Array(FormEncoding.encode(fields).utf8)
        let signature = ReceiptSignature.twilioSignature(authToken: token, url: publicURL, parameters: fields)
        let form = "application/x-www-form-urlencoded"

        let tampered = Array(FormEncoding.encode([("MessageSid", "SM42"), ("MessageStatus", "failed"), ("AccountSid", "AC42")]).utf8)
        #expect(try await harness.callback(body: tampered, contentType: form, headers: ["X-Twilio-Signature": signature]).status == 403)
        #expect(try await harness.callback(body: body, contentType: form).status == 401)
        #expect(try await harness.status(status.id).state == .sent, "nothing recorded from a bad signature")

        let valid = try await harness.callback(body: body, contentType: form, headers: ["X-Twilio-Signature": signature])
        #expect(valid.status == 200)
        #expect(valid.json["state"] as? String == "delivered")
        let replay = try await harness.callback(body: body, contentType: form, headers: ["X-Twilio-Signature": signature])
        #expect(replay.status == 200)
        #expect(replay.json["duplicate"] as? Bool == true)
        let after = try await harness.status(status.id)
        #expect(after.state == .delivered)
        #expect(after.receipts.filter { $0.source == "webhook:gw" }.count == 1)
        await harness.stop()
    }
}
