import Foundation
import VarselCore
import VarselHTTP
import VarselStore

/// Step 8 of a run (`--latency RATES`): enqueue → gateway latency at fixed offered rates.
///
/// For each rate, a `varsel serve` of its own (SQLite, messages due at once) is sent batches of 20
/// messages on `POST /v1/messages:batch` on a fixed schedule (batch i at i × 20 / rate seconds), from
/// 4 keep-alive connections, for `--latency-seconds`. Once every message is sent the daemon stops,
/// and each accepted send's delay is read from its store file: from the message's creation (its
/// enqueue, before the commit that acknowledges it) to the gateway's answer to its request.
///
/// The schedule is open-loop: a batch is POSTed when it is due whether or not the answers before it
/// came, so a daemon that falls behind shows as latency, not as a lower offered rate. A batch POSTed
/// more than 50 ms after it was due (the client could not keep up) is noted.
extension WireBench {
    struct LatencyFigures: Sendable {
        /// The rate asked for, in messages a second.
        let offered: Int
        /// Messages POSTed and acknowledged.
        let messages: Int
        /// Messages POSTed per second over the schedule as it was kept.
        let postedRate: Double
        /// Seconds from enqueue to the gateway's answer.
        let p50: Double
        let p99: Double
        let max: Double
    }

    static let latencyBatchSize = 20
    static let latencyClients = 4

    static func latency(rate: Int, options: Options, directory: URL, notes: inout [String]) async throws -> LatencyFigures {
        let config = try writeConfiguration(options: options, directory: directory)
        let token = try await enqueueToken(config: config, options: options, directory: directory)
        let batches = max(1, rate * options.latencySeconds / latencyBatchSize)
        let encoder = VarselJSON.encoder()
        let bodies = try (0..<batches).map { batch in
            var body = Data()
            for index in batch * latencyBatchSize..<(batch + 1) * latencyBatchSize {
                body.append(try encoder.encode(WireBenchInput.message(index: index, mix: options.mixes[0], prefix: "latency-\(rate)")))
                body.append(UInt8(ascii: "\n"))
            }
            return body
        }

        let serve = try startServe(name: "serve-latency-\(rate)", config: config, options: options, directory: directory)
        do {
            let api = APIClient(baseURL: "http://127.0.0.1:\(try await announcedPort(of: serve))", token: token)
            defer { api.close() }
            progress("latency: \(rate) msg/s offered in batches of \(latencyBatchSize) for \(options.latencySeconds) s, \(latencyClients) connections")
            let start = ContinuousClock.now + .milliseconds(100)
            let posted = try await withThrowingTaskGroup(of: ScheduleOutcome.self) { group in
                for client in 0..<latencyClients {
                    group.addTask {
                        try await postOnSchedule(
                            bodies, client: client, start: start, interval: .seconds(Double(latencyBatchSize) / Double(rate)), api: api)
                    }
                }
                return try await group.reduce(into: ScheduleOutcome()) { $0.add($1) }
            }
            // The schedule ends one interval after the last batch is due.
            let postedSeconds = (posted.lastPosted - start).seconds + Double(latencyBatchSize) / Double(rate)
            if posted.late > 0 {
                notes.append("latency at \(rate) msg/s: \(posted.late) of \(batches) batches were POSTed more than 50 ms late (the client fell behind)")
            }
            if posted.failures > 0 {
                notes.append("latency at \(rate) msg/s: \(posted.failures) of \(batches) batches were not answered 2xx (first: \(posted.firstFailure ?? "?"))")
            }
            guard posted.accepted > 0 else { throw BenchError(description: "latency at \(rate) msg/s: no message was accepted (\(posted.firstFailure ?? "?"))") }

            // At least 100 messages a second, or something is wrong beyond slowness.
            let deadline = ContinuousClock.now + .seconds(300 + posted.accepted / 100)
            var states: [String: Int] = [:]
            while (states["sent"] ?? 0) + (states["delivered"] ?? 0) < posted.accepted {
                guard serve.isRunning else { throw BenchError(description: "varsel serve ended while sending: \(serve.logTail)") }
                guard ContinuousClock.now < deadline else {
                    throw BenchError(description: "latency at \(rate) msg/s: not every message was sent in time; messages by state: \(states)")
                }
                try await Task.sleep(for: .milliseconds(100))
                states = await metricsText(api).map(messageStates) ?? states
            }
            await stop(serve, notes: &notes)
            let delays = try SQLiteMessageStore.acceptedSendDelays(path: directory.appendingPathComponent("varsel.db").path)
            guard delays.count >= posted.accepted else {
                throw BenchError(description: "latency at \(rate) msg/s: \(delays.count) accepted sends in the store for \(posted.accepted) messages")
            }
            return LatencyFigures(
                offered: rate, messages: posted.accepted, postedRate: Double(posted.accepted) / max(postedSeconds, 0.001),
                p50: RawCurlLoad.percentile(50, of: delays) ?? 0, p99: RawCurlLoad.percentile(99, of: delays) ?? 0, max: delays.max() ?? 0)
        } catch {
            await serve.stop(grace: .seconds(30))
            throw error
        }
    }

    /// What one client's share of the schedule came to.
    struct ScheduleOutcome: Sendable {
        var accepted = 0
        var late = 0
        var failures = 0
        var firstFailure: String?
        var lastPosted = ContinuousClock.now

        mutating func add(_ other: ScheduleOutcome) {
            accepted += other.accepted
            late += other.late
            failures += other.failures
            firstFailure = firstFailure ?? other.firstFailure
            lastPosted = Swift.max(lastPosted, other.lastPosted)
        }
    }

    /// Client `client` POSTs the batches whose index leaves that remainder by the number of clients,
    /// each when it is due: `start` + index × `interval`.
    static func postOnSchedule(_ bodies: [Data], client: Int, start: ContinuousClock.Instant, interval: Duration, api: APIClient) async throws
        -> ScheduleOutcome
    {
        var outcome = ScheduleOutcome()
        outcome.lastPosted = start
        for index in stride(from: client, to: bodies.count, by: latencyClients) {
            let due = start + interval * index
            let now = ContinuousClock.now
            if now < due {
                try await Task.sleep(until: due, tolerance: .microseconds(500), clock: .continuous)
            } else if now - due > .milliseconds(50) {
                outcome.late += 1
            }
            outcome.lastPosted = ContinuousClock.now
            let reply = try await api.send("POST", "/v1/messages:batch", body: bodies[index], contentType: "application/x-ndjson")
            if (200..<300).contains(reply.status) {
                outcome.accepted += acceptedLines(Array(reply.body))
            } else {
                outcome.failures += 1
                outcome.firstFailure = outcome.firstFailure ?? APIClient.problemText(reply.body, status: reply.status)
            }
        }
        return outcome
    }
}
