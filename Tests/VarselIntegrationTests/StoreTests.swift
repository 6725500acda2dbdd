import Foundation
import GRDB
import Synchronization
import Testing
import VarselCore
@testable import VarselStore
import VarselTestSupport

/// The store contract, on both stores (a real SQLite file, a real PostgreSQL database): leases and
/// their fences, caps, runs, receipts; and SQLite's durability settings.
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

    /// Enqueues a request for each key, due that many seconds from `now`; their ids, in order.
    static func enqueued(_ store: any MessageStore, _ due: [(key: String, offset: TimeInterval)], now: Date) async throws -> [String] {
        try await store.enqueue(due.map { request($0.key, sendAfter: now.addingTimeInterval($0.offset)) }, now: now).map { outcome in
            guard case .created(let id) = outcome else { return "" }
            return id
        }
    }

    static func start(_ lease: LeaseRef, channel: Channel = .sms, gateway: String = "g") -> AttemptStart {
        AttemptStart(lease: lease, channel: channel, gateway: gateway, idempotencyKey: "\(lease.messageID).\(channel.rawValue)")
    }

    @Test("the database runs in WAL mode with synchronous=FULL unless configured otherwise, on the writer (which commits) as on the readers")
    func durabilitySettings() async throws {
        let directory = TemporaryDirectory()
        let store = try SQLiteMessageStore(path: directory.file("q.db"))
        let (journal, synchronous) = try await store.pool.read { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
        }
        #expect(journal == "wal")
        #expect(synchronous == 2)
        // GRDB sets the writer to NORMAL when it turns WAL on, after the store's own settings.
        #expect(try await store.pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") } == 2)
        for (level, value) in [(SQLiteMessageStore.Synchronous.normal, 1), (.extra, 3), (.full, 2)] {
            let other = try SQLiteMessageStore(path: directory.file("\(level.rawValue).db"), synchronous: level)
            #expect(try await other.pool.read { try Int.fetchOne($0, sql: "PRAGMA synchronous") } == value)
            #expect(try await other.pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") } == value, "\(level)")
            // Reopened: the writer of a database already in WAL mode too.
            let reopened = try SQLiteMessageStore(path: directory.file("\(level.rawValue).db"), synchronous: level)
            #expect(try await reopened.pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") } == value, "\(level)")
        }
    }

    @Test("a lease takes only ready messages, each once, in due order", arguments: StoreBackend.allCases)
    func leaseOrder(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        let store = try await backend.makeStore(directory)
        let now = Date()
        let ids = try await Self.enqueued(store, [("a", -10), ("b", 3600), ("c", -20)], now: now)
        let first = try await store.lease(owner: "w1", limit: 10, now: now, leaseDuration: 60)
        #expect(first.map(\.lease.messageID) == [ids[2], ids[0]])
        #expect(try await store.lease(owner: "w2", limit: 10, now: now, leaseDuration: 60).isEmpty)
        #expect(try await store.countByState() == [.sending: 2, .queued: 1])
    }

    @Test("messages due at the same time are leased in the order they were enqueued: a batch of 1,000 enqueued in one call comes back in its order, over several leases", arguments: StoreBackend.allCases)
    func leaseKeepsEnqueueOrder(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        let store = try await backend.makeStore(directory)
        let now = Date()
        let outcomes = try await store.enqueue((0..<1_000).map { Self.request("k\($0)") }, now: now)
        let ids = outcomes.compactMap { outcome -> String? in
            guard case .created(let id) = outcome else { return nil }
            return id
        }
        #expect(ids.count == 1_000)
        var leased: [String] = []
        while case let batch = try await store.lease(owner: "w", limit: 128, now: now, leaseDuration: 60), !batch.isEmpty {
            leased += batch.map(\.lease.messageID)
        }
        #expect(leased == ids)
    }

    @Test("messages leased and given back are queued as before their lease: due time, reason and trail unchanged, leased again first; a lease lost meanwhile and a claim not yet taken give nothing back", arguments: StoreBackend.allCases)
    func giveBack(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        let store = try await backend.makeStore(directory)
        let now = Date()
        let ids = try await Self.enqueued(store, [("g1", -30), ("g2", -20), ("g3", -10)], now: now)
        // The first waited once already: it has a reason and a due time of its own.
        let waited = try #require(try await store.lease(owner: "w", limit: 1, now: now, leaseDuration: 60).first)
        _ = try await store.prepare([.deferral(lease: waited.lease, until: now.addingTimeInterval(-5), reason: "outside contact hours", decisions: ["wait"])], now: now)
        let rows = "SELECT id || ' ' || ready_at || ' ' || COALESCE(state_reason, '-') || ' ' || state FROM messages ORDER BY id"
        let before = try await inspect(store, rows)
        let trail = try await inspect(store, "SELECT count(*) FROM decisions")

        let leased = try await store.lease(owner: "w", limit: 10, now: now, leaseDuration: 60)
        #expect(Set(leased.map(\.lease.messageID)) == Set(ids))
        let lost = try #require(leased.first { $0.lease.messageID == ids[2] })
        let claim = LeaseRef(messageID: ids[2], token: "t", claim: LeaseClaim(owner: "w", expiresAt: now.addingTimeInterval(60), readVersion: 0))
        let given = try await store.giveBack(
            leased.filter { $0.lease.messageID != ids[2] }.map(\.lease) + [LeaseRef(messageID: ids[2], token: "not its token"), claim],
            now: now.addingTimeInterval(1))
        #expect(given == 2)
        #expect(try await store.countByState() == [.queued: 2, .sending: 1])
        let after = try await inspect(store, rows)
        #expect(after[0] == before[0] && after[1] == before[1], "\(before) → \(after)")
        #expect(try await inspect(store, "SELECT count(*) FROM decisions") == trail)
        // Leased again at once, in due order; the lease kept still holds.
        let again = try await store.lease(owner: "w2", limit: 10, now: now.addingTimeInterval(1), leaseDuration: 60)
        #expect(again.map(\.lease.messageID) == [ids[1], ids[0]])
        #expect(try await store.prepare([Self.plannedSend(lost.lease)], now: now.addingTimeInterval(1)) == [ids[2]])
    }

    @Test("the case steps of a set of cases: each message a gateway accepted, at its first acceptance, in that order, with whether it charged a fee; failed, pending and unsent messages are not steps", arguments: StoreBackend.allCases)
    func caseSteps(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        let store = try await backend.makeStore(directory)
        let t0 = Date(timeIntervalSince1970: 1_790_000_000)
        func request(_ key: String, _ caseRef: String, fee: String?) -> MessageRequest {
            var data: [String: JSONValue] = ["creditor": .string("Fjordkraft AS")]
            if let fee { data["fee"] = .string(fee) }
            return MessageRequest(idempotencyKey: key, kind: "reminder", caseRef: caseRef, recipient: Recipient(phone: "+4791234567"), data: data)
        }
        _ = try await store.enqueue([
            request("a1", "A", fee: "35.00"), request("a2", "A", fee: nil), request("a3", "A", fee: "70"), request("a4", "A", fee: "70"),
            request("b1", "B", fee: "0"), request("c1", "C", fee: "70"),
        ], now: t0)
        let leased = try await store.lease(owner: "w", limit: 10, now: t0, leaseDuration: 600)
        let byKey = Dictionary(uniqueKeysWithValues: leased.map { ($0.request.idempotencyKey ?? "", $0) })
        let sent = ["a1", "a2", "a3", "a4", "b1"].compactMap { byKey[$0] }
        #expect(sent.count == 5)
        let prepared = try await store.prepare(
            sent.map { Self.plannedSend($0.lease) },
            starting: sent.map { AttemptStart(lease: $0.lease, channel: .sms, gateway: "g", idempotencyKey: "\($0.lease.messageID).sms") }, now: t0)
        func attempt(_ key: String) throws -> (LeaseRef, Int64) {
            let message = try #require(byKey[key])
            return (message.lease, try #require(prepared.started[message.lease.messageID]?.attemptID))
        }
        // Accepted out of their enqueue order: a2 first, then b1, then a1; a3 fails; a4 stays in flight.
        for (key, outcome, seconds) in [("a2", AttemptOutcome.accepted, 10.0), ("b1", .accepted, 20), ("a1", .accepted, 30), ("a3", .permanent, 40)] {
            let (lease, attemptID) = try attempt(key)
            let state: MessageState = outcome == .accepted ? .sent : .failed
            let held = try await store.complete([
                Completion(
                    lease: lease, attemptID: attemptID, gateway: "g", outcome: outcome, httpStatus: outcome == .accepted ? 202 : 400, providerID: "p-\(key)",
                    latencyMs: 5, error: nil, state: state, reason: nil),
            ], now: t0.addingTimeInterval(seconds))
            #expect(held == [lease.messageID])
        }
        let steps = try await store.caseSteps(caseRefs: ["A", "B", "C", "D"])
        let id = { (key: String) in byKey[key]?.lease.messageID ?? "?" }
        #expect(steps["A"]?.map(\.messageID) == [id("a2"), id("a1")])
        #expect(steps["A"]?.map(\.feeBearing) == [false, true])
        #expect(steps["A"]?.map { $0.at.timeIntervalSince(t0).rounded() } == [10, 30])
        #expect(steps["A"]?.allSatisfy { $0.kind == "reminder" } == true)
        #expect(steps["B"]?.map(\.messageID) == [id("b1")])
        #expect(steps["B"]?.first?.feeBearing == false)
        #expect(steps["C"] == nil)
        #expect(steps["D"] == nil)
        #expect(try await store.caseSteps(caseRefs: ["B"]).keys.sorted() == ["B"])
        // Among many cases (SQLite asks 64 at a time), each case's steps are the same, in the same order.
        let many = try await store.caseSteps(caseRefs: Set(["A", "B", "C", "D"] + (0..<200).map { "other-\($0)" }))
        #expect(many.keys.sorted() == ["A", "B"])
        #expect(many["A"]?.map(\.messageID) == [id("a2"), id("a1")] && many["B"]?.map(\.messageID) == [id("b1")])
        // A plan's reads give the same steps, beside the cases' events (none) asked in the same read.
        let planning = try await store.planningReads(recipientIDs: [], caseRefs: ["C", "D"], stepCaseRefs: ["A", "B", "C", "D"])
        #expect(planning.caseSteps == steps && planning.caseEvents.isEmpty && planning.recipients.isEmpty)
    }

    @Test("the frequency cap holds across daemons: decided in the transaction that opens the attempt, the send over the cap is deferred, not started", arguments: StoreBackend.allCases)
    func capAtStart(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        let store = try await backend.makeStore(directory)
        let now = Date()
        _ = try await store.enqueue([Self.request("c1"), Self.request("c2")], now: now)
        // Two daemons lease one message each to the same recipient and both prepare to send.
        let first = try #require(try await store.lease(owner: "daemon-a/1", limit: 1, now: now, leaseDuration: 60).first)
        let second = try #require(try await store.lease(owner: "daemon-b/1", limit: 1, now: now, leaseDuration: 60).first)
        _ = try await store.prepare([Self.plannedSend(first.lease), Self.plannedSend(second.lease)], now: now)
        let policy = FrequencyCap(enabled: true, maxMessages: 1, window: 86_400)
        func start(_ leased: LeasedMessage) -> AttemptStart {
            AttemptStart(
                lease: leased.lease, channel: .sms, gateway: "g", idempotencyKey: "\(leased.lease.messageID).sms",
                cap: .init(policy: policy, kind: "reminder", recipientKey: RecipientKey.of(leased.request.recipient)))
        }
        let started = try #require(try await store.start([start(first)], now: now)[first.lease.messageID])
        #expect(started.attemptID != nil)
        // The first send is still in flight (pending): it counts.
        let deferred = try #require(try await store.start([start(second)], now: now.addingTimeInterval(1))[second.lease.messageID])
        guard case .deferred(let until) = deferred else {
            Issue.record("expected a deferral, got \(deferred)")
            return
        }
        // The first send's start time, as stored (seconds as a double), plus the window.
        #expect(abs(until.timeIntervalSince(now.addingTimeInterval(86_400))) < 0.01)
        let status = try #require(try await store.status(id: second.lease.messageID))
        #expect(status.state == .queued)
        #expect(status.attempts.isEmpty, "no attempt was opened for the send over the cap")
        #expect(status.decisions.contains { $0.text.contains("deferred by the frequency cap: 1 message to this recipient within") })
        // Without a cap (or another recipient), the same start opens the attempt.
        let third = try #require(try await store.lease(owner: "daemon-b/1", limit: 1, now: now.addingTimeInterval(90_000), leaseDuration: 60).first)
        _ = try await store.prepare([Self.plannedSend(third.lease)], now: now.addingTimeInterval(90_000))
        #expect(try await store.start([start(third)], now: now.addingTimeInterval(90_000))[third.lease.messageID]?.attemptID != nil)
    }

    @Test("a batch's plan and the attempts of its sends that can go at once are recorded in one call: each opened pending and counted once, a capped send over its cap deferred, a lost lease nothing, a send left to wait opened later", arguments: StoreBackend.allCases)
    func prepareAndStartTogether(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        let store = try await backend.makeStore(directory)
        let now = Date()
        let elsewhere = MessageRequest(
            idempotencyKey: "t3", kind: "reminder", recipient: Recipient(phone: "+4798765432"), data: ["creditor": .string("Fjordkraft AS")])
        _ = try await store.enqueue([Self.request("t1"), Self.request("t2"), elsewhere, Self.request("t4"), Self.request("t5")], now: now)
        let leased = try await store.lease(owner: "w", limit: 10, now: now, leaseDuration: 60)
        let byKey = Dictionary(uniqueKeysWithValues: leased.map { ($0.request.idempotencyKey ?? "", $0) })
        let m1 = try #require(byKey["t1"]), m2 = try #require(byKey["t2"]), m3 = try #require(byKey["t3"])
        let m4 = try #require(byKey["t4"]), m5 = try #require(byKey["t5"])
        let policy = FrequencyCap(enabled: true, maxMessages: 1, window: 86_400)
        func capped(_ leased: LeasedMessage) -> AttemptStart {
            AttemptStart(
                lease: leased.lease, channel: .sms, gateway: "g", idempotencyKey: "\(leased.lease.messageID).sms",
                cap: .init(policy: policy, kind: "reminder", recipientKey: RecipientKey.of(leased.request.recipient)))
        }
        // t1 and t2 go to one recipient under a cap of one; t3 has no cap; t4's lease is not the one
        // held (another worker's); t5 is prepared but left waiting for a connection, and a start
        // under another token than the one its plan holds opens nothing.
        let lost = LeaseRef(messageID: m4.lease.messageID, token: "another-workers-token")
        let stranger = LeaseRef(messageID: m5.lease.messageID, token: "another-workers-token")
        let prepared = try await store.prepare(
            [Self.plannedSend(m1.lease), Self.plannedSend(m2.lease), Self.plannedSend(m3.lease), Self.plannedSend(lost), Self.plannedSend(m5.lease)],
            starting: [capped(m1), capped(m2), Self.start(m3.lease), Self.start(lost), Self.start(stranger)], now: now)
        #expect(prepared.held == Set([m1, m2, m3, m5].map(\.lease.messageID)))
        #expect(Set(prepared.started.keys) == Set([m1, m2, m3].map(\.lease.messageID)))
        #expect(prepared.started[m1.lease.messageID]?.attemptID != nil)
        #expect(prepared.started[m3.lease.messageID]?.attemptID != nil)
        guard case .deferred? = prepared.started[m2.lease.messageID] else {
            Issue.record("t2 goes over the cap with t1's attempt in flight: \(String(describing: prepared.started[m2.lease.messageID]))")
            return
        }
        let attempt5 = try await store.start([Self.start(m5.lease)], now: now.addingTimeInterval(1))[m5.lease.messageID]?.attemptID
        #expect(attempt5 != nil)

        for message in [m1, m3, m5] {
            let status = try #require(try await store.status(id: message.lease.messageID))
            #expect(status.state == .sending)
            #expect(status.attempts.map(\.outcome) == [.pending], "one attempt, open: \(message.request.idempotencyKey ?? "")")
            #expect(status.decisions.contains { $0.text == "sms chosen" })
        }
        let deferred = try #require(try await store.status(id: m2.lease.messageID))
        #expect(deferred.state == .queued)
        #expect(deferred.attempts.isEmpty)
        #expect(deferred.decisions.contains { $0.text.contains("deferred by the frequency cap") })
        let untouched = try #require(try await store.status(id: m4.lease.messageID))
        #expect(untouched.state == .sending)
        #expect(untouched.attempts.isEmpty)
        #expect(!untouched.decisions.contains { $0.text == "sms chosen" })
        // The worker dies: its messages come back with the attempts they made, each counted once.
        _ = try await store.reclaim(owners: ["w"], now: now.addingTimeInterval(2))
        let again = try await store.lease(owner: "w2", limit: 10, now: now.addingTimeInterval(2), leaseDuration: 60)
        let counts = Dictionary(uniqueKeysWithValues: again.map { ($0.request.idempotencyKey ?? "", $0.attempts) })
        #expect(counts == ["t1": 1, "t3": 1, "t4": 0, "t5": 1])
    }

    @Test("daemon runs: registered, heartbeating, stopped; the retention sweep deletes runs stopped before the record cut-off only", arguments: StoreBackend.allCases)
    func daemonRuns(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        let store = try await backend.makeStore(directory)
        let now = Date()
        let old = DaemonRun(runID: "w/old", workerID: "w", host: "h", pid: 1, startedAt: now.addingTimeInterval(-900_000), heartbeatAt: now.addingTimeInterval(-900_000))
        let recent = DaemonRun(runID: "w/recent", workerID: "w", host: "h", pid: 2, startedAt: now.addingTimeInterval(-100), heartbeatAt: now.addingTimeInterval(-100))
        let live = DaemonRun(runID: "w/live", workerID: "w", host: "h", pid: 3, startedAt: now, heartbeatAt: now)
        for run in [old, recent, live] { try await store.register(run) }
        try await store.markStopped(runIDs: ["w/old"], now: now.addingTimeInterval(-800_000))
        try await store.markStopped(runIDs: ["w/recent"], now: now.addingTimeInterval(-50))
        try await store.heartbeat(runID: "w/live", now: now.addingTimeInterval(5))
        let active = try await store.activeRuns()
        #expect(active.map(\.runID) == ["w/live"])
        #expect(abs((active.first?.heartbeatAt ?? .distantPast).timeIntervalSince(now.addingTimeInterval(5))) < 0.01)
        _ = try await store.sweepRetention(contentBefore: now.addingTimeInterval(-1000), recordsBefore: now.addingTimeInterval(-1000), dryRun: false, now: now)
        let remaining = try await inspect(store, "SELECT run_id FROM daemon_runs ORDER BY run_id")
        #expect(remaining == ["w/live", "w/recent"])
    }

    @Test("a worker whose lease was reclaimed cannot record its late result: the fence holds", arguments: StoreBackend.allCases)
    func fencedWrites(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        let store = try await backend.makeStore(directory)
        let now = Date()
        _ = try await store.enqueue([Self.request("f")], now: now)
        let stale = try #require(try await store.lease(owner: "slow", limit: 1, now: now, leaseDuration: 10).first)
        #expect(try await store.prepare([Self.plannedSend(stale.lease)], now: now) == [stale.lease.messageID])
        let attempt = try #require(try await store.start([Self.start(stale.lease)], now: now)[stale.lease.messageID]?.attemptID)

        // The lease expires; another worker's sweep reclaims it and the message is leased again.
        let later = now.addingTimeInterval(11)
        #expect(try await store.reclaim(owners: [], now: later) == 1)
        let fresh = try #require(try await store.lease(owner: "fast", limit: 1, now: later, leaseDuration: 10).first)
        #expect(fresh.previous?.content.text == "hei", "the resend reuses the content rendered before")

        let late = Completion(
            lease: stale.lease, attemptID: attempt, gateway: "g", outcome: .accepted, httpStatus: 202, providerID: "late", latencyMs: 1, error: nil,
            state: .sent, reason: "late")
        #expect(try await store.complete([late], now: later).isEmpty)
        #expect(try await store.prepare([Self.plannedSend(stale.lease)], now: later).isEmpty)
        #expect(try await store.start([Self.start(stale.lease)], now: later).isEmpty)
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

    @Test("after a crash only started sends are ambiguous: a prepared send that never started goes back without an attempt and uses none up", arguments: StoreBackend.allCases)
    func reclaimOnlyStartedSends(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        let store = try await backend.makeStore(directory)
        let now = Date()
        _ = try await store.enqueue([Self.request("started"), Self.request("waiting")], now: now)
        let leased = try await store.lease(owner: "crashed", limit: 2, now: now, leaseDuration: 60)
        #expect(leased.count == 2)
        #expect(try await store.prepare(leased.map { Self.plannedSend($0.lease) }, now: now).count == 2)
        // Only the first was handed to the HTTP client before the crash.
        _ = try #require(try await store.start([Self.start(leased[0].lease)], now: now)[leased[0].lease.messageID])

        #expect(try await store.reclaim(owners: ["crashed"], now: now.addingTimeInterval(1)) == 2)
        let started = try #require(try await store.status(id: leased[0].lease.messageID))
        let waiting = try #require(try await store.status(id: leased[1].lease.messageID))
        #expect(started.state == .queued && waiting.state == .queued)
        #expect(started.attempts.map(\.outcome) == [.ambiguous])
        #expect(waiting.attempts.isEmpty, "a request that never left is no attempt: \(waiting.attempts)")
        #expect(waiting.decisions.last?.text.contains("before the request left") == true)
        let again = try await store.lease(owner: "next", limit: 2, now: now.addingTimeInterval(2), leaseDuration: 60)
        let attempts = Dictionary(uniqueKeysWithValues: again.map { ($0.lease.messageID, $0.attempts) })
        #expect(attempts[leased[0].lease.messageID] == 1)
        #expect(attempts[leased[1].lease.messageID] == 0, "max_attempts counts real attempts only")
    }

    @Test(
        "with the crashed run's hand-over record, an attempt opened while its request waited for a connection goes back without counting; the one handed over is ambiguous",
        arguments: StoreBackend.allCases)
    func reclaimWithHandOverRecord(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        let store = try await backend.makeStore(directory)
        let now = Date()
        _ = try await store.enqueue([Self.request("handed"), Self.request("queued-in-client"), Self.request("other-run")], now: now)
        let leased = try await store.lease(owner: "crashed", limit: 2, now: now, leaseDuration: 60)
        let other = try #require(try await store.lease(owner: "unlogged", limit: 1, now: now, leaseDuration: 60).first)
        #expect(try await store.prepare((leased + [other]).map { Self.plannedSend($0.lease) }, now: now).count == 3)
        // All three attempts opened; the crashed run's log holds only the first one's.
        let opened = try await store.start((leased + [other]).map { Self.start($0.lease) }, now: now)
        let handed = try #require(opened[leased[0].lease.messageID]?.attemptID)
        let waiting = try #require(opened[leased[1].lease.messageID]?.attemptID)

        #expect(try await store.reclaim(owners: ["crashed", "unlogged"], handedOver: ["crashed": [handed, waiting + 1_000]], now: now.addingTimeInterval(1)) == 3)
        let first = try #require(try await store.status(id: leased[0].lease.messageID))
        let second = try #require(try await store.status(id: leased[1].lease.messageID))
        let third = try #require(try await store.status(id: other.lease.messageID))
        #expect(first.attempts.map(\.outcome) == [.ambiguous])
        #expect(second.attempts.isEmpty, "an attempt whose request never reached the HTTP client is no attempt: \(second.attempts)")
        #expect(second.decisions.last?.text.contains("before the request left") == true)
        // A run without a log: what it opened may have left.
        #expect(third.attempts.map(\.outcome) == [.ambiguous])
        let again = try await store.lease(owner: "next", limit: 3, now: now.addingTimeInterval(2), leaseDuration: 60)
        let attempts = Dictionary(uniqueKeysWithValues: again.map { ($0.lease.messageID, $0.attempts) })
        #expect(attempts == [leased[0].lease.messageID: 1, leased[1].lease.messageID: 0, other.lease.messageID: 1])
    }

    /// Sends a message by SMS through gateway `sms` (provider id `p-sms`), as the dispatcher would.
    static func sendSMS(_ store: any MessageStore, now: Date) async throws -> (id: String, attempt: Int64) {
        _ = try await store.enqueue([Self.request("receipt-\(UUID().uuidString)")], now: now)
        let leased = try #require(try await store.lease(owner: "w", limit: 1, now: now, leaseDuration: 60).first)
        _ = try await store.prepare([Self.plannedSend(leased.lease)], now: now)
        let attempt = try #require(try await store.start([Self.start(leased.lease, gateway: "sms")], now: now)[leased.lease.messageID]?.attemptID)
        let accepted = Completion(
            lease: leased.lease, attemptID: attempt, gateway: "sms", outcome: .accepted, httpStatus: 202, providerID: "p-sms", latencyMs: 1, error: nil,
            state: .sent, reason: "accepted")
        #expect(try await store.complete([accepted], now: now) == [leased.lease.messageID])
        return (leased.lease.messageID, attempt)
    }

    /// Plans and starts the fallback email of a leased message, as the dispatcher would; its attempt id.
    static func startEmail(_ store: any MessageStore, _ lease: LeaseRef, now: Date) async throws -> Int64 {
        let content = RenderedContent(
            templateID: "reminder/nb/direct/email", templateVersion: "v", channel: .email, subject: "s", text: "t", html: nil, sms: nil, contentHash: "h")
        let send = PlannedSend(lease: lease, locale: "nb", tone: .direct, content: content, decisions: [], gateway: "mail", idempotencyKey: "\(lease.messageID).email")
        _ = try await store.prepare([.send(send)], now: now)
        return try #require(try await store.start([Self.start(lease, channel: .email, gateway: "mail")], now: now)[lease.messageID]?.attemptID)
    }

    @Test("fallback.receipt_timeout: a sent message with no final receipt from a gateway that reports them falls back after the timeout; a delivered one, a younger one and one through a gateway without receipts stay", arguments: StoreBackend.allCases)
    func receiptTimeout(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        let store = try await backend.makeStore(directory)
        let now = Date()
        let silent = try await Self.sendSMS(store, now: now)
        let delivered = try await Self.sendSMS(store, now: now)
        _ = try await store.recordReceipt(gateway: "sms", providerID: "p-sms", status: .delivered, error: nil, raw: nil, fallback: true, now: now)
        let young = try await Self.sendSMS(store, now: now.addingTimeInterval(7200))
        let timeout: TimeInterval = 3600
        let later = now.addingTimeInterval(7200 + 60)

        #expect(try await store.fallBackWithoutReceipt(gateways: ["other"], acceptedBefore: later.addingTimeInterval(-timeout), timeout: timeout, now: later).isEmpty)
        let moved = try await store.fallBackWithoutReceipt(gateways: ["sms"], acceptedBefore: later.addingTimeInterval(-timeout), timeout: timeout, now: later)
        // The receipt above names provider id p-sms: it went to the latest attempt with that id then, `delivered`'s.
        let statuses = try await [silent.id, delivered.id, young.id].asyncMap { try #require(try await store.status(id: $0)) }
        let fellBack = statuses.filter { $0.state == .queued }.map(\.id)
        #expect(moved.map(\.id) == fellBack)
        #expect(moved.allSatisfy { $0.channel == .sms })
        #expect(fellBack == [silent.id], "the delivered one stays, and the young one (accepted within the timeout) waits")
        let status = try #require(statuses.first { $0.state == .queued })
        #expect(status.decisions.last?.text.contains("no final receipt from sms within 1h of its acceptance (fallback.receipt_timeout); falling back from sms") == true)
        #expect(try await store.fallBackWithoutReceipt(gateways: ["sms"], acceptedBefore: later.addingTimeInterval(-timeout), timeout: timeout, now: later).isEmpty, "once only")
    }

    @Test("a failed SMS receipt that arrives while the fallback email is in flight is recorded on the SMS attempt only; the email's result still lands", arguments: StoreBackend.allCases)
    func lateReceiptWhileFallbackInFlight(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        let store = try await backend.makeStore(directory)
        let now = Date()
        let (id, _) = try await Self.sendSMS(store, now: now)
        // The first failed receipt falls back to the next channel.
        #expect(try await store.recordReceipt(gateway: "sms", providerID: "p-sms", status: .undelivered, error: nil, raw: nil, fallback: true, now: now)
            == .recorded(messageID: id, state: .queued))
        let email = try #require(try await store.lease(owner: "w", limit: 1, now: now.addingTimeInterval(1), leaseDuration: 60).first)
        #expect(email.excludedChannels == [.sms])
        let attempt = try await Self.startEmail(store, email.lease, now: now)

        // While the email is in flight, a late "failed" for the old SMS arrives.
        #expect(try await store.recordReceipt(gateway: "sms", providerID: "p-sms", status: .failed, error: "late", raw: nil, fallback: true, now: now)
            == .recorded(messageID: id, state: .sending))
        let accepted = Completion(
            lease: email.lease, attemptID: attempt, gateway: "mail", outcome: .accepted, httpStatus: 202, providerID: "p-mail", latencyMs: 1, error: nil,
            state: .sent, reason: "accepted")
        #expect(try await store.complete([accepted], now: now) == [id], "the email's result must not be refused by the fence")
        let status = try #require(try await store.status(id: id))
        #expect(status.state == .sent)
        #expect(status.attempts.map(\.outcome) == [.accepted, .accepted], "no attempt stays pending: \(status.attempts)")
        #expect(status.decisions.contains { $0.text.contains("for an earlier sms attempt") })
        let excluded = try await inspect(store, "SELECT excluded_channels FROM messages WHERE id = ?", [id]).first
        #expect(excluded == "sms,", "the late receipt must not exclude the current channel")

        // The email's own receipt still ends the message.
        #expect(try await store.recordReceipt(gateway: "mail", providerID: "p-mail", status: .delivered, error: nil, raw: nil, fallback: true, now: now)
            == .recorded(messageID: id, state: .delivered))
    }

    @Test("a late receipt for the old SMS after the fallback email was sent changes nothing but its attempt", arguments: StoreBackend.allCases)
    func lateReceiptAfterFallbackSent(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        let store = try await backend.makeStore(directory)
        let now = Date()
        let (id, smsAttempt) = try await Self.sendSMS(store, now: now)
        _ = try await store.recordReceipt(gateway: "sms", providerID: "p-sms", status: .rejected, error: nil, raw: nil, fallback: true, now: now)
        let email = try #require(try await store.lease(owner: "w", limit: 1, now: now.addingTimeInterval(1), leaseDuration: 60).first)
        let attempt = try await Self.startEmail(store, email.lease, now: now)
        _ = try await store.complete([Completion(
            lease: email.lease, attemptID: attempt, gateway: "mail", outcome: .accepted, httpStatus: 202, providerID: "p-mail", latencyMs: 1, error: nil,
            state: .sent, reason: "accepted")], now: now)

        // A different final status for the old SMS arrives after the email went out.
        #expect(try await store.recordReceipt(gateway: "sms", providerID: "p-sms", status: .failed, error: nil, raw: nil, fallback: true, now: now)
            == .recorded(messageID: id, state: .sent))
        let status = try #require(try await store.status(id: id))
        #expect(status.state == .sent && status.channel == .email)
        let excluded = try await inspect(store, "SELECT excluded_channels FROM messages WHERE id = ?", [id]).first
        #expect(excluded == "sms,")
        let smsStatus = try await inspect(store, "SELECT delivery_status FROM attempts WHERE id = ?", ["\(smsAttempt)"]).first
        #expect(smsStatus == "rejected", "a final status of an attempt is never replaced")
        let receipts = try await inspect(store, "SELECT COUNT(*) FROM receipts WHERE attempt_id = ?", ["\(smsAttempt)"]).first
        #expect(receipts == "2")
    }

    @Test("a receipt's error text is stored with the message's own contact data masked, in any letter case", arguments: StoreBackend.allCases)
    func receiptErrorMasked(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        let store = try await backend.makeStore(directory)
        let now = Date()
        var request = Self.request("masked")
        request.recipient = Recipient(
            name: "Kari Nordmann", phone: "+4791234567", email: "kari@bøler.no",
            address: PostalAddress(lines: ["Storgata 9"], postalCode: "0155", city: "Oslo", country: "NO"))
        _ = try await store.enqueue([request], now: now)
        let leased = try #require(try await store.lease(owner: "w", limit: 1, now: now, leaseDuration: 60).first)
        _ = try await store.prepare([Self.plannedSend(leased.lease)], now: now)
        let attempt = try #require(try await store.start([Self.start(leased.lease, gateway: "sms")], now: now)[leased.lease.messageID]?.attemptID)
        _ = try await store.complete([Completion(
            lease: leased.lease, attemptID: attempt, gateway: "sms", outcome: .accepted, httpStatus: 202, providerID: "p-1", latencyMs: 1, error: nil,
            state: .sent, reason: "accepted")], now: now)
        let error = "undeliverable to KARI NORDMANN, STORGATA 9, kari@xn--bler-gra.no, 004791234567"
        _ = try await store.recordReceipt(gateway: "sms", providerID: "p-1", status: .failed, error: error, raw: nil, fallback: false, now: now)
        let status = try #require(try await store.status(id: leased.lease.messageID))
        let trail = ([status.reason ?? ""] + status.decisions.map(\.text)).joined(separator: "\n")
        for leak in ["KARI", "NORDMANN", "STORGATA", "kari@", "91234567"] { #expect(!trail.contains(leak), "\(leak) in \(trail)") }
        #expect(status.state == .failed)
    }
}


extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
