import Foundation
import PostgresNIO
import Testing
import VarselCore
import VarselDaemon
@testable import VarselPostgres
import VarselStore
import VarselTestSupport

/// A daemon on PostgreSQL when the database goes away: readiness says so, nothing is lost, and a
/// result is recorded once however the connections fail.
@Suite(.serialized) struct PostgresOperationsTests {
    typealias Fleet = ScaleOutTests.Fleet

    @Test("/readyz answers 503 naming the store while PostgreSQL is down and 200 once it is back; the daemon sends again without a restart")
    func readinessFollowsTheDatabase() async throws {
        // A cluster of this test's own: it is stopped and started under the daemon.
        let cluster = try await PostgresCluster.start()
        try cluster.stopWhenThisProcessExits()
        let fleet = try await Fleet(sandbox: SandboxGateway(), url: cluster.url, leaseSeconds: 5)
        let daemon = try fleet.startDaemon()
        #expect(await eventually(timeout: .seconds(60)) { daemon.announcedPort != nil }, "\(daemon.stderr)")
        let client = APIClient(baseURL: "http://127.0.0.1:\(daemon.announcedPort ?? "0")", token: nil)
        defer { client.close() }
        func readyz() async -> (status: Int, text: String) {
            guard let reply = try? await client.send("GET", "/readyz") else { return (0, "") }
            return (reply.status, String(decoding: reply.body, as: UTF8.self))
        }
        #expect(await readyz().status == 200)
        let before = try await fleet.enqueue([Fixtures.sms(key: "before-outage")])
        #expect(await eventually(timeout: .seconds(60)) { fleet.sandbox.received.count == 1 })

        // A restart as operators do it (every commit kept; the test cluster does not sync commits,
        // so an immediate stop could lose the last of them, which no daemon can make up for).
        await cluster.stop(.fast)
        var down = (status: 0, text: "")
        #expect(await eventually(timeout: .seconds(60)) {
            down = await readyz()
            return down.status == 503
        }, "readyz while the database is down: \(down)")
        #expect(down.text.contains("postgres 127.0.0.1:\(cluster.port)/varsel") && down.text.contains("no connection to the database"), "\(down.text)")
        // A producer is told, and nothing is half-stored.
        let refused = try await ChildProcess.run(["enqueue", "--config", fleet.configPath, "-"], stdin: Data(Fixtures.sms(key: "during-outage").utf8), timeout: .seconds(120))
        #expect(refused.status == 1, "refused with a clear error, not timed out: \(refused.status.map(String.init) ?? "killed")")
        #expect(refused.stderr.contains("cannot open PostgreSQL store 127.0.0.1:\(cluster.port)/varsel: no connection to the database within 60 s"), "\(refused.stderr)")
        #expect(daemon.isRunning, "the daemon keeps running through the outage: \(daemon.stderr.suffix(2000))")

        try await cluster.restart()
        var back = (status: 0, text: "")
        #expect(await eventually(timeout: .seconds(120)) {
            back = await readyz()
            return back.status == 200
        }, "readyz after the restart: \(back)")
        let after = try await fleet.enqueue([Fixtures.sms(key: "after-outage")])
        #expect(await fleet.settled(timeout: .seconds(120)))
        try await ScaleOutTests.expectEachSentOnce(fleet, ids: before + after)
        #expect(try await fleet.store.countByState()[.sent] == 2, "the refused message was never stored")
        await fleet.stop()
        await cluster.stop()
    }

    @Test("connections killed mid-transaction (pg_terminate_backend) while a daemon sends: every message sent, one accepted attempt and one acceptance each, no lease left")
    func connectionsKilledMidRun() async throws {
        let fleet = try await Fleet(sandbox: SandboxGateway(behaviour: .init(delay: .milliseconds(5))), leaseSeconds: 5, maxInFlight: 32)
        let ids = try await fleet.enqueue(ScaleOutTests.lines(900, prefix: "terminate"))
        #expect(ids.count == 900)
        try fleet.startDaemon()
        try fleet.startDaemon()
        #expect(await eventually(timeout: .seconds(120)) { fleet.sandbox.received.count >= 30 })
        // Kill every other backend of the database, over and over, while the daemons work.
        var killed = 0
        for _ in 0..<25 {
            let rows = try await fleet.store.client.withConnection { connection in
                try await connection.query(
                    """
                    SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
                    WHERE datname = current_database() AND pid <> pg_backend_pid()
                    """, logger: quietLogger
                ).collect()
            }
            killed += try rows.first?.decode(Int.self) ?? 0
            try await Task.sleep(for: .milliseconds(150))
        }
        #expect(killed > 0)
        let settled = await fleet.settled()
        let counts = try await fleet.store.countByState()
        #expect(settled, "not settled: \(counts)")
        try await ScaleOutTests.expectEachSentOnce(fleet, ids: ids)
        // A result is recorded once: one accepted attempt per message, and one acceptance in its receipts.
        let doubles = try await fleet.store.client.withConnection { connection in
            try await connection.query(
                """
                SELECT (SELECT count(*) FROM (SELECT message_id FROM varsel.attempts WHERE outcome = 'accepted'
                                              GROUP BY message_id HAVING count(*) <> 1) a),
                       (SELECT count(*) FROM (SELECT message_id FROM varsel.receipts WHERE status = 'accepted'
                                              GROUP BY message_id HAVING count(*) <> 1) r),
                       (SELECT count(DISTINCT message_id) FROM varsel.attempts WHERE outcome = 'accepted'),
                       (SELECT count(*) FROM varsel.messages WHERE lease_token IS NOT NULL)
                """, logger: quietLogger
            ).collect().first?.decode((Int, Int, Int, Int).self)
        }
        let (attemptDoubles, receiptDoubles, acceptedMessages, leases) = try #require(doubles)
        #expect(attemptDoubles == 0 && receiptDoubles == 0, "messages with more than one accepted attempt: \(attemptDoubles), acceptance: \(receiptDoubles)")
        #expect(acceptedMessages == 900 && leases == 0)
        await fleet.stop()
    }
}
