import Foundation
import Synchronization
import Testing
import VarselCore
import VarselDaemon
import VarselTestSupport

/// `GET /metrics` of a real `varsel serve` after a known run through a scripted gateway.
@Suite(.serialized) struct MetricsTests {
    @Test("after a known run: sends by channel/gateway/outcome, latency histogram, connection wait before sending, retries, fallbacks, receipts, messages by state, circuits, queue age, templates")
    func knownRun() async throws {
        // sms: 503 then 202 (one retry); email: 400 (permanent, so the message falls back to letter); letter: 202.
        let smsCalls = Mutex(0)
        let gateway = LoopbackServer { request in
            switch request.path {
            case "/sms":
                let call = smsCalls.withLock { value in
                    defer { value += 1 }
                    return value
                }
                return call == 0 ? .init(status: 503, body: "{}") : .init(status: 202, body: #"{"id":"sms-1"}"#)
            case "/email": return .init(status: 400, body: #"{"error":"mailbox syntax"}"#)
            default: return .init(status: 202, body: #"{"id":"letter-1"}"#)
            }
        }
        try await gateway.start()
        let directory = TemporaryDirectory()
        let tokens = directory.write("tokens", "enqueue,read admin-token-0123456789abc\n")
        let yaml = Fixtures.config(storePath: directory.file("varsel.db"), gatewayBase: gateway.baseURL)
            .replacingOccurrences(of: "server: { host: 127.0.0.1, port: 0 }", with: "server: { host: 127.0.0.1, port: 0, tokens_file: \"\(tokens)\" }")
            .replacingOccurrences(of: "connect_timeout_ms: 2000 }", with: "connect_timeout_ms: 2000, receipts: { signature: none } }")
            + "\nretry: { min_backoff: 0s, max_backoff: 0s, max_attempts: 5 }\n"
        let config = directory.write("varsel.yaml", yaml)
        let serve = try ChildProcess(arguments: ["serve", "--config", config])
        #expect(await eventually { serve.stderr.contains("ready") }, "\(serve.stderr)")
        let port = serve.announcedPort ?? "0"
        let client = APIClient(baseURL: "http://127.0.0.1:\(port)", token: "admin-token-0123456789abc")
        defer { client.close() }

        let twoChannels = Fixtures.letter(key: "m2").replacingOccurrences(of: #""channels":["letter"]"#, with: #""channels":["email","letter"],"email":"jm@example.de""#)
        for body in [Fixtures.sms(key: "m1"), twoChannels] {
            #expect(try await client.send("POST", "/v1/messages", body: Data(body.utf8)).status == 202)
        }
        func metrics() async throws -> String { String(decoding: try await client.send("GET", "/metrics").body, as: UTF8.self) }
        #expect(await eventually { ((try? await metrics()) ?? "").contains(#"varsel_messages{state="sent"} 2"#) }, "\(serve.stderr)")
        #expect(try await client.send("POST", "/v1/receipts/sms-main", body: Data(#"{"provider_id":"sms-1","status":"delivered"}"#.utf8)).status == 200)
        let expected = [
            #"varsel_receipts_total{gateway="sms-main",status="delivered"} 1"#,
            #"varsel_messages{state="delivered"} 1.0"#,
            #"varsel_sends_total{channel="sms",gateway="sms-main",outcome="transient"} 1"#,
            #"varsel_sends_total{channel="sms",gateway="sms-main",outcome="accepted"} 1"#,
            #"varsel_sends_total{channel="email",gateway="email-main",outcome="permanent"} 1"#,
            #"varsel_sends_total{channel="letter",gateway="letter-main",outcome="accepted"} 1"#,
            #"varsel_retries_total{channel="sms"} 1"#,
            #"varsel_fallbacks_total{channel="email",cause="permanent_failure"} 1"#,
            #"varsel_send_duration_seconds_count{channel="sms",gateway="sms-main"} 2"#,
            // Each request handed over, with the time its send held a connection before it left.
            #"varsel_send_connection_wait_seconds_count{gateway="sms-main"} 2"#,
            #"varsel_send_connection_wait_seconds_count{gateway="email-main"} 1"#,
            #"varsel_send_connection_wait_seconds_count{gateway="letter-main"} 1"#,
            #"varsel_messages{state="queued"} 0.0"#,
            #"varsel_messages{state="sent"} 1.0"#,
            #"varsel_queue_oldest_ready_age_seconds 0.0"#,
            #"varsel_gateway_circuit_open{gateway="sms-main"} 0.0"#,
            #"varsel_template_variants 156.0"#,
            #"varsel_template_errors 0.0"#,
        ]
        // Counters and gauges are updated beside the state they describe, not atomically with it:
        // wait until the scrape shows the whole run, then check it line by line.
        var text = ""
        _ = await eventually {
            text = (try? await metrics()) ?? ""
            return expected.allSatisfy { text.contains($0) }
        }
        for line in expected { #expect(text.contains(line), "missing \(line) in\n\(text)") }
        #expect(text.contains("# HELP varsel_sends_total "))
        #expect(text.contains("# TYPE varsel_send_duration_seconds histogram"))
        #expect(text.contains("# TYPE varsel_send_connection_wait_seconds histogram"))
        #expect(text.contains(#"varsel_send_connection_wait_seconds_bucket{gateway="sms-main",le="+Inf"} 2"#))
        // No personal data in any label or value.
        for secret in ["+4791234567", "jm@example.de", "Hauptstraße", "Müller"] { #expect(!text.contains(secret)) }

        serve.signal(SIGTERM)
        #expect(await serve.wait() == 0)
        await gateway.stop()
    }
}
