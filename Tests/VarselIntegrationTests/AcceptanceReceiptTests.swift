import Foundation
import Testing
import VarselCore
import VarselStore
import VarselTestSupport

/// An accepted send's acceptance receipt is read from its attempt (`AcceptanceReceipts`), not written
/// as a row of its own; the status shows the same receipts as when it was.
@Suite struct AcceptanceReceiptTests {
    /// Enqueues, leases and plans one message, opens its attempt and records `outcome`; the message's id.
    static func send(_ store: any MessageStore, key: String, outcome: AttemptOutcome, providerID: String?, now: Date) async throws -> String {
        let validator = MessageValidator(kinds: KindRule.shipped)
        _ = try await store.enqueue([try validator.validate(json: Array(Fixtures.sms(key: key).utf8)).get()], now: now)
        let leased = try #require(try await store.lease(owner: "w", limit: 1, now: now, leaseDuration: 60).first)
        let prepared = try await store.prepare(
            [StoreTests.plannedSend(leased.lease)], starting: [StoreTests.start(leased.lease, gateway: "sms-eu")], now: now)
        let attempt = try #require(prepared.started[leased.lease.messageID]?.attemptID)
        let accepted = outcome == .accepted
        let held = try await store.complete([
            Completion(
                lease: leased.lease, attemptID: attempt, gateway: "sms-eu", outcome: outcome, httpStatus: accepted ? 202 : 400,
                providerID: providerID, latencyMs: 1, error: accepted ? nil : "refused", state: accepted ? .sent : .failed, reason: outcome.rawValue),
        ], now: now)
        #expect(held == [leased.lease.messageID])
        return leased.lease.messageID
    }

    @Test("an accepted send writes no receipt row; its status shows the acceptance, from the gateway, with the provider id, at the outcome's time",
          arguments: StoreBackend.allCases)
    func acceptanceIsReadFromTheAttempt(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        let store = try await backend.makeStore(directory)
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        let id = try await Self.send(store, key: "a1", outcome: .accepted, providerID: "p-a1", now: at)
        #expect(try await inspect(store, "SELECT count(*) FROM receipts") == ["0"])
        let status = try #require(try await store.status(id: id))
        #expect(status.receipts == [MessageStatus.Receipt(at: at, status: "accepted", source: "gateway:sms-eu", providerID: "p-a1")])
        // A refused send has no acceptance.
        let refused = try await Self.send(store, key: "a2", outcome: .permanent, providerID: nil, now: at)
        #expect(try await store.status(id: refused)?.receipts == [])
    }

    @Test("an acceptance stored as a row (by an earlier Varsel, or one still running beside a newer) is shown once", arguments: StoreBackend.allCases)
    func storedAcceptanceShownOnce(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        let store = try await backend.makeStore(directory)
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        let id = try await Self.send(store, key: "b1", outcome: .accepted, providerID: "p-b1", now: at)
        try await execute(store, "INSERT INTO receipts (message_id, at, status, source, provider_id) SELECT message_id, finished_at, 'accepted', 'gateway:' || gateway, provider_id FROM attempts WHERE message_id = ?", [id])
        #expect(try await inspect(store, "SELECT count(*) FROM receipts") == ["1"])
        #expect(try await store.status(id: id)?.receipts == [MessageStatus.Receipt(at: at, status: "accepted", source: "gateway:sms-eu", providerID: "p-b1")])
    }

    @Test("each acceptance comes before the receipts recorded after it, attempt by attempt; one a row already gives is not repeated")
    func orderedAmongStoredReceipts() {
        func receipt(_ at: Double, _ status: String, _ source: String, _ providerID: String = "p") -> MessageStatus.Receipt {
            MessageStatus.Receipt(at: Date(timeIntervalSince1970: at), status: status, source: source, providerID: providerID)
        }
        let accepted = [
            AcceptanceReceipts.Accepted(at: Date(timeIntervalSince1970: 10), gateway: "sms", providerID: "p"),
            AcceptanceReceipts.Accepted(at: Date(timeIntervalSince1970: 30), gateway: "email", providerID: "p"),
        ]
        let stored = [receipt(10, "sent", "webhook:sms"), receipt(20, "failed", "webhook:sms"), receipt(40, "delivered", "webhook:email")]
        #expect(AcceptanceReceipts.merged(accepted, into: stored).map(\.status) == ["accepted", "sent", "failed", "accepted", "delivered"])
        #expect(AcceptanceReceipts.merged(accepted, into: []).map(\.source) == ["gateway:sms", "gateway:email"])
        #expect(AcceptanceReceipts.merged([], into: stored) == stored)
        // The first attempt's acceptance stored (an older store), the second's read from its attempt.
        let older = [receipt(10, "accepted", "gateway:sms"), receipt(20, "failed", "webhook:sms")]
        #expect(AcceptanceReceipts.merged(accepted, into: older).map(\.source) == ["gateway:sms", "webhook:sms", "gateway:email"])
        // Two attempts with one provider id (a provider that answers a repeated key with its first id): one row stands for one.
        let twice = accepted.map { AcceptanceReceipts.Accepted(at: $0.at, gateway: "sms", providerID: "same") }
        #expect(AcceptanceReceipts.merged(twice, into: [receipt(10, "accepted", "gateway:sms", "same")]).count == 2)
    }
}
