import Foundation
import Testing
import VarselGateways
import VarselTestSupport

/// `varsel gateway test NAME --to ADDRESS` as an operator runs it: the real executable against a
/// loopback stand-in of the provider.
@Suite(.serialized) struct GatewayTestCommandTests {
    static func config(_ directory: TemporaryDirectory, gateways: String, channels: String) -> String {
        directory.write("varsel.yaml", """
            store: { path: "\(directory.file("varsel.db"))" }
            templates: { dir: "\(Paths.templates)" }
            channels:
            \(channels)
            gateways:
            \(gateways)
            """)
    }

    @Test("sends one marked test message, prints the request and the reply with every secret redacted, stores nothing, exits 0")
    func accepted() async throws {
        let server = LoopbackServer { _ in .init(status: 201, body: #"{"sid":"SMtest123","status":"queued","echo":"tw-s3cret-token-42"}"#) }
        try await server.start()
        let directory = TemporaryDirectory()
        directory.write("twilio.token", "tw-s3cret-token-42\n")
        let config = Self.config(
            directory,
            gateways: """
                  sms-tw: { type: twilio, url: "\(server.baseURL)", account_sid: AC42, auth_token_file: twilio.token, from: Fjordkraft }
                """,
            channels: "  sms: { gateways: [sms-tw] }")
        let run = try await ChildProcess.run(["gateway", "test", "sms-tw", "--to", "+4791234567", "--config", config])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(!run.stdout.contains("tw-s3cret-token-42"), "the secret must never be printed")
        #expect(!run.stderr.contains("tw-s3cret-token-42"))
        #expect(run.stdout.contains("POST \(server.baseURL)/2010-04-01/Accounts/AC42/Messages.json"))
        #expect(run.stdout.contains("Authorization: Basic <redacted>"))
        #expect(run.stdout.contains("reply: HTTP 201"))
        #expect(run.stdout.contains("outcome: accepted, provider id SMtest123"))
        #expect(run.stdout.contains("nothing was stored"))
        #expect(!run.stdout.contains("+4791234567"), "the number is masked in the output")
        let request = try #require(server.requests.first)
        let form = Dictionary(uniqueKeysWithValues: FormEncoding.decode(request.text))
        #expect(form["To"] == "+4791234567")
        #expect(form["Body"]?.hasPrefix("TEST from Varsel") == true)
        #expect(!FileManager.default.fileExists(atPath: directory.file("varsel.db")), "a test send opens no store")
        await server.stop()
    }

    @Test("a refusal prints the provider's reply and exits 1; an unknown gateway, a wrong address or a channel the gateway does not send are errors naming the problem")
    func refusedAndBadInput() async throws {
        let server = LoopbackServer { _ in .init(status: 400, body: #"{"message":"invalid sender"}"#) }
        try await server.start()
        let directory = TemporaryDirectory()
        directory.write("mail.token", "bearer-s3cret-xyz\n")
        let config = Self.config(
            directory,
            gateways: """
                  mail: { type: http-json, url: "\(server.baseURL)/send", from: "krav@fjordkraft.example", token_file: mail.token }
                """,
            channels: "  email: { gateways: [mail] }")
        let refused = try await ChildProcess.run(["gateway", "test", "mail", "--to", "ola@example.no", "--config", config])
        #expect(refused.status == 1)
        #expect(refused.stdout.contains("reply: HTTP 400"))
        #expect(refused.stdout.contains("invalid sender"))
        #expect(refused.stdout.contains("Authorization: Bearer <redacted>"))
        #expect(refused.stdout.contains("outcome: permanent"))
        #expect(!refused.stdout.contains("bearer-s3cret-xyz"))

        let unknown = try await ChildProcess.run(["gateway", "test", "nope", "--to", "ola@example.no", "--config", config])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("no gateway named 'nope'"), "\(unknown.stderr)")
        let badAddress = try await ChildProcess.run(["gateway", "test", "mail", "--to", "ola", "--config", config])
        #expect(badAddress.status != 0)
        #expect(badAddress.stderr.contains("--to"))
        let wrongChannel = try await ChildProcess.run(["gateway", "test", "mail", "--to", "+4791234567", "--config", config])
        #expect(wrongChannel.status != 0)
        #expect(wrongChannel.stderr.contains("does not send sms") || wrongChannel.stderr.contains("http-json"), "\(wrongChannel.stderr)")
        #expect(server.requests.count == 1, "only the first call sent anything")
        await server.stop()
    }
}
