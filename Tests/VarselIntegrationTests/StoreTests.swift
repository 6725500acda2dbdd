import Foundation
import GRDB
import Testing
import VarselCore
@testable import VarselStore
import VarselTestSupport

/// The SQLite queue on a real file: durability settings, leases and their fences.
@Suite struct StoreTests {
    static func request(_ key: String? = nil, sendAfter: Date? = nil) -> MessageRequest {
        MessageRequest(
            idempotencyKey: key, kind: "reminder", recipient: Recipient(phone: "+4791234567"),
            data: ["creditor": .string("Fjordkraft AS")], sendAfter: sendAfter)
    }

    static func content() -> RenderedContent {
        RenderedContent(
            templateID: "reminder/nb/direct/sms", templateVersion: "sha256:x", channel: .sms, subject: nil, text: "hei", html: nil,
            sms: .init(encoding: .gsm7, segments: 1), contentHash: "sha256:y")
    }

    static func plannedSend(_ lease: LeaseRef) -> Preparation {
        .send(PlannedSend(lease: lease, locale: "nb", tone: .direct, content: content(), decisions: ["sms chosen"], gateway: "g", idempotencyKey: "\(lease.messageID).sms"))
    }

    @Test("the database runs in WAL mode with synchronous=FULL unless configured otherwise")
    func durabilitySettings() async throws {
        let directory = TemporaryDirectory()
        let store = try SQLiteMessageStore(path: directory.file("q.db"))
        let (journal, synchronous) = try await store.pool.read { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
        }
        #expect(journal == "wal")
        #expect(synchronous == 2)
        let normal = try SQLiteMessageStore(path: directory.file("n.db"), synchronous: .normal)
        #expect(try await normal.pool.read { try Int.fetchOne($0, sql: "PRAGMA synchronous") } == 1)
    }

    @Test("a lease takes only ready messages, each once, in due order")
    func leaseOrder() async throws {
        let directory = TemporaryDirectory()
        let store = try SQLiteMessageStore(path: directory.file("q.db"))
        let now = Date()
        let ids = try await store.enqueue(
            [Self.request("a", sendAfter: now.addingTimeInterval(-10)), Self.request("b", sendAfter: now.addingTimeInterval(3600)), Self.request("c", sendAfter: now.addingTimeInterval(-20))],
            now: now
        ).map { outcome -> String in
            guard case .created(let id) = outcome else { return "" }
            return id
        }
        let first = try await store.lease(owner: "w1", limit: 10, now: now, leaseDuration: 60)
        #expect(first.map(\.lease.messageID) == [ids[2], ids[0]])
        #expect(try await store.lease(owner: "w2", limit: 10, now: now, leaseDuration: 60).isEmpty)
        #expect(try await store.countByState() == [.sending: 2, .queued: 1])
    }

    @Test("a worker whose lease was reclaimed cannot record its late result: the fence holds")
    func fencedWrites() async throws {
        let directory = TemporaryDirectory()
        let store = try SQLiteMessageStore(path: directory.file("q.db"))
        let now = Date()
        _ = try await store.enqueue([Self.request("f")], now: now)
        let stale = try #require(try await store.lease(owner: "slow", limit: 1, now: now, leaseDuration: 10).first)
        let attempt = try #require(try await store.prepare([Self.plannedSend(stale.lease)], now: now)[stale.lease.messageID])

        // The lease expires; another worker's sweep reclaims it and the message is leased again.
        let later = now.addingTimeInterval(11)
        #expect(try await store.reclaim(owner: nil, now: later) == 1)
        let fresh = try #require(try await store.lease(owner: "fast", limit: 1, now: later, leaseDuration: 10).first)
        #expect(fresh.previous?.content.text == "hei", "the resend reuses the content rendered before")

        let late = Completion(
            lease: stale.lease, attemptID: attempt, outcome: .accepted, httpStatus: 202, providerID: "late", latencyMs: 1, error: nil,
            state: .sent, reason: "late")
        #expect(try await store.complete([late], now: later).isEmpty)
        #expect(try await store.prepare([Self.plannedSend(stale.lease)], now: later).isEmpty)
        let status = try #require(try await store.status(id: fresh.lease.messageID))
        #expect(status.state == .sending)
        #expect(status.attempts.map(\.outcome) == [.ambiguous])
        #expect(status.receipts.isEmpty)
    }

    @Test("an enqueue is visible to a new connection as soon as it returns")
    func durableAccept() async throws {
        let directory = TemporaryDirectory()
        let store = try SQLiteMessageStore(path: directory.file("q.db"))
        let outcomes = try await store.enqueue([Self.request("d")], now: Date())
        guard case .created(let id)? = outcomes.first else {
            Issue.record("not created")
            return
        }
        let other = try SQLiteMessageStore(path: directory.file("q.db"))
        #expect(try await other.status(id: id)?.state == .queued)
    }
}
