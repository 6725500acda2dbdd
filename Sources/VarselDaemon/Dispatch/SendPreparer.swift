import Foundation
import VarselCore
import VarselGateways
import VarselStore
import VarselTemplates

/// Decides, for one leased message, what to record and what to send: expiry, plan, render, gateway.
/// No I/O: the dispatcher writes the result and performs the send.
struct SendPreparer: Sendable {
    let planner: Planner
    let gatewayForChannel: @Sendable (Channel) -> String?

    /// The preparation to record, and the message to send if it is a send.
    /// `stored` is the recipient's stored preference record, if any: merged under the message's own
    /// fields at send time, so an opt-out stored after the enqueue still wins.
    func prepare(_ leased: LeasedMessage, stored: Recipient?, templates: TemplateSet, now: Date) -> (Preparation, OutboundMessage?) {
        var request = leased.request
        var merged: [String] = []
        if let stored {
            request.recipient = request.recipient.merged(over: stored)
            merged = ["preferences merged from the stored record of recipient \(stored.id ?? "")"]
        }
        let id = leased.lease.messageID
        if let expiresAt = request.expiresAt, expiresAt <= now {
            let reason = "expired at \(RFC3339.format(expiresAt)) before it could be sent"
            return (.finish(lease: leased.lease, state: .expired, reason: reason, decisions: [reason]), nil)
        }

        if let previous = leased.previous, request.recipient.optOut.contains(previous.content.channel) {
            let reason = "recipient opted out of \(previous.content.channel.rawValue) after an interrupted send; not sent again"
            return (.finish(lease: leased.lease, state: .cancelled, reason: reason, decisions: merged + [reason]), nil)
        }
        if let previous = leased.previous, let gateway = gatewayForChannel(previous.content.channel) ?? previous.gateway {
            // An interrupted send is repeated with the same content and Idempotency-Key.
            let channel = previous.content.channel
            let key = MessageID.idempotencyKey(messageID: id, channel: channel)
            let send = PlannedSend(
                lease: leased.lease, locale: previous.locale, tone: previous.tone, content: previous.content,
                decisions: ["resending the content rendered before the interruption via \(gateway)"], gateway: gateway,
                idempotencyKey: key)
            return (.send(send), OutboundMessage(messageID: id, idempotencyKey: key, recipient: request.recipient, content: previous.content))
        }

        let plan: Plan
        switch planner.plan(request, catalog: templates) {
        case .planned(let planned): plan = planned
        case .unplannable(let reason, let decisions):
            return (.finish(lease: leased.lease, state: .failed, reason: reason, decisions: merged + decisions), nil)
        }
        let content: RenderedContent
        switch templates.render(request, messageID: id, plan: plan) {
        case .success(let rendered): content = rendered
        case .failure(let failure):
            return (.finish(lease: leased.lease, state: .failed, reason: failure.reason, decisions: plan.decisions + [failure.reason]), nil)
        }
        guard let gateway = gatewayForChannel(plan.channel) else {
            let reason = "no gateway configured for \(plan.channel.rawValue)"
            return (.finish(lease: leased.lease, state: .failed, reason: reason, decisions: plan.decisions + [reason]), nil)
        }
        var decisions = merged + plan.decisions
        var rendered = "rendered \(content.templateID) (\(content.templateVersion.prefix(19))…)"
        if let sms = content.sms {
            rendered += ", \(sms.encoding.rawValue), \(sms.segments) segment\(sms.segments == 1 ? "" : "s")"
        }
        decisions.append(rendered)
        decisions.append("sending via \(gateway)")
        let key = MessageID.idempotencyKey(messageID: id, channel: plan.channel)
        let send = PlannedSend(
            lease: leased.lease, locale: plan.locale, tone: plan.tone, content: content, decisions: decisions, gateway: gateway,
            idempotencyKey: key)
        return (.send(send), OutboundMessage(messageID: id, idempotencyKey: key, recipient: request.recipient, content: content))
    }

    /// The state a send's result leads to. Issue #2 has no retry policy: a failure is final.
    static func completion(for send: PlannedSend, attemptID: Int64, result: SendResult) -> Completion {
        let state: MessageState
        let reason: String?
        switch result.outcome {
        case .accepted:
            state = .sent
            reason = "accepted by \(send.gateway)" + (result.providerID.map { " as \($0)" } ?? "")
        case .ambiguous:
            state = .failed
            reason = "ambiguous: \(result.error ?? "no reply recorded")"
        case .rejected, .failed, .pending:
            state = .failed
            reason = result.error ?? "send failed"
        }
        return Completion(
            lease: send.lease, attemptID: attemptID, outcome: result.outcome, httpStatus: result.httpStatus,
            providerID: result.providerID, latencyMs: result.latencyMs, error: result.error, state: state, reason: reason)
    }
}
