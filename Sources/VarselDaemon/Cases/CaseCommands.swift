import Foundation
import VarselCore
import VarselStore

extension CommandActions {
    /// The JSON body of `varsel case event` (what `POST /v1/cases/{case_ref}/events` takes).
    public static func caseEventBody(type: String, amount: String?, currency: String?, at: String?, note: String?, idempotencyKey: String?) -> [String: String] {
        var body = ["type": type]
        if let amount { body["amount"] = amount }
        if let currency { body["currency"] = currency }
        if let at { body["at"] = at }
        if let note { body["note"] = note }
        if let idempotencyKey { body["idempotency_key"] = idempotencyKey }
        return body
    }

    /// `varsel case show REF` on the local store: the case as `GET /v1/cases/{case_ref}` shows it, as
    /// JSON or as a few lines.
    public static func showCase(caseRef: String, json: Bool, config: VarselConfig) async throws -> String {
        let text = try await withStore(config) { store -> String? in
            guard let object = try await CaseView.object(caseRef: caseRef, store: store) else { return nil }
            return json ? try CaseEventReply.text(object) : CaseView.text(object)
        }
        guard let text else { throw CommandError("nothing is known of case \(caseRef)") }
        return text
    }

    /// The readable form of a `GET /v1/cases/{case_ref}` reply (for `--server`).
    public static func caseText(_ reply: Data) -> String? {
        (try? JSONSerialization.jsonObject(with: reply) as? [String: Any]).map(CaseView.text)
    }

    /// `varsel case event REF TYPE` on the local store: validated like the API, answered like it.
    public static func recordCaseEvent(caseRef: String, body: [String: String], config: VarselConfig) async throws -> String {
        let value = JSONValue.object(body.mapValues { .string($0) })
        let request: CaseEventRequest
        switch CaseEventRequest.parse(value, caseRef: caseRef, now: Date()) {
        case .success(let valid): request = valid
        case .failure(let failure): throw CommandError(failure.description)
        }
        let outcome = try await withStore(config) { store in
            try await store.recordCaseEvent(request, caseStops: CaseStopPolicy(kinds: config.planning.kinds), now: Date())
        }
        switch outcome {
        case .recorded(let event, let standing, let cancel):
            return try CaseEventReply.text(CaseEventReply.object(event, standing: standing, cancel: cancel, duplicate: false))
        case .duplicate(let event, let standing):
            return try CaseEventReply.text(CaseEventReply.object(event, standing: standing, cancel: CancelOutcome(), duplicate: true))
        case .conflict(let existing):
            throw CommandError("idempotency key '\(request.idempotencyKey ?? "")' was used for a different event (\(existing)); nothing recorded")
        }
    }
}
