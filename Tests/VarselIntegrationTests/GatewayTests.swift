import Foundation
import Testing
import VarselCore
import VarselDaemon
import VarselGateways
import VarselHTTP
import VarselStore
import VarselTestSupport

/// Gateway adapters against loopback stand-ins: the Twilio preset, refusals and unreachable gateways.
@Suite(.serialized) struct GatewayTests {
    static func run(gateways: String, channels: String, environment: [String: String] = [:], files: [String: String] = [:], messages: [String])
        async throws -> (statuses: [MessageStatus], directory: TemporaryDirectory)
    {
        let directory = TemporaryDirectory()
        for (name, contents) in files { directory.write(name, contents) }
        let yaml = """
            store: { path: "\(directory.file("varsel.db"))" }
            templates: { dir: "\(Paths.templates)" }
            dispatch: { worker_id: gw, poll_interval_ms: 20 }
            retry: { max_attempts: 1 }
            policy: { frequency_cap: { enabled: false }, contact_windows: { enabled: false } }
            channels:
            \(channels)
            gateways:
            \(gateways)
            """
        let config = try ConfigLoader.load(yaml: yaml, baseDirectory: directory.path, environment: environment)
        let components = try await Daemon.open(config: config, logger: quietLogger)
        defer { components.client.shutdown() }
        let results = try await EnqueueBatch.run(
            Data(messages.joined(separator: "\n").utf8), validator: MessageValidator(kinds: config.planning.kinds), store: components.store)
        await components.dispatcher.run(untilIdle: true)
        var statuses: [MessageStatus] = []
        for result in results {
            let id = try #require(result.id, "\(result.error ?? "")")
            statuses.append(try #require(try await components.store.status(id: id)))
        }
        return (statuses, directory)
    }

    @Test("the Twilio preset posts form-encoded To, From and Body with Basic auth to the account's Messages.json and reads sid")
    func twilio() async throws {
        let server = LoopbackServer { _ in .init(status: 201, body: #"{"sid":"SM0123456789abcdef","status":"queued","num_segments":"1"}"#) }
        try await server.start()
        let (statuses, _) = try await Self.run(
            gateways: """
                  twilio: { type: twilio, url: "\(server.baseURL)", account_sid: AC123, auth_token_env: TWILIO_TOKEN, from: Fjordkraft, status_callback: "https://varsel.example/v1/receipts/twilio" }
                """,
            channels: "  sms: { gateways: [twilio] }", environment: ["TWILIO_TOKEN": "s3cret-token"],
            messages: [Fixtures.sms(key: "tw1")])
        let status = try #require(statuses.first)
        #expect(status.state == .sent)
        #expect(status.attempts.first?.providerID == "SM0123456789abcdef")
        #expect(status.attempts.first?.httpStatus == 201)
        let request = try #require(server.requests.first)
        #expect(request.path == "/2010-04-01/Accounts/AC123/Messages.json")
        #expect(request.headers["content-type"] == "application/x-www-form-urlencoded")
        #expect(request.headers["authorization"] == "Basic " + Data("AC123:s3cret-token".utf8).base64EncodedString())
        #expect(request.headers["idempotency-key"] == "\(status.id).sms")
        let form = Dictionary(uniqueKeysWithValues: FormEncoding.decode(request.text))
        #expect(form["To"] == "+4791234567")
        #expect(form["From"] == "Fjordkraft")
        #expect(form["Body"] == status.content?.text)
        #expect(form["StatusCallback"] == "https://varsel.example/v1/receipts/twilio")
        await server.stop()
    }

    @Test("an http-json gateway sends its bearer token from a secret file and reads the id from a configured field")
    func bearerAndIDField() async throws {
        let server = LoopbackServer { _ in .init(status: 200, body: #"{"data":{"message":{"ref":"P-77"}}}"#) }
        try await server.start()
        let (statuses, _) = try await Self.run(
            gateways: """
                  mail: { type: http-json, url: "\(server.baseURL)/send", from: "krav@fjordkraft.example", token_file: mail.token, id_field: data.message.ref }
                """,
            channels: "  email: { gateways: [mail] }", files: ["mail.token": "tok-123\n"], messages: [Fixtures.email(key: "m1")])
        #expect(statuses.first?.state == .sent)
        #expect(statuses.first?.attempts.first?.providerID == "P-77")
        #expect(server.requests.first?.headers["authorization"] == "Bearer tok-123")
        #expect(server.requests.first?.headers["content-type"] == "application/json")
        await server.stop()
    }

    @Test("a refusal (HTTP 4xx) is permanent: with no other channel the message fails with the status and the provider's explanation")
    func refused() async throws {
        let server = LoopbackServer { _ in .init(status: 422, body: #"{"error":"invalid destination number"}"#) }
        try await server.start()
        let (statuses, _) = try await Self.run(
            gateways: "  sms: { type: http-json, url: \"\(server.baseURL)/sms\" }", channels: "  sms: { gateways: [sms] }",
            messages: [Fixtures.sms(key: "r1")])
        let status = try #require(statuses.first)
        #expect(status.state == .failed)
        #expect(status.reason == "permanent failure on sms: gateway sms answered HTTP 422: invalid destination number; no other usable channel")
        #expect(status.attempts.map(\.outcome) == [.permanent])
        #expect(status.attempts.first?.httpStatus == 422)
        #expect(status.receipts.isEmpty)
        await server.stop()
    }

    @Test("an unreachable gateway is transient: after the last attempt the message fails saying the request never reached it")
    func unreachable() async throws {
        let port = closedLoopbackPort()
        let (statuses, _) = try await Self.run(
            gateways: "  sms: { type: http-json, url: \"http://127.0.0.1:\(port)/sms\", connect_timeout_ms: 1000 }",
            channels: "  sms: { gateways: [sms] }", messages: [Fixtures.sms(key: "u1")])
        let status = try #require(statuses.first)
        #expect(status.state == .failed)
        #expect(status.attempts.map(\.outcome) == [.transient])
        #expect(status.reason?.hasPrefix("gave up after 1 attempt (retry.max_attempts); last: request did not reach gateway sms: couldNotConnect") == true)
    }

    @Test("a gateway that takes the request and never answers within the timeout leaves an ambiguous attempt")
    func timeoutAfterSend() async throws {
        // Never answers in time (stop() cuts the wait short). The timeout leaves a loaded machine room to
        // get the request to the gateway, which is what makes the attempt ambiguous rather than unsent.
        let server = LoopbackServer { _ in
            try? await Task.sleep(for: .seconds(60))
            return .init(status: 202, body: "{}")
        }
        try await server.start()
        let (statuses, _) = try await Self.run(
            gateways: "  sms: { type: http-json, url: \"\(server.baseURL)/sms\", timeout_ms: 2000 }", channels: "  sms: { gateways: [sms] }",
            messages: [Fixtures.sms(key: "t1")])
        let status = try #require(statuses.first)
        #expect(status.attempts.map(\.outcome) == [.ambiguous])
        #expect(status.reason?.hasPrefix("gave up after 1 attempt (retry.max_attempts); last: outcome unknown: timedOut") == true)
        await server.stop()
    }
}
