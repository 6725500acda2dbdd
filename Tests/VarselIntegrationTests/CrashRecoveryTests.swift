import Foundation
import Testing
import VarselCore
import VarselDaemon
import VarselStore
import VarselTestSupport

/// After kill -9, only sends whose request was handed to the HTTP client are ambiguous; messages that
/// were leased but still waiting for a connection go back to the queue without an attempt.
@Suite(.serialized) struct CrashRecoveryTests {
    @Test(
        "kill -9 with 2 requests at the gateway and 8 waiting for a connection: 2 ambiguous attempts, 8 untouched, max_attempts counts real attempts",
        arguments: StoreBackend.allCases)
    func onlyRealSendsAreAmbiguous(backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        // The gateway holds the first daemon's requests far longer than the test waits for the crash
        // state (a 20 s hold once ran out on a loaded machine before the state was seen, and under the
        // whole suite's load the first two requests have taken more than 60 s to arrive).
        let sandbox = SandboxGateway(behaviour: .init(delay: .seconds(900)))
        try await sandbox.start()
        let yaml = try await backend.config(
            Fixtures.config(storePath: directory.file("varsel.db"), gatewayBase: sandbox.baseURL, workerID: "crashed", maxInFlight: 16, leaseSeconds: 700, timeoutMs: 600_000),
            directory)
            .replacingOccurrences(of: "connect_timeout_ms: 2000 }", with: "connect_timeout_ms: 2000, max_connections: 2 }")
            + "\nretry: { min_backoff: 0s, max_backoff: 0s, max_attempts: 1 }\n"
        let config = directory.write("varsel.yaml", yaml)
        let lines = (0..<10).map { Fixtures.sms(key: "crash-\($0)", phone: "+4791\(String(format: "%06d", $0))") }
        let enqueue = try await ChildProcess.run(["enqueue", "--config", config, "-"], stdin: Data(lines.joined(separator: "\n").utf8))
        #expect(enqueue.status == 0, "\(enqueue.stdout)")

        let first = try ChildProcess(arguments: ["serve", "--config", config])
        #expect(await eventually(timeout: .seconds(240)) { sandbox.received.count == 2 }, "\(first.stderr)")
        let store = try await StoreBackend.open(configPath: config)
        // All ten are leased; two are at the gateway, eight wait for a connection.
        #expect(await eventually(timeout: .seconds(60)) { (try? await store.countByState())?[.sending] == 10 })
        first.signal(SIGKILL)
        await first.wait(timeout: .seconds(30))
        #expect(sandbox.received.count == 2 && sandbox.maxConcurrent <= 2)

        sandbox.setBehaviour(.init())
        let second = try ChildProcess(arguments: ["serve", "--config", config])
        let settled = await eventually(timeout: .seconds(60)) {
            let counts = (try? await store.countByState()) ?? [:]
            return counts[.queued] == nil && counts[.sending] == nil
        }
        second.signal(SIGTERM)
        #expect(await second.wait(timeout: .seconds(30)) == 0)
        #expect(settled, "\(second.stderr)")

        let atGateway = Set(sandbox.received.prefix(2).compactMap(\.idempotencyKey))
        var ambiguous = 0
        for summary in try await store.list(caseRef: nil, state: nil, limit: 20, after: nil) {
            let status = try #require(try await store.status(id: summary.id))
            ambiguous += status.attempts.filter { $0.outcome == .ambiguous }.count
            if atGateway.contains("\(status.id).sms") {
                // Its request reached the gateway before the crash: ambiguous, and with max_attempts 1 that was its one attempt.
                #expect(status.attempts.map(\.outcome) == [.ambiguous], "\(status.attempts)")
                #expect(status.state == .failed && status.reason?.contains("gave up after 1 attempt") == true, "\(status.reason ?? "")")
            } else {
                // Never left: no attempt was used up by the crash.
                #expect(status.attempts.map(\.outcome) == [.accepted], "\(status.attempts)")
                #expect(status.state == .sent)
                #expect(status.decisions.contains { $0.text.contains("before the request left") })
            }
        }
        #expect(ambiguous == 2)
        await sandbox.stop()
        await store.close()
    }
}
