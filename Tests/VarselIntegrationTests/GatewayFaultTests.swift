import Foundation
import Synchronization
import Testing
import VarselCore
import VarselDaemon
import VarselHTTP
import VarselStore
import VarselTestSupport

/// Gateways that fail: classification, retries with the same key, Retry-After, and backoff bounds.
@Suite(.serialized) struct GatewayFaultTests {
    /// Runs one SMS through a gateway at `url` with the given retry settings until nothing is due.
    static func send(url: String, retry: String, classify: String = "", timeoutMs: Int = 30_000, message: String = Fixtures.sms(key: "f1"))
        async throws -> MessageStatus
    {
        let directory = TemporaryDirectory()
        let yaml = """
            store: { path: "\(directory.file("varsel.db"))" }
            templates: { dir: "\(Paths.templates)" }
            dispatch: { worker_id: faults, poll_interval_ms: 20, lease_seconds: 60 }
            retry: { \(retry) }
            policy: { frequency_cap: { enabled: false }, contact_windows: { enabled: false } }
            channels:
              sms: { gateways: [sms] }
            gateways:
              sms: { type: http-json, url: "\(url)", timeout_ms: \(timeoutMs), connect_timeout_ms: 1000\(classify) }
            """
        let config = try ConfigLoader.load(yaml: yaml, baseDirectory: directory.path)
        let components = try await Daemon.open(config: config, logger: quietLogger)
        defer { components.client.shutdown() }
        let results = try await EnqueueBatch.run(Data(message.utf8), validator: MessageValidator(kinds: config.planning.kinds), store: components.store)
        await components.dispatcher.run(untilIdle: true)
        let id = try #require(results.first?.id)
        return try #require(try await components.store.status(id: id))
    }

    /// A server answering from a script of replies, one per request, repeating the last.
    static func scripted(_ replies: [LoopbackServer.Reply], delay: Duration = .zero) async throws -> LoopbackServer {
        let counter = Mutex(0)
        let server = LoopbackServer { _ in
            let index = counter.withLock { value in
                defer { value += 1 }
                return value
            }
            if delay > .zero { try? await Task.sleep(for: delay) }
            return replies[min(index, replies.count - 1)]
        }
        try await server.start()
        return server
    }

