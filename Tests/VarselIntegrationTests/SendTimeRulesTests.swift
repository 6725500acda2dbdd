import Foundation
import Synchronization
import Testing
import VarselCore
import VarselDaemon
import VarselHTTP
import VarselStore
import VarselTestSupport

/// Rules checked at every send, not only at the first: the legal deadline on a resend of stored
/// content, and the SMS size cap on what was rendered (issue 11, items 2 and 3).
@Suite(.serialized) struct SendTimeRulesTests {
    final class Clock: Sendable {
        private let value: Mutex<Date>
        init(_ start: Date) { value = Mutex(start) }
        var now: Date { value.withLock { $0 } }
        func advance(days: Double) { value.withLock { $0 = $0.addingTimeInterval(days * 86_400) } }
        func set(_ date: Date) { value.withLock { $0 = date } }
    }

    struct Running {
        let sandbox: SandboxGateway
        let components: Daemon.Components
        let directory: TemporaryDirectory

        static func start(_ backend: StoreBackend = .sqlite, clock: Clock, extraYAML: String = "", contactWindows: Bool = false) async throws -> Running {
            let directory = TemporaryDirectory()
            let sandbox = SandboxGateway()
            try await sandbox.start()
            let yaml = try await backend.config(
                Fixtures.config(storePath: directory.file("varsel.db"), gatewayBase: sandbox.baseURL, contactWindows: contactWindows), directory) + "\n" + extraYAML
            let config = try ConfigLoader.load(yaml: yaml, baseDirectory: directory.path)
            let components = try await Daemon.open(config: config, logger: quietLogger, now: { clock.now })
            return Running(sandbox: sandbox, components: components, directory: directory)
        }

        func enqueue(_ line: String, now: Date) async throws -> String {
            let config = components.config
            let validator = MessageValidator(
                kinds: config.planning.kinds, collectionRules: config.planning.collectionRules, dataChecking: components.templates.dataChecking, now: { now })
            let result = try #require(try await EnqueueBatch.run(Data(line.utf8), validator: validator, store: components.store, now: now).first)
            return try #require(result.id, "\(result.error ?? "")")
        }

        func status(_ id: String) async throws -> MessageStatus { try #require(try await components.store.status(id: id)) }

        func stop() async {
            components.client.shutdown()
            await sandbox.stop()
            await components.store.close()
        }
    }

    /// 2026-11-23 10:00 UTC, a Monday.
    static let monday = RFC3339.parseTimestamp("2026-11-23T10:00:00Z")!

    @Test("a transient failure, then a resend two days later: the stored collection notice now states too short a deadline and ends failed, never resent")
    func deadlineOnResend() async throws {
        let clock = Clock(Self.monday)
        let running = try await Self.Running.start(clock: clock, extraYAML: "retry: { min_backoff: 1s, max_backoff: 1s }")
        running.sandbox.setBehaviour(.init(status: 503))
        // 15 days ahead: long enough on Monday (Norway requires 14), too short two days later.
        let notice = Fixtures.message(
            key: "resend", kind: "collection_notice",
            recipient: #""name":"Kari Nordmann","country":"NO","channels":["email"],"email":"kari@example.no","# + PolicyTests.emailNoticeConsents,
            data: Fixtures.data(deadline: "2026-12-08", dueDate: "2026-11-01"))
        let id = try await running.enqueue(notice, now: clock.now)
        await running.components.dispatcher.run(untilIdle: true)
        let first = try await running.status(id)
        #expect(first.state == .queued && first.attempts.map(\.outcome) == [.transient], "\(first.attempts)")
        #expect(running.sandbox.received.count == 1)

        running.sandbox.setBehaviour(.init())
        clock.advance(days: 2)
        await running.components.dispatcher.run(untilIdle: true)
        let final = try await running.status(id)
        #expect(final.state == .failed)
        #expect(final.reason == "deadline too short: 2026-12-08 is 13 days after sending on 2026-11-25; NO requires at least 14", "\(final.reason ?? "")")
        #expect(running.sandbox.received.count == 1, "the stored content must not be resent")
        await running.stop()
    }

