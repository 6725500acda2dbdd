import Foundation
import HTTPTypes
import Hummingbird
import Logging
import VarselCore
import VarselStore

/// Case events: payments and disputes that stop or reopen a case.
extension APIServer {
    /// `POST /v1/cases/{case_ref}/events`. Needs the `cancel` scope: a `paid` stops messages.
    func recordCaseEvent(_ request: Request, caseRef: String) async throws -> Response {
        try await verifier.require(.cancel, request)
        let body = try await read(request, limit: limits.maxBodyBytes)
        var eventRequest: CaseEventRequest
        switch MessageValidator.parse(json: body).flatMap({ CaseEventRequest.parse($0, caseRef: caseRef, now: Date()) }) {
        case .success(let valid): eventRequest = valid
        case .failure(let failure): throw Problem.validation(failure)
        }
        eventRequest.idempotencyKey = try Self.idempotencyKey(request, field: eventRequest.idempotencyKey)
        let location = "/v1/cases/\(caseRef.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? caseRef)/events"
        switch try await store.recordCaseEvent(eventRequest, caseStops: CaseStopPolicy(kinds: validator.kinds), now: Date()) {
        case .recorded(let event, let standing, let cancel):
            logger.notice("case event", metadata: [
                "case_ref": "\(caseRef)", "type": "\(event.type.rawValue)", "event_id": "\(event.id)", "standing": "\(standing.name)",
                "cancelled": "\(cancel.cancelled.count)", "already_sent": "\(cancel.alreadySent.count)",
            ])
            return Self.json(.created, CaseEventReply.object(event, standing: standing, cancel: cancel, duplicate: false), location: location)
        case .duplicate(let event, let standing):
            return Self.json(.ok, CaseEventReply.object(event, standing: standing, cancel: CancelOutcome(), duplicate: true), location: location)
        case .conflict(let existing):
            throw Problem(
                status: .conflict, code: "idempotency-key-reused", title: "Idempotency key already used",
                detail: "idempotency key '\(eventRequest.idempotencyKey ?? "")' was used for a different event (\(existing)); nothing recorded",
                errors: [.init(field: "idempotency_key", detail: "already used for a different event")])
        }
    }

    /// `GET /v1/cases/{case_ref}/events`: the case's events, oldest first, and where it stands.
    func caseEvents(_ request: Request, caseRef: String) async throws -> Response {
        try await verifier.require(.read, request)
        if let problem = CaseEventRequest.caseRefProblem(caseRef) {
            throw Problem.validation(ValidationFailure([ValidationError(field: "case_ref", problem: problem)]))
        }
        let events = try await store.caseEvents(caseRefs: [caseRef])[caseRef] ?? []
        let standing = CaseStanding(events: events)
        return Self.json(.ok, [
            "case_ref": caseRef, "standing": standing.name, "stopped_by": standing.stoppedBy?.id ?? NSNull(),
            "events": events.map(CaseEventReply.eventObject),
        ])
    }
}
