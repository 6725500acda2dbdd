import Foundation
import VarselCore
import VarselStore

/// The answer to a case event, the same from the API and the CLI: the event, where the case stands
/// now, and what the event cancelled (like a cancel's answer).
enum CaseEventReply {
    static func object(_ event: CaseEvent, standing: CaseStanding, cancel: CancelOutcome, duplicate: Bool) -> [String: Any] {
        [
            "event": eventObject(event), "duplicate": duplicate,
            "case": ["case_ref": event.caseRef, "standing": standing.name, "stopped_by": standing.stoppedBy?.id ?? NSNull()] as [String: Any],
            "cancelled": cancel.cancelled.count, "already_sent": cancel.alreadySent.count, "cancelled_ids": cancel.cancelled,
            "already_sent_ids": cancel.alreadySent, "already_finished_ids": cancel.alreadyFinished,
        ]
    }

    static func eventObject(_ event: CaseEvent) -> [String: Any] {
        [
            "id": event.id, "case_ref": event.caseRef, "type": event.type.rawValue, "amount": event.amount ?? NSNull(),
            "currency": event.currency ?? NSNull(), "at": RFC3339.format(event.at), "recorded_at": RFC3339.format(event.recordedAt),
            "note": event.note ?? NSNull(), "idempotency_key": event.idempotencyKey ?? NSNull(),
        ]
    }

    static func text(_ object: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
    }
}
