import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import VarselCore

/// Reports: which message, channel and hour get paid.
extension APIServer {
    /// `GET /v1/reports/outcomes?by=channel,hour&paid_within_days=14&from=…&to=…&attribution=last|all`.
    func outcomes(_ request: Request) async throws -> Response {
        try await verifier.require(.read, request)
        var parameters: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { parameters[String(key)] = String(value) }
        let query: OutcomeQuery
        switch OutcomeQuery.parse(parameters, now: Date()) {
        case .success(let parsed): query = parsed
        case .failure(let failure):
            throw Problem(
                status: .badRequest, code: "invalid-query", title: "Invalid query", detail: failure.description,
                errors: failure.errors.map { .init(field: $0.field, detail: $0.problem) })
        }
        return Self.json(.ok, OutcomeFormat.object(try await query.run(store), query: query))
    }
}
