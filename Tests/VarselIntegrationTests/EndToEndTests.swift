import Foundation
import Testing
import VarselCore
import VarselDaemon
import VarselHTTP
import VarselStore
import VarselTestSupport

/// The whole dispatch path through a real loopback gateway and a real store: a SQLite file, and a
/// PostgreSQL database in the cluster the tests start.
@Suite(.serialized) struct EndToEndTests {
    struct Setup {
        let directory: TemporaryDirectory
        let sandbox: SandboxGateway
        let components: Daemon.Components

        static func make(
            backend: StoreBackend, delay: Duration = .zero, templates: String = Paths.templates, maxInFlight: Int = 64, timeoutMs: Int = 30_000,
            now: @escaping @Sendable () -> Date = { Date() }
        ) async throws -> Setup {
            let directory = TemporaryDirectory()
            let sandbox = SandboxGateway(behaviour: .init(delay: delay))
            try await sandbox.start()
            let config = try await ConfigLoader.load(
                yaml: backend.config(
                    Fixtures.config(
                        storePath: directory.file("varsel.db"), gatewayBase: sandbox.baseURL, templates: templates, maxInFlight: maxInFlight,
                        leaseSeconds: max(60, timeoutMs / 1000 * 2), timeoutMs: timeoutMs),
                    directory),
                baseDirectory: directory.path)
            let components = try await Daemon.open(config: config, logger: quietLogger, now: now)
            return Setup(directory: directory, sandbox: sandbox, components: components)
        }

        func enqueue(_ lines: [String]) async throws -> [EnqueueBatch.LineResult] {
            try await EnqueueBatch.run(
                Data(lines.joined(separator: "\n").utf8), validator: MessageValidator(kinds: components.config.planning.kinds),
                store: components.store)
        }

        func status(_ id: String?) async throws -> MessageStatus {
            let id = try #require(id)
            return try #require(try await components.store.status(id: id))
        }

        func finish() async {
            components.client.shutdown()
            await sandbox.stop()
            await components.store.close()
        }
    }

