import Foundation
#if canImport(Glibc)
import Glibc
#endif
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization
import Testing
@testable import VarselHTTP

// Hummingbird re-exports HTTPTypes' HTTPRequest and HTTPResponse; name ours explicitly.
private typealias ClientRequest = VarselHTTP.HTTPRequest
private typealias ClientResponse = VarselHTTP.HTTPResponse

/// The transfer timeout of requests to this file's in-process server (milliseconds): long enough
/// that only a broken run reaches it, since the server shares the test process's threads with the
/// whole suite.
private let patience = 600_000

// The time limit only ends a hung test: a whole-suite run on two loaded cores once took 117 s for
// the round trip below, which takes milliseconds alone.
@Suite(.serialized, .timeLimit(.minutes(15)))
struct CurlHTTPClientTests {
    // MARK: - Round trip

    @Test("start: the handler gets the response once, on the curl thread; an invalid request and a client shut down answer it at once, on the caller's")
    func startHandsTheResultToItsHandler() async throws {
        let router = Router()
        router.post("/echo") { request, _ -> Response in
            Response(status: .accepted, body: .init(byteBuffer: try await request.body.collect(upTo: 1 << 20)))
        }
        try await withServer(router) { port in
            let client = CurlHTTPClient()
            let results = Mutex<[(Result<ClientResponse, any Error>, String?)]>([])
            let handler: @Sendable (Result<ClientResponse, any Error>) -> Void = { result in
                results.withLock { $0.append((result, Thread.current.name)) }
            }
            client.start(ClientRequest(
                method: "POST", url: "http://127.0.0.1:\(port)/echo", body: Array("hei".utf8), timeoutMilliseconds: patience, poolKey: "echo"),
                onFinish: handler)
            try await waitUntil { results.withLock { $0.count } == 1 }
            let (answer, thread) = try #require(results.withLock { $0.first })
            let response = try answer.get()
            #expect(response.status == 202 && response.body == Array("hei".utf8))
            #expect(thread == "VarselHTTP.curl")

            // Invalid: answered before start returns.
            client.start(ClientRequest(method: "NOT A TOKEN", url: "http://127.0.0.1:\(port)/echo", poolKey: "echo"), onFinish: handler)
            let invalid = try #require(results.withLock { $0.count == 2 ? $0[1].0 : nil })
            #expect((invalid.failureError as? HTTPClientError)?.code == .invalidRequest)

            client.shutdown()
            client.start(ClientRequest(method: "POST", url: "http://127.0.0.1:\(port)/echo", poolKey: "echo"), onFinish: handler)
            let refused = try #require(results.withLock { $0.count == 3 ? $0[2].0 : nil })
            #expect((refused.failureError as? HTTPClientError)?.code == .shutDown)
            #expect(results.withLock { $0.count } == 3, "each handler ran once")
        }
    }

