import Foundation
import Testing
import VarselCore
import VarselDaemon
import VarselGateways
import VarselHTTP
import VarselStore
import VarselTestSupport

/// The SMTP preset against a real SMTP server (Debian's python3-aiosmtpd, `Tests/StandIns/smtp_stand_in.py`)
/// started by the test on loopback: STARTTLS, AUTH, connection reuse, the MIME message read back by
/// Python's own email parser, and every kind of refusal.
@Suite(.serialized) struct SMTPTests {
    /// The stand-in server: its directory (received mail, log), port and certificate.
    final class Server: @unchecked Sendable {
        let directory = TemporaryDirectory()
        let process: ChildProcess
        let port: Int
        var certificate: String { directory.file("cert.pem") }

        static let python = "/usr/bin/python3"
        static let script = Paths.packageRoot.appendingPathComponent("Tests/StandIns/smtp_stand_in.py").path

        init(tls: Bool = true, implicitTLS: Bool = false, starttls: Bool = true, auth: String? = "varsel:s3cret-smtp") async throws {
            var arguments = [Self.script, "--outdir", directory.path, "--lifetime", "600"]
            if tls {
                let made = try await ChildProcessRun.run(
                    "/usr/bin/openssl",
                    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", directory.file("key.pem"), "-out", directory.file("cert.pem"),
                     "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"])
                #expect(made == 0, "openssl could not make a certificate")
                arguments += ["--cert", directory.file("cert.pem"), "--key", directory.file("key.pem")]
            }
            if implicitTLS { arguments.append("--implicit-tls") }
            if !starttls { arguments.append("--no-starttls") }
            if let auth { arguments += ["--auth", auth] }
            process = try ChildProcess(arguments: arguments, executable: Self.python)
            let child = process
            #expect(await eventually(timeout: .seconds(60)) { child.announcedPort != nil || !child.isRunning }, "the SMTP stand-in did not start")
            port = Int(child.announcedPort ?? "") ?? 0
            #expect(port > 0, "the SMTP stand-in did not start: \(child.stderr)")
        }

        /// The log lines of the messages taken, in order.
        var log: [[String: Any]] {
            let text = (try? String(contentsOfFile: directory.file("log.jsonl"), encoding: .utf8)) ?? ""
            return ndjsonObjects(text)
        }

        var connections: Int { Int((try? String(contentsOfFile: directory.file("connections"), encoding: .utf8)) ?? "0") ?? 0 }

        /// Message `n` (from 1) as Python's `email` package reads it.
        func parsed(_ n: Int) async throws -> [String: Any] {
            let child = try ChildProcess(arguments: [Self.script, "--parse", directory.file("\(n).eml")], executable: Self.python)
            #expect(await child.wait(timeout: .seconds(60)) == 0, "\(child.stderr)")
            return try #require(try JSONSerialization.jsonObject(with: Data(child.stdout.utf8)) as? [String: Any])
        }

        func raw(_ n: Int) -> [UInt8] { Array(FileManager.default.contents(atPath: directory.file("\(n).eml")) ?? Data()) }