    @Test("1,000 messages over three channels each reach the gateway exactly once, with the right body and Idempotency-Key, and receipts are recorded", arguments: StoreBackend.allCases)
    func thousandMessages(backend: StoreBackend) async throws {
        // A loaded machine (the whole suite in parallel, a build beside it) can hold an answer for
        // seconds: the gateway timeout is generous, so this counts deliveries, not timeouts.
        let setup = try await Setup.make(backend: backend, delay: .milliseconds(5), timeoutMs: 60_000)
        let lines = (0..<1000).map { index -> String in
            switch index % 3 {
            case 0: Fixtures.sms(key: "k\(index)", phone: "+479\(String(format: "%07d", index))")
            case 1: Fixtures.email(key: "k\(index)", email: "debtor\(index)@example.se")
            default: Fixtures.letter(key: "k\(index)")
            }
        }
        let results = try await setup.enqueue(lines)
        #expect(results.count == 1000)
        #expect(results.allSatisfy { $0.accepted && $0.state == "queued" })

        await setup.components.dispatcher.run(untilIdle: true)

        let counts = try await setup.components.store.countByState()
        var unsent = ""
        if let waiting = try await setup.components.store.list(caseRef: nil, state: .queued, limit: 1, after: nil).first {
            let status = try await setup.status(waiting.id)
            unsent = "first unsent: \(status.reason ?? "") \(status.decisions.map(\.text)) \(status.attempts.map { "\($0.outcome) \($0.error ?? "")" })"
        }
        #expect(counts == [.sent: 1000], "\(unsent)")
        let received = setup.sandbox.received
        #expect(received.count == 1000)
        #expect(received.allSatisfy { !$0.repeatedKey })
        #expect(Set(received.compactMap(\.idempotencyKey)).count == 1000)
        #expect(setup.sandbox.maxConcurrent > 1, "transfers must overlap; max seen \(setup.sandbox.maxConcurrent)")

        var byMessage: [String: SandboxGateway.Received] = [:]
        for request in received {
            if let id = request.json?["message_id"] as? String { byMessage[id] = request }
        }
        for result in results {
            let id = try #require(result.id)
            let status = try await setup.status(id)
            let request = try #require(byMessage[id], "gateway never saw \(id)")
            let json = try #require(request.json)
            let content = try #require(status.content)
            #expect(request.channel == status.channel?.rawValue)
            #expect(request.idempotencyKey == "\(id).\(request.channel)")
            #expect(status.attempts.count == 1)
            #expect(status.attempts.first?.outcome == .accepted)
            #expect(status.attempts.first?.idempotencyKey == request.idempotencyKey)
            #expect(status.attempts.first?.providerID == request.providerID)
            #expect(status.receipts.map(\.providerID) == [request.providerID])
            // The decisions of a batch, written together, keep each message's own order.
            let texts = status.decisions.map(\.text)
            let rendered = texts.firstIndex { $0.hasPrefix("rendered ") }
            #expect(texts.count >= 4 && rendered != nil && rendered == texts.count - 2 && texts.last?.hasPrefix("sending via ") == true, "\(texts)")
            switch request.channel {
            case "sms":
                #expect(json["text"] as? String == content.text)
                #expect(json["from"] as? String == "Fjordkraft")
                #expect((json["to"] as? String)?.hasPrefix("+479") == true)
                #expect(status.sms?.encoding == .gsm7)
            case "email":
                #expect(json["subject"] as? String == content.subject)
                #expect(json["text"] as? String == content.text)
                #expect(json["html"] as? String == content.html)
                #expect((json["to"] as? String)?.hasSuffix("@example.se") == true)
                #expect(status.locale == "sv")
            default:
                let address = try #require(json["address"] as? [String: Any])
                #expect(address["name"] as? String == "Jürgen Müller")
                #expect(address["lines"] as? [String] == ["Hauptstraße 12"])
                #expect(address["postal_code"] as? String == "10115")
                #expect(json["html"] as? String == content.html)
                #expect(status.locale == "de")
            }
        }
        await setup.finish()
    }

    @Test("the same idempotency_key enqueued twice gives one message; the same key with another body is refused", arguments: StoreBackend.allCases)
    func duplicateKey(backend: StoreBackend) async throws {
        let setup = try await Setup.make(backend: backend)
        let first = try await setup.enqueue([Fixtures.sms(key: "inv-1"), Fixtures.sms(key: "inv-1")])
        #expect(first.count == 2)
        #expect(first[0].id != nil && first[0].id == first[1].id)
        #expect(first[1].duplicate == true)
        let again = try await setup.enqueue([Fixtures.sms(key: "inv-1")])
        #expect(again.first?.id == first[0].id)
        let conflict = try await setup.enqueue([Fixtures.sms(key: "inv-1", phone: "+4799999999")])
        #expect(conflict.first?.error?.contains("already used for a different message") == true)
        #expect(try await setup.components.store.countByState() == [.queued: 1])
        await setup.components.dispatcher.run(untilIdle: true)
        #expect(setup.sandbox.received.count == 1)
        await setup.finish()
    }

    @Test("a template reading a variable the message lacks fails the message with the reason, and nothing is sent", arguments: StoreBackend.allCases)
    func missingVariableAtSend(backend: StoreBackend) async throws {
        // The check lets this set through only because the schema calls creditor_phone required;
        // enqueueing straight into the store skips the schema, so the render-time guard is what stops it.
        let templates = TemporaryDirectory()
        Fixtures.writeMiniTemplates(templates, sms: "{{creditor}}: call {{creditor_phone}}", phoneRequired: true)
        let setup = try await Setup.make(backend: backend, templates: templates.path)
        let results = try await setup.enqueue([Fixtures.sms(key: "m1")])
        await setup.components.dispatcher.run(untilIdle: true)
        let status = try await setup.status(results.first?.id)
        #expect(status.state == .failed)
        #expect(status.reason == "missing variable creditor_phone in template reminder/en/direct/sms (sms)")
        #expect(setup.sandbox.received.isEmpty)
        await setup.finish()
    }

