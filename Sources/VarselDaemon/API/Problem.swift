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
    /// Further members of the problem document (RFC 9457 §3.2), each as its JSON text.
    var members: [String: Data] = [:]

    var headers: HTTPFields { extraHeaders }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var fields: [String: Any] = [
            "type": "urn:varsel:problem:\(code)", "title": title, "status": Int(status.code), "detail": detail,
            "instance": request.uri.path,
        ]
        if !errors.isEmpty { fields["errors"] = errors.map { ["field": $0.field, "detail": $0.detail] } }
        for (name, json) in members { fields[name] = try JSONSerialization.jsonObject(with: json, options: .fragmentsAllowed) }
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

    /// No route has this path (404), or none has it with this method (405, with `Allow`).
    static func noRoute(path: String, method: String, allowed: [String]) -> Problem {
        if allowed.isEmpty {
            return Problem(status: .notFound, code: "not-found", title: "Not found", detail: "no resource at \(path)")
        }
        return Problem(
            status: .methodNotAllowed, code: "method-not-allowed", title: "Method not allowed",
            detail: "\(path) accepts \(allowed.joined(separator: ", ")), not \(method)", extraHeaders: [.allow: allowed.joined(separator: ", ")])
    }

    /// A batch stopped at a limit. Lines of chunks stored before stay stored; they are listed.
    static func batchStopped(_ stopped: EnqueueBatch.Stopped) -> Problem {
        let stored = stopped.results.filter(\.accepted).count
        let before = stopped.results.isEmpty
            ? "nothing was stored"
            : "the first \(stopped.results.count) lines were handled before the limit was reached and \(stored) of them were stored (see results); nothing after them was stored"
        var problem: Problem
        switch stopped.reason {
        case .tooManyLines(let limit):
            problem = Problem(
                status: .contentTooLarge, code: "batch-too-long", title: "Too many lines",
                detail: "a batch holds at most \(limit) lines (server.max_batch_lines); \(before)")
        case .tooManyBytes(let limit):
            problem = Problem(
                status: .contentTooLarge, code: "body-too-large", title: "Request body too large",
                detail: "the body exceeds \(limit) bytes; \(before)")
        }
        if !stopped.results.isEmpty, let json = try? VarselJSON.encoder().encode(stopped.results) {
            problem.members = ["results": json, "accepted": Data("\(stored)".utf8)]
        }
        return problem
    }

    static let unauthorized = Problem(
        status: .unauthorized, code: "unauthorized", title: "Unauthorized",
        detail: "missing or invalid bearer token", extraHeaders: [.wwwAuthenticate: "Bearer"])

    static func forbidden(_ scope: String) -> Problem {
        Problem(status: .forbidden, code: "forbidden", title: "Forbidden", detail: "this token lacks the '\(scope)' scope")
    }
}