    @Test("500 and 503 are transient: retried with the same Idempotency-Key until accepted")
    func transientThenAccepted() async throws {
        let server = try await Self.scripted([.init(status: 500, body: "{}"), .init(status: 503, body: "{}"), .init(status: 202, body: #"{"id":"ok-1"}"#)])
        let status = try await Self.send(url: server.baseURL + "/sms", retry: "min_backoff: 0s, max_backoff: 0s, max_attempts: 5")
        #expect(status.state == .sent)
        #expect(status.attempts.map(\.outcome) == [.transient, .transient, .accepted])
        #expect(status.attempts.map(\.httpStatus) == [500, 503, 202])
        let keys = server.requests.compactMap { $0.headers["idempotency-key"] }
        #expect(keys.count == 3 && Set(keys) == ["\(status.id).sms"])
        #expect(Set(server.requests.map(\.text)).count == 1, "every retry sends the same body")
        await server.stop()
    }

    @Test("429 with Retry-After waits at least that long; the message is queued with next_attempt_at")
    func retryAfterHonoured() async throws {
        let server = try await Self.scripted([.init(status: 429, body: #"{"error":"slow down"}"#, headers: ["Retry-After": "120"])])
        let status = try await Self.send(url: server.baseURL + "/sms", retry: "min_backoff: 1s, max_backoff: 2s, max_attempts: 5")
        #expect(status.state == .queued)
        #expect(status.attempts.map(\.outcome) == [.transient])
        // Measured from the end of the attempt as the daemon recorded it, not from the test's clock
        // around the run: a loaded machine's set-up time does not count. The backoff alone would give
        // 1–2 s; Retry-After gives 120 s, plus however long the daemon took to record the answer (on a
        // loaded machine that has been over 5 s: the upper bound only rules out a wrong unit or a doubling).
        let attempt = try #require(status.attempts.first)
        let answered = attempt.at.addingTimeInterval(Double(attempt.latencyMs ?? 0) / 1000)
        let delay = try #require(status.nextAttemptAt).timeIntervalSince(answered)
        #expect(delay >= 119.9 && delay <= 180, "next attempt \(delay) s after the 429; Retry-After said 120 s")
        #expect(status.decisions.contains { $0.text.contains("Retry-After 120 s honoured") })
        await server.stop()
    }

    @Test("without Retry-After the first retry lands between min_backoff and its ceiling")
    func backoffBounds() async throws {
        let server = try await Self.scripted([.init(status: 503, body: "{}")])
        let status = try await Self.send(url: server.baseURL + "/sms", retry: "min_backoff: 30s, max_backoff: 1h, max_attempts: 5")
        // Measured from the end of the attempt itself, so a slow machine's set-up time does not count.
        let attempt = try #require(status.attempts.first)
        let answered = attempt.at.addingTimeInterval(Double(attempt.latencyMs ?? 0) / 1000)
        let delay = try #require(status.nextAttemptAt).timeIntervalSince(answered)
        // The first retry's jitter range is [30 s, 30 s · 2^0]: exactly 30 s, plus however long a loaded
        // machine took to record the answer (the next doubling, 60 s, stays far away).
        #expect(delay >= 29.9 && delay <= 35, "first retry \(delay) s after the answer; full jitter between 30 s and 30 s · 2^0")
        await server.stop()
    }

    @Test("a per-gateway rule reclassifies by status and JSON field; 408 is transient, other 4xx permanent")
    func classificationRules() async throws {
        let rule = ", classify: [ { status: 400, json_field: error.code, equals: THROTTLED, outcome: transient } ]"
        let throttled = try await Self.scripted([.init(status: 400, body: #"{"error":{"code":"THROTTLED"}}"#)])
        let first = try await Self.send(url: throttled.baseURL + "/sms", retry: "min_backoff: 0s, max_backoff: 0s, max_attempts: 2", classify: rule)
        #expect(first.attempts.map(\.outcome) == [.transient, .transient])
        #expect(first.state == .failed && first.reason?.hasPrefix("gave up after 2 attempts") == true)
        await throttled.stop()

        let invalid = try await Self.scripted([.init(status: 400, body: #"{"error":{"code":"INVALID_NUMBER"}}"#)])
        let second = try await Self.send(url: invalid.baseURL + "/sms", retry: "min_backoff: 0s, max_backoff: 0s, max_attempts: 5", classify: rule)
        #expect(second.attempts.map(\.outcome) == [.permanent])
        await invalid.stop()

        let timeout = try await Self.scripted([.init(status: 408, body: "{}"), .init(status: 202, body: #"{"id":"x"}"#)])
        let third = try await Self.send(url: timeout.baseURL + "/sms", retry: "min_backoff: 0s, max_backoff: 0s, max_attempts: 5")
        #expect(third.attempts.map(\.outcome) == [.transient, .accepted])
        await timeout.stop()
    }

    @Test("a gateway that hangs past the timeout is ambiguous and is retried with the same key")
    func hangIsAmbiguous() async throws {
        let counter = Mutex(0)
        let server = LoopbackServer { _ in
            let first = counter.withLock { value in
                defer { value += 1 }
                return value == 0
            }
            // The first answer never comes in time (stop() cuts the wait short); the timeout leaves room
            // for a loaded machine to get the request to the gateway, which is what makes it ambiguous.
            if first { try? await Task.sleep(for: .seconds(60)) }
            return .init(status: 202, body: #"{"id":"late-ok"}"#)
        }
        try await server.start()
        let status = try await Self.send(url: server.baseURL + "/sms", retry: "min_backoff: 0s, max_backoff: 0s, max_attempts: 5", timeoutMs: 5_000)
        // The first attempt times out; a retry answered in time is accepted. (On a loaded machine a
        // retry can time out too: each such attempt is ambiguous as well, never anything else.)
        let outcomes = status.attempts.map(\.outcome)
        #expect(outcomes.first == .ambiguous && outcomes.last == .accepted && outcomes.dropLast().allSatisfy { $0 == .ambiguous }, "\(outcomes)")
        #expect(Set(status.attempts.map(\.idempotencyKey)).count == 1)
        #expect(status.state == .sent)
        await server.stop()
    }

    @Test("a connection reset after the body was read is ambiguous; the retries carry the same key")
    func resetIsAmbiguous() async throws {
        let server = try ResettingServer()
        defer { server.stop() }
        let status = try await Self.send(url: "http://127.0.0.1:\(server.port)/sms", retry: "min_backoff: 0s, max_backoff: 0s, max_attempts: 2")
        #expect(status.attempts.map(\.outcome) == [.ambiguous, .ambiguous])
        #expect(status.state == .failed)
        #expect(server.requests == 2)
        #expect(Set(server.idempotencyKeys) == ["\(status.id).sms"])
    }

    @Test("a slow gateway inside the timeout is simply accepted")
    func slowButInTime() async throws {
        let server = try await Self.scripted([.init(status: 202, body: #"{"id":"slow-1"}"#)], delay: .milliseconds(300))
        // 300 ms is well inside the timeout, with room for a loaded machine.
        let status = try await Self.send(url: server.baseURL + "/sms", retry: "max_attempts: 1", timeoutMs: 10_000)
        #expect(status.attempts.map(\.outcome) == [.accepted])
        #expect((status.attempts.first?.latencyMs ?? 0) >= 300)
        await server.stop()
    }

    @Test("retry backoff: full jitter stays within [min, min·2^(n-1)] capped at max; attempts and lifetime end it")
    func retryPolicy() {
        let policy = RetryPolicy(minBackoff: 30, maxBackoff: 3600, maxAttempts: 10, maxLifetime: 72 * 3600)
        #expect(policy.backoff(attempt: 1, unit: 0) == 30 && policy.backoff(attempt: 1, unit: 0.999) < 30.001)
        #expect(policy.backoff(attempt: 3, unit: 0) == 30)
        #expect(abs(policy.backoff(attempt: 3, unit: 1) - 120) < 0.001)
        #expect(policy.backoff(attempt: 9, unit: 1) == 3600)
        #expect(policy.backoff(attempt: 30, unit: 0.5) == 30 + (3600 - 30) * 0.5)
        let created = Date(timeIntervalSince1970: 0)
        #expect(policy.decide(attempts: 10, createdAt: created, expiresAt: nil, now: created, retryAfter: nil, unit: 0)
            == .giveUp(reason: "gave up after 10 attempts (retry.max_attempts)", expired: false))
        if case .giveUp(_, let expired) = policy.decide(
            attempts: 2, createdAt: created, expiresAt: created.addingTimeInterval(40), now: created.addingTimeInterval(20), retryAfter: nil, unit: 0)
        {
            #expect(expired)
        } else {
            Issue.record("a retry past expires_at must end the message expired")
        }
        if case .retry = policy.decide(
            attempts: 2, createdAt: created, expiresAt: nil, now: created.addingTimeInterval(72 * 3600 - 10), retryAfter: nil, unit: 0)
        {
            Issue.record("a retry past max_lifetime must give up")
        }
        #expect(policy.decide(attempts: 1, createdAt: created, expiresAt: nil, now: created, retryAfter: 600, unit: 0.5)
            == .retry(at: created.addingTimeInterval(600)))
        #expect(DurationText.seconds("30s") == 30 && DurationText.seconds("1h") == 3600 && DurationText.seconds("72h") == 259_200)
        #expect(DurationText.seconds("soon") == nil && DurationText.seconds("-5s") == nil)
    }
}
