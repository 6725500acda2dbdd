import Foundation
import Logging
import VarselCore
import VarselGateways
import VarselHTTP
import VarselStore

/// `varsel bench`: end-to-end throughput (queued → receipt recorded) against the sandbox gateway on
/// loopback, next to a plain libcurl loop sending the same requests in the same run.
public enum Bench {
    public struct Figures: Sendable {
        public let messages: Int
        public let baselineSeconds: Double
        public let varselSeconds: Double
        public let enqueueSeconds: Double

        public var baselineRate: Double { Double(messages) / baselineSeconds }
        public var varselRate: Double { Double(messages) / varselSeconds }
        public var enqueueRate: Double { Double(messages) / enqueueSeconds }
        /// Varsel's throughput as a fraction of the plain loop's.
        public var ratio: Double { varselRate / baselineRate }
    }

    public static func run(messages: Int, maxInFlight: Int, templatesDirectory: String, logger: Logger) async throws -> Figures {
        let workspace = FileManager.default.temporaryDirectory.appendingPathComponent("varsel-bench-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: workspace, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: workspace) }
        let sandbox = SandboxGateway()
        try await sandbox.start()
        let base = sandbox.baseURL
        let yaml = yaml(
            store: "store: { path: \(workspace.appendingPathComponent("bench.db").path), synchronous: full }", templatesDirectory: templatesDirectory,
            base: base, maxInFlight: maxInFlight)
        let config = try ConfigLoader.load(yaml: yaml, baseDirectory: FileManager.default.currentDirectoryPath)
        let components = try await Daemon.open(config: config, logger: logger)
        defer { components.client.shutdown() }

        // The messages: a third each by SMS, email and letter.
        let requests = (0..<messages).map { BenchMessages.request(index: $0) }

        let baselineSeconds = try await baseline(requests: requests, config: config, maxInFlight: maxInFlight)

        let validator = MessageValidator(kinds: config.planning.kinds, collectionRules: config.planning.collectionRules)
        let encoder = VarselJSON.encoder()
        let ndjson = try requests.map { String(decoding: try encoder.encode($0), as: UTF8.self) }.joined(separator: "\n")
        let enqueueStart = ContinuousClock.now
        let results = try await EnqueueBatch.run(Data(ndjson.utf8), validator: validator, store: components.store)
        let enqueueSeconds = (ContinuousClock.now - enqueueStart).seconds
        guard results.allSatisfy(\.accepted) else {
            throw BenchError(description: "bench messages were rejected: \(results.first { !$0.accepted }?.error ?? "")")
        }
        let start = ContinuousClock.now
        await components.dispatcher.run(untilIdle: true)
        let varselSeconds = (ContinuousClock.now - start).seconds
        let counts = try await components.store.countByState()
        await sandbox.stop()
        guard counts[.sent] == messages else {
            throw BenchError(description: "expected \(messages) sent, got \(counts)")
        }
        return Figures(messages: messages, baselineSeconds: baselineSeconds, varselSeconds: varselSeconds, enqueueSeconds: enqueueSeconds)
    }

    /// The ceiling: the same requests, prebuilt, sent by a plain loop through the same libcurl client
    /// settings. Its seconds.
    static func baseline(requests: [MessageRequest], config: VarselConfig, maxInFlight: Int) async throws -> Double {
        let baselineClient = CurlHTTPClient(configuration: .init(maxInFlight: maxInFlight, maxConnectionsPerPool: maxInFlight))
        defer { baselineClient.shutdown() }
        let adapters = config.gateways.mapValues { $0.makeAdapter() }
        var prebuilt: [HTTPRequest] = []
        for (index, request) in requests.enumerated() {
            let channel = BenchMessages.channel(index: index)
            let content = RenderedContent(
                templateID: "bench", templateVersion: "bench", channel: channel, subject: channel == .email ? "Reminder" : nil,
                text: "Fjordkraft AS: Faktura 10023 på 1 250,00 kr forfalt 01.11.2026. Betal innen 08.12.2026: https://pay.example/abc",
                html: channel == .sms ? nil : "<p>Faktura 10023</p>", sms: nil, contentHash: "")
            let outbound = OutboundMessage(
                messageID: "bench-\(index)", idempotencyKey: "bench-\(index).\(channel.rawValue)", recipient: request.recipient, content: content)
            prebuilt.append(try adapters[channel.rawValue]!.request(for: outbound))
        }
        let baselineStart = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func add() {
                let request = prebuilt[next]
                next += 1
                group.addTask { _ = try await baselineClient.execute(request) }
            }
            while next < min(maxInFlight, prebuilt.count) { add() }
            while try await group.next() != nil {
                if next < prebuilt.count { add() }
            }
        }
        return (ContinuousClock.now - baselineStart).seconds
    }

