import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Testing
import VarselCore
@testable import VarselDaemon
import VarselHTTP
import VarselStore
import VarselTestSupport

/// The HTTP API through real HTTP on loopback, against a real SQLite file.
@Suite(.serialized) struct APITests {
    /// A running API with its store and sandbox gateway; the dispatcher runs only when a test asks.
    final class Running: @unchecked Sendable {
        let directory = TemporaryDirectory()
        let sandbox = SandboxGateway()
        var components: Daemon.Components!
        var server: APIServer!
        var services: ServiceGroup!
        var task: Task<Void, any Error>!
        var client: APIClient!
        var anonymous: APIClient!
        var token = ""
        var readToken = ""
        let staticToken = "static-token-0123456789"
        let staticAdminToken = "static-admin-token-0123456789"

        static func start(
            backend: StoreBackend = .sqlite, maxBodyBytes: Int = 1_048_576, maxBatchLines: Int = 10_000, receipts: String? = nil, server extraServer: String = "",
            extraYAML: String = "", gatewayOptions: String? = nil, plans: [String: CollectionPlan] = [:], templates: String = Paths.templates,
            contactWindows: Bool = false, onEnqueue: @escaping @Sendable (_ earliestDue: Date) -> Void = { _ in }
        ) async throws -> Running {
            let running = Running()
            try await running.sandbox.start()
            let tokensFile = running.directory.write("tokens", "# automation\nenqueue,read \(running.staticToken)\nadmin \(running.staticAdminToken)\n")
            let yaml = try await backend.config(
                Fixtures.config(storePath: running.directory.file("varsel.db"), gatewayBase: running.sandbox.baseURL, templates: templates, contactWindows: contactWindows),
                running.directory)
                .replacingOccurrences(
                    of: "server: { host: 127.0.0.1, port: 0 }",
                    with: "server: { host: 127.0.0.1, port: 0, max_body_bytes: \(maxBodyBytes), max_batch_lines: \(maxBatchLines), tokens_file: \"\(tokensFile)\"\(extraServer) }") + extraYAML
            var withReceipts = yaml
            // Keys added to every gateway: its receipts, or options such as max_connections.
            for extra in [receipts, gatewayOptions].compactMap({ $0 }) {
                withReceipts = withReceipts.replacingOccurrences(of: "connect_timeout_ms: 2000", with: "connect_timeout_ms: 2000, \(extra)")
            }
            let config = try ConfigLoader.load(
                yaml: withReceipts, baseDirectory: running.directory.path, environment: ["RECEIPT_SECRET": "receipt-secret-for-tests"])
            running.components = try await Daemon.open(config: config, logger: quietLogger)
            let store = running.components.store
            let api = APIServer(
                config: config, store: store, logger: quietLogger, readiness: { nil }, onEnqueue: onEnqueue,
                dataChecking: running.components.templates.dataChecking, plans: { plans })
            running.server = api
            let port = PortBox()
            let app = Application(
                router: api.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { port.set($0.localAddress?.port) }, logger: quietLogger)
            running.services = ServiceGroup(configuration: .init(services: [app], logger: quietLogger))
            running.task = Task { [services = running.services!] in try await services.run() }
            #expect(await eventually { port.value != nil })
            running.token = TokenFormat.generate()
            _ = try await store.createToken(hash: TokenFormat.hash(running.token), scopes: ["enqueue", "read", "cancel"], label: "test", now: Date())
            running.readToken = TokenFormat.generate()
            _ = try await store.createToken(hash: TokenFormat.hash(running.readToken), scopes: ["read"], label: nil, now: Date())
            running.client = APIClient(baseURL: "http://127.0.0.1:\(port.value!)", token: running.token)
            running.anonymous = APIClient(baseURL: "http://127.0.0.1:\(port.value!)", token: nil)
            return running
        }

        func stop() async {
            client.close()
            anonymous.close()
            await services.triggerGracefulShutdown()
            // Bounded: a test never hangs on a server whose last connection will not close.
            if !(await BoundedWait.wait(for: task, atMost: .seconds(30))) { task.cancel() }
            components.client.shutdown()
            await sandbox.stop()
            // Closed, not left to the end of the process: a suite of hundreds of stores runs out of
            // low-numbered descriptors otherwise.
            await components.store.close()
        }

        func post(_ path: String, _ body: String, headers: [String: String] = [:], as token: String? = nil) async throws -> (Int, [String: Any]) {
            let api = token.map { APIClient(baseURL: client.baseURL, token: $0) } ?? client!
            defer { if token != nil { api.close() } }
            let reply = try await api.send("POST", path, body: Data(body.utf8), headers: headers)
            return (reply.status, (try? JSONSerialization.jsonObject(with: reply.body)) as? [String: Any] ?? [:])
        }

