import Foundation
import VarselCore
import VarselStore

/// What `GET /v1/cases/{case_ref}` and `varsel case show` say of a case: its plan and steps with
/// their messages' states, every message of the case, its events and standing, and what happens next.
enum CaseView {
    /// nil when nothing is known of the case: no plan record, no message, no event.
    static func object(caseRef: String, store: any MessageStore) async throws -> [String: Any]? {
        let record = try await store.caseRecord(caseRef: caseRef)
        var messages: [MessageSummary] = []
        var after: String?
        while true {
            let page = try await store.list(caseRef: caseRef, state: nil, limit: 500, after: after)
            messages += page
            guard page.count == 500, let last = page.last else { break }
            after = last.id
        }
        let events = try await store.caseEvents(caseRefs: [caseRef])[caseRef] ?? []
        if record == nil, messages.isEmpty, events.isEmpty { return nil }
        let standing = CaseStanding(events: events)
        let states = Dictionary(messages.map { ($0.id, $0.state) }, uniquingKeysWith: { first, _ in first })
        let steps: [[String: Any]] = (record?.steps ?? []).map { step in
            [
                "step": step.step, "kind": step.kind, "send_after": RFC3339.format(step.sendAfter), "message_id": step.messageID,
                "state": states[step.messageID]?.rawValue ?? NSNull(),
            ]
        }
        let next = steps.first { ($0["state"] as? String) == MessageState.queued.rawValue || ($0["state"] as? String) == MessageState.sending.rawValue }
        return [
            "case_ref": caseRef, "plan": record?.plan ?? NSNull(), "created_at": record.map { RFC3339.format($0.createdAt) } ?? NSNull(),
            "standing": standing.name, "stopped_by": standing.stoppedBy?.id ?? NSNull(), "steps": steps,
            "messages": messages.map { message in
                [
                    "id": message.id, "kind": message.kind, "state": message.state.rawValue, "channel": message.channel?.rawValue ?? NSNull(),
                    "created_at": RFC3339.format(message.createdAt), "updated_at": RFC3339.format(message.updatedAt),
                ] as [String: Any]
            },
            "events": events.map(CaseEventReply.eventObject), "next": next ?? NSNull(),
        ]
    }

    /// A few lines for a person.
    static func text(_ object: [String: Any]) -> String {
        var lines: [String] = []
        var head = "case \(object["case_ref"] as? String ?? "")"
        if let plan = object["plan"] as? String { head += " · plan \(plan)" }
        let standing = object["standing"] as? String ?? "open"
        head += standing == "open" ? " · open" : " · stopped: \(standing) (\(object["stopped_by"] as? String ?? ""))"
        lines.append(head)
        let steps = object["steps"] as? [[String: Any]] ?? []
        if !steps.isEmpty {
            lines.append("steps:")
            for step in steps {
                lines.append("  \(pad(step["step"], 14)) \(pad(step["kind"], 18)) \(pad(step["send_after"], 21)) \(pad(step["state"], 10)) \(step["message_id"] as? String ?? "")")
            }
        }
        let stepIDs = Set(steps.compactMap { $0["message_id"] as? String })
        let others = (object["messages"] as? [[String: Any]] ?? []).filter { !stepIDs.contains($0["id"] as? String ?? "") }
        if !others.isEmpty {
            lines.append(steps.isEmpty ? "messages:" : "other messages:")
            for message in others {
                lines.append("  \(pad(message["kind"], 18)) \(pad(message["state"], 10)) \(pad(message["channel"], 7)) \(message["id"] as? String ?? "")")
            }
        }
        let events = object["events"] as? [[String: Any]] ?? []
        if !events.isEmpty {
            lines.append("events:")
            for event in events {
                var line = "  \(pad(event["recorded_at"], 21)) \(pad(event["type"], 17))"
                if let amount = event["amount"] as? String { line += " \(amount) \(event["currency"] as? String ?? "")" }
                lines.append(line + " \(event["id"] as? String ?? "")")
            }
        }
        if let next = object["next"] as? [String: Any] {
            lines.append("next: \(next["step"] as? String ?? "") (\(next["kind"] as? String ?? "")) from \(next["send_after"] as? String ?? "")")
        } else if !steps.isEmpty {
            lines.append("next: nothing more is scheduled")
        }
        return lines.joined(separator: "\n")
    }

    private static func pad(_ value: Any?, _ width: Int) -> String {
        let text = value as? String ?? "-"
        return text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
