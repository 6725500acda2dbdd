import Foundation
import Testing
import VarselCore
import VarselDaemon
import VarselHTTP
import VarselStore
import VarselTestSupport

/// Delivery policy with an injected clock: legal deadline guards and the frequency cap.
@Suite(.serialized) struct PolicyTests {
    /// 2026-11-23 10:00 UTC, a Monday.
    static let monday = RFC3339.parseTimestamp("2026-11-23T10:00:00Z")!

    static func run(backend: StoreBackend = .sqlite, _ lines: [String], cap: Bool = false, windows: Bool = false, now: Date = monday) async throws
        -> (statuses: [MessageStatus], sandbox: SandboxGateway)
    {
        let (results, statuses, sandbox) = try await runAll(backend: backend, lines, cap: cap, windows: windows, now: now)
        for result in results { _ = try #require(result.id, "\(result.error ?? "")") }
        return (statuses, sandbox)
    }

    /// Enqueues and dispatches; the per-line results (refused lines have no id) and the stored messages' statuses.
    static func runAll(backend: StoreBackend = .sqlite, _ lines: [String], cap: Bool = false, windows: Bool = false, now: Date = monday) async throws
        -> (results: [EnqueueBatch.LineResult], statuses: [MessageStatus], sandbox: SandboxGateway)
    {
        let directory = TemporaryDirectory()
        let sandbox = SandboxGateway()
        try await sandbox.start()
        let yaml = try await backend.config(
            Fixtures.config(storePath: directory.file("varsel.db"), gatewayBase: sandbox.baseURL, frequencyCap: cap, contactWindows: windows), directory)
        let config = try ConfigLoader.load(yaml: yaml, baseDirectory: directory.path)
        let components = try await Daemon.open(config: config, logger: quietLogger, now: { now })
        defer { components.client.shutdown() }
        let results = try await EnqueueBatch.run(
            Data(lines.joined(separator: "\n").utf8), validator: MessageValidator(kinds: config.planning.kinds, collectionRules: config.planning.collectionRules, now: { now }),
            store: components.store, now: now)
        await components.dispatcher.run(untilIdle: true)
        var statuses: [MessageStatus] = []
        for result in results {
            guard let id = result.id else { continue }
            statuses.append(try #require(try await components.store.status(id: id)))
        }
        await sandbox.stop()
        return (results, statuses, sandbox)
    }

    /// Dated consents that let an email count as a written collection notice (Norway: an address the
    /// debtor has used; Finland: the debtor's separate consent).
    static let emailNoticeConsents =
        #""consents":[{"type":"used_address","channel":"email","given_at":"2026-01-01T00:00:00Z"},{"type":"electronic_notice","channel":"email","given_at":"2026-01-01T00:00:00Z"}]"#

    static func collectionNotice(country: String, deadline: String, key: String) -> String {
        Fixtures.message(
            key: key, kind: "collection_notice",
            recipient: #""name":"Kari Nordmann","country":"\#(country)","channels":["email"],"email":"kari@example.no","# + emailNoticeConsents,
            data: Fixtures.data(deadline: deadline, dueDate: "2026-11-01"))
    }

    @Test("a collection notice whose deadline is shorter than the country's minimum is refused at enqueue naming the rule and its source; one long enough goes", arguments: [
        ("NO", "2026-12-06", false), ("NO", "2026-12-07", true), ("SE", "2026-12-01", true), ("SE", "2026-11-30", false),
        ("DK", "2026-12-03", true), ("FI", "2026-12-02", false),
    ])
    func deadlineGuard(country: String, deadline: String, sends: Bool) async throws {
        let (results, statuses, sandbox) = try await Self.runAll([Self.collectionNotice(country: country, deadline: deadline, key: "cn")])
        if sends {
            let status = try #require(statuses.first)
            #expect(status.state == .sent, "\(status.reason ?? "")")
            #expect(sandbox.received.count == 1)
        } else {
            #expect(statuses.isEmpty, "nothing stored")
            let error = try #require(results.first?.error)
            let minimum = ["NO": 14, "SE": 8, "DK": 10, "FI": 10][country]!
            #expect(error.hasPrefix("data.deadline: a collection notice in \(country) needs at least \(minimum) days to its deadline ("), "\(error)")
            #expect(sandbox.received.isEmpty)
        }
    }

    @Test("days are counted in the recipient's time zone: 23:30 UTC is already the next day in Oslo")
    func deadlineInLocalTime() {
        let lateEvening = RFC3339.parseTimestamp("2026-11-22T23:30:00Z")!
        let oslo = TimeZone(identifier: "Europe/Oslo")!
        let deadline = RFC3339.parseDate("2026-12-07")!
        #expect(DeadlineGuard.problem(deadline: deadline, sendAt: lateEvening, timeZone: oslo, country: "NO", minimumDays: 14) == nil)
        #expect(DeadlineGuard.problem(deadline: deadline, sendAt: lateEvening, timeZone: TimeZone(identifier: "UTC")!, country: "NO", minimumDays: 14) == nil)
        let problem = DeadlineGuard.problem(deadline: RFC3339.parseDate("2026-12-06")!, sendAt: lateEvening, timeZone: oslo, country: "NO", minimumDays: 14)
        #expect(problem == "deadline too short: 2026-12-06 is 13 days after sending on 2026-11-23; NO requires at least 14")
    }

    @Test("the frequency cap sends at most 3 messages to a recipient in 7 days across channels and defers the rest, never drops them", arguments: StoreBackend.allCases)
    func frequencyCap(_ backend: StoreBackend) async throws {
        let lines = (0..<5).map { index in
            Fixtures.message(
                key: "cap-\(index)",
                recipient: #""id":"debtor-9","locale":"nb-NO","channels":["\#(index % 2 == 0 ? "sms" : "email")"],"phone":"+4791234567","email":"kari@example.no""#)
        }
        let (statuses, sandbox) = try await Self.run(backend: backend, lines, cap: true)
        #expect(sandbox.received.count == 3)
        #expect(statuses.filter { $0.state == .sent }.count == 3)
        let deferred = statuses.filter { $0.state == .queued }
        #expect(deferred.count == 2)
        for status in deferred {
            #expect(status.nextAttemptAt == Self.monday.addingTimeInterval(7 * 86_400))
            #expect(status.attempts.isEmpty, "waiting for the cap is not an attempt")
            #expect(status.decisions.contains { $0.text.hasPrefix("deferred by the frequency cap: 3 messages to this recipient within 7d") })
        }
    }

    @Test("with the cap switched off, or for a kind with its own limit, nothing is deferred", arguments: StoreBackend.allCases)
    func capOffAndPerKind(_ backend: StoreBackend) async throws {
        let lines = (0..<5).map { Fixtures.message(key: "off-\($0)", recipient: #""id":"debtor-8","channels":["sms"],"phone":"+4791234567""#) }
        #expect(try await Self.run(backend: backend, lines, cap: false).statuses.allSatisfy { $0.state == .sent })
        let thanks = (0..<5).map {
            Fixtures.message(key: "thanks-\($0)", kind: "payment_received", recipient: #""id":"debtor-7","channels":["sms"],"phone":"+4791234567""#)
        }
        let perKind = try await Self.run(backend: backend, thanks, cap: true).statuses
        #expect(perKind.allSatisfy { $0.state != .queued }, "payment_received allows 10 in 7 days")
    }

    @Test("the cap's arithmetic: the slot frees when the oldest counted send leaves the window")
    func capArithmetic() {
        let cap = FrequencyCap(enabled: true, maxMessages: 3, window: 7 * 86_400)
        let now = Self.monday
        let sends = [now.addingTimeInterval(-6 * 86_400), now.addingTimeInterval(-2 * 86_400), now.addingTimeInterval(-3600)]
        #expect(cap.deferredUntil(kind: "reminder", sentAt: sends, now: now) == sends[0].addingTimeInterval(7 * 86_400))
        #expect(cap.deferredUntil(kind: "reminder", sentAt: Array(sends.dropFirst()), now: now) == nil)
        #expect(cap.deferredUntil(kind: "reminder", sentAt: [now.addingTimeInterval(-8 * 86_400)] + sends.dropFirst(), now: now) == nil)
        #expect(FrequencyCap(enabled: false).deferredUntil(kind: "reminder", sentAt: sends, now: now) == nil)
    }

    static func smsTo(country: String, key: String, timezone: String? = nil) -> String {
        let zone = timezone.map { #","timezone":"\#($0)""# } ?? ""
        return Fixtures.message(key: key, recipient: #""country":"\#(country)","channels":["sms"],"phone":"+4791234567"\#(zone)"#)
    }

    @Test("outside the Norwegian window a message waits for Monday 08:00 Oslo time (spread over 15 minutes), without using an attempt", arguments: StoreBackend.allCases)
    func deferredToWindow(_ backend: StoreBackend) async throws {
        let saturdayAfternoon = RFC3339.parseTimestamp("2026-11-28T16:00:00+01:00")!
        let lines = (0..<20).map { Self.smsTo(country: "NO", key: "w\($0)") }
        let (statuses, sandbox) = try await Self.run(backend: backend, lines, windows: true, now: saturdayAfternoon)
        #expect(sandbox.received.isEmpty)
        let opening = RFC3339.parseTimestamp("2026-11-30T08:00:00+01:00")!
        for status in statuses {
            #expect(status.state == .queued && status.attempts.isEmpty)
            let next = try #require(status.nextAttemptAt)
            #expect(next >= opening && next < opening.addingTimeInterval(15 * 60), "\(next)")
            #expect(status.decisions.contains { $0.text.hasPrefix("outside the contact window for NO (Europe/Oslo): deferred to the opening at 2026-11-30 08:00 local") })
        }
        #expect(Set(statuses.compactMap(\.nextAttemptAt)).count > 10, "deferred messages must be spread, not all at 08:00:00")
    }

    @Test("inside the window it goes now; Finnish debtors are not contacted 22-07; with windows off everything goes", arguments: StoreBackend.allCases)
    func windowsPerCountry(_ backend: StoreBackend) async throws {
        let tuesdayMorning = RFC3339.parseTimestamp("2026-11-24T09:30:00+01:00")!
        #expect(try await Self.run(backend: backend, [Self.smsTo(country: "NO", key: "in")], windows: true, now: tuesdayMorning).statuses.first?.state == .sent)
        let lateInHelsinki = RFC3339.parseTimestamp("2026-11-24T23:00:00+02:00")!
        let finnish = try #require(try await Self.run(backend: backend, [Self.smsTo(country: "FI", key: "fi")], windows: true, now: lateInHelsinki).statuses.first)
        #expect(finnish.state == .queued)
        #expect(finnish.nextAttemptAt.map { $0 >= RFC3339.parseTimestamp("2026-11-25T07:00:00+02:00")! } == true)
        #expect(try await Self.run(backend: backend, [Self.smsTo(country: "NO", key: "off")], windows: false, now: lateInHelsinki).statuses.first?.state == .sent)
    }

    @Test("a collection notice that an overnight deferral (to Saturday 09:00) would leave with too short a deadline is held as failed at once", arguments: StoreBackend.allCases)
    func deferralShortensDeadline(_ backend: StoreBackend) async throws {
        let fridayNight = RFC3339.parseTimestamp("2026-11-27T22:00:00+01:00")!
        let notice = Fixtures.message(
            key: "late-cn", kind: "collection_notice",
            recipient: #""name":"Kari Nordmann","country":"NO","channels":["email"],"email":"kari@example.no","# + Self.emailNoticeConsents,
            data: Fixtures.data(deadline: "2026-12-11", dueDate: "2026-11-01"))
        let (statuses, sandbox) = try await Self.run(backend: backend, [notice], windows: true, now: fridayNight)
        let status = try #require(statuses.first)
        #expect(status.state == .failed)
        #expect(status.reason == "deadline too short: 2026-12-11 is 13 days after sending on 2026-11-28; NO requires at least 14")
        #expect(sandbox.received.isEmpty)
    }
}