        func get(_ path: String) async throws -> (Int, [String: Any]) {
            let reply = try await client.send("GET", path)
            return (reply.status, (try? JSONSerialization.jsonObject(with: reply.body)) as? [String: Any] ?? [:])
        }
    }

    final class PortBox: @unchecked Sendable {
        private let lock = NSLock()
        private var port: Int?
        var value: Int? { lock.withLock { port } }
        func set(_ value: Int?) { lock.withLock { port = value } }
    }

    @Test("tokens: none or unknown → 401 with WWW-Authenticate, wrong scope → 403, revoked → 401, configured static token works", arguments: StoreBackend.allCases)
    func authentication(_ backend: StoreBackend) async throws {
        let api = try await Running.start(backend: backend)
        let none = try await api.anonymous.send("GET", "/v1/messages")
        #expect(none.status == 401)
        let problem = try #require(try JSONSerialization.jsonObject(with: none.body) as? [String: Any])
        #expect(problem["type"] as? String == "urn:varsel:problem:unauthorized")
        #expect(try await api.post("/v1/messages", Fixtures.sms(), as: "vt_wrong").0 == 401)
        #expect(try await api.post("/v1/messages", Fixtures.sms(key: "a1"), as: api.readToken).0 == 403)
        #expect(try await api.post("/v1/messages", Fixtures.sms(key: "a2"), as: api.staticToken).0 == 202)
        let tokens = try await api.components.store.tokens()
        let readID = try #require(tokens.first { $0.scopes == ["read"] }?.id)
        #expect(try await api.components.store.revokeToken(id: readID, now: Date()))
        let revoked = APIClient(baseURL: api.client.baseURL, token: api.readToken)
        #expect(try await revoked.send("GET", "/v1/messages").status == 401)
        revoked.close()
        #expect(try await api.anonymous.send("GET", "/healthz").status == 200)
        #expect(try await api.anonymous.send("GET", "/readyz").status == 200)
        await api.stop()
    }

    @Test("POST /v1/messages: 202 with id; same key and body → 200 and the same id; same key, other body → 409; bad input → problem naming the field", arguments: StoreBackend.allCases)
    func enqueueAndIdempotency(_ backend: StoreBackend) async throws {
        let api = try await Running.start(backend: backend)
        let (created, first) = try await api.post("/v1/messages", Fixtures.sms(), headers: ["Idempotency-Key": "inv-1"])
        #expect(created == 202)
        let id = try #require(first["id"] as? String)
        #expect(first["state"] as? String == "queued")
        let (repeated, again) = try await api.post("/v1/messages", Fixtures.sms(), headers: ["Idempotency-Key": "inv-1"])
        #expect(repeated == 200)
        #expect(again["id"] as? String == id)
        let (conflict, problem) = try await api.post("/v1/messages", Fixtures.sms(phone: "+4799999999"), headers: ["Idempotency-Key": "inv-1"])
        #expect(conflict == 409)
        #expect(problem["type"] as? String == "urn:varsel:problem:idempotency-key-reused")
        let (mismatch, _) = try await api.post("/v1/messages", Fixtures.sms(key: "field-key"), headers: ["Idempotency-Key": "header-key"])
        #expect(mismatch == 422)
        let (invalid, errors) = try await api.post("/v1/messages", Fixtures.sms(phone: "91234567"))
        #expect(invalid == 422)
        #expect((errors["errors"] as? [[String: Any]])?.first?["field"] as? String == "recipient.phone")
        #expect(try await api.post("/v1/messages", "{not json").0 == 400)
        #expect(try await api.components.store.countByState() == [.queued: 1])
        await api.stop()
    }

