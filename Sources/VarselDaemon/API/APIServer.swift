import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization
import VarselCore
import VarselGateways
import VarselStore

/// The HTTP API for producers and operators (served by `varsel serve` on `server.host`/`server.port`).
public struct APIServer: Sendable {
    let store: any MessageStore
    let validator: MessageValidator
    let limits: VarselConfig.Server
    let gateways: [String: GatewayConfiguration]
    let verifier: TokenVerifier
    let readiness: @Sendable () async -> [String: String]?
    let onEnqueue: @Sendable () -> Void
    let logger: Logger
    private let inProgress = InProgressKeys()

    /// - Parameters:
    ///   - readiness: `nil` when ready; otherwise the failing checks by name.
    ///   - onEnqueue: called after messages were stored (wakes the dispatcher).
    public init(
        config: VarselConfig, store: any MessageStore, logger: Logger, readiness: @escaping @Sendable () async -> [String: String]?,
        onEnqueue: @escaping @Sendable () -> Void
    ) {
        self.store = store
        self.validator = MessageValidator(kinds: config.planning.kinds)
        self.limits = config.server
        self.gateways = config.gateways
        self.verifier = TokenVerifier(store: store, staticTokens: config.server.staticTokens)
        self.readiness = readiness
        self.onEnqueue = onEnqueue
        self.logger = logger
    }

