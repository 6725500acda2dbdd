import Foundation
import PostgresNIO
import Testing
@testable import VarselPostgres
import VarselTestSupport

/// The array parameters a batch's rows are sent in: NULL elements where postgres-nio's own arrays
/// take none, read back by the server as they were given.
@Suite struct NullableArrayTests {
    @Test("text, int8 and float8 arrays with NULLs among their elements, and empty ones, reach the server element for element")
    func roundTrip() async throws {
        let directory = TemporaryDirectory()
        let store = try #require(try await StoreBackend.postgres.makeStore(directory) as? PostgresMessageStore)
        let texts = NullableArray<String>([nil, "a", "", nil, String(repeating: "é\"\\\n", count: 5_000)])
        let numbers = NullableArray<Int>([7, nil, -1, Int(Int32.max) + 1])
        let reals = NullableArray<Double>([nil, 1_765_000_000.25])
        let rows = try await store.client.withConnection { connection in
            try await connection.query(
                "SELECT t, n, r, o FROM unnest(\(texts)::text[], \(numbers)::int8[], \(reals)::float8[]) WITH ORDINALITY AS u(t, n, r, o) ORDER BY o",
                logger: quietLogger
            ).collect().map { try $0.decode((String?, Int?, Double?, Int).self) }
        }
        #expect(rows.map(\.0) == texts.elements)
        #expect(rows.map(\.1) == numbers.elements + [nil])
        #expect(rows.map(\.2) == reals.elements + [nil, nil, nil])
        #expect(rows.map(\.3) == Array(1...5))
        let empty = try await store.client.withConnection { connection in
            try await connection.query(
                "SELECT cardinality(\(NullableArray<String>([]))::text[]), \(NullableArray<String>([nil]))::text[] IS NULL, (\(NullableArray<String>([nil]))::text[])[1] IS NULL",
                logger: quietLogger
            ).collect().map { try $0.decode((Int, Bool, Bool).self) }
        }
        #expect(empty.first?.0 == 0)
        #expect(empty.first?.1 == false && empty.first?.2 == true, "an array of one NULL is an array, its element NULL")
    }
}
