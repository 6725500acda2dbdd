import Foundation
import Hummingbird
import NIOCore
import VarselCore
import VarselStore

/// `GET /v1/intake/errors`: the transactional-intake rows a daemon rejected, newest first, with
/// their errors and what the producer sent. Only a store producers reach with SQL has intake.
extension APIServer {
    func intakeErrors(_ request: Request) async throws -> Response {
        try await verifier.require(.read, request)
        guard let intake = store as? any IntakeStore else {
            throw Problem(
                status: .notFound, code: "no-intake", title: "No transactional intake",
                detail: "transactional intake (varsel.enqueue in SQL) needs store.backend: postgres; this daemon runs on \(store.location)")
        }
        let query = request.uri.queryParameters
        var limit = 50
        if let text = query["limit"].map(String.init) {
            guard let parsed = Int(text), (1...1000).contains(parsed) else {
                throw Problem.badRequest("invalid-query", "limit must be a whole number from 1 to 1000", field: "limit")
            }
            limit = parsed
        }
        var before: Int64?
        if let text = query["before"].map(String.init) {
            guard let parsed = Int64(text), parsed > 0 else {
                throw Problem.badRequest("invalid-query", "before must be an intake id (a positive whole number)", field: "before")
            }
            before = parsed
        }
        let rows = try await intake.intakeErrors(limit: limit + 1, before: before)
        let page = Array(rows.prefix(limit))
        let next: Any = rows.count > limit ? (page.last?.intakeID as Any? ?? NSNull()) : NSNull()
        return Self.json(.ok, ["errors": page.map(Self.intakeErrorObject), "next_before": next])
    }

    static func intakeErrorObject(_ row: IntakeError) -> [String: Any] {
        var object: [String: Any] = [
            "intake_id": row.intakeID, "received_at": RFC3339.format(row.receivedAt), "rejected_at": RFC3339.format(row.rejectedAt),
            "error": row.error,
        ]
        object["message"] = row.payload.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8), options: [.fragmentsAllowed]) } ?? NSNull()
        return object
    }
}