    @Test("data is held to the kind's schema on enqueue: a field of the wrong declared type or a required one missing → 422 naming it, nothing stored", arguments: StoreBackend.allCases)
    func enqueueSchema(_ backend: StoreBackend) async throws {
        let api = try await Running.start(backend: backend)
        let plan = #"""
            {"kind":"payment_plan","recipient":{"phone":"+4791234567","country":"NO"},"data":{"creditor":"Fjordkraft AS",
             "invoice_number":"10023","amount":"1250.00","currency":"NOK","payment_link":"https://pay.example/abc",
             "installments":[{"number":"first","due_date":"2026-12-01","amount":"625.00"},{"due_date":"2027-01-01","amount":"625.00"}]}}
            """#
        let (status, problem) = try await api.post("/v1/messages", plan)
        #expect(status == 422)
        let fields = (problem["errors"] as? [[String: Any]])?.compactMap { $0["field"] as? String } ?? []
        #expect(fields == ["data.installments[0].number", "data.installments[1].number"], "\(problem)")
        let fixed = plan.replacingOccurrences(of: #""number":"first","#, with: #""number":1,"#)
            .replacingOccurrences(of: #"{"due_date":"2027"#, with: #"{"number":2,"due_date":"2027"#)
        #expect(try await api.post("/v1/messages", fixed).0 == 202)
        #expect(try await api.components.store.countByState() == [.queued: 1])
        await api.stop()
    }

    @Test("data.payment with a wrong check digit → 422 naming the field and the scheme, nothing stored; a right one is accepted")
    func enqueuePaymentChecked() async throws {
        let api = try await Running.start()
        let wrong = Fixtures.message(
            key: "pay-1", recipient: #""locale":"sv-SE","country":"SE","channels":["sms"],"phone":"+46701234567""#,
            data: Fixtures.data.replacingOccurrences(of: #""currency":"NOK""#, with: #""currency":"SEK","payment":{"scheme":"ocr","reference":"2041700","bankgiro":"5050-1055"}"#))
        let (status, problem) = try await api.post("/v1/messages", wrong)
        #expect(status == 422)
        let errors = (problem["errors"] as? [[String: Any]]) ?? []
        #expect(errors.first?["field"] as? String == "data.payment.reference", "\(problem)")
        #expect((errors.first?["detail"] as? String)?.hasSuffix("(scheme ocr)") == true, "\(problem)")
        #expect(try await api.components.store.countByState().isEmpty)
        #expect(try await api.post("/v1/messages", wrong.replacingOccurrences(of: "2041700", with: "2041705")).0 == 202)
        await api.stop()
    }

    @Test("two concurrent requests with the same key make one message", arguments: StoreBackend.allCases)
    func idempotencyRace(_ backend: StoreBackend) async throws {
        let api = try await Running.start(backend: backend)
        let statuses = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
            for _ in 0..<20 {
                group.addTask {
                    let (status, body) = try await api.post("/v1/messages", Fixtures.sms(), headers: ["Idempotency-Key": "race-1"])
                    return (status, body["id"] as? String)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses.filter { $0.0 == 202 }.count == 1)
        #expect(statuses.allSatisfy { [200, 202, 409].contains($0.0) })
        #expect(Set(statuses.compactMap(\.1)).count == 1)
        #expect(try await api.components.store.countByState() == [.queued: 1])
        await api.stop()
    }

    @Test("a body over the limit is refused with 413 and nothing is stored", arguments: StoreBackend.allCases)
    func bodyLimit(_ backend: StoreBackend) async throws {
        let api = try await Running.start(backend: backend, maxBodyBytes: 2048)
        let big = Fixtures.sms().replacingOccurrences(of: #""creditor":"Fjordkraft AS""#, with: #""creditor":"Fjordkraft AS","note":"\#(String(repeating: "x", count: 4000))""#)
        let (status, problem) = try await api.post("/v1/messages", big)
        #expect(status == 413)
        #expect(problem["type"] as? String == "urn:varsel:problem:body-too-large")
        #expect(try await api.components.store.countByState().isEmpty)
        await api.stop()
    }

    @Test("NDJSON batch: valid lines stored in one transaction, invalid lines reported by number and not stored; too many lines → 413", arguments: StoreBackend.allCases)
    func batch(_ backend: StoreBackend) async throws {
        let api = try await Running.start(backend: backend, maxBatchLines: 3)
        let body = [Fixtures.sms(key: "b1"), #"{"kind":"reminder"}"#, Fixtures.email(key: "b2")].joined(separator: "\n")
        let (status, reply) = try await api.post("/v1/messages:batch", body, headers: ["Content-Type": "application/x-ndjson"])
        #expect(status == 200)
        #expect(reply["accepted"] as? Int == 2 && reply["rejected"] as? Int == 1)
        let results = try #require(reply["results"] as? [[String: Any]])
        #expect(results.map { $0["line"] as? Int } == [1, 2, 3])
        #expect((results[1]["error"] as? String)?.contains("recipient: required") == true)
        #expect(try await api.components.store.countByState() == [.queued: 2])
        let tooLong = Array(repeating: Fixtures.sms(), count: 4).joined(separator: "\n")
        #expect(try await api.post("/v1/messages:batch", tooLong).0 == 413)
        await api.stop()
    }

    @Test("GET status and a cursor-paginated listing filtered by case and state; unknown id → 404 problem", arguments: StoreBackend.allCases)
    func statusAndListing(_ backend: StoreBackend) async throws {
        let api = try await Running.start(backend: backend)
        var ids: [String] = []
        for index in 0..<5 {
            let message = Fixtures.sms(key: "l\(index)").replacingOccurrences(of: "case-l\(index)", with: "case-list")
            ids.append(try #require(try await api.post("/v1/messages", message).1["id"] as? String))
        }
        _ = try await api.post("/v1/messages", Fixtures.sms(key: "other"))
        let (status, body) = try await api.get("/v1/messages/\(ids[0])")
        #expect(status == 200)
        #expect(body["id"] as? String == ids[0])
        #expect(body["state"] as? String == "queued")
        #expect(try await api.get("/v1/messages/msg_unknown").0 == 404)

        var seen: [String] = []
        var cursor: String?
        repeat {
            let path = "/v1/messages?case_ref=case-list&limit=2" + (cursor.map { "&after=\($0)" } ?? "")
            let (pageStatus, page) = try await api.get(path)
            #expect(pageStatus == 200)
            seen += (page["messages"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            cursor = page["next"] as? String
        } while cursor != nil && seen.count < 10
        #expect(seen == ids)
        #expect(try await api.get("/v1/messages?state=sent").1["messages"] as? [Any] != nil)
        #expect(try await api.get("/v1/messages?state=lost").0 == 400)
        #expect(try await api.get("/v1/messages?limit=0").0 == 400)
        await api.stop()
    }

    @Test("cancelling a case stops every unsent message atomically and reports what was already sent; they never go out", arguments: StoreBackend.allCases)
    func cancelCase(_ backend: StoreBackend) async throws {
        let api = try await Running.start(backend: backend)
        let sent = try #require(try await api.post("/v1/messages", Fixtures.sms(key: "c0").replacingOccurrences(of: "case-c0", with: "case-pay")).1["id"] as? String)
        await api.components.dispatcher.run(untilIdle: true)
        var queued: [String] = []
        for index in 1...3 {
            let message = Fixtures.sms(key: "c\(index)").replacingOccurrences(of: "case-c\(index)", with: "case-pay")
            queued.append(try #require(try await api.post("/v1/messages", message).1["id"] as? String))
        }
        let (status, reply) = try await api.post("/v1/cases/case-pay/cancel", #"{"reason":"payment received"}"#)
        #expect(status == 200)
        #expect(reply["cancelled"] as? Int == 3)
        #expect(reply["already_sent_ids"] as? [String] == [sent])
        #expect(Set(reply["cancelled_ids"] as? [String] ?? []) == Set(queued))
        await api.components.dispatcher.run(untilIdle: true)
        #expect(api.sandbox.received.count == 1)
        let status1 = try #require(try await api.components.store.status(id: queued[0]))
        #expect(status1.state == .cancelled && status1.reason == "payment received")
        #expect(try await api.post("/v1/messages/msg_nope/cancel", "").0 == 404)
        await api.stop()
    }

    @Test("a cancel that lands while a worker holds the lease wins: the worker's fenced write fails and the message is never sent", arguments: StoreBackend.allCases)
    func cancelRacingLease(_ backend: StoreBackend) async throws {
        let api = try await Running.start(backend: backend)
        let id = try #require(try await api.post("/v1/messages", Fixtures.sms(key: "race")).1["id"] as? String)
        let store = api.components.store
        let leased = try #require(try await store.lease(owner: "worker", limit: 1, now: Date(), leaseDuration: 60).first)
        let (status, reply) = try await api.post("/v1/messages/\(id)/cancel", "")
        #expect(status == 200 && reply["cancelled"] as? Int == 1)
        let content = RenderedContent(
            templateID: "t", templateVersion: "v", channel: .sms, subject: nil, text: "x", html: nil, sms: nil, contentHash: "h")
        let attempts = try await store.prepare(
            [.send(PlannedSend(lease: leased.lease, locale: "nb", tone: .direct, content: content, decisions: [], gateway: "sms-main", idempotencyKey: "\(id).sms"))],
            now: Date())
        #expect(attempts.isEmpty, "the worker must not get an attempt to send")
        let final = try #require(try await store.status(id: id))
        #expect(final.state == .cancelled)
        #expect(final.attempts.isEmpty)
        await api.stop()
    }
}

/// The guard behind "a request still in progress with that key → 409".
@Suite struct InProgressKeyTests {
    @Test("a key is held from the first request's start to its end; a second start meanwhile is refused")
    func guardHoldsKey() {
        let keys = InProgressKeys()
        #expect(keys.begin("k1"))
        #expect(!keys.begin("k1"))
        #expect(keys.begin("k2"))
        keys.end("k1")
        #expect(keys.begin("k1"))
    }
}
