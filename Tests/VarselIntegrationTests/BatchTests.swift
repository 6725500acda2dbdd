import Foundation
import Synchronization
import Testing
import VarselCore
@testable import VarselDaemon
import VarselStore
import VarselTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// `POST /v1/messages:batch` and `varsel enqueue`'s shared batch reading, through real HTTP on
/// loopback against a real SQLite file.
@Suite(.serialized) struct BatchTests {
    static func lines(_ count: Int, prefix: String) -> [String] {
        (0..<count).map { Fixtures.sms(key: "\(prefix)-\($0)") }
    }

    @Test("a CRLF batch is read line by line: every line stored, results by line number")
    func crlfBatch() async throws {
        let api = try await APITests.Running.start()
        let body = [Fixtures.sms(key: "crlf-1"), Fixtures.email(key: "crlf-2"), Fixtures.letter(key: "crlf-3")].joined(separator: "\r\n") + "\r\n"
        let (status, reply) = try await api.post("/v1/messages:batch", body, headers: ["Content-Type": "application/x-ndjson"])
        #expect(status == 200, "\(reply)")
        #expect(reply["accepted"] as? Int == 3 && reply["rejected"] as? Int == 0, "\(reply)")
        let results = try #require(reply["results"] as? [[String: Any]])
        #expect(results.map { $0["line"] as? Int } == [1, 2, 3])
        #expect(try await api.components.store.countByState() == [.queued: 3])
        await api.stop()
    }

    @Test("varsel enqueue's reading (EnqueueBatch.run): CRLF lines, a BOM, blank lines; a pretty-printed single object is still one message")
    func crlfRun() async throws {
        let directory = TemporaryDirectory()
        let store = try SQLiteMessageStore(path: directory.file("varsel.db"))
        let validator = MessageValidator(kinds: KindRule.shipped)
        let input = "\u{FEFF}" + Fixtures.sms(key: "r1") + "\r\n\r\n" + Fixtures.sms(key: "r2") + "\r\n" + "{\"kind\":\"reminder\"}\r\n"
        let results = try await EnqueueBatch.run(Data(input.utf8), validator: validator, store: store)
        #expect(results.map(\.line) == [1, 3, 4])
        #expect(results.map(\.accepted) == [true, true, false], "\(results)")
        #expect(results[2].error?.contains("recipient: required") == true, "\(results[2])")
        let pretty = "\r\n" + Fixtures.sms(key: "r3").replacingOccurrences(of: ",", with: ",\r\n  ") + "\r\n"
        let single = try await EnqueueBatch.run(Data(pretty.utf8), validator: validator, store: store)
        #expect(single.count == 1 && single[0].accepted && single[0].line == 2, "\(single)")
        let empty = try await EnqueueBatch.run(Data(" \r\n\r\n".utf8), validator: validator, store: store)
        #expect(empty.map(\.accepted) == [false])
        #expect(try await store.countByState() == [.queued: 3])
    }