    @Test func postSendsBodyAndHeadersAndReturnsStatusBodyAndHeaders() async throws {
        let router = Router()
        router.post("/echo") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            var headers = HTTPFields()
            headers[HTTPField.Name("X-Echo-Method")!] = request.method.rawValue
            headers[HTTPField.Name("X-Echo-Token")!] = request.headers[HTTPField.Name("X-Token")!] ?? "<none>"
            headers[HTTPField.Name("X-Echo-Content-Type")!] = request.headers[.contentType] ?? "<none>"
            headers[HTTPField.Name("X-Echo-Expect")!] = request.headers[.expect] ?? "<none>"
            headers[HTTPField.Name("X-Echo-Empty")!] = request.headers[HTTPField.Name("X-Empty")!] ?? "<none>"
            headers[HTTPField.Name("X-Echo-Query")!] = request.uri.query ?? "<none>"
            headers[.contentType] = "application/octet-stream"
            return Response(status: .created, headers: headers, body: .init(byteBuffer: body))
        }
        // Binary, non-UTF-8, with NUL bytes, larger than one socket read.
        let body: [UInt8] = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) } + [0, 0, 0xFF]

        try await withServer(router) { port in
            let client = CurlHTTPClient()
            defer { client.shutdown() }
            let response = try await client.execute(ClientRequest(
                method: "POST",
                url: "http://127.0.0.1:\(port)/echo?a=1&b=two",
                headers: [
                    HTTPHeader("Content-Type", "application/json; charset=utf-8"),
                    HTTPHeader("X-Token", "  spaced  value  "),
                    HTTPHeader("X-Empty", ""),
                ],
                body: body,
                timeoutMilliseconds: patience,
                poolKey: "echo"))

            #expect(response.status == 201)
            #expect(response.body == body)
            #expect(response.header(named: "x-echo-method") == "POST")
            #expect(response.header(named: "X-ECHO-TOKEN") == "spaced  value")
            #expect(response.header(named: "X-Echo-Content-Type") == "application/json; charset=utf-8")
            #expect(response.header(named: "X-Echo-Expect") == "<none>")
            #expect(response.header(named: "X-Echo-Empty") == "")
            #expect(response.header(named: "X-Echo-Query") == "a=1&b=two")
            #expect(response.header(named: "content-length") == String(body.count))
            #expect(response.headers(named: "content-type") == ["application/octet-stream"])
            #expect(response.header(named: "X-Not-There") == nil)
            #expect(response.totalTime > .zero)
        }
    }

    @Test func getAndOtherMethodsWithoutBody() async throws {
        let router = Self.describing("/method", methods: [.get, .delete, .put], Self.describe)

        try await withServer(router) { port in
            let client = CurlHTTPClient()
            defer { client.shutdown() }
            let url = "http://127.0.0.1:\(port)/method"
            let get = try await client.execute(ClientRequest(method: "GET", url: url, timeoutMilliseconds: patience))
            #expect(get.bodyText == "GET 0 <none>")
            let delete = try await client.execute(ClientRequest(method: "DELETE", url: url, timeoutMilliseconds: patience))
            #expect(delete.bodyText == "DELETE 0 <none>")
            let put = try await client.execute(ClientRequest(
                method: "PUT", url: url, headers: [HTTPHeader("Content-Type", "text/plain")], body: Array("hi".utf8), timeoutMilliseconds: patience))
            #expect(put.bodyText == "PUT 2 text/plain")
            // A non-2xx status is a response, not an error.
            let missing = try await client.execute(ClientRequest(method: "GET", url: "http://127.0.0.1:\(port)/nope", timeoutMilliseconds: patience))
            #expect(missing.status == 404)
        }
    }

    @Test func aRequestsHandOverMarkIsRecordedBeforeTheServerSeesIt() async throws {
        let recorder = MarkRecorder()
        let router = Router()
        // What the record held when the request arrived.
        router.post("/marked") { request, _ -> String in
            let mark = Int64(request.headers[HTTPField.Name("X-Mark")!] ?? "") ?? -1
            return recorder.marks.contains(mark) ? "recorded" : "missing"
        }
        try await withServer(router) { port in
            let client = CurlHTTPClient(configuration: .init(maxConnectionsPerPool: 2, handOver: recorder))
            defer { client.shutdown() }
            let answers = try await withThrowingTaskGroup(of: String.self) { group in
                for mark in Int64(1)...6 {
                    group.addTask {
                        try await client.execute(ClientRequest(
                            method: "POST", url: "http://127.0.0.1:\(port)/marked", headers: [HTTPHeader("X-Mark", "\(mark)")],
                            body: Array("x".utf8), timeoutMilliseconds: patience, poolKey: "marked", handOverMark: mark)).bodyText
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(answers == Array(repeating: "recorded", count: 6))
            #expect(Set(recorder.marks) == Set(1...6) && recorder.marks.count == 6)
            // A request without a mark is not recorded.
            _ = try await client.execute(ClientRequest(method: "POST", url: "http://127.0.0.1:\(port)/marked", body: [], timeoutMilliseconds: patience))
            #expect(recorder.marks.count == 6)
        }
    }

    @Test func aRequestWhoseMarkCannotBeRecordedFailsUnsent() async throws {
        let arrived = NSLockedValue(0)
        let router = Router()
        router.post("/marked") { _, _ -> String in
            arrived.withLock { $0 += 1 }
            return "ok"
        }
        try await withServer(router) { port in
            let client = CurlHTTPClient(configuration: .init(handOver: MarkRecorder(failing: true)))
            defer { client.shutdown() }
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.execute(ClientRequest(
                    method: "POST", url: "http://127.0.0.1:\(port)/marked", body: [], timeoutMilliseconds: patience, handOverMark: 7))
            }
            #expect(error?.requestMayHaveReachedServer == false)
            #expect(error?.description.contains("hand-over") == true, "\(String(describing: error))")
            // Unmarked requests still go.
            let plain = try await client.execute(ClientRequest(method: "POST", url: "http://127.0.0.1:\(port)/marked", body: [], timeoutMilliseconds: patience))
            #expect(plain.bodyText == "ok" && arrived.withLock { $0 } == 1)
        }
    }

    @Test func basicAuthHeaderArrives() async throws {
        let router = Router()
        router.get("/auth") { request, _ in request.headers[.authorization] ?? "<none>" }

        try await withServer(router) { port in
            let client = CurlHTTPClient()
            defer { client.shutdown() }
            let response = try await client.execute(ClientRequest(
                method: "GET", url: "http://127.0.0.1:\(port)/auth",
                basicAuth: HTTPBasicAuth(user: "AC123", password: "s3cr:et"), timeoutMilliseconds: patience))
            let expected = "Basic " + Data("AC123:s3cr:et".utf8).base64EncodedString()
            #expect(response.status == 200)
            #expect(response.bodyText == expected)
        }
    }

    @Test func sequentialRequestsReuseOneConnection() async throws {
        let peers = NSLockedValue<[Int]>([])
        let router = Router(context: PeerContext.self)
        router.get("/peer") { _, context -> String in
            peers.withLock { $0.append(context.peerPort ?? -1) }
            return "ok"
        }

        try await withServer(router) { port in
            let client = CurlHTTPClient()
            defer { client.shutdown() }
            for _ in 0..<10 {
                let response = try await client.execute(ClientRequest(
                    method: "GET", url: "http://127.0.0.1:\(port)/peer", timeoutMilliseconds: patience, poolKey: "reuse"))
                #expect(response.status == 200)
            }
        }
        let seen = peers.withLock { $0 }
        #expect(seen.count == 10)
        #expect(Set(seen).count == 1)
    }

    @Test func requestsOneAfterAnotherReuseOneEasyHandleAndCarryNothingOver() async throws {
        let router = Self.describing("/echo", methods: [.post, .get, .put, .delete], Self.describeFully)

        try await withServer(router) { port in
            let client = CurlHTTPClient()
            defer { client.shutdown() }
            let url = "http://127.0.0.1:\(port)/echo"
            let auth = HTTPBasicAuth(user: "AC123", password: "s3cr:et")
            let expectedAuth = "Basic " + Data("AC123:s3cr:et".utf8).base64EncodedString()
            let sequence: [(ClientRequest, String)] = [
                (ClientRequest(
                    method: "POST", url: url + "?first=1", headers: [HTTPHeader("Content-Type", "application/json"), HTTPHeader("X-Token", "one")],
                    body: Array("{\"a\":1}".utf8), basicAuth: auth, timeoutMilliseconds: patience),
                 "POST first=1 7 application/json one \(expectedAuth)"),
                (ClientRequest(method: "GET", url: url, timeoutMilliseconds: patience), "GET <none> 0 <none> <none> <none>"),
                (ClientRequest(method: "DELETE", url: url, timeoutMilliseconds: patience), "DELETE <none> 0 <none> <none> <none>"),
                (ClientRequest(method: "PUT", url: url, headers: [HTTPHeader("Content-Type", "text/plain")], body: Array("hi".utf8), timeoutMilliseconds: patience),
                 "PUT <none> 2 text/plain <none> <none>"),
                (ClientRequest(method: "POST", url: url, headers: [HTTPHeader("X-Token", "two")], body: [], timeoutMilliseconds: patience),
                 "POST <none> 0 <none> two <none>"),
                (ClientRequest(method: "GET", url: url + "?last=1", timeoutMilliseconds: patience), "GET last=1 0 <none> <none> <none>"),
            ]
            for (request, expected) in sequence {
                let response = try await client.execute(request)
                #expect(response.status == 200)
                #expect(response.bodyText == expected, "\(request.method) \(request.url)")
            }
            #expect(client.easyHandlesCreated == 1)
        }
    }

    /// A gateway's requests share a setup (URL, method, timeouts, credentials): the handle keeps it,
    /// and each request still sends only its own body and header lines.
    @Test func aHandleKeptSetUpSendsOnlyEachRequestsOwnBodyAndHeaders() async throws {
        let router = Self.describing("/echo", methods: [.post, .put], Self.describeFully)

        try await withServer(router) { port in
            let client = CurlHTTPClient()
            defer { client.shutdown() }
            let gateway = "http://127.0.0.1:\(port)/echo?gw=1"
            let other = "http://127.0.0.1:\(port)/echo?gw=2"
            let auth = HTTPBasicAuth(user: "AC123", password: "s3cr:et")
            let expectedAuth = "Basic " + Data("AC123:s3cr:et".utf8).base64EncodedString()
            func post(_ url: String, _ headers: [HTTPHeader], _ body: String, auth: HTTPBasicAuth? = auth) -> ClientRequest {
                ClientRequest(method: "POST", url: url, headers: headers, body: Array(body.utf8), basicAuth: auth, timeoutMilliseconds: patience)
            }
            let sequence: [(ClientRequest, String)] = [
                (post(gateway, [HTTPHeader("Content-Type", "application/json"), HTTPHeader("X-Token", "one")], "{\"a\":1}"),
                 "POST gw=1 7 application/json one \(expectedAuth)"),
                // Same setup: no X-Token, no Content-Type, a shorter body, then an empty one.
                (post(gateway, [], "ab"), "POST gw=1 2 <none> <none> \(expectedAuth)"),
                (post(gateway, [HTTPHeader("X-Token", "three")], ""), "POST gw=1 0 <none> three \(expectedAuth)"),
                // Another setup (URL, no credentials, PUT), then the first again.
                (post(other, [HTTPHeader("Content-Type", "text/plain")], "hello", auth: nil), "POST gw=2 5 text/plain <none> <none>"),
                (ClientRequest(method: "PUT", url: other, body: Array("x".utf8), timeoutMilliseconds: patience), "PUT gw=2 1 <none> <none> <none>"),
                (post(gateway, [HTTPHeader("Content-Type", "application/json")], "{}"), "POST gw=1 2 application/json <none> \(expectedAuth)"),
                (post(gateway, [], "last one"), "POST gw=1 8 <none> <none> \(expectedAuth)"),
            ]
            for (request, expected) in sequence {
                let response = try await client.execute(request)
                #expect(response.status == 200)
                #expect(response.bodyText == expected, "\(request.method) \(request.url)")
            }
            #expect(client.easyHandlesCreated == 1)
            // Reused as set up: the second and third to gw=1 and the last to it; the first back to gw=1
            // came after two other setups, so its handle was set up again.
            #expect(client.easyHandlesReusedSetUp == 3)
        }
    }

    /// A router answering each of `methods` at `path` with `describe`'s text of the request.
    private static func describing(
        _ path: RouterPath, methods: [HTTPTypes.HTTPRequest.Method], _ describe: @escaping @Sendable (Request) async throws -> String
    ) -> Router<BasicRequestContext> {
        let router = Router()
        for method in methods {
            router.on(path, method: method) { request, _ in try await describe(request) }
        }
        return router
    }

    /// Method, query, body length, content type, `X-Token` and authorization as the server saw them.
    private static func describeFully(_ request: Request) async throws -> String {
        let body = try await request.body.collect(upTo: 1 << 20)
        return [
            request.method.rawValue, request.uri.query ?? "<none>", "\(body.readableBytes)", request.headers[.contentType] ?? "<none>",
            request.headers[HTTPField.Name("X-Token")!] ?? "<none>", request.headers[.authorization] ?? "<none>",
        ].joined(separator: " ")
    }

    // MARK: - Concurrency

    @Test func twoHundredConcurrentRequestsAllCompleteAndOverlap() async throws {
        let gauge = ConcurrencyGauge()
        let router = Self.slowRouter(gauge: gauge, delay: .milliseconds(50))

        try await withServer(router) { port in
            let client = CurlHTTPClient()
            defer { client.shutdown() }
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        try await client.execute(ClientRequest(
                            method: "POST", url: "http://127.0.0.1:\(port)/slow",
                            body: Array("request \(index)".utf8), timeoutMilliseconds: patience, poolKey: "gateway")).status
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.count == 200)
            #expect(statuses.allSatisfy { $0 == 200 })
            #expect(gauge.total == 200)
            #expect(gauge.maximum > 1)
            // One easy handle per transfer running at once (at most the pool's connections), each
            // reused by the transfers after it.
            #expect(client.easyHandlesCreated >= gauge.maximum, "\(client.easyHandlesCreated) handles")
            #expect(client.easyHandlesCreated <= client.configuration.maxConnectionsPerPool, "\(client.easyHandlesCreated) handles")
        }
    }

    /// Many transfers at once over handles kept set up for two gateways: each request arrives with its
    /// own body and header lines, at its own URL.
    @Test func concurrentTransfersOnKeptHandlesCarryOnlyTheirOwn() async throws {
        let router = Self.describing("/echo", methods: [.post]) { request in
            let body = try await request.body.collect(upTo: 1 << 20)
            return [request.uri.query ?? "<none>", String(buffer: body), request.headers[HTTPField.Name("X-Token")!] ?? "<none>"]
                .joined(separator: " ")
        }

        try await withServer(router) { port in
            let client = CurlHTTPClient(configuration: .init(maxConnectionsPerPool: 8))
            defer { client.shutdown() }
            let mismatches = try await withThrowingTaskGroup(of: String?.self) { group in
                for index in 0..<300 {
                    group.addTask {
                        let gateway = index % 2 == 0 ? "even" : "odd"
                        // Every third request without the header, so one left behind would show.
                        let headers = index % 3 == 0 ? [] : [HTTPHeader("X-Token", "t\(index)")]
                        let response = try await client.execute(ClientRequest(
                            method: "POST", url: "http://127.0.0.1:\(port)/echo?gw=\(gateway)", headers: headers,
                            body: Array("body-\(index)".utf8), timeoutMilliseconds: patience, poolKey: gateway))
                        let expected = "gw=\(gateway) body-\(index) \(index % 3 == 0 ? "<none>" : "t\(index)")"
                        return response.bodyText == expected ? nil : "\(index): \(response.bodyText)"
                    }
                }
                return try await group.reduce(into: [String]()) { if let mismatch = $1 { $0.append(mismatch) } }
            }
            #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
            #expect(client.easyHandlesReusedSetUp > 0)
        }
    }

    @Test func maxConnectionsPerPoolCapsConcurrencyPerPool() async throws {
        let gauge = ConcurrencyGauge()
        let router = Self.slowRouter(gauge: gauge, delay: .milliseconds(50))

        try await withServer(router) { port in
            let client = CurlHTTPClient(configuration: .init(maxConnectionsPerPool: 2))
            defer { client.shutdown() }
            try await Self.fire(12, pools: ["only"], client: client, port: port)
            #expect(gauge.total == 12)
            #expect(gauge.maximum == 2)

            // Two pools each get their own two slots.
            gauge.reset()
            try await Self.fire(12, pools: ["a", "b"], client: client, port: port)
            #expect(gauge.total == 12)
            #expect(gauge.maximum > 2)
            #expect(gauge.maximum <= 4)
        }
    }

    @Test func maxInFlightCapsConcurrencyOverAllPools() async throws {
        let gauge = ConcurrencyGauge()
        let router = Self.slowRouter(gauge: gauge, delay: .milliseconds(50))

        try await withServer(router) { port in
            let client = CurlHTTPClient(configuration: .init(maxInFlight: 3, maxConnectionsPerPool: 2))
            defer { client.shutdown() }
            try await Self.fire(12, pools: ["a", "b", "c"], client: client, port: port)
            #expect(gauge.total == 12)
            #expect(gauge.maximum == 3)
        }
    }

    @Test func timeoutDoesNotCountTimeQueuedInTheClient() async throws {
        let gauge = ConcurrencyGauge()
        let router = Router()
        router.post("/hold") { request, _ -> String in
            _ = try await request.body.collect(upTo: 1 << 20)
            gauge.enter()
            defer { gauge.leave() }
            // The first request holds the only connection for 150 s; the ones behind it answer at once.
            if gauge.total == 1 { try await Task.sleep(for: .seconds(150)) }
            return "ok"
        }

        try await withServer(router) { port in
            // One at a time: the second request waits about 150 s in the client's queue, longer than its
            // 100 s timeout; its own transfer takes milliseconds, with 100 s of slack for a loaded machine
            // (this server runs in the test process, whose threads the whole suite shares).
            let client = CurlHTTPClient(configuration: .init(maxConnectionsPerPool: 1))
            defer { client.shutdown() }
            let first = Task {
                try await client.execute(ClientRequest(method: "POST", url: "http://127.0.0.1:\(port)/hold", timeoutMilliseconds: patience, poolKey: "serial")).status
            }
            try await waitUntil { gauge.total == 1 }
            let second = try await client.execute(ClientRequest(
                method: "POST", url: "http://127.0.0.1:\(port)/hold", timeoutMilliseconds: 100_000, poolKey: "serial")).status
            #expect(second == 200)
            #expect(try await first.value == 200)
            #expect(gauge.maximum == 1)
            #expect(gauge.total == 2)
        }
    }

    // MARK: - Failures

    @Test func connectionRefusedIsCouldNotConnectAndNotSent() async throws {
        let port = try closedPort()
        let client = CurlHTTPClient()
        defer { client.shutdown() }
        let error = await #expect(throws: HTTPClientError.self) {
            try await client.execute(ClientRequest(
                method: "POST", url: "http://127.0.0.1:\(port)/x",
                headers: [HTTPHeader("Authorization", "Bearer SECRET-TOKEN")],
                body: Array("SECRET-BODY".utf8),
                basicAuth: HTTPBasicAuth(user: "SECRET-USER", password: "SECRET-PASSWORD")))
        }
        #expect(error?.code == .couldNotConnect)
        #expect(error?.requestMayHaveReachedServer == false)
        #expect(error?.curlCode == 7)
        #expect(error?.curlMessage.isEmpty == false)
        let text = error.map { "\($0) \(String(reflecting: $0))" } ?? ""
        #expect(!text.contains("SECRET"))
    }

    @Test func slowServerTimesOutAfterTheRequestWasSent() async throws {
        let gauge = ConcurrencyGauge()
        // The server holds the answer until the test is done: only the client's timeout can end the request.
        let gate = ReleaseGate()
        let router = Self.slowRouter(gauge: gauge, delay: .seconds(50), gate: gate)

        try await withServer(router) { port in
            defer { gate.open() }
            let client = CurlHTTPClient()
            defer { client.shutdown() }
            let started = ContinuousClock.now
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.execute(ClientRequest(
                    method: "POST", url: "http://127.0.0.1:\(port)/slow",
                    body: Array("{}".utf8), timeoutMilliseconds: 1_000))
            }
            let elapsed = ContinuousClock.now - started
            #expect(error?.code == .timedOut)
            #expect(error?.curlCode == 28)
            #expect(error?.requestMayHaveReachedServer == true)
            // At least the timeout; no upper bound: a loaded machine may take longer to notice it.
            #expect(elapsed >= .milliseconds(950), "\(elapsed)")
        }
    }

    @Test func oversizedResponseIsRejected() async throws {
        let router = Router()
        router.get("/big") { _, _ in String(repeating: "x", count: 10_000) }

        try await withServer(router) { port in
            let client = CurlHTTPClient(configuration: .init(maxResponseBodyBytes: 1_000))
            defer { client.shutdown() }
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.execute(ClientRequest(method: "GET", url: "http://127.0.0.1:\(port)/big", timeoutMilliseconds: patience))
            }
            #expect(error?.code == .responseTooLarge)
            #expect(error?.requestMayHaveReachedServer == true)
        }
    }

    @Test func malformedRequestsAreRejectedBeforeSending() async throws {
        let client = CurlHTTPClient()
        defer { client.shutdown() }
        let injected = await #expect(throws: HTTPClientError.self) {
            try await client.execute(ClientRequest(
                method: "POST", url: "http://127.0.0.1:1/",
                headers: [HTTPHeader("X-A", "b\r\nX-Injected: yes")]))
        }
        #expect(injected?.code == .invalidRequest)
        #expect(injected?.requestMayHaveReachedServer == false)

        let badMethod = await #expect(throws: HTTPClientError.self) {
            try await client.execute(ClientRequest(method: "GET /x HTTP/1.1", url: "http://127.0.0.1:1/"))
        }
        #expect(badMethod?.code == .invalidRequest)

        let badScheme = await #expect(throws: HTTPClientError.self) {
            try await client.execute(ClientRequest(method: "GET", url: "file:///etc/passwd"))
        }
        #expect(badScheme?.code == .invalidURL)
        #expect(badScheme?.requestMayHaveReachedServer == false)
    }

    @Test func descriptionsRedactSecrets() {
        let request = ClientRequest(
            method: "POST", url: "https://api.example.com/send?token=SECRET-Q",
            headers: [HTTPHeader("Authorization", "SECRET-H")], body: Array("SECRET-B".utf8),
            basicAuth: HTTPBasicAuth(user: "SECRET-U", password: "SECRET-P"), poolKey: "twilio")
        let texts = [
            "\(request)", String(reflecting: request), "\(request.headers)",
            "\(request.basicAuth!)", String(reflecting: request.basicAuth!),
        ]
        for text in texts {
            #expect(!text.contains("SECRET"), "\(text)")
        }
    }

    @Test func headerCollectorKeepsOnlyTheFinalResponsesFields() {
        let lines = [
            "HTTP/1.1 100 Continue\r\n", "\r\n",
            "HTTP/1.1 103 Early Hints\r\n", "Link: </style.css>\r\n", "\r\n",
            "HTTP/1.1 200 OK\r\n",
            "Content-Type:  text/plain \r\n",
            "X-Folded: one\r\n", "\t two\r\n",
            "X-Empty:\r\n",
            "X-Blank: \t \r\n", "X-Name:\t Åse Ødegård \t\r\n",
            "Set-Cookie: a=1\r\n", "set-cookie: b=2\r\n",
            "\r\n",
        ]
        var collector = ResponseHeaderCollector()
        var statusLines = 0
        for line in lines where Array(line.utf8).withUnsafeBytes({ collector.consume($0) }) {
            statusLines += 1
        }
        #expect(statusLines == 3)
        #expect(collector.headers == [
            HTTPHeader("Content-Type", "text/plain"),
            HTTPHeader("X-Folded", "one two"),
            HTTPHeader("X-Empty", ""),
            HTTPHeader("X-Blank", ""),
            HTTPHeader("X-Name", "Åse Ødegård"),
            HTTPHeader("Set-Cookie", "a=1"),
            HTTPHeader("set-cookie", "b=2"),
        ])
        let response = ClientResponse(status: 200, headers: collector.headers)
        #expect(response.header(named: "link") == nil)
        #expect(response.headers(named: "SET-COOKIE") == ["a=1", "b=2"])
    }

    // MARK: - Shutdown and cancellation

    @Test func shutdownFailsRunningAndQueuedRequestsAndReturns() async throws {
        let gauge = ConcurrencyGauge()
        // The server answers only once the test opens the gate (or, if shutdown waited for the answer,
        // when the gate gives up after 300 s and marks itself expired).
        let gate = ReleaseGate()
        let router = Self.slowRouter(gauge: gauge, delay: .seconds(300), gate: gate)

        try await withServer(router) { port in
            defer { gate.open() }
            let client = CurlHTTPClient(configuration: .init(maxConnectionsPerPool: 1))
            let tasks = (0..<3).map { _ in
                Task {
                    try await client.execute(ClientRequest(
                        method: "POST", url: "http://127.0.0.1:\(port)/slow", timeoutMilliseconds: patience, poolKey: "one"))
                }
            }
            // Wait until the first request is in the server's handler.
            try await waitUntil { gauge.current == 1 }

            // Returns without the server's answer: the gate is still closed.
            client.shutdown()
            #expect(!gate.expired, "shutdown waited for the running request's answer")

            var errors: [HTTPClientError] = []
            for task in tasks {
                do {
                    _ = try await task.value
                    Issue.record("a request succeeded after shutdown")
                } catch let error as HTTPClientError {
                    errors.append(error)
                } catch {
                    Issue.record("unexpected error \(error)")
                }
            }
            #expect(errors.count == 3)
            #expect(errors.allSatisfy { $0.code == .shutDown })
            // One was running with its request written; two were still queued.
            #expect(errors.filter(\.requestMayHaveReachedServer).count == 1)
            #expect(gauge.total == 1)
            #expect(!gate.expired, "the requests ended only when the server answered")

            // Idempotent, and later calls fail at once.
            client.shutdown()
            let late = await #expect(throws: HTTPClientError.self) {
                try await client.execute(ClientRequest(method: "GET", url: "http://127.0.0.1:\(port)/slow"))
            }
            #expect(late?.code == .shutDown)
            #expect(late?.requestMayHaveReachedServer == false)
        }
    }

    @Test func cancellingTheTaskAbandonsRunningAndQueuedRequests() async throws {
        let gauge = ConcurrencyGauge()
        // The server answers only once the test opens the gate (or, if cancelling waited for the
        // answer, when the gate gives up after 300 s and marks itself expired).
        let gate = ReleaseGate()
        let router = Self.slowRouter(gauge: gauge, delay: .seconds(300), gate: gate)

        try await withServer(router) { port in
            defer { gate.open() }
            let client = CurlHTTPClient(configuration: .init(maxConnectionsPerPool: 1))
            defer { client.shutdown() }
            let request = ClientRequest(method: "POST", url: "http://127.0.0.1:\(port)/slow", timeoutMilliseconds: patience, poolKey: "one")
            let running = Task { try await client.execute(request) }
            try await waitUntil { gauge.current == 1 }
            let queued = Task { try await client.execute(request) }
            // Best effort to have it queued in the client first; cancelled earlier it throws the same.
            try await Task.sleep(for: .milliseconds(50))

            queued.cancel()
            running.cancel()
            await #expect(throws: CancellationError.self) { _ = try await queued.value }
            await #expect(throws: CancellationError.self) { _ = try await running.value }
            // Both ended while the server still held its answer.
            #expect(!gate.expired, "cancelling waited for the running request's answer")

            // The pool slot was released: a new request to another route goes through.
            let fast = try await client.execute(ClientRequest(
                method: "GET", url: "http://127.0.0.1:\(port)/fast", timeoutMilliseconds: patience, poolKey: "one"))
            #expect(fast.status == 200)
            #expect(gauge.total == 1)
        }
    }

    // MARK: - Helpers

    private static func describe(_ request: Request) async throws -> String {
        let body = try await request.body.collect(upTo: 1 << 20)
        let contentType = request.headers[.contentType] ?? "<none>"
        return "\(request.method.rawValue) \(body.readableBytes) \(contentType)"
    }

    /// `POST /slow` sleeps `delay` (or, with a `gate`, waits for it to open for at most `delay`)
    /// while counted by `gauge`; `GET /fast` answers at once.
    private static func slowRouter(gauge: ConcurrencyGauge, delay: Duration, gate: ReleaseGate? = nil) -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/slow") { request, _ -> String in
            _ = try await request.body.collect(upTo: 1 << 20)
            gauge.enter()
            defer { gauge.leave() }
            if let gate {
                try await gate.wait(upTo: delay)
            } else {
                try await Task.sleep(for: delay)
            }
            return "ok"
        }
        router.get("/fast") { _, _ in "fast" }
        return router
    }

    /// Sends `count` requests to `/slow` at once, spread over `pools`, and expects 200 for all.
    private static func fire(
        _ count: Int, pools: [String], client: CurlHTTPClient, port: Int, timeoutMilliseconds: Int = patience
    ) async throws {
        try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<count {
                group.addTask {
                    try await client.execute(ClientRequest(
                        method: "POST", url: "http://127.0.0.1:\(port)/slow",
                        timeoutMilliseconds: timeoutMilliseconds, poolKey: pools[index % pools.count])).status
                }
            }
            for try await status in group {
                #expect(status == 200)
            }
        }
    }
}

