import Foundation
import Logging
import Testing
import VarselCore
@testable import VarselDaemon
import VarselTestSupport

/// Log lines: one per event, journald severity prefixes, personal data masked, secrets never shown.
@Suite(.serialized) struct LogTests {
    @Test("a line: <N> severity only under journald, key=value fields sorted and quoted, one line per event, personal data masked")
    func lineFormat() {
        let journal = LineLogHandler(label: "varsel", environment: ["JOURNAL_STREAM": "8:12345"])
        let plain = LineLogHandler(label: "varsel", environment: [:])
        let metadata: Logger.Metadata = ["message_id": "msg_1", "error": "bad number +4791234567\nsecond line", "to": "kari@example.no"]
        #expect(journal.line(level: .notice, message: "send finished", metadata: metadata)
            == #"<5>notice varsel: send finished error="bad number +47******67\nsecond line" message_id=msg_1 to=k***@example.no"# + "\n")
        #expect(plain.line(level: .error, message: "x", metadata: nil) == "error varsel: x\n")
        #expect(journal.line(level: .error, message: "x", metadata: nil).hasPrefix("<3>"))
        #expect(journal.line(level: .warning, message: "x", metadata: nil).hasPrefix("<4>"))
        #expect(journal.line(level: .info, message: "x", metadata: nil).hasPrefix("<6>"))
        #expect(journal.line(level: .debug, message: "x", metadata: nil).hasPrefix("<7>"))
        // The handler's own fields join the event's; the event's win on the same key.
        var labelled = LineLogHandler(label: "varsel", environment: [:])
        labelled.metadata = ["worker": "w1", "message_id": "handler"]
        #expect(labelled.line(level: .info, message: "x", metadata: ["message_id": "msg_2"]) == "info varsel: x message_id=msg_2 worker=w1\n")
        #expect(labelled.line(level: .info, message: "x", metadata: nil) == "info varsel: x message_id=handler worker=w1\n")
    }

    @Test("every control character in a message or value is escaped: a provider id with ESC and BEL cannot drive a terminal or split a line")
    func controlCharactersEscaped() {
        let plain = LineLogHandler(label: "varsel", environment: [:])
        let line = plain.line(level: .warning, message: "receipt for an unknown provider id\u{7}", metadata: [
            "provider_id": "\u{1B}[2J\u{1B}]0;owned\u{7}x\r\ny", "note": "tab\there\u{85}\u{2028}",
        ])
        #expect(line == #"warning varsel: receipt for an unknown provider id\u{7} note=tab\there\u{85}\u{2028} provider_id=\u{1B}[2J\u{1B}]0;owned\u{7}x\r\ny"# + "\n")
        #expect(line.dropLast().unicodeScalars.allSatisfy { $0.value >= 0x20 && !(0x7F...0x9F).contains($0.value) && $0.value != 0x2028 })
    }

    @Test("serve under journald: every line has a severity prefix, a gateway's error reply is logged masked, no contact data or token leaks")
    func serveLogs() async throws {
        let gateway = LoopbackServer { request in
            request.path == "/sms"
                ? .init(status: 400, body: #"{"error":"rejected +4791234567, contact kari@example.no"}"#)
                : .init(status: 202, body: #"{"id":"ok"}"#)
        }
        try await gateway.start()
        let directory = TemporaryDirectory()
        let token = "static-token-for-logs-0123456789"
        let tokens = directory.write("tokens", "enqueue,read \(token)\n")
        let yaml = Fixtures.config(storePath: directory.file("varsel.db"), gatewayBase: gateway.baseURL)
            .replacingOccurrences(of: "server: { host: 127.0.0.1, port: 0 }", with: "server: { host: 127.0.0.1, port: 0, tokens_file: \"\(tokens)\" }")
        let config = directory.write("varsel.yaml", yaml)
        let serve = try ChildProcess(arguments: ["serve", "--config", config], environment: ["JOURNAL_STREAM": "8:4242"])
        #expect(await eventually { serve.stderr.contains("ready") })
        let port = serve.announcedPort ?? "0"
        let client = APIClient(baseURL: "http://127.0.0.1:\(port)", token: token)
        defer { client.close() }
        let message = Fixtures.sms(key: "log-1").replacingOccurrences(of: #""channels":["sms"]"#, with: #""channels":["sms","email"],"email":"kari@example.no""#)
        #expect(try await client.send("POST", "/v1/messages", body: Data(message.utf8)).status == 202)
        #expect(await eventually { serve.stderr.contains("outcome=accepted") }, "\(serve.stderr)")
        serve.signal(SIGTERM)
        #expect(await serve.wait() == 0)

        let lines = serve.stderr.split(separator: "\n").map(String.init)
        for line in lines { #expect(line.range(of: #"^<[0-7]>"#, options: .regularExpression) != nil, "no severity prefix: \(line)") }
        let permanent = try #require(lines.first { $0.contains("outcome=permanent") })
        #expect(permanent.hasPrefix("<5>notice varsel: send finished"))
        #expect(permanent.contains("+47******67") && permanent.contains("k***@example.no"), "\(permanent)")
        #expect(permanent.contains("case_ref=case-log-1") && permanent.contains("channel=sms") && permanent.contains("gateway=sms-main"))
        for secret in ["+4791234567", "kari@example.no", token] { #expect(!serve.stderr.contains(secret), "\(secret) leaked") }
        await gateway.stop()
    }
}
