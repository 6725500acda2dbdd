import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import VarselCore
import VarselGateways
import VarselStore

/// Enqueue, status, listing and cancel.
extension APIServer {
    func enqueueOne(_ request: Request) async throws -> Response {
        try await verifier.require(.enqueue, request)
        let (value, stored) = try await readMessageBody(request)
        var message: MessageRequest
        switch validator.validate(value, stored: stored) {
        case .success(let valid): message = valid
        case .failure(let failure): throw Problem.validation(failure)
        }
        message.idempotencyKey = try Self.idempotencyKey(request, field: message.idempotencyKey)
        let key = message.idempotencyKey
        if let key {
            guard inProgress.begin(key) else {
                throw Problem(status: .conflict, code: "request-in-progress", title: "Request in progress", detail: "a request with this Idempotency-Key is still being processed; retry later")
            }
        }
        defer { if let key { inProgress.end(key) } }
        let outcome: EnqueueOutcome? = try await enqueues.enqueue(message)
        switch outcome {
        case .created(let id)?:
            onEnqueue(message.sendAfter ?? Date())
            return Self.json(.accepted, ["id": id, "state": MessageState.queued.rawValue], location: "/v1/messages/\(id)")
        case .duplicate(let id)?:
            let state = try await store.status(id: id)?.state.rawValue ?? MessageState.queued.rawValue
            return Self.json(.ok, ["id": id, "state": state], location: "/v1/messages/\(id)")
        case .conflict(let existing)?:
            throw Problem(
                status: .conflict, code: "idempotency-key-reused", title: "Idempotency key already used",
                detail: "idempotency key '\(key ?? "")' was used for a different message (\(existing)); nothing stored",
                errors: [.init(field: "idempotency_key", detail: "already used for a different message")])
        case .refused(let reason)?:
            throw Problem(
                status: .conflict, code: "case-stopped", title: "Case stopped", detail: "\(reason); nothing stored",
                errors: [.init(field: "case_ref", detail: reason)])
        case nil:
            throw Problem(status: .internalServerError, code: "store", title: "Not stored", detail: "the store returned no outcome")
        }
    }

    /// A message-like body (a message, a case): its JSON, and the stored record of the recipient it
    /// names when it gives no contact point of its own (the record's may stand in; otherwise the
    /// store is not read).
    func readMessageBody(_ request: Request) async throws -> (JSONValue, stored: [String: Recipient]) {
        let body = try await read(request, limit: limits.maxBodyBytes)
        let value: JSONValue
        switch MessageValidator.parse(json: body) {
        case .success(let parsed): value = parsed
        case .failure(let failure): throw Problem.validation(failure)
        }
        return (value, try await store.recordsStandingIn(for: [value]))
    }

    /// The idempotency key of a request: the `Idempotency-Key` header or the body's
    /// `idempotency_key` field; both given must be equal.
    static func idempotencyKey(_ request: Request, field: String?) throws -> String? {
        guard let header = request.headers[.idempotencyKey] else { return field }
        guard !header.isEmpty, header.count <= MessageValidator.maxKeyLength else {
            throw Problem.badRequest("invalid-idempotency-key", "Idempotency-Key must be 1 to \(MessageValidator.maxKeyLength) characters", field: "Idempotency-Key")
        }
        if let field, field != header {
            throw Problem(
                status: .unprocessableContent, code: "idempotency-key-mismatch", title: "Conflicting idempotency keys",
                detail: "the Idempotency-Key header and the idempotency_key field differ", errors: [.init(field: "idempotency_key", detail: "differs from the Idempotency-Key header")])
        }
        return header
    }

    /// NDJSON, read as it arrives and handled in chunks (see `EnqueueBatch`), on a thread of its own;
    /// at most `server.max_concurrent_batches` at once.
    func enqueueBatch(_ request: Request) async throws -> Response {
        try await verifier.require(.enqueue, request)
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limits.maxBatchBytes {
            throw Problem.tooLarge(limit: limits.maxBatchBytes)
        }
        guard batchSlots.acquire() else {
            throw Problem(
                status: .serviceUnavailable, code: "too-many-batches", title: "Too many batches at once",
                detail: "\(batchSlots.limit) batches are being handled (server.max_concurrent_batches); retry later",
                extraHeaders: [.retryAfter: "5"])
        }
        defer { batchSlots.release() }
        let results: [EnqueueBatch.LineResult]
        do {
            results = try await EnqueueBatch.stream(
                request.body, validator: validator, store: store, maxLines: limits.maxBatchLines, maxBytes: limits.maxBatchBytes,
                maxLineBytes: limits.maxBodyBytes, onStored: onEnqueue)
        } catch let stopped as EnqueueBatch.Stopped {
            throw Problem.batchStopped(stopped)
        }
        guard !results.isEmpty else {
            throw Problem(
                status: .badRequest, code: "empty-batch", title: "The batch holds no message",
                detail: "the body has no line; send NDJSON, one message per line")
        }
        let accepted = results.filter(\.accepted).count
        guard accepted > 0 else {
            var problem = Problem(
                status: .unprocessableContent, code: "invalid-batch", title: "No line of the batch is valid",
                detail: "none of the \(results.count) lines was stored; each line's error is under errors and results",
                errors: results.map { Problem.FieldError(field: "line \($0.line)", detail: $0.error ?? "") })
            var list = CompactJSONWriter(capacity: results.count * 64)
            EnqueueBatch.LineResult.array(results, into: &list)
            problem.members = ["accepted": Data("0".utf8), "rejected": Data("\(results.count)".utf8), "results": Data(list.bytes)]
            throw problem
        }
        let payload = BatchReply(
            accepted: accepted, rejected: results.count - accepted, results: results,
            note: accepted == results.count ? "every line was stored" : "lines with an error were not stored; the others were")
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: payload.json)))
    }

    /// The answer to a batch with a line stored.
    struct BatchReply {
        let accepted: Int
        let rejected: Int
        let results: [EnqueueBatch.LineResult]
        let note: String

        /// As `VarselJSON.encoder()` writes it (keys sorted), by hand: a thousand results through
        /// `JSONEncoder` cost more than validating their lines' schemas.
        var json: [UInt8] {
            var writer = CompactJSONWriter(capacity: 128 + results.count * 64)
            var object = CompactJSONWriter.ObjectState()
            writer.key("accepted", &object)
            writer.integer(accepted)
            writer.key("note", &object)
            writer.string(note)
            writer.key("rejected", &object)
            writer.integer(rejected)
            writer.key("results", &object)
            EnqueueBatch.LineResult.array(results, into: &writer)
            writer.end(object)
            return writer.bytes
        }
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
}