/// Holds server handlers until the test opens it, so "the server has not answered yet" is a fact
/// the test controls rather than a guess about elapsed time. A handler that waited its whole
/// allowance sets `expired`: the test did not get there before the answer had to go out.
private final class ReleaseGate: Sendable {
    private struct State {
        var isOpen = false
        var expired = false
    }

    private let state = NSLockedValue(State())

    var expired: Bool { state.withLock { $0.expired } }

    func open() { state.withLock { $0.isOpen = true } }

    /// Returns once opened, or after `allowance` (marking the gate expired); throws if cancelled.
    func wait(upTo allowance: Duration) async throws {
        let deadline = ContinuousClock.now + allowance
        while !state.withLock({ $0.isOpen }) {
            if ContinuousClock.now >= deadline {
                state.withLock { $0.expired = true }
                return
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}

/// Counts requests inside a handler: how many now, the most at once, and how many in all.
/// (An NSLock rather than a Mutex: ThreadSanitizer cannot see the Mutex's futex on Linux.)
private final class ConcurrencyGauge: Sendable {
    private struct State {
        var current = 0
        var maximum = 0
        var total = 0
    }

    private let state = NSLockedValue(State())

    var current: Int { state.withLock { $0.current } }
    var maximum: Int { state.withLock { $0.maximum } }
    var total: Int { state.withLock { $0.total } }

    func enter() {
        state.withLock { state in
            state.current += 1
            state.total += 1
            state.maximum = max(state.maximum, state.current)
        }
    }

    func leave() {
        state.withLock { $0.current -= 1 }
    }

    func reset() {
        state.withLock { $0 = State() }
    }
}

/// A request context that remembers the client's source port.
private struct PeerContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let peerPort: Int?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peerPort = source.channel.remoteAddress?.port
    }
}

/// A value guarded by an NSLock.
/// A hand-over record in memory; or one that always fails.
private final class MarkRecorder: HandOverRecording {
    private let recorded = NSLockedValue<[Int64]>([])
    private let failing: Bool

