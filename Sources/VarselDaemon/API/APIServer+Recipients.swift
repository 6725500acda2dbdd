import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import VarselCore
import VarselGateways
import VarselStore

/// Stored recipient preferences and GDPR erasure.
extension APIServer {
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
}