        func stop() async {
            await process.terminate()
        }
    }

    static func gateway(_ server: Server, scheme: String = "smtp", extra: String = "") -> String {
        """
              mail: { type: smtp, url: "\(scheme)://127.0.0.1:\(server.port)", from: "Fjordkraft Kundeservice <krav@fjordkraft.example>", username_file: smtp.user, password_file: smtp.password, ca_file: "\(server.certificate)", max_connections: 1, timeout_ms: 30000\(extra) }
        """
    }

    static let files = ["smtp.user": "varsel\n", "smtp.password": "s3cret-smtp\n"]

    @Test("STARTTLS and AUTH, three emails over one reused connection, each MIME message read back by Python's email parser as sent")
    func sendsOverOneConnection() async throws {
        let server = try await Server()
        let (statuses, _) = try await GatewayTests.run(
            gateways: Self.gateway(server, extra: #", reply_to: "Kundeservice <kundeservice@fjordkraft.example>""#),
            channels: "  email: { gateways: [mail] }", files: Self.files,
            messages: [Fixtures.email(key: "s1", email: "ola@example.no"), Fixtures.email(key: "s2", email: "kari@example.no"), Fixtures.email(key: "s3", email: "per@example.no")])
        #expect(statuses.allSatisfy { $0.state == .sent }, "\(statuses.map { "\($0.state) \($0.attempts.last?.error ?? "")" })")
        let log = server.log
        #expect(log.count == 3)
        #expect(log.allSatisfy { $0["tls"] as? Bool == true && $0["auth"] as? String == "varsel" })
        #expect(log.map { $0["mail_from"] as? String } == Array(repeating: "krav@fjordkraft.example", count: 3))
        #expect(Set(log.compactMap { ($0["rcpt_tos"] as? [String])?.first }) == ["ola@example.no", "kari@example.no", "per@example.no"])
        #expect(server.connections == 1, "libcurl should reuse the first connection for the next messages")
        #expect(Set(log.compactMap { $0["connection"] as? Int }) == [1])

        for entry in log {
            let n = try #require(entry["n"] as? Int)
            let parsed = try await server.parsed(n)
            let headers = try #require(parsed["headers"] as? [String: String])
            let status = try #require(statuses.first { $0.id == headers["X-Varsel-Message-Id"] }, "\(headers)")
            let content = try #require(status.content)
            let address = try #require((entry["rcpt_tos"] as? [String])?.first)
            #expect(headers["Subject"] == content.subject)
            #expect(headers["From"] == "Fjordkraft Kundeservice <krav@fjordkraft.example>")
            #expect(headers["To"] == address || headers["To"]?.hasSuffix("<\(address)>") == true, "\(headers["To"] ?? "")")
            #expect(headers["Reply-To"] == "Kundeservice <kundeservice@fjordkraft.example>")
            #expect(headers["Message-ID"] == "<\(status.id).email@fjordkraft.example>")
            #expect(headers["MIME-Version"] == "1.0")
            #expect(headers["Date"] != nil)
            #expect((parsed["defects"] as? [String])?.isEmpty == true)
            #expect(parsed["structure"] as? [String] == ["multipart/alternative", "text/plain", "text/html"])
            #expect((parsed["text"] as? String)?.trimmingCharacters(in: .newlines) == content.text.trimmingCharacters(in: .newlines))
            #expect((parsed["html"] as? String)?.trimmingCharacters(in: .newlines) == content.html?.trimmingCharacters(in: .newlines))
            #expect(status.attempts.last?.providerID == "Q\(n)", "the provider id is the server's queue id")
            #expect(status.attempts.last?.httpStatus == 250)
            for line in server.raw(n).split(separator: 0x0A, omittingEmptySubsequences: false) { #expect(line.count <= 999) }
        }
        await server.stop()
    }

    @Test("smtps:// is TLS from the first byte")
    func implicitTLS() async throws {
        let server = try await Server(implicitTLS: true)
        let (statuses, _) = try await GatewayTests.run(
            gateways: Self.gateway(server, scheme: "smtps"), channels: "  email: { gateways: [mail] }", files: Self.files,
            messages: [Fixtures.email(key: "t1")])
        #expect(statuses.first?.state == .sent, "\(statuses.first?.attempts.last?.error ?? "")")
        #expect(server.log.first?["tls"] as? Bool == true)
        await server.stop()
    }

    @Test("starttls: required refuses a server without STARTTLS (permanent, nothing sent); optional sends in plain text")
    func starttlsRequired() async throws {
        let server = try await Server(tls: false, auth: nil)
        let gateway = """
                  mail: { type: smtp, url: "smtp://127.0.0.1:\(server.port)", from: "krav@fjordkraft.example" }
            """
        let (refused, _) = try await GatewayTests.run(
            gateways: gateway, channels: "  email: { gateways: [mail] }", messages: [Fixtures.email(key: "r1")])
        #expect(refused.first?.state == .failed)
        #expect(refused.first?.attempts.last?.outcome == .permanent)
        #expect(refused.first?.attempts.last?.error?.contains("STARTTLS") == true, "\(refused.first?.attempts.last?.error ?? "")")
        #expect(server.log.isEmpty)
        let (plain, _) = try await GatewayTests.run(
            gateways: gateway.replacingOccurrences(of: " }", with: ", starttls: optional }"), channels: "  email: { gateways: [mail] }",
            messages: [Fixtures.email(key: "r2")])
        #expect(plain.first?.state == .sent, "\(plain.first?.attempts.last?.error ?? "")")
        #expect(server.log.first?["tls"] as? Bool == false)
        await server.stop()
    }

    @Test("replies are classified: 5xx to RCPT or after DATA permanent, 4xx transient, a drop after DATA ambiguous")
    func refusals() async throws {
        let server = try await Server()
        let cases: [(String, AttemptOutcome, String)] = [
            ("reject-rcpt@example.no", .permanent, "550"), ("reject-data@example.no", .permanent, "554"),
            ("busy@example.no", .transient, "451"), ("defer-data@example.no", .transient, "452"),
            ("drop-data@example.no", .ambiguous, "outcome unknown"),
        ]
        let (statuses, _) = try await GatewayTests.run(
            gateways: Self.gateway(server), channels: "  email: { gateways: [mail] }", files: Self.files,
            messages: cases.enumerated().map { Fixtures.email(key: "f\($0.offset)", email: $0.element.0) })
        for (status, expected) in zip(statuses, cases) {
            let attempt = try #require(status.attempts.last)
            #expect(attempt.outcome == expected.1, "\(expected.0): \(attempt.outcome) \(attempt.error ?? "")")
            #expect(attempt.error?.contains(expected.2) == true, "\(expected.0): \(attempt.error ?? "")")
            #expect(attempt.error?.contains(expected.0) != true, "the address is masked in the stored error")
            #expect(status.state == .failed, "one attempt only, one channel: \(expected.0)")
        }
        #expect(server.log.isEmpty)
        await server.stop()
    }

    @Test("wrong AUTH credentials are permanent and say so; the password never appears")
    func authRefused() async throws {
        let server = try await Server()
        let (statuses, _) = try await GatewayTests.run(
            gateways: Self.gateway(server), channels: "  email: { gateways: [mail] }",
            files: ["smtp.user": "varsel\n", "smtp.password": "wrong-password-xyz\n"], messages: [Fixtures.email(key: "a1")])
        let attempt = try #require(statuses.first?.attempts.last)
        #expect(attempt.outcome == .permanent, "\(attempt.error ?? "")")
        #expect(attempt.error?.contains("wrong-password-xyz") == false)
        #expect(server.log.isEmpty)
        await server.stop()
    }

    @Test("varsel gateway test through SMTP prints the envelope and the MIME message, AUTH and password redacted, and the server's 250")
    func gatewayTestCommand() async throws {
        let server = try await Server()
        let directory = TemporaryDirectory()
        for (name, contents) in Self.files { directory.write(name, contents) }
        let config = directory.write("varsel.yaml", """
            store: { path: "\(directory.file("varsel.db"))" }
            templates: { dir: "\(Paths.templates)" }
            channels:
              email: { gateways: [mail] }
            gateways:
            \(Self.gateway(server))
            """)
        let run = try await ChildProcess.run(["gateway", "test", "mail", "--to", "ola@example.no", "--config", config])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        #expect(run.stdout.contains("SMTP smtp://127.0.0.1:\(server.port) (TLS: required)"))
        #expect(run.stdout.contains("MAIL FROM:<krav@fjordkraft.example>"))
        #expect(run.stdout.contains("AUTH: <redacted>"))
        #expect(run.stdout.contains("Subject: [TEST] Varsel gateway test (mail)"))
        #expect(run.stdout.contains("reply: SMTP 250"))
        #expect(run.stdout.contains("outcome: accepted, provider id Q1"))
        #expect(!run.stdout.contains("s3cret-smtp"))
        #expect(!run.stdout.contains("ola@example.no"), "the recipient is masked in what is printed")
        #expect(server.log.count == 1)
        await server.stop()
    }

    @Test("a retry carries the same Message-ID; the message is the same bytes apart from Date")
    func stableMessageID() throws {
        var configuration = GatewayConfiguration(name: "mail", kind: .smtp, url: "smtp://127.0.0.1:25", from: "krav@fjordkraft.example")
        configuration.options["starttls"] = "never"
        let adapter = SMTPAdapter(configuration: configuration)
        let message = OutboundMessage(
            messageID: "01JTESTMESSAGE", idempotencyKey: "01JTESTMESSAGE.email",
            recipient: Recipient(email: "ola@example.no"),
            content: RenderedContent(
                templateID: "reminder/email/nb", templateVersion: "sha256:0", channel: .email, subject: "Påminnelse", text: "Hei Ola",
                html: "<p>Hei Ola</p>", sms: nil, contentHash: "sha256:0"))
        let first = try adapter.mime(for: message, date: Date(timeIntervalSince1970: 1_800_000_000))
        let second = try adapter.mime(for: message, date: Date(timeIntervalSince1970: 1_800_000_000))
        #expect(first.messageID == "01JTESTMESSAGE.email@fjordkraft.example")
        #expect(first.render() == second.render())
        let request = try adapter.request(for: message)
        #expect(request.mail?.from == "krav@fjordkraft.example")
        #expect(request.mail?.recipients == ["ola@example.no"])
        #expect(request.mail?.tls == .never)
        #expect(String(decoding: request.body, as: UTF8.self).contains("Message-ID: <01JTESTMESSAGE.email@fjordkraft.example>"))
    }

    @Test("config check: starttls values, AUTH needs both halves, from must be an address, no receipts, url must be smtp:// or smtps://")
    func configChecks() throws {
        func errors(_ gateway: String) -> [String] {
            ConfigTests.errors("channels: { email: { gateways: [mail] } }\ngateways:\n  mail: { type: smtp, \(gateway) }", environment: ["P": "pw"])
        }
        #expect(errors(#"url: "smtp://mail.example:587", from: "krav@fjordkraft.example""#).isEmpty)
        #expect(errors(#"url: "smtp://mail.example:587", from: "krav@fjordkraft.example", starttls: sometimes"#).contains { $0.contains("starttls") })
        #expect(errors(#"url: "smtp://mail.example:587", from: "krav@fjordkraft.example", password_env: P"#).contains { $0.contains("username_file") })
        #expect(errors(#"url: "smtp://mail.example:587", from: "not an address""#).contains { $0.contains("from") })
        #expect(errors(#"url: "https://mail.example", from: "krav@fjordkraft.example""#).contains { $0.contains("smtp://") })
        #expect(errors(#"url: "smtp://mail.example:587", from: "krav@fjordkraft.example", password: hunter2"#).contains { $0.contains("never read from the YAML") })
        #expect(errors(#"url: "smtp://mail.example:587", from: "krav@fjordkraft.example", receipts: { signature: none }"#).contains { $0.contains("no delivery callbacks") })
    }
}

/// Runs a program to its end (for openssl).
enum ChildProcessRun {
    static func run(_ executable: String, _ arguments: [String]) async throws -> Int32? {
        let child = try ChildProcess(arguments: arguments, executable: executable)
        return await child.wait(timeout: .seconds(120))
    }
}
