import Foundation
import VarselHTTP
import VarselCore

/// Step 5 of a run (`--http`): the API's enqueue under load, against a live `varsel serve` whose
/// messages are all due in 2030, so that the dispatcher sends nothing meanwhile.
///
/// - single: `POST /v1/messages`, one message a request, 32 keep-alive connections;
/// - batch: `POST /v1/messages:batch`, 1,000 NDJSON lines a request, 4 clients at once.
///
/// Each for `--http-seconds`; the load is the same plain libcurl loop as the ceiling's.
extension WireBench {
    static func httpEnqueue(options: Options, directory: URL, notes: inout [String]) async throws -> HTTPFigures {
        let config = try writeConfiguration(options: options, directory: directory)
        let token = try await enqueueToken(config: config, options: options, directory: directory)

        let serve = try startServe(name: "serve-http", config: config, options: options, directory: directory)
        do {
            let base = "http://127.0.0.1:\(try await announcedPort(of: serve))"
            let duration = Duration.seconds(options.httpSeconds)
            let encoder = VarselJSON.encoder()

            progress("HTTP enqueue: POST /v1/messages, 32 connections, \(options.httpSeconds) s")
            let one = WireBenchInput.message(index: 0, mix: .mixed, prefix: "single", sendAfter: WireBenchInput.farFuture)
            let single = try await RawCurlLoad(
                url: base + "/v1/messages", body: Array(try encoder.encode(one)), headers: ["Authorization: Bearer \(token)"],
                inFlight: 32, recordsLatencies: true
            ).run(.afterTime(duration), deadline: duration + .seconds(120))
            if single.failures > 0 {
                notes.append("\(single.failures) of \(single.requests) single POSTs were not answered 2xx (first: \(single.firstFailure ?? "?"))")
            }

            progress("HTTP enqueue: POST /v1/messages:batch, 1,000 lines, 4 clients, \(options.httpSeconds) s")
            let lines = try WireBenchInput.ndjson(count: 1_000, mix: .mixed, prefix: "batch", sendAfter: WireBenchInput.farFuture)
            let batch = try await RawCurlLoad(
                url: base + "/v1/messages:batch", body: Array(lines), headers: ["Authorization: Bearer \(token)", "Content-Type: application/x-ndjson"],
                inFlight: 4, units: acceptedLines
            ).run(.afterTime(duration), deadline: duration + .seconds(300))
            if batch.failures > 0 {
                notes.append("\(batch.failures) of \(batch.requests) batch POSTs were not answered 2xx (first: \(batch.firstFailure ?? "?"))")
            }
            guard serve.isRunning else { throw BenchError(description: "varsel serve ended under the HTTP load: \(serve.logTail)") }
            await stop(serve, notes: &notes)
            // Only requests answered 2xx count (a POST stores one message).
            return HTTPFigures(singleRate: single.unitRate, singleP99Seconds: single.latency(percentile: 99) ?? 0, batchRate: batch.unitRate)
        } catch {
            await serve.stop(grace: .seconds(30))
            throw error
        }
    }

    /// The messages a batch answer says were stored (its `accepted` member). Read with Varsel's own
    /// JSON reader: the load runs on the cores it measures, and `JSONSerialization` took about a
    /// millisecond for each answer's thousand results.
    @Sendable static func acceptedLines(_ body: [UInt8]) -> Int {
        guard case .object(let object)? = try? JSONReader.value(from: body), case .number(let accepted)? = object["accepted"] else { return 0 }
        return NSDecimalNumber(decimal: accepted).intValue
    }
}
