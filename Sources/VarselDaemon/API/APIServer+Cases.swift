import Foundation
import HTTPTypes
import Hummingbird
import Logging
import VarselCore
import VarselStore

/// Cases from plans, and case events: payments and disputes that stop or reopen a case.
extension APIServer {
    /// `POST /v1/cases`: the case and its plan's steps as messages, in one transaction; idempotent by `case_ref`.
    func createCase(_ request: Request) async throws -> Response {
        try await verifier.require(.enqueue, request)
        let (value, stored) = try await readMessageBody(request)
        let built: CaseBuilder.Built
        let plans = plans()
        let now = Date()
        var learned: ContactWindows?
        if case .object(let root) = value, let name = root["plan"]?.scalarText, let plan = plans[name], planSettings.timing(of: plan) == .learned {
            learned = contactWindows
        }
        switch CaseBuilder(validator: validator).build(value, plans: plans, stored: stored, now: now, learnedWithin: learned) {
        case .success(let value): built = value
        case .failure(let failure): throw Problem.validation(failure)
        }
        let location = "/v1/cases/\(built.caseRef.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? built.caseRef)"
        let outcome = try await store.createCase(
            caseRef: built.caseRef, plan: built.plan.name, requestHash: built.requestHash, steps: built.steps,
            caseStops: CaseStopPolicy(kinds: validator.kinds), now: Date())
        switch outcome {
        case .created(let record):
            onEnqueue(built.steps.map { $0.message.sendAfter ?? now }.min() ?? now)
            logger.notice("case created", metadata: ["case_ref": "\(record.caseRef)", "plan": "\(record.plan)", "steps": "\(record.steps.count)"])
            return Self.json(.created, Self.caseReply(record), location: location)
        case .duplicate(let record):
            return Self.json(.ok, Self.caseReply(record), location: location)
        case .conflict(let record):
            throw Problem(
                status: .conflict, code: "case-exists", title: "Case already created",
                detail: "case \(record.caseRef) was created before from a different request (plan \(record.plan)); nothing changed",
                errors: [.init(field: "case_ref", detail: "already used for a different case")])
        case .refused(let reason):
            throw Problem(
                status: .conflict, code: "case-stopped", title: "Case stopped", detail: "\(reason); nothing stored", errors: [.init(field: "case_ref", detail: reason)])
        }
    }

    static func caseReply(_ record: CaseRecord) -> [String: Any] {
        [
            "case_ref": record.caseRef, "plan": record.plan,
            "steps": record.steps.map { ["step": $0.step, "kind": $0.kind, "send_after": RFC3339.format($0.sendAfter), "message_id": $0.messageID] },
        ]
    }

    /// `GET /v1/cases/{case_ref}`: steps, messages, events and what happens next.
    func showCase(_ request: Request, caseRef: String) async throws -> Response {
        try await verifier.require(.read, request)
        if let problem = CaseEventRequest.caseRefProblem(caseRef) {
            throw Problem.validation(ValidationFailure([ValidationError(field: "case_ref", problem: problem)]))
        }
        guard let object = try await CaseView.object(caseRef: caseRef, store: store) else { throw Problem.notFound("nothing is known of case \(caseRef)") }
        return Self.json(.ok, object)
    }

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
