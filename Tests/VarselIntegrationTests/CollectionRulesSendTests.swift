import Foundation
import Testing
import VarselCore
import VarselDaemon
import VarselStore
import VarselTestSupport

/// The country rules at send, against the case's real send history, on every store, with an injected
/// clock: spacing defers, a limit fails, the rule is in the trail; a notice goes only by a channel
/// that counts as written notice.
@Suite(.serialized) struct CollectionRulesSendTests {
    typealias Clock = SendTimeRulesTests.Clock

    typealias Running = SendTimeRulesTests.Running

    /// 2026-11-23 10:00 UTC, a Monday.
    static let monday = RFC3339.parseTimestamp("2026-11-23T10:00:00Z")!

    static func danishReminder(_ key: String) -> String {
        Fixtures.message(
            key: key, recipient: #""name":"Karen Jensen","country":"DK","phone":"+4520123456""#,
            data: #"{"creditor":"Fjordkraft AS","invoice_number":"10023","amount":"1250.00","currency":"DKK","fee":"100.00","due_date":"2026-11-01","deadline":"2027-02-01","payment_link":"https://pay.example/abc"}"#
        ).replacingOccurrences(of: "case-\(key)", with: "case-dk")
    }

    @Test("DK: a second fee reminder 9 days after the first is deferred to the 10th day with the rule in its trail; a fourth fails", arguments: StoreBackend.allCases)
    func danishFeeReminders(_ backend: StoreBackend) async throws {
        let clock = Clock(Self.monday)
        let running = try await Running.start(backend, clock: clock)
        let first = try await running.enqueue(Self.danishReminder("r1"), now: clock.now)
        await running.components.dispatcher.run(untilIdle: true)
        #expect(try await running.status(first).state == .sent)

        clock.set(Self.monday.addingTimeInterval(9 * 86_400))
        let second = try await running.enqueue(Self.danishReminder("r2"), now: clock.now)
        await running.components.dispatcher.run(untilIdle: true)
        let waiting = try await running.status(second)
        #expect(waiting.state == .queued)
        #expect(waiting.nextAttemptAt.map { abs($0.timeIntervalSince(Self.monday.addingTimeInterval(10 * 86_400))) < 5 } == true, "\(String(describing: waiting.nextAttemptAt))")
        #expect(waiting.decisions.contains { $0.text.contains("fee-bearing reminders at least 10 days apart in DK (renteloven § 9 b") })
        #expect(running.sandbox.received.count == 1)

        clock.set(Self.monday.addingTimeInterval(10 * 86_400 + 60))
        await running.components.dispatcher.run(untilIdle: true)
        #expect(try await running.status(second).state == .sent)
        clock.set(Self.monday.addingTimeInterval(21 * 86_400))
        let third = try await running.enqueue(Self.danishReminder("r3"), now: clock.now)
        await running.components.dispatcher.run(untilIdle: true)
        #expect(try await running.status(third).state == .sent)
        clock.set(Self.monday.addingTimeInterval(32 * 86_400))
        let fourth = try await running.enqueue(Self.danishReminder("r4"), now: clock.now)
        await running.components.dispatcher.run(untilIdle: true)
        let refused = try await running.status(fourth)
        #expect(refused.state == .failed)
        #expect(refused.reason?.hasPrefix("at most 3 fee-bearing reminders per case in DK (renteloven § 9 b") == true, "\(refused.reason ?? "")")
        #expect(running.sandbox.received.count == 3)
        await running.stop()
    }

    static func finnishNotice(_ key: String, consents: String) -> String {
        Fixtures.message(
            key: key, kind: "collection_notice",
            recipient: #""name":"Matti Virtanen","country":"FI","channels":["email","letter"],"email":"matti@example.fi","address":{"lines":["Mannerheimintie 1"],"postal_code":"00100","city":"Helsinki","country":"FI"}"# + consents,
            data: #"{"creditor":"Fjordkraft AS","invoice_number":"10023","amount":"1250.00","currency":"EUR","due_date":"2026-11-01","deadline":"2026-12-21","payment_link":"https://pay.example/abc"}"#)
    }

    @Test("FI: a collection notice goes by email only with the debtor's consent in force, else by letter, with the reason in the trail", arguments: StoreBackend.allCases)
    func finnishNoticeChannel(_ backend: StoreBackend) async throws {
        let clock = Clock(Self.monday)
        let running = try await Running.start(backend, clock: clock)
        let without = try await running.enqueue(Self.finnishNotice("n1", consents: ""), now: clock.now)
        let with = try await running.enqueue(Self.finnishNotice(
            "n2", consents: #","consents":[{"type":"electronic_notice","channel":"email","given_at":"2026-10-01T00:00:00Z","expires_at":"2027-10-01T00:00:00Z"}]"#),
            now: clock.now)
        await running.components.dispatcher.run(untilIdle: true)
        let letter = try await running.status(without)
        #expect(letter.channel == .letter, "\(letter.decisions.map(\.text))")
        #expect(letter.decisions.contains { $0.text.hasPrefix("email counts as a written collection notice in FI only to the debtor's separate consent") })
        #expect(try await running.status(with).channel == .email)
        await running.stop()
    }
}