    @Test("a resend that must wait for the contact window is judged at the time it will go out")
    func deadlineOnResendAfterWindow() async throws {
        // Friday 2026-11-27 13:00 Oslo; the resend falls due at 23:00 and waits for Saturday 09:00.
        let clock = Clock(RFC3339.parseTimestamp("2026-11-27T12:00:00Z")!)
        let running = try await Self.Running.start(
            clock: clock, extraYAML: "retry: { min_backoff: 1s, max_backoff: 1s }")
        running.sandbox.setBehaviour(.init(status: 503))
        let notice = Fixtures.message(
            key: "window", kind: "collection_notice",
            recipient: #""name":"Kari Nordmann","country":"NO","channels":["email"],"email":"kari@example.no","# + PolicyTests.emailNoticeConsents,
            data: Fixtures.data(deadline: "2026-12-11", dueDate: "2026-11-01"))
        let id = try await running.enqueue(notice, now: clock.now)
        await running.components.dispatcher.run(untilIdle: true)
        #expect(try await running.status(id).attempts.map(\.outcome) == [.transient])
        running.sandbox.setBehaviour(.init())
        // The resend is due at once, but it is 23:00 in Oslo; with contact windows on it waits for the morning.
        let windows = try ConfigLoader.load(
            yaml: Fixtures.config(storePath: running.directory.file("varsel.db"), gatewayBase: running.sandbox.baseURL, contactWindows: true)
                + "\nretry: { min_backoff: 1s, max_backoff: 1s }",
            baseDirectory: running.directory.path)
        running.components.client.shutdown()
        clock.advance(days: 10.0 / 24)
        let later = try await Daemon.open(config: windows, logger: quietLogger, now: { clock.now })
        await later.dispatcher.run(untilIdle: true)
        let final = try #require(try await later.store.status(id: id))
        later.client.shutdown()
        #expect(final.state == .failed, "\(final.decisions.map(\.text))")
        #expect(final.reason?.hasPrefix("deadline too short: 2026-12-11 is 13 days after sending on 2026-11-28") == true, "\(final.reason ?? "")")
        #expect(running.sandbox.received.count == 1)
        await running.sandbox.stop()
    }

    /// A reminder whose creditor name forces UCS-2 and many segments.
    static func longSMS(key: String, channels: String) -> String {
        let creditor = String(repeating: "ž", count: 1_000)
        return Fixtures.message(
            key: key, recipient: #""locale":"nb-NO","country":"NO","channels":\#(channels),"phone":"+4791234567","email":"kari@example.no""#,
            data: Fixtures.data().replacingOccurrences(of: "Fjordkraft AS", with: creditor))
    }

    @Test("an SMS rendered above templates.sms_max_parts is never sent: the channel is skipped with the reason and email goes instead")
    func smsCapFallsBack() async throws {
        let clock = Clock(Date())
        let running = try await Self.Running.start(clock: clock)
        let id = try await running.enqueue(Self.longSMS(key: "long", channels: #"["sms","email"]"#), now: clock.now)
        await running.components.dispatcher.run(untilIdle: true)
        let status = try await running.status(id)
        #expect(status.state == .sent && status.channel == .email, "\(status.reason ?? "")")
        #expect(running.sandbox.received.map(\.channel) == ["email"])
        let skipped = try #require(status.decisions.first { $0.text.hasPrefix("sms skipped: the rendered text is") })
        #expect(skipped.text.contains("ucs2") && skipped.text.contains("above templates.sms_max_parts (3)"), "\(skipped.text)")
        await running.stop()
    }

    @Test("with SMS the only channel, a too long SMS fails with the reason and nothing is sent")
    func smsCapFails() async throws {
        let clock = Clock(Date())
        let running = try await Self.Running.start(clock: clock)
        let id = try await running.enqueue(Self.longSMS(key: "only", channels: #"["sms"]"#), now: clock.now)
        await running.components.dispatcher.run(untilIdle: true)
        let status = try await running.status(id)
        #expect(status.state == .failed)
        #expect(status.reason?.hasPrefix("sms skipped: the rendered text is") == true && status.reason?.hasSuffix("no other usable channel") == true, "\(status.reason ?? "")")
        #expect(running.sandbox.received.isEmpty)
        await running.stop()
    }
}
