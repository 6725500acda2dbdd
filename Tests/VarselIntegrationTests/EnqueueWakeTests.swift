import Foundation
import Synchronization
import Testing
import VarselCore
@testable import VarselDaemon
import VarselHTTP
import VarselStore
import VarselTestSupport

/// An enqueue wakes the send loop only when a message it stored is due now: a read of the queue
/// finds a message only once it is due, so waking the loop for messages due later only had it read
/// the queue, on the writer's connection, after every commit of an import of them.
@Suite(.serialized) struct EnqueueWakeTests {
    static let recipient = #""locale":"nb-NO","country":"NO","channels":["sms"],"phone":"+4791234567""#

    static func message(key: String, sendAfter: String?) -> String {
        Fixtures.message(key: key, recipient: recipient, extra: sendAfter.map { #""send_after":"\#($0)""# } ?? "")
    }

    static func date(_ text: String) -> Date { RFC3339.parseTimestamp(text)! }

    @Test("a single POST and a batch report the earliest time a message they stored is due; nothing when they stored none")
    func earliestDueReported() async throws {
        let reported = Mutex<[Date]>([])
        let api = try await APITests.Running.start(onEnqueue: { due in reported.withLock { $0.append(due) } })
        func last() -> Date? { reported.withLock { $0.last } }
        func count() -> Int { reported.withLock { $0.count } }

        #expect(try await api.post("/v1/messages", Self.message(key: "one-later", sendAfter: "2030-01-01T08:00:00Z")).0 == 202)
        #expect(reported.withLock { $0 } == [Self.date("2030-01-01T08:00:00Z")])

        let later = [
            Self.message(key: "b-1", sendAfter: "2031-03-01T08:00:00Z"), Self.message(key: "b-2", sendAfter: "2030-06-01T08:00:00Z"),
            "{not json", Self.message(key: "b-3", sendAfter: "2030-09-01T08:00:00Z"),
        ]
        let (status, reply) = try await api.post("/v1/messages:batch", later.joined(separator: "\n"), headers: ["Content-Type": "application/x-ndjson"])
        #expect(status == 200 && reply["accepted"] as? Int == 3, "\(reply)")
        #expect(count() == 2 && last() == Self.date("2030-06-01T08:00:00Z"))

        // One line due now among later ones: the batch is due now.
        let before = Date()
        let mixed = [Self.message(key: "m-1", sendAfter: "2030-06-01T08:00:00Z"), Self.message(key: "m-2", sendAfter: nil)]
        #expect(try await api.post("/v1/messages:batch", mixed.joined(separator: "\n")).0 == 200)
        #expect(count() == 3)
        let due = try #require(last())
        #expect(due >= before.addingTimeInterval(-1) && due <= Date())

        // A single POST due now.
        #expect(try await api.post("/v1/messages", Self.message(key: "one-now", sendAfter: nil)).0 == 202)
        #expect(count() == 4 && (last() ?? .distantFuture) <= Date())

        // Stored nothing: the same lines again (duplicates), lines all refused, a duplicate POST.
        #expect(try await api.post("/v1/messages:batch", later.joined(separator: "\n")).0 == 200)
        #expect(try await api.post("/v1/messages:batch", "{not json\n{\"kind\":\"reminder\"}").0 == 422)
        #expect(try await api.post("/v1/messages", Self.message(key: "one-later", sendAfter: "2030-01-01T08:00:00Z")).0 == 200)
        #expect(count() == 4)
        await api.stop()
    }

    @Test("the daemon's poke after an enqueue wakes the send loop only for a message due now or before")
    func pokeOnlyWhenDue() async throws {
        let directory = TemporaryDirectory()
        let config = try ConfigLoader.load(
            yaml: Fixtures.config(storePath: directory.file("varsel.db"), gatewayBase: "http://127.0.0.1:9"), baseDirectory: directory.path)
        let components = try await Daemon.open(config: config, logger: quietLogger)
        defer { components.client.shutdown() }
        let dispatcher = components.dispatcher
        #expect(dispatcher.poke(dueAt: Date().addingTimeInterval(3_600)) == false)
        #expect(dispatcher.poke(dueAt: Self.date("2030-01-01T08:00:00Z")) == false)
        #expect(dispatcher.poke(dueAt: Date()) == true)
        #expect(dispatcher.poke(dueAt: Date().addingTimeInterval(-60)) == true)
        await components.store.close()
    }

    @Test("a batch's chunks each check their lines against one template set: the set in force is asked for once a chunk, not once a line")
    func oneTemplateSetAChunk() async throws {
        let directory = TemporaryDirectory()
        let store = try SQLiteMessageStore(path: directory.file("varsel.db"))
        let asked = Mutex(0)
        let validator = MessageValidator(
            kinds: KindRule.shipped,
            dataChecking: .inForce {
                asked.withLock { $0 += 1 }
                return { _, _ in [] }
            })
        let lines = (0..<2_500).map { Fixtures.sms(key: "chunk-\($0)") }.joined(separator: "\n")
        let results = try await EnqueueBatch.run(Data(lines.utf8), validator: validator, store: store)
        #expect(results.count == 2_500 && results.allSatisfy(\.accepted))
        #expect(asked.withLock { $0 } == 3)
        await store.close()
    }
}
