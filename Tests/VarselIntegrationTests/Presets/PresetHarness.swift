import Foundation
import Hummingbird
import ServiceLifecycle
import Testing
import VarselCore
@testable import VarselDaemon
import VarselHTTP
import VarselStore
import VarselTestSupport

/// One preset gateway pointed at a loopback stand-in of its provider, with the daemon's store,
/// dispatcher and HTTP API (for delivery callbacks) running on loopback against a real SQLite file.
///
/// `gateway` is the gateway's YAML flow-mapping body without `url`, e.g.
/// `type: sendgrid, from: "krav@fjordkraft.example", token_env: SG_KEY`; the harness adds
/// `url: <stand-in base URL>` (plus `urlPath`) and names the gateway `gw`.
final class PresetHarness: @unchecked Sendable {
    let directory = TemporaryDirectory()
    let standIn: LoopbackServer
    var components: Daemon.Components!
    var services: ServiceGroup!
    var task: Task<Void, any Error>!
    var api: APIClient!

    private init(standIn: LoopbackServer) {
        self.standIn = standIn
    }

    /// - Parameters:
    ///   - channel: `sms` or `email` (or `letter`): the channel whose only gateway this is.
    ///   - urlPath: appended to the stand-in's base URL for `url` (most presets take a base URL).
    ///   - files: written into the config's directory (secret files resolve there).
    static func start(
        channel: String, gateway: String, urlPath: String = "", environment: [String: String] = [:], files: [String: String] = [:],
        respond: @escaping @Sendable (LoopbackServer.Recorded) async -> LoopbackServer.Reply
    ) async throws -> PresetHarness {
        let harness = PresetHarness(standIn: LoopbackServer(respond: respond))
        try await harness.standIn.start()
        for (name, contents) in files { harness.directory.write(name, contents) }
        let yaml = """
            server: { host: 127.0.0.1, port: 0 }
            store: { path: "\(harness.directory.file("varsel.db"))" }
            templates: { dir: "\(Paths.templates)" }
            dispatch: { worker_id: preset, poll_interval_ms: 20, lease_seconds: 60 }
            retry: { max_attempts: 1 }
            policy: { frequency_cap: { enabled: false }, contact_windows: { enabled: false } }
            channels:
              \(channel): { gateways: [gw] }
            gateways:
              gw: { \(gateway), url: "\(harness.standIn.baseURL)\(urlPath)" }
            """
        let config = try ConfigLoader.load(yaml: yaml, baseDirectory: harness.directory.path, environment: environment)
        harness.components = try await Daemon.open(config: config, logger: quietLogger)
        let server = APIServer(
            config: config, store: harness.components.store, logger: quietLogger, readiness: { nil }, onEnqueue: { _ in },
            dataChecking: harness.components.templates.dataChecking)
        let port = APITests.PortBox()
        let app = Application(
            router: server.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { port.set($0.localAddress?.port) }, logger: quietLogger)
        harness.services = ServiceGroup(configuration: .init(services: [app], logger: quietLogger))
        harness.task = Task { [services = harness.services!] in try await services.run() }
        #expect(await eventually(timeout: .seconds(60)) { port.value != nil })
        harness.api = APIClient(baseURL: "http://127.0.0.1:\(port.value!)", token: nil)
        return harness
    }

    /// Enqueues one message (JSON, e.g. `Fixtures.sms(key:)`), dispatches until idle, and returns its status.
    func send(_ message: String) async throws -> MessageStatus {
        let results = try await EnqueueBatch.run(
            Data(message.utf8), validator: MessageValidator(kinds: components.config.planning.kinds), store: components.store)
        let id = try #require(results.first?.id, "\(results.first?.error ?? "")")
        await components.dispatcher.run(untilIdle: true)
        return try #require(try await components.store.status(id: id))
    }

    func status(_ id: String) async throws -> MessageStatus {
        try #require(try await components.store.status(id: id))
    }

    /// A delivery callback to `/v1/receipts/gw` (`query` without `?`): the HTTP status and the JSON reply.
    func callback(
        method: String = "POST", query: String = "", body: [UInt8] = [], contentType: String = "application/json", headers: [String: String] = [:]
    ) async throws -> (status: Int, json: [String: Any]) {
        let path = "/v1/receipts/gw" + (query.isEmpty ? "" : "?" + query)
        let reply = try await api.send(method, path, body: method == "GET" ? nil : Data(body), contentType: contentType, headers: headers)
        return (reply.status, (try? JSONSerialization.jsonObject(with: reply.body)) as? [String: Any] ?? [:])
    }

    func stop() async {
        api.close()
        await services.triggerGracefulShutdown()
        _ = await task.result
        components.client.shutdown()
        await standIn.stop()
    }
}