    @Test("a pretty-printed object longer than a chunk (1,000 lines) is one message with one result, whether the results are kept or handed on as chunks commit")
    func longPrettyObject() async throws {
        let directory = TemporaryDirectory()
        let store = try SQLiteMessageStore(path: directory.file("varsel.db"))
        let validator = MessageValidator(kinds: KindRule.shipped)
        func pretty(_ key: String) -> String {
            let notes = (1...1_100).map { #""note_\#($0)":"x""# }.joined(separator: ",")
            let data = Fixtures.data.dropLast() + "," + notes + "}"
            return Fixtures.message(key: key, recipient: #""locale":"nb-NO","country":"NO","channels":["sms"],"phone":"+4791234567""#, data: data)
                .replacingOccurrences(of: ",", with: ",\n  ") + "\n"
        }
        let kept = try await EnqueueBatch.run(Data(pretty("long-1").utf8), validator: validator, store: store)
        #expect(kept.count == 1 && kept[0].line == 1 && kept[0].accepted, "\(kept.prefix(3))")

        let file = directory.write("pretty.json", pretty("long-2"))
        let descriptor = open(file, O_RDONLY)
        defer { close(descriptor) }
        let handed = Mutex<[EnqueueBatch.LineResult]>([])
        let tally = try await EnqueueBatch.run(reading: descriptor, validator: validator, store: store) { results in handed.withLock { $0 += results } }
        let results = handed.withLock { $0 }
        #expect(results.count == 1 && results.first?.line == 1 && results.first?.accepted == true, "\(results.prefix(3))")
        #expect(tally == EnqueueBatch.Tally(lines: 1, accepted: 1))
        #expect(try await store.countByState() == [.queued: 2])
    }

    @Test("one chunk mixing lines validated at once, lines waiting for their recipient's stored record, and refused lines: results in line order, ids ascending in input order")
    func mixedChunk() async throws {
        let directory = TemporaryDirectory()
        let store = try SQLiteMessageStore(path: directory.file("varsel.db"))
        _ = try await store.putRecipient(Recipient(id: "debtor-42", phone: "+4791234567"), now: Date())
        let validator = MessageValidator(kinds: KindRule.shipped)
        let bare = Fixtures.message(key: "m2", recipient: #""id":"debtor-42","channels":["sms"]"#)
        let lines = [
            Fixtures.sms(key: "m1"), bare, "{not json", Fixtures.message(key: "m4", recipient: #""id":"unknown-7","channels":["sms"]"#),
            Fixtures.email(key: "m5"), #"{"kind":"reminder"}"#, bare.replacingOccurrences(of: "\"m2\"", with: "\"m7\""), Fixtures.letter(key: "m8"),
        ]
        // Spread over more than one stripe of the parallel pass.
        let input = (lines + (9...200).map { Fixtures.sms(key: "m\($0)") }).joined(separator: "\n")
        let results = try await EnqueueBatch.run(Data(input.utf8), validator: validator, store: store)
        #expect(results.map(\.line) == Array(1...200))
        let refused = results.filter { !$0.accepted }.map(\.line)
        #expect(refused == [3, 4, 6], "\(results.filter { !$0.accepted })")
        #expect(results[3].error?.contains("needs at least one contact point") == true, "\(results[3])")
        let ids = results.compactMap(\.id)
        #expect(ids.count == 197 && ids == ids.sorted(), "ids ascend in input order")
        let standInID = try #require(results[1].id)
        let standIn = try #require(try await store.status(id: standInID))
        #expect(standIn.state == .queued)
        #expect(try await store.countByState() == [.queued: 197])
    }

    @Test("a batch with no line → 400, with no valid line → 422 problem+json with per-line errors; nothing stored")
    func emptyAndInvalid() async throws {
        let api = try await APITests.Running.start()
        let empty = try await api.client.send("POST", "/v1/messages:batch", body: Data(), contentType: "application/x-ndjson")
        #expect(empty.status == 400)
        let emptyProblem = try #require(try JSONSerialization.jsonObject(with: empty.body) as? [String: Any])
        #expect(emptyProblem["type"] as? String == "urn:varsel:problem:empty-batch")
        #expect(try await api.post("/v1/messages:batch", "\r\n  \n\t\n").0 == 400)

        let invalid = try await api.client.send(
            "POST", "/v1/messages:batch", body: Data("{\"kind\":\"reminder\"}\r\nnot json\r\n".utf8), contentType: "application/x-ndjson")
        #expect(invalid.status == 422)
        let problem = try #require(try JSONSerialization.jsonObject(with: invalid.body) as? [String: Any])
        #expect(problem["type"] as? String == "urn:varsel:problem:invalid-batch")
        let errors = try #require(problem["errors"] as? [[String: Any]])
        #expect(errors.map { $0["field"] as? String } == ["line 1", "line 2"])
        #expect((errors[0]["detail"] as? String)?.contains("recipient: required") == true)
        #expect((problem["results"] as? [[String: Any]])?.map { $0["line"] as? Int } == [1, 2])
        #expect(try await api.components.store.countByState().isEmpty)
        await api.stop()
    }

    @Test("a batch longer than one chunk: every line stored, results in line order")
    func severalChunks() async throws {
        let api = try await APITests.Running.start()
        let count = EnqueueBatch.chunkLines + 250
        var lines = Self.lines(count, prefix: "chunk")
        lines[EnqueueBatch.chunkLines + 10] = #"{"kind":"reminder"}"#
        let (status, reply) = try await api.post("/v1/messages:batch", lines.joined(separator: "\n"))
        #expect(status == 200)
        #expect(reply["accepted"] as? Int == count - 1 && reply["rejected"] as? Int == 1)
        let results = try #require(reply["results"] as? [[String: Any]])
        #expect(results.map { $0["line"] as? Int ?? 0 } == Array(1...count))
        #expect(try await api.components.store.countByState() == [.queued: count - 1])
        await api.stop()
    }

    @Test("over max_batch_lines: 413; lines of a chunk stored before the limit are listed, nothing after them stored")
    func tooManyLinesAfterAChunk() async throws {
        let limit = EnqueueBatch.chunkLines + 100
        let api = try await APITests.Running.start(maxBatchLines: limit)
        let (status, problem) = try await api.post("/v1/messages:batch", Self.lines(limit + 1, prefix: "long").joined(separator: "\n"))
        #expect(status == 413)
        #expect(problem["type"] as? String == "urn:varsel:problem:batch-too-long")
        #expect((problem["results"] as? [Any])?.count == EnqueueBatch.chunkLines)
        #expect(problem["accepted"] as? Int == EnqueueBatch.chunkLines)
        #expect(try await api.components.store.countByState() == [.queued: EnqueueBatch.chunkLines])
        await api.stop()
    }

    @Test("a line longer than server.max_body_bytes is that line's error; the other lines are stored")
    func overlongLine() async throws {
        let api = try await APITests.Running.start(maxBodyBytes: 2048)
        let long = Fixtures.sms(key: "long").replacingOccurrences(of: #""creditor":"Fjordkraft AS""#, with: #""creditor":"\#(String(repeating: "x", count: 3000))""#)
        let body = [Fixtures.sms(key: "short-1"), long, Fixtures.sms(key: "short-2")].joined(separator: "\r\n")
        let (status, reply) = try await api.post("/v1/messages:batch", body)
        #expect(status == 200, "\(reply)")
        let results = try #require(reply["results"] as? [[String: Any]])
        #expect(results.map { $0["line"] as? Int } == [1, 2, 3])
        #expect((results[1]["error"] as? String)?.contains("longer than 2048 bytes") == true, "\(results[1])")
        #expect(try await api.components.store.countByState() == [.queued: 2])
        await api.stop()
    }

    @Test("a chunked body over max_batch_bytes (no Content-Length) → 413 while reading")
    func tooManyBytesStreamed() async throws {
        let api = try await APITests.Running.start(server: ", max_batch_bytes: 4096")
        let held = try HeldRequest(port: api.port, token: api.token, path: "/v1/messages:batch")
        try held.sendChunk(Self.lines(20, prefix: "big").joined(separator: "\n"))
        try held.finish()
        let reply = try held.readResponse()
        #expect(reply.status == 413, "\(reply)")
        #expect(reply.body.contains("urn:varsel:problem:body-too-large"))
        #expect(try await api.components.store.countByState().isEmpty)
        await api.stop()
    }

    @Test("more batches at once than server.max_concurrent_batches: 503 problem+json with Retry-After; a slot frees when a batch ends")
    func concurrencyLimit() async throws {
        let api = try await APITests.Running.start(server: ", max_concurrent_batches: 2")
        // Two batches held open: headers and a first line sent, the rest of the body not yet.
        var held: [HeldRequest] = []
        for index in 0..<2 {
            let request = try HeldRequest(port: api.port, token: api.token, path: "/v1/messages:batch")
            try request.sendChunk(Fixtures.sms(key: "held-\(index)") + "\n")
            held.append(request)
        }
        #expect(await eventually { api.server.batchSlots.inUse == 2 }, "the two held batches did not both start")
        let refused = try await api.client.send("POST", "/v1/messages:batch", body: Data(Fixtures.sms(key: "third").utf8), contentType: "application/x-ndjson")
        #expect(refused.status == 503)
        let problem = try #require(try JSONSerialization.jsonObject(with: refused.body) as? [String: Any])
        #expect(problem["type"] as? String == "urn:varsel:problem:too-many-batches")
        for request in held { try request.finish() }
        for request in held {
            let reply = try request.readResponse()
            #expect(reply.status == 200, "\(reply)")
            #expect(reply.body.contains("\"accepted\":1"))
        }
        #expect(await eventually { api.server.batchSlots.inUse == 0 })
        #expect(try await api.post("/v1/messages:batch", Fixtures.sms(key: "fourth")).0 == 200)
        #expect(try await api.components.store.countByState() == [.queued: 3])
        await api.stop()
    }

    @Test("the 503 carries Retry-After")
    func retryAfterHeader() async throws {
        let api = try await APITests.Running.start(server: ", max_concurrent_batches: 1")
        let held = try HeldRequest(port: api.port, token: api.token, path: "/v1/messages:batch")
        try held.sendChunk(Fixtures.sms(key: "held") + "\n")
        #expect(await eventually { api.server.batchSlots.inUse == 1 })
        let probe = try HeldRequest(port: api.port, token: api.token, path: "/v1/messages:batch")
        try probe.sendChunk(Fixtures.sms(key: "probe") + "\n")
        try probe.finish()
        let refused = try probe.readResponse()
        #expect(refused.status == 503)
        #expect(refused.headers["retry-after"].flatMap(Int.init) ?? 0 > 0, "\(refused.headers)")
        #expect(refused.headers["content-type"] == "application/problem+json")
        try held.finish()
        #expect(try held.readResponse().status == 200)
        await api.stop()
    }
}

extension APITests.Running {
    var port: Int { Int(client.baseURL.split(separator: ":").last ?? "0") ?? 0 }
}

/// An HTTP/1.1 request over a plain socket whose chunked body is sent piece by piece, so a test can
/// hold a request open for as long as it needs.
final class HeldRequest: @unchecked Sendable {
    struct Reply: CustomStringConvertible {
        let status: Int
        let headers: [String: String]
        let body: String
        var description: String { "\(status) \(headers) \(body.prefix(300))" }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private let socket: Int32

    /// A POST with a chunked body (send it with `sendChunk` and `finish`), or with `method` other
    /// than POST a request without a body, sent whole.
    init(port: Int, token: String, path: String, method: String = "POST") throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw Failure(description: "socket: \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(socket)
            throw Failure(description: "connect: \(errno)")
        }
        let body = method == "POST" ? "Content-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n" : ""
        try send("\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAuthorization: Bearer \(token)\r\n\(body)Connection: close\r\n\r\n")
    }

    deinit { close(socket) }

    func sendChunk(_ text: String) throws {
        let bytes = Array(text.utf8)
        try send(String(bytes.count, radix: 16) + "\r\n" + text + "\r\n")
    }

    func finish() throws { try send("0\r\n\r\n") }

    private func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw Failure(description: "send: \(errno)") }
            sent += count
        }
    }

    /// Reads until the server closes the connection (the request asked for `Connection: close`).
    func readResponse() throws -> Reply {
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            data += buffer[0..<count]
        }
        let text = String(decoding: data, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw Failure(description: "no HTTP response: \(text.prefix(200))") }
        let head = text[..<split.lowerBound].components(separatedBy: "\r\n")
        let status = Int(head.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = String(text[split.upperBound...])
        if headers["transfer-encoding"] == "chunked" { body = Self.unchunk(body) }
        return Reply(status: status, headers: headers, body: body)
    }

    private static func unchunk(_ text: String) -> String {
        var rest = Substring(text)
        var body = ""
        while let end = rest.range(of: "\r\n"), let size = Int(rest[..<end.lowerBound], radix: 16), size > 0 {
            let start = end.upperBound
            let bytes = Array(rest[start...].utf8.prefix(size))
            body += String(decoding: bytes, as: UTF8.self)
            rest = rest[start...].dropFirst(String(decoding: bytes, as: UTF8.self).count).dropFirst(2)
        }
        return body
    }
}