    @Test("a message whose expires_at has passed by the time it is due ends expired, unsent", arguments: StoreBackend.allCases)
    func expired(backend: StoreBackend) async throws {
        // The dispatcher's clock runs two hours ahead of the enqueue.
        let setup = try await Setup.make(backend: backend, now: { Date().addingTimeInterval(7200) })
        let expires = RFC3339.format(Date().addingTimeInterval(3600))
        let results = try await setup.enqueue([
            Fixtures.sms(key: "e1", extra: "").replacingOccurrences(of: #""kind""#, with: #""expires_at":"\#(expires)","kind""#),
        ])
        await setup.components.dispatcher.run(untilIdle: true)
        let status = try await setup.status(results.first?.id)
        #expect(status.state == .expired)
        #expect(status.reason?.hasPrefix("expired at") == true)
        #expect(setup.sandbox.received.isEmpty)
        await setup.finish()
    }

    @Test("a message with send_after in the future waits, with next_attempt_at in its status", arguments: StoreBackend.allCases)
    func sendAfter(backend: StoreBackend) async throws {
        let setup = try await Setup.make(backend: backend)
        let later = Date().addingTimeInterval(3600)
        let results = try await setup.enqueue([
            Fixtures.sms(key: "later").replacingOccurrences(of: #""kind""#, with: #""send_after":"\#(RFC3339.format(later))","kind""#)
        ])
        await setup.components.dispatcher.run(untilIdle: true)
        let status = try await setup.status(results.first?.id)
        #expect(status.state == .queued)
        #expect(status.nextAttemptAt.map { abs($0.timeIntervalSince(later)) < 1 } == true)
        #expect(setup.sandbox.received.isEmpty)
        await setup.finish()
    }

    @Test("the status JSON carries every contract field, with null sms for email and null next_attempt_at once sent", arguments: StoreBackend.allCases)
    func statusContract(backend: StoreBackend) async throws {
        let setup = try await Setup.make(backend: backend)
        let results = try await setup.enqueue([Fixtures.email(key: "s1"), Fixtures.sms(key: "s2")])
        await setup.components.dispatcher.run(untilIdle: true)
        for (result, channel) in zip(results, ["email", "sms"]) {
            let status = try await setup.status(result.id)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(StatusText.json(status).utf8)) as? [String: Any])
            for key in ["id", "state", "kind", "case_ref", "channel", "locale", "tone", "template", "sms", "next_attempt_at", "decisions", "attempts", "receipts"] {
                #expect(json.keys.contains(key), "status lacks \(key)")
            }
            #expect(json["state"] as? String == "sent")
            #expect(json["channel"] as? String == channel)
            #expect(json["next_attempt_at"] is NSNull)
            let template = try #require(json["template"] as? [String: Any])
            #expect((template["version"] as? String)?.hasPrefix("sha256:") == true)
            if channel == "email" {
                #expect(json["sms"] is NSNull)
            } else {
                let sms = try #require(json["sms"] as? [String: Any])
                #expect(sms["encoding"] as? String == "gsm7")
                #expect(sms["segments"] as? Int == status.sms?.segments)
            }
            let attempt = try #require((json["attempts"] as? [[String: Any]])?.first)
            for key in ["at", "channel", "gateway", "http_status", "provider_id", "outcome", "latency_ms"] {
                #expect(attempt.keys.contains(key), "attempt lacks \(key)")
            }
            #expect(attempt["http_status"] as? Int == 202)
            let decisions = try #require(json["decisions"] as? [[String: Any]])
            #expect(decisions.contains { ($0["text"] as? String)?.contains("\(channel) chosen") == true })
            #expect(RFC3339.parseTimestamp(decisions.first?["at"] as? String ?? "") != nil)
        }
        await setup.finish()
    }
}
