import Foundation
import Hummingbird
import NIOCore
import VarselCore

/// An error answered as RFC 9457 `application/problem+json`, with a stable `type` per kind of
/// problem and, for bad input, the fields at fault.
struct Problem: HTTPResponseError, Sendable {
    struct FieldError: Sendable, Encodable {
        let field: String
        let detail: String
    }

    let status: HTTPResponse.Status
    /// A short stable code: the `type` is `urn:varsel:problem:<code>`.
    let code: String
    let title: String
    let detail: String
    var errors: [FieldError] = []
    var extraHeaders: HTTPFields = [:]

    var headers: HTTPFields { extraHeaders }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var fields: [String: Any] = [
            "type": "urn:varsel:problem:\(code)", "title": title, "status": Int(status.code), "detail": detail,
            "instance": request.uri.path,
        ]
        if !errors.isEmpty { fields["errors"] = errors.map { ["field": $0.field, "detail": $0.detail] } }
        let data = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes])
        var headers = extraHeaders
        headers[.contentType] = "application/problem+json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func validation(_ failure: ValidationFailure) -> Problem {
        let isJSON = failure.errors.contains { $0.field.isEmpty }
        return Problem(
            status: isJSON ? .badRequest : .unprocessableContent, code: isJSON ? "malformed-json" : "invalid-message",
            title: isJSON ? "The body is not a JSON object" : "The message is not valid",
            detail: failure.description, errors: failure.errors.map { FieldError(field: $0.field, detail: $0.problem) })
    }

    static func notFound(_ what: String) -> Problem {
        Problem(status: .notFound, code: "not-found", title: "Not found", detail: what)
    }

    static func badRequest(_ code: String, _ detail: String, field: String? = nil) -> Problem {
        Problem(
            status: .badRequest, code: code, title: "Bad request", detail: detail,
            errors: field.map { [FieldError(field: $0, detail: detail)] } ?? [])
    }

    static func tooLarge(limit: Int) -> Problem {
        Problem(status: .contentTooLarge, code: "body-too-large", title: "Request body too large", detail: "the body exceeds \(limit) bytes")
    }

    static let unauthorized = Problem(
        status: .unauthorized, code: "unauthorized", title: "Unauthorized",
        detail: "missing or invalid bearer token", extraHeaders: [.wwwAuthenticate: "Bearer"])

    static func forbidden(_ scope: String) -> Problem {
        Problem(status: .forbidden, code: "forbidden", title: "Forbidden", detail: "this token lacks the '\(scope)' scope")
    }
}