    init(failing: Bool = false) { self.failing = failing }

    var marks: [Int64] { recorded.withLock { $0 } }

    func record(_ marks: [Int64]) throws {
        if failing { throw CancellationError() }
        recorded.withLock { $0 += marks }
    }
}

private final class NSLockedValue<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    func withLock<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}

private struct TestFailure: Error, CustomStringConvertible {
    let description: String
}

/// Runs a Hummingbird server for `router` on 127.0.0.1 (ephemeral port) around `body`,
/// then stops it. Fails if the server does not start within 300 seconds (a deadline that only ends a
/// broken run).
private func withServer<Context: RequestContext, T: Sendable>(
    _ router: Router<Context>,
    _ body: (Int) async throws -> T
) async throws -> T where Context.Source == ApplicationRequestContextSource {
    let (ports, portContinuation) = AsyncStream<Int>.makeStream()
    var logger = Logger(label: "VarselHTTPTests.server")
    logger.logLevel = .critical
    let app = Application(
        router: router,
        configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { channel in
            if let port = channel.localAddress?.port {
                portContinuation.yield(port)
            }
            portContinuation.finish()
        },
        logger: logger)

    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            defer { portContinuation.finish() }
            try await app.run()
        }
        group.addTask {
            try await Task.sleep(for: .seconds(300))
            portContinuation.finish()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            group.cancelAll()
            throw TestFailure(description: "the test server did not start")
        }
        defer { group.cancelAll() }
        return try await body(port)
    }
}

/// Polls `condition` every 10 ms; the 120 s deadline only ends a broken test.
extension Result {
    fileprivate var failureError: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

private func waitUntil(_ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(120)
    while !condition() {
        guard ContinuousClock.now < deadline else {
            throw TestFailure(description: "condition not met within 120 seconds")
        }
        try await Task.sleep(for: .milliseconds(10))
    }
}

/// A loopback port with nothing listening: bound to find a free one, then closed.
private func closedPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestFailure(description: "socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddrPointer in
            bind(fd, sockaddrPointer, length) == 0 && getsockname(fd, sockaddrPointer, &length) == 0
        }
    }
    guard bound else { throw TestFailure(description: "bind() failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}
