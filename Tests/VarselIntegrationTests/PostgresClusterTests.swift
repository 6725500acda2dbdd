import Foundation
import Logging
import PostgresNIO
import Testing
import VarselTestSupport

/// The throwaway PostgreSQL cluster the PostgreSQL suites run on, reached through PostgresNIO the way
/// the store reaches it. A missing PostgreSQL fails here: it is never skipped.
@Suite(.serialized) struct PostgresClusterTests {
    @Test("a cluster starts on a free loopback port, takes queries through PostgresNIO and psql, keeps what it committed, and stops")
    func cluster() async throws {
        let cluster = try await PostgresCluster.start()
        let configuration = PostgresClient.Configuration(
            host: "127.0.0.1", port: cluster.port, username: cluster.user, password: nil, database: cluster.database, tls: .disable)
        let client = PostgresClient(configuration: configuration, backgroundLogger: Logger(label: "pg-test", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            try await client.query("CREATE SCHEMA varsel")
            try await client.query("CREATE TABLE varsel.probe (id int PRIMARY KEY, note text NOT NULL)")
            let note = "Purring på faktura 10023"
            try await client.query("INSERT INTO varsel.probe (id, note) VALUES (1, \(note))")
            var notes: [String] = []
            for try await (id, text) in try await client.query("SELECT id, note FROM varsel.probe").decode((Int, String).self) {
                #expect(id == 1)
                notes.append(text)
            }
            #expect(notes == [note])
            group.cancelAll()
        }
        #expect(try await cluster.psql("SELECT current_setting('server_version_num')::int >= 150000").trimmingCharacters(in: .whitespacesAndNewlines) == "t")
        #expect(try await cluster.psql("SELECT note FROM varsel.probe").contains("faktura 10023"))
        await cluster.stop()
        await #expect(throws: (any Error).self) { try await cluster.psql("SELECT 1") }
    }
}
