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
    let retry: RetryPolicy
    let fallbackOnPermanentFailure: Bool
    let frequencyCap: FrequencyCap

    /// The preparation to record, and the message to send if it is a send.
    /// `stored` is the recipient's stored preference record, if any: merged under the message's own
    /// fields at send time, so an opt-out stored after the enqueue still wins.
    /// `recentSends` are the times messages to this recipient were accepted within the cap's window.
    func prepare(_ leased: LeasedMessage, stored: Recipient?, recentSends: [Date] = [], templates: TemplateSet, now: Date)
        -> (Preparation, OutboundMessage?)
    {
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
        switch planner.plan(request, catalog: templates, excluding: leased.excludedChannels) {
        case .planned(let planned): plan = planned
        case .unplannable(var reason, let decisions):
            if !leased.excludedChannels.isEmpty, let last = leased.lastReason {
                // Say what failed before, not only that nothing is left.
                reason = "\(last); no other usable channel"
            }
            return (.finish(lease: leased.lease, state: .failed, reason: reason, decisions: merged + decisions + [reason]), nil)
        }
        if let problem = legalProblem(request, sendAt: now) {
            return (.finish(lease: leased.lease, state: .failed, reason: problem, decisions: merged + plan.decisions + [problem]), nil)
        }
        if let until = frequencyCap.deferredUntil(kind: request.kind, sentAt: recentSends, now: now) {
            let limit = frequencyCap.limit(for: request.kind)
            let reason = "deferred by the frequency cap: \(limit) message\(limit == 1 ? "" : "s") to this recipient within \(DurationText.describe(frequencyCap.window)); next slot \(RFC3339.format(until))"
            return (.deferral(lease: leased.lease, until: until, reason: reason, decisions: merged + plan.decisions + [reason]), nil)
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

    /// The legal rule of the message's kind for the recipient's country, checked at the actual send
    /// time: a stated deadline shorter than the minimum holds the message as failed.
    func legalProblem(_ request: MessageRequest, sendAt: Date) -> String? {
        guard let country = request.recipient.effectiveCountry,
              let minimum = planner.policy.kinds[request.kind]?.minimumDeadlineDays[country],
              let text = request.data["deadline"]?.scalarText, let deadline = RFC3339.parseDate(text)
        else { return nil }
        return DeadlineGuard.problem(
            deadline: deadline, sendAt: sendAt, timeZone: RecipientTimeZone.of(request.recipient), country: country, minimumDays: minimum)
    }

    /// The state a send's result leads to: sent; back in the queue for a retry (transient, ambiguous)
    /// or for the next channel (permanent); or failed/expired when retries are used up.
    func completion(for send: PlannedSend, leased: LeasedMessage, attemptID: Int64, result: SendResult, now: Date, unit: Double) -> Completion {
        let channel = send.content.channel
        var state: MessageState
        var reason: String?
        var readyAt: Date?
        var exclude: Channel?
        var decisions: [String] = []
        let what = result.error ?? "send failed"
        switch result.outcome {
        case .accepted:
            state = .sent
            reason = "accepted by \(send.gateway)" + (result.providerID.map { " as \($0)" } ?? "")
        case .transient, .ambiguous:
            let attempts = leased.attempts + 1
            switch retry.decide(
                attempts: attempts, createdAt: leased.createdAt, expiresAt: leased.request.expiresAt, now: now,
                retryAfter: result.retryAfter, unit: unit)
            {
            case .retry(let at):
                state = .queued
                readyAt = at
                reason = "\(result.outcome.rawValue): \(what)"
                let after = result.retryAfter.map { " (Retry-After \(Int($0)) s honoured)" } ?? ""
                decisions.append("\(result.outcome.rawValue) failure on attempt \(attempts): \(what); retrying at \(RFC3339.format(at))\(after) with the same Idempotency-Key")
            case .giveUp(let why, let expired):
                state = expired ? .expired : .failed
                reason = "\(why); last: \(what)"
                decisions.append(reason!)
            }
        case .permanent:
            reason = "permanent failure on \(channel.rawValue): \(what)"
            if fallbackOnPermanentFailure {
                state = .queued
                readyAt = now
                exclude = channel
                decisions.append("\(reason!); falling back to the next usable channel")
            } else {
                state = .failed
                decisions.append(reason!)
            }
        }
        return Completion(
            lease: send.lease, attemptID: attemptID, outcome: AttemptOutcome(result.outcome), httpStatus: result.httpStatus,
            providerID: result.providerID, latencyMs: result.latencyMs, error: result.error, state: state, reason: reason,
            readyAt: readyAt, excludeChannel: exclude, decisions: decisions)
    }
}