    /// The bench's configuration: all three channels to the sandbox at `base`.
    static func yaml(store: String, templatesDirectory: String, base: String, maxInFlight: Int, workerID: String = "bench") -> String {
        """
        \(store)
        templates: { dir: "\(templatesDirectory)" }
        dispatch: { worker_id: \(workerID), max_in_flight: \(maxInFlight), batch_size: \(min(maxInFlight, 256)), poll_interval_ms: 20 }
        policy: { frequency_cap: { enabled: false }, contact_windows: { enabled: false } }
        channels:
          sms: { gateways: [sms] }
          email: { gateways: [email] }
          letter: { gateways: [letter] }
        gateways:
          sms: { type: http-json, url: "\(base)/sms", from: "Bench", max_connections: \(maxInFlight) }
          email: { type: http-json, url: "\(base)/email", from: "bench@example.no", max_connections: \(maxInFlight) }
          letter: { type: http-json, url: "\(base)/letter", max_connections: \(maxInFlight) }
        """
    }

    public static func table(_ figures: Figures) -> String {
        func pad(_ text: String, _ width: Int) -> String { text.count >= width ? text : text + String(repeating: " ", count: width - text.count) }
        func number(_ value: Double, _ digits: Int = 0) -> String { String(format: "%.\(digits)f", value) }
        var lines = [
            pad("measure", 48) + pad("messages", 10) + pad("seconds", 10) + pad("msg/s", 10) + "ratio",
            pad("plain libcurl loop (baseline)", 48) + pad("\(figures.messages)", 10) + pad(number(figures.baselineSeconds, 3), 10)
                + pad(number(figures.baselineRate), 10) + "1.00",
            pad("varsel end to end (queued → receipt recorded)", 48) + pad("\(figures.messages)", 10)
                + pad(number(figures.varselSeconds, 3), 10) + pad(number(figures.varselRate), 10) + number(figures.ratio, 2),
        ]
        lines.append(pad("varsel enqueue (validate + one durable commit)", 48) + pad("\(figures.messages)", 10)
            + pad(number(figures.enqueueSeconds, 3), 10) + pad(number(figures.enqueueRate), 10) + "-")
        return lines.joined(separator: "\n")
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// Realistic bench messages: Norwegian SMS, Swedish email and German letter in turn.
enum BenchMessages {
    static func channel(index: Int) -> Channel { [Channel.sms, .email, .letter][index % 3] }

    static func request(index: Int) -> MessageRequest {
        let channel = channel(index: index)
        var recipient = Recipient(id: "bench-\(index)", name: "Kari Nordmann", channels: [channel])
        switch channel {
        case .sms:
            recipient.locale = "nb-NO"
            recipient.country = "NO"
            recipient.phone = "+479\(String(format: "%07d", index % 10_000_000))"
        case .email:
            recipient.locale = "sv-SE"
            recipient.country = "SE"
            recipient.email = "debtor\(index)@example.se"
        case .letter:
            recipient.locale = "de-DE"
            recipient.country = "DE"
            recipient.address = PostalAddress(lines: ["Hauptstraße \(index % 200 + 1)"], postalCode: "10115", city: "Berlin", country: "DE")
        }
        let data: [String: JSONValue] = [
            "creditor": .string("Fjordkraft AS"), "invoice_number": .string("\(100_000 + index)"), "amount": .string("1250.00"),
            "currency": .string("NOK"), "due_date": .string("2026-11-01"), "deadline": .string("2026-12-08"),
            "payment_link": .string("https://pay.example/\(index)"),
        ]
        return MessageRequest(idempotencyKey: "bench-\(index)", kind: "reminder", caseRef: "bench-\(index)", recipient: recipient, data: data)
    }
}
