import Foundation
import Logging
import VarselCore
import VarselHTTP
import VarselStore

/// `varsel demo`: a temporary SQLite store, the sandbox gateway on loopback, a realistic mix of
/// messages, and a report of what happened to each one.
public enum Demo {
    /// Runs the demo. Returns true when every message ended as expected (sent, or failed/rejected with
    /// its reason shown).
    public static func run(templatesDirectory: String, print: @escaping @Sendable (String) -> Void, logger: Logger) async throws -> Bool {
        let workspace = FileManager.default.temporaryDirectory.appendingPathComponent("varsel-demo-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: workspace, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: workspace) }

        let sandbox = SandboxGateway()
        try await sandbox.start()
        do {
            let result = try await run(templatesDirectory: templatesDirectory, workspace: workspace, sandbox: sandbox, print: print, logger: logger)
            await sandbox.stop()
            return result
        } catch {
            await sandbox.stop()
            throw error
        }
    }

    private static func run(
        templatesDirectory: String, workspace: URL, sandbox: SandboxGateway, print: @escaping @Sendable (String) -> Void, logger: Logger
    ) async throws -> Bool {
        let base = sandbox.baseURL
        let yaml = """
            store: { path: \(workspace.appendingPathComponent("varsel.db").path) }
            templates: { dir: "\(templatesDirectory)", default_locale: en }
            dispatch: { channel_order: [sms, email, letter], worker_id: demo, poll_interval_ms: 50 }
            policy: { contact_windows: { enabled: false } }
            """ + sandboxRoutes(base)
        let config = try ConfigLoader.load(yaml: yaml, baseDirectory: FileManager.default.currentDirectoryPath)
        let components = try await Daemon.open(config: config, logger: logger)
        defer { components.client.shutdown() }

        print("Varsel demo: store \(config.store.path), sandbox gateway \(base), templates \(config.templates.directory)")
        print("Contact windows are off in the demo so it sends at any hour; `varsel serve` applies them (policy.contact_windows).")
        let cases = DemoMessages.cases(now: Date())
        print("Enqueueing \(cases.count) messages…\n")
        let ndjson = cases.map(\.json).joined(separator: "\n")
        let validator = MessageValidator(kinds: config.planning.kinds, collectionRules: config.planning.collectionRules)
        let results = try await EnqueueBatch.run(Data(ndjson.utf8), validator: validator, store: components.store)
        await components.dispatcher.run(untilIdle: true)

        var asExpected = true
        for (index, demoCase) in cases.enumerated() {
            print("── \(index + 1). \(demoCase.title)")
            let result = results.first { $0.line == index + 1 }
            guard let id = result?.id else {
                print("   rejected on enqueue, nothing stored: \(result?.error ?? "?")\n")
                continue
            }
            guard let status = try await components.store.status(id: id) else { continue }
            if !status.state.isTerminal { asExpected = false }
            print(report(status))
        }
        let counts = try await components.store.countByState()
        let summary = MessageState.allCases.compactMap { state in counts[state].map { "\(state.rawValue) \($0)" } }
        print("Summary: " + summary.joined(separator: ", ") + "; gateway received \(sandbox.received.count) requests.")
        return asExpected
    }

    /// Every channel through its own route of the sandbox gateway at `base`: the demos' `channels` and `gateways`.
    static func sandboxRoutes(_ base: String) -> String {
        """

        channels:
          sms: { gateways: [sms-sandbox] }
          email: { gateways: [email-sandbox] }
          letter: { gateways: [letter-sandbox] }
        gateways:
          sms-sandbox: { type: http-json, url: "\(base)/sms", from: "Fjordkraft" }
          email-sandbox: { type: http-json, url: "\(base)/email", from: "krav@fjordkraft.example" }
          letter-sandbox: { type: http-json, url: "\(base)/letter" }
        """
    }

    static func report(_ status: MessageStatus) -> String {
        var lines: [String] = []
        func row(_ label: String, _ value: String) { lines.append("   " + label.padding(toLength: 10, withPad: " ", startingAt: 0) + value) }
        row("id", status.id)
        row("state", status.state.rawValue + (status.reason.map { " — \($0)" } ?? ""))
        if let channel = status.channel {
            var route = "\(channel.rawValue) · locale \(status.locale ?? "?") · tone \(status.tone?.rawValue ?? "?")"
            if let sms = status.sms { route += " · \(sms.encoding.rawValue), \(sms.segments) segment\(sms.segments == 1 ? "" : "s")" }
            row("route", route)
        }
        if let template = status.template { row("template", "\(template.id) \(template.version.prefix(19))…") }
        for (index, decision) in status.decisions.enumerated() { row(index == 0 ? "why" : "", decision.text) }
        if let content = status.content {
            if let subject = content.subject { row("subject", subject) }
            let text = content.text.split(separator: "\n", omittingEmptySubsequences: false)
            for (index, line) in text.prefix(channelLines(content.channel)).enumerated() { row(index == 0 ? "text" : "", "| " + line) }
            if text.count > channelLines(content.channel) { row("", "| … (\(text.count - channelLines(content.channel)) more lines)") }
        }
        for receipt in status.receipts {
            row("receipt", "\(receipt.status) from \(receipt.source)" + (receipt.providerID.map { ", provider id \($0)" } ?? ""))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func channelLines(_ channel: Channel) -> Int { channel == .sms ? 10 : 14 }
}