    /// The router with every route of the API.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("healthz") { _, _ in Self.json(.ok, ["status": "ok"]) }
        router.get("readyz") { _, _ in
            if let failing = await readiness() {
                return Self.json(.serviceUnavailable, ["status": "not ready", "checks": failing])
            }
            return Self.json(.ok, ["status": "ready"])
        }
        router.get("openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml"], body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml)))
        }
        router.post("v1/messages") { request, _ in try await enqueueOne(request) }
        router.post("v1/messages:batch") { request, _ in try await enqueueBatch(request) }
        router.get("v1/messages") { request, _ in try await listMessages(request) }
        router.get("v1/messages/{id}") { request, context in try await messageStatus(request, id: context.parameters.require("id")) }
        router.post("v1/messages/{id}/cancel") { request, context in
            try await cancel(request, ids: [context.parameters.require("id")], caseRef: nil)
        }
        router.post("v1/cases/{case_ref}/cancel") { request, context in
            try await cancel(request, ids: nil, caseRef: context.parameters.require("case_ref"))
        }
        router.put("v1/recipients/{id}") { request, context in try await putRecipient(request, id: context.parameters.require("id")) }
        router.get("v1/recipients/{id}") { request, context in try await getRecipient(request, id: context.parameters.require("id")) }
        router.delete("v1/recipients/{id}") { request, context in try await eraseRecipient(request, id: context.parameters.require("id")) }
        router.post("v1/receipts/{gateway}") { request, context in try await receipt(request, gateway: context.parameters.require("gateway")) }
        return router
    }

    // MARK: Recipients

    func putRecipient(_ request: Request, id: String) async throws -> Response {
        try await verifier.require(.enqueue, request)
        guard !id.isEmpty, id.count <= MessageValidator.maxKeyLength else { throw Problem.badRequest("invalid-id", "the recipient id must be 1 to 255 characters", field: "id") }
        let body = try await read(request, limit: limits.maxBodyBytes)
        let recipient: Recipient
        switch MessageValidator.parse(json: body).flatMap({ validator.validateRecipientRecord($0, id: id) }) {
        case .success(let valid): recipient = valid
        case .failure(let failure): throw Problem.validation(failure)
        }
        let created = try await store.putRecipient(recipient, now: Date())
        return Self.json(created ? .created : .ok, ["id": id, "created": created], location: "/v1/recipients/\(id)")
    }

    func getRecipient(_ request: Request, id: String) async throws -> Response {
        try await verifier.require(.read, request)
        guard let recipient = try await store.recipients(ids: [id])[id] else { throw Problem.notFound("no stored recipient with id \(id)") }
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: try VarselJSON.encoder().encode(recipient))))
    }

    func eraseRecipient(_ request: Request, id: String) async throws -> Response {
        try await verifier.require(.admin, request)
        guard let outcome = try await store.eraseRecipient(id: id, now: Date()) else {
            throw Problem.notFound("nothing is stored for recipient \(id)")
        }
        logger.notice("recipient erased", metadata: ["recipient_id": "\(id)", "messages": "\(outcome.messagesScrubbed)"])
        return Self.json(.ok, [
            "id": id, "erased": true, "record_deleted": outcome.recordDeleted, "messages_scrubbed": outcome.messagesScrubbed,
            "messages_cancelled": outcome.messagesCancelled,
            "detail": "personal data erased: the stored record, and the contact data, rendered bodies and raw receipts of the recipient's messages; unsent messages were cancelled; ids, states, template versions and content hashes are kept as proof",
        ])
    }

    // MARK: Receipts

    /// A delivery callback: authenticated by the gateway's signature (not by a token), verified before
    /// anything in it is believed.
    func receipt(_ request: Request, gateway name: String) async throws -> Response {
        guard let settings = gateways[name]?.receipts else {
            throw Problem.notFound("no gateway named \(name) accepts receipts (configure gateways.\(name).receipts)")
        }
        let body = try await read(request, limit: limits.maxBodyBytes)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        if let failure = settings.signature.verify(headers: headers, body: body, now: Date()) {
            logger.warning("receipt refused: bad signature", metadata: ["gateway": "\(name)", "reason": "\(failure)"])
            if case .missing = failure {
                throw Problem(status: .unauthorized, code: "signature-missing", title: "Signature missing", detail: failure.description)
            }
            throw Problem(status: .forbidden, code: "signature-invalid", title: "Signature not valid", detail: failure.description)
        }
        let parsed: ParsedReceipt
        do {
            parsed = try settings.format.parse(body: body)
        } catch {
            throw Problem.badRequest("invalid-receipt", error.description, field: error.field.isEmpty ? nil : error.field)
        }
        let raw = String(decoding: body.prefix(16_384), as: UTF8.self)
        let outcome = try await store.recordReceipt(
            gateway: name, providerID: parsed.providerID, status: parsed.status, error: parsed.error, raw: raw, now: Date())
        switch outcome {
        case .unknownProvider:
            logger.warning("receipt for an unknown provider id", metadata: ["gateway": "\(name)", "provider_id": "\(parsed.providerID)"])
            throw Problem.notFound("no message sent through \(name) has provider id \(parsed.providerID)")
        case .duplicate(let id, let state):
            return Self.json(.ok, ["message_id": id, "state": state.rawValue, "duplicate": true])
        case .recorded(let id, let state):
            logger.info("receipt", metadata: ["gateway": "\(name)", "message_id": "\(id)", "status": "\(parsed.status.rawValue)"])
            return Self.json(.ok, ["message_id": id, "state": state.rawValue])
        }
    }

    // MARK: Messages

    func enqueueOne(_ request: Request) async throws -> Response {
        try await verifier.require(.enqueue, request)
        let body = try await read(request, limit: limits.maxBodyBytes)
        let value: JSONValue
        switch MessageValidator.parse(json: body) {
        case .success(let parsed): value = parsed
        case .failure(let failure): throw Problem.validation(failure)
        }
        let stored = try await store.recipients(ids: Set([MessageValidator.recipientID(of: value)].compactMap { $0 }))
        var message: MessageRequest
        switch validator.validate(value, stored: stored) {
        case .success(let valid): message = valid
        case .failure(let failure): throw Problem.validation(failure)
        }
        if let header = request.headers[.idempotencyKey] {
            guard !header.isEmpty, header.count <= MessageValidator.maxKeyLength else {
                throw Problem.badRequest("invalid-idempotency-key", "Idempotency-Key must be 1 to \(MessageValidator.maxKeyLength) characters", field: "Idempotency-Key")
            }
            if let field = message.idempotencyKey, field != header {
                throw Problem(
                    status: .unprocessableContent, code: "idempotency-key-mismatch", title: "Conflicting idempotency keys",
                    detail: "the Idempotency-Key header and the idempotency_key field differ", errors: [.init(field: "idempotency_key", detail: "differs from the Idempotency-Key header")])
            }
            message.idempotencyKey = header
        }
        let key = message.idempotencyKey
        if let key {
            guard inProgress.begin(key) else {
                throw Problem(status: .conflict, code: "request-in-progress", title: "Request in progress", detail: "a request with this Idempotency-Key is still being processed; retry later")
            }
        }
        defer { if let key { inProgress.end(key) } }
        let outcome = try await store.enqueue([message], now: Date()).first
        switch outcome {
        case .created(let id)?:
            onEnqueue()
            return Self.json(.accepted, ["id": id, "state": MessageState.queued.rawValue], location: "/v1/messages/\(id)")
        case .duplicate(let id)?:
            let state = try await store.status(id: id)?.state.rawValue ?? MessageState.queued.rawValue
            return Self.json(.ok, ["id": id, "state": state], location: "/v1/messages/\(id)")
        case .conflict(let existing)?:
            throw Problem(
                status: .conflict, code: "idempotency-key-reused", title: "Idempotency key already used",
                detail: "idempotency key '\(key ?? "")' was used for a different message (\(existing)); nothing stored",
                errors: [.init(field: "idempotency_key", detail: "already used for a different message")])
        case nil:
            throw Problem(status: .internalServerError, code: "store", title: "Not stored", detail: "the store returned no outcome")
        }
    }

    func enqueueBatch(_ request: Request) async throws -> Response {
        try await verifier.require(.enqueue, request)
        let body = try await read(request, limit: limits.maxBatchBytes)
        let lines = body.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let nonEmpty = lines.filter { !$0.allSatisfy { $0 == 32 || $0 == 13 || $0 == 9 } }.count
        guard nonEmpty <= limits.maxBatchLines else {
            throw Problem(status: .contentTooLarge, code: "batch-too-long", title: "Too many lines", detail: "a batch holds at most \(limits.maxBatchLines) lines; this one has \(nonEmpty)")
        }
        let results = try await EnqueueBatch.run(Data(body), validator: validator, store: store)
        if results.contains(where: { $0.id != nil }) { onEnqueue() }
        let accepted = results.filter(\.accepted).count
        let encoder = VarselJSON.encoder()
        let payload = BatchReply(
            accepted: accepted, rejected: results.count - accepted, results: results,
            note: accepted == results.count ? "every line was stored" : "lines with an error were not stored; the others were")
        return Response(
            status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encoder.encode(payload))))
    }

    struct BatchReply: Encodable {
        let accepted: Int
        let rejected: Int
        let results: [EnqueueBatch.LineResult]
        let note: String
    }

    func messageStatus(_ request: Request, id: String) async throws -> Response {
        try await verifier.require(.read, request)
        guard let status = try await store.status(id: id) else { throw Problem.notFound("no message with id \(id)") }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: try StatusText.json(status, pretty: false))))
    }

    func listMessages(_ request: Request) async throws -> Response {
        try await verifier.require(.read, request)
        let query = request.uri.queryParameters
        var state: MessageState?
        if let text = query["state"].map(String.init) {
            guard let parsed = MessageState(rawValue: text) else {
                throw Problem.badRequest("invalid-query", "state must be one of \(MessageState.allCases.map(\.rawValue).joined(separator: ", "))", field: "state")
            }
            state = parsed
        }
        var limit = 50
        if let text = query["limit"].map(String.init) {
            guard let parsed = Int(text), (1...1000).contains(parsed) else {
                throw Problem.badRequest("invalid-query", "limit must be a whole number from 1 to 1000", field: "limit")
            }
            limit = parsed
        }
        let caseRef = query["case_ref"].map(String.init)
        let after = query["after"].map(String.init)
        let page = try await store.list(caseRef: caseRef, state: state, limit: limit + 1, after: after)
        let items = Array(page.prefix(limit))
        let next: String? = page.count > limit ? items.last?.id : nil
        let encoder = VarselJSON.encoder()
        let payload = ListReply(messages: items, next: next)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encoder.encode(payload))))
    }

    struct ListReply: Encodable {
        let messages: [MessageSummary]
        let next: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(messages, forKey: .messages)
            try container.encode(next, forKey: .next)
        }

        enum CodingKeys: CodingKey { case messages, next }
    }

    func cancel(_ request: Request, ids: [String]?, caseRef: String?) async throws -> Response {
        try await verifier.require(.cancel, request)
        let body = try await read(request, limit: limits.maxBodyBytes)
        var reason = caseRef != nil ? "case cancelled" : "cancelled"
        if !body.isEmpty {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
                throw Problem.badRequest("malformed-json", "the body must be a JSON object such as {\"reason\": \"payment received\"}")
            }
            if let given = object["reason"] {
                guard let text = given as? String, !text.isEmpty, text.count <= 500 else {
                    throw Problem.badRequest("invalid-reason", "reason must be a string of 1 to 500 characters", field: "reason")
                }
                reason = text
            }
        }
        let outcome = try await store.cancel(ids: ids, caseRef: caseRef, reason: reason, now: Date())
        if let ids, outcome.cancelled.isEmpty, outcome.alreadySent.isEmpty, outcome.alreadyFinished.isEmpty {
            throw Problem.notFound("no message with id \(ids.joined(separator: ", "))")
        }
        logger.notice("cancel", metadata: [
            "case_ref": "\(caseRef ?? "-")", "cancelled": "\(outcome.cancelled.count)", "already_sent": "\(outcome.alreadySent.count)",
        ])
        return Self.json(.ok, [
            "cancelled": outcome.cancelled.count, "already_sent": outcome.alreadySent.count,
            "cancelled_ids": outcome.cancelled, "already_sent_ids": outcome.alreadySent, "already_finished_ids": outcome.alreadyFinished,
        ])
    }

    // MARK: Helpers

    /// Reads the body, refusing with 413 as soon as it is known to exceed `limit` (by Content-Length
    /// before reading, else while reading).
    func read(_ request: Request, limit: Int) async throws -> [UInt8] {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit { throw Problem.tooLarge(limit: limit) }
        do {
            let buffer = try await request.body.collect(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw Problem.tooLarge(limit: limit)
        }
    }

    static func json(_ status: HTTPResponse.Status, _ object: [String: Any], location: String? = nil) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        var headers: HTTPFields = [.contentType: "application/json"]
        if let location { headers[.location] = location }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Idempotency keys whose first request is still being processed (IETF idempotency-key draft: a
/// concurrent repeat gets 409).
final class InProgressKeys: Sendable {
    private let keys = Mutex<Set<String>>([])

    func begin(_ key: String) -> Bool { keys.withLock { $0.insert(key).inserted } }
    func end(_ key: String) { _ = keys.withLock { $0.remove(key) } }
}

extension HTTPField.Name {
    static let idempotencyKey = Self("Idempotency-Key")!
}
