import Foundation
import Testing
import VarselCore
import VarselDaemon
import VarselHTTP
import VarselStore
import VarselTestSupport

/// Per-gateway limits: rate limit, circuit breaker and failover to the channel's next gateway.
@Suite(.serialized) struct GatewayLimitTests {
    @Test("a token bucket gives a burst, then one token per 1/rate seconds")
    func tokenBucket() {
        var bucket = TokenBucket(rate: 2, burst: 2)
        let start = Date(timeIntervalSince1970: 1_000)
        let waits = [
            bucket.take(now: start), bucket.take(now: start), bucket.take(now: start), bucket.take(now: start.addingTimeInterval(0.5)),
            bucket.take(now: start.addingTimeInterval(10)), bucket.take(now: start.addingTimeInterval(10)), bucket.take(now: start.addingTimeInterval(10)),
        ]
        #expect(waits[0] == nil && waits[1] == nil, "the burst")
        #expect(waits[2].map { abs($0 - 0.5) < 0.001 } == true, "then one token per half second")
        #expect(waits[3] == nil)
        #expect(waits[4] == nil && waits[5] == nil)
        #expect(waits[6] != nil, "the burst refills, but never beyond its size")
    }

    @Test("a circuit opens after N consecutive transient failures, lets one probe through after the cool-down, and closes on success")
    func circuitBreaker() {
        var breaker = CircuitBreaker(threshold: 3, coolDown: 30)
        let start = Date(timeIntervalSince1970: 1_000)
        breaker.record(failure: true, now: start)
        breaker.record(failure: false, now: start)
        breaker.record(failure: true, now: start)
        breaker.record(failure: true, now: start)
        #expect(!breaker.isOpen, "successes in between reset the count")
        breaker.record(failure: true, now: start)
        #expect(breaker.state == .open(until: start.addingTimeInterval(30)))
        let early = breaker.allows(now: start.addingTimeInterval(29))
        let probe = breaker.allows(now: start.addingTimeInterval(30))
        let second = breaker.allows(now: start.addingTimeInterval(30))
        #expect(!early)
        #expect(probe, "the probe")
        #expect(!second, "only one probe at a time")
        breaker.record(failure: true, now: start.addingTimeInterval(31))
        #expect(breaker.state == .open(until: start.addingTimeInterval(61)))
        let again = breaker.allows(now: start.addingTimeInterval(61))
        #expect(again)
        breaker.record(failure: false, now: start.addingTimeInterval(62))
        #expect(breaker.state == .closed(failures: 0))
    }

    static func run(gateways: String, lines: [String], until done: (any MessageStore) async -> Bool) async throws -> (Daemon.Components, TemporaryDirectory) {
        let directory = TemporaryDirectory()
        let yaml = """
            store: { path: "\(directory.file("varsel.db"))" }
            templates: { dir: "\(Paths.templates)" }
            dispatch: { worker_id: limits, poll_interval_ms: 20, max_in_flight: 8 }
            retry: { min_backoff: 0s, max_backoff: 0s, max_attempts: 20 }
            policy: { frequency_cap: { enabled: false }, contact_windows: { enabled: false } }
            channels:
              sms: { gateways: [primary, backup] }
            gateways:
            \(gateways)
            """
        let config = try ConfigLoader.load(yaml: yaml, baseDirectory: directory.path)
        let components = try await Daemon.open(config: config, logger: quietLogger)
        _ = try await EnqueueBatch.run(Data(lines.joined(separator: "\n").utf8), validator: MessageValidator(kinds: config.planning.kinds), store: components.store)
        // Polls until `done`; the deadline only ends a broken test (the callers assert on the state).
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            await components.dispatcher.run(untilIdle: true)
            if await done(components.store) { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        return (components, directory)
    }

    @Test("while the primary gateway's circuit is open, sends fail over to the backup with the same key; the primary gets no more traffic")
    func failover() async throws {
        let failing = LoopbackServer { _ in .init(status: 503, body: "{}") }
        let backup = LoopbackServer { request in .init(status: 202, body: #"{"id":"b-\#(request.headers["idempotency-key"] ?? "")"}"#) }
        try await failing.start()
        try await backup.start()
        let lines = (0..<6).map { Fixtures.sms(key: "fo\($0)", phone: "+4791\(String(format: "%06d", $0))") }
        let (components, _) = try await Self.run(
            gateways: """
                  primary: { type: http-json, url: "\(failing.baseURL)/sms", breaker_failures: 2, breaker_cool_down: 1h }
                  backup: { type: http-json, url: "\(backup.baseURL)/sms" }
                """,
            lines: lines
        ) { store in (try? await store.countByState()) == [.sent: 6] }
        defer { components.client.shutdown() }
        #expect(try await components.store.countByState() == [.sent: 6])
        let primaryHits = failing.requests.count
        #expect(primaryHits >= 2 && primaryHits <= 8, "the circuit must open after consecutive failures: \(primaryHits)")
        #expect(backup.requests.count == 6)
        for summary in try await components.store.list(caseRef: nil, state: nil, limit: 10, after: nil) {
            let status = try #require(try await components.store.status(id: summary.id))
            #expect(status.attempts.last?.gateway == "backup" && status.attempts.last?.outcome == .accepted)
            #expect(Set(status.attempts.map(\.idempotencyKey)).count == 1, "failover keeps the key")
            #expect(status.decisions.contains { $0.text == "failover to backup" })
        }
        await failing.stop()
        await backup.stop()
    }

    @Test("a rate limit keeps messages queued (no attempt used) and sends them at most at the configured rate")
    func rateLimit() async throws {
        let server = LoopbackServer { _ in .init(status: 202, body: #"{"id":"r"}"#) }
        try await server.start()
        let lines = (0..<6).map { Fixtures.sms(key: "rl\($0)", phone: "+4792\(String(format: "%06d", $0))") }
        let start = ContinuousClock.now
        let (components, _) = try await Self.run(
            gateways: """
                  primary: { type: http-json, url: "\(server.baseURL)/sms", rate_limit: 5, rate_burst: 1 }
                  backup: { type: http-json, url: "\(server.baseURL)/backup" }
                """,
            lines: lines
        ) { store in (try? await store.countByState()) == [.sent: 6] }
        defer { components.client.shutdown() }
        let elapsed = ContinuousClock.now - start
        #expect(try await components.store.countByState() == [.sent: 6])
        #expect(elapsed >= .milliseconds(900), "6 sends at 5/s with a burst of 1 take at least a second: \(elapsed)")
        #expect(server.requests.allSatisfy { $0.path == "/sms" }, "a rate limit waits; it does not fail over")
        var waited = 0
        for summary in try await components.store.list(caseRef: nil, state: nil, limit: 10, after: nil) {
            let status = try #require(try await components.store.status(id: summary.id))
            #expect(status.attempts.count == 1, "waiting for the rate limit is not an attempt")
            if status.decisions.contains(where: { $0.text == "waiting for the rate limit of primary (5/s)" }) { waited += 1 }
        }
        #expect(waited >= 4)
        await server.stop()
    }
}
