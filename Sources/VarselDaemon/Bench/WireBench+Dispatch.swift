import Foundation

/// Steps 2, 3 and 5 of a run: `varsel enqueue FILE` of `queued` messages, then `varsel serve` until
/// `options.messages` of them are sent (all of them, unless it is the deep-queue measurement).
extension WireBench {
    static func enqueueAndDispatch(
        mix: WireBenchInput.Mix, queued: Int, run: Int, options: Options, directory: URL, postgres: String? = nil, notes: inout [String]
    ) async throws -> MixFigures {
        let config = try writeConfiguration(options: options, directory: directory, postgres: postgres)
        let file = directory.appendingPathComponent("messages.ndjson")
        try WireBenchInput.ndjson(count: queued, mix: mix, prefix: "run\(run)-\(mix.rawValue)").write(to: file)

        progress("enqueue: \(queued) messages (\(mix.rawValue)) with varsel enqueue")
        let enqueueStart = ContinuousClock.now
        // Validation and one durable commit: a floor of 100 messages a second bounds it.
        let enqueue = try await BenchChild.run(
            name: "enqueue", executable: options.executable, arguments: ["enqueue", "--config", config, file.path], in: directory,
            timeout: .seconds(120 + queued / 100))
        let enqueueSeconds = (ContinuousClock.now - enqueueStart).seconds
        let accepted = enqueue.output.split(separator: "\n").filter { $0.contains(#""id""#) }.count
        guard enqueue.exitStatus == 0, accepted == queued else {
            throw BenchError(description: """
                varsel enqueue accepted \(accepted) of \(queued) messages (exit status \(enqueue.exitStatus.map(String.init) ?? "?")): \
                \(enqueue.output.split(separator: "\n").first { !$0.contains(#""id""#) } ?? "") \(enqueue.logTail)
                """)
        }

        progress("dispatch: varsel serve until \(options.messages) of \(queued) are sent to \(options.gateway)")
        let serve = try startServe(name: "serve-\(mix.rawValue)", config: config, options: options, directory: directory)
        do {
            let port = try await announcedPort(of: serve)
            let start = ContinuousClock.now
            let api = APIClient(baseURL: "http://127.0.0.1:\(port)", token: nil)
            defer { api.close() }
            // At least 100 messages a second, or something is wrong beyond slowness.
            let deadline = start + .seconds(300 + options.messages / 100)
            var peak = serve.residentBytes ?? 0
            var peakAnonymous = serve.anonymousResidentBytes ?? 0
            var sent = 0
            var states: [String: Int] = [:]
            // CPU per message counts from the first look at the daemon's figures, not from its start:
            // loading and checking the templates is paid once, not by each message.
            var first: (cpu: Double, sent: Int)?
            // Where a send's time on a gateway connection went, from the daemon's histograms.
            var heldBeforeSending = Double.nan
            var answer = Double.nan
            while true {
                peak = max(peak, serve.residentBytes ?? 0)
                peakAnonymous = max(peakAnonymous, serve.anonymousResidentBytes ?? 0)
                let cpu = serve.cpuSeconds ?? 0
                if let exposition = await metricsText(api) {
                    states = messageStates(exposition)
                    sent = (states["sent"] ?? 0) + (states["delivered"] ?? 0)
                    if first == nil { first = (cpu, sent) }
                    if sent >= options.messages {
                        heldBeforeSending = meanSeconds("varsel_send_connection_wait_seconds", in: exposition)
                        answer = meanSeconds("varsel_send_duration_seconds", in: exposition)
                        break
                    }
                }
                guard serve.isRunning else { throw BenchError(description: "varsel serve ended while sending: \(serve.logTail)") }
                guard ContinuousClock.now < deadline else {
                    throw BenchError(description: "varsel serve sent \(sent) of \(options.messages) within \(deadline - start); messages by state: \(states)")
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            let seconds = (ContinuousClock.now - start).seconds
            peak = max(peak, serve.residentBytes ?? 0)
            peakAnonymous = max(peakAnonymous, serve.anonymousResidentBytes ?? 0)
            let cpu = (serve.cpuSeconds ?? 0) - (first?.cpu ?? 0)
            let measured = sent - (first?.sent ?? 0)
            await stop(serve, notes: &notes)
            return MixFigures(
                mix: mix, messages: queued, enqueueRate: Double(queued) / enqueueSeconds,
                dispatchRate: Double(options.messages) / seconds, sent: sent, cpuMicrosecondsPerMessage: cpu / Double(max(measured, 1)) * 1e6,
                peakResidentBytes: peak, peakAnonymousBytes: peakAnonymous, heldBeforeSendingSeconds: heldBeforeSending, answerSeconds: answer)
        } catch {
            await serve.stop(grace: .seconds(30))
            throw error
        }
    }

    static func writeConfiguration(options: Options, directory: URL, postgres: String? = nil) throws -> String {
        let path = directory.appendingPathComponent("varsel.yaml").path
        try WireBenchInput.configuration(
            directory: directory, templates: options.templates, gateway: options.gateway, connections: options.inFlight, postgres: postgres
        ).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A token with the enqueue scope, made by `varsel token create` on the run's configuration.
    static func enqueueToken(config: String, options: Options, directory: URL) async throws -> String {
        let run = try await BenchChild.run(
            name: "token", executable: options.executable, arguments: ["token", "create", "--scopes", "enqueue", "--config", config],
            in: directory, timeout: .seconds(120))
        guard run.exitStatus == 0, let token = run.output.split(separator: "\n").last.map({ $0.trimmingCharacters(in: .whitespaces) }),
              !token.isEmpty
        else { throw BenchError(description: "varsel token create failed: \(run.logTail)") }
        return token
    }

    /// `varsel serve` at log level notice: its `ready` line names the port, and nothing is logged per message.
    static func startServe(name: String, config: String, options: Options, directory: URL) throws -> BenchChild {
        try BenchChild(
            name: name, executable: options.executable, arguments: ["serve", "--config", config, "--log-level", "notice"],
            output: directory.appendingPathComponent("\(name).out").path, log: directory.appendingPathComponent("\(name).log").path)
    }

    /// The port in the child's `ready … port=N` line, once it listens (within 120 s).
    static func announcedPort(of serve: BenchChild) async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(120)
        while true {
            let log = (try? String(contentsOfFile: serve.logPath, encoding: .utf8)) ?? ""
            if let ready = log.split(separator: "\n").first(where: { $0.contains(" ready") }),
               let field = ready.split(separator: " ").first(where: { $0.hasPrefix("port=") }), let port = Int(field.dropFirst(5)) {
                return port
            }
            guard serve.isRunning else { throw BenchError(description: "varsel serve did not start: \(serve.logTail)") }
            guard ContinuousClock.now < deadline else { throw BenchError(description: "varsel serve did not listen within 120 s: \(serve.logTail)") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// The daemon's `/metrics` in the Prometheus text format; nil when the scrape failed.
    static func metricsText(_ api: APIClient) async -> String? {
        guard let reply = try? await api.send("GET", "/metrics"), reply.status == 200 else { return nil }
        return String(decoding: reply.body, as: UTF8.self)
    }

    /// The mean of a histogram over all its series (its sums over its counts), or NaN if it has none.
    static func meanSeconds(_ histogram: String, in exposition: String) -> Double {
        var (sum, count) = (0.0, 0.0)
        for line in exposition.split(separator: "\n") where line.hasPrefix(histogram) {
            guard let value = line.split(separator: " ").last.flatMap({ Double($0) }) else { continue }
            if line.hasPrefix(histogram + "_sum") { sum += value } else if line.hasPrefix(histogram + "_count") { count += value }
        }
        return count > 0 ? sum / count : .nan
    }

    /// Messages by state from a scrape (`varsel_messages{state="sent"} 123`).
    static func messageStates(_ exposition: String) -> [String: Int] {
        var states: [String: Int] = [:]
        let prefix = #"varsel_messages{state=""#
        for line in exposition.split(separator: "\n") where line.hasPrefix(prefix) {
            let rest = line.dropFirst(prefix.count)
            guard let quote = rest.firstIndex(of: "\""), let value = rest.split(separator: " ").last.flatMap({ Double($0) }) else { continue }
            states[String(rest[..<quote])] = Int(value)
        }
        return states
    }

    /// SIGTERM and a bounded wait for the drain; a daemon that had to be killed or failed is noted.
    static func stop(_ serve: BenchChild, notes: inout [String]) async {
        await serve.stop(grace: .seconds(60))
        if let status = serve.exitStatus, status != 0 {
            notes.append("\(serve.name) exited with status \(status) after SIGTERM: \(serve.logTail.split(separator: "\n").last ?? "")")
        }
    }
}
