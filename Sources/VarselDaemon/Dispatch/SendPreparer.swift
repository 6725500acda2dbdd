import Foundation
import VarselCore
import VarselGateways
import VarselStore
import VarselTemplates

/// Decides, for one leased message, what to record and what to send: expiry, plan, render, gateway.
/// No I/O: the dispatcher writes the result and performs the send.
struct SendPreparer: Sendable {
    let planner: Planner
    let gateways: GatewaySelector
    let retry: RetryPolicy
    let fallbackOnPermanentFailure: Bool
    let frequencyCap: FrequencyCap
    let contactWindows: ContactWindows
    let windowSpread: TimeInterval
    /// An SMS longer than this many segments is never sent (`templates.sms_max_parts`).
    let smsMaxParts: Int
    /// Which kinds a stopped case stops (`kinds.<name>.demands_payment`).
    let caseStops: CaseStopPolicy

    /// The preparation to record, and the message to send if it is a send.
    /// `stored` is the recipient's stored preference record, if any: merged under the message's own
    /// fields at send time, so an opt-out stored after the enqueue still wins.
    /// `recentSends` are the times messages to this recipient were accepted within the cap's window.
    /// `caseEvents` are the events of the message's case: a stopped case is not sent to, and a
    /// partial payment recorded after the message was accepted lowers the amount it shows.
    /// `caseSteps` are the case's messages a gateway accepted: the country rules' spacing and fee
    /// limits are judged against them.
    func prepare(
        _ leased: LeasedMessage, stored: Recipient?, recentSends: [Date] = [], caseEvents: [CaseEvent] = [], caseSteps: [CaseStep] = [],
        hourStats: [SendHourLearning.Group: [Int: HourStats]] = [:], templates: TemplateSet, now: Date
    ) -> (Preparation, OutboundMessage?) {
        var request = leased.request
        var merged: [String] = []
        if let stored {
            request.recipient = request.recipient.merged(over: stored)
            merged = ["preferences merged from the stored record of recipient \(stored.id ?? "")"]
        }
        let id = leased.lease.messageID
        if let ending = MessageLifecycle.expiry(expiresAt: request.expiresAt, now: now) {
            return (.finish(lease: leased.lease, state: ending.state, reason: ending.reason, decisions: [ending.reason]), nil)
        }
        // The case's events: checked at enqueue and cancelled by the event itself, and again here.
        if let refusal = CaseStanding(events: caseEvents).refusal(kind: request.kind, policy: caseStops) {
            return (.finish(lease: leased.lease, state: .cancelled, reason: refusal, decisions: merged + [refusal]), nil)
        }
        if caseStops.stops(kind: request.kind), let amount = request.data["amount"].flatMap(MessageValidator.moneyText),
           let currency = request.data["currency"]?.scalarText,
           let adjustment = PartialPayments.adjust(amount: amount, currency: currency, acceptedAt: leased.createdAt, events: caseEvents)
        {
            if adjustment.settled {
                let reason = "nothing left to pay: \(adjustment.decision)"
                return (.finish(lease: leased.lease, state: .cancelled, reason: reason, decisions: merged + [reason]), nil)
            }
            request.data["amount"] = .string(adjustment.amount)
            merged.append(adjustment.decision)
        }

        // An interrupted send is repeated with the same content, unless that content may no longer be sent.
        var skipped: [String] = []
        var excluded = leased.excludedChannels
        var resend = leased.previous
        if let previous = resend, let problem = smsTooLong(previous.content) {
            skipped.append(problem)
            excluded.insert(previous.content.channel)
            resend = nil
        }
        if resend != nil,
           let ending = MessageLifecycle.resendAfterInterruption(attempts: leased.attempts, maxAttempts: retry.maxAttempts, lastReason: leased.lastReason)
        {
            return (.finish(lease: leased.lease, state: ending.state, reason: ending.reason, decisions: merged + [ending.reason]), nil)
        }
        if let previous = resend, request.recipient.optOut.contains(previous.content.channel) {
            let reason = "recipient opted out of \(previous.content.channel.rawValue) after an interrupted send; not sent again"
            return (.finish(lease: leased.lease, state: .cancelled, reason: reason, decisions: merged + [reason]), nil)
        }
        if resend != nil, let wait = windowWait(request, id: id, now: now) {
            guard let wait else {
                return (.finish(lease: leased.lease, state: .failed, reason: Self.neverOpens, decisions: merged + [Self.neverOpens]), nil)
            }
            // The deadline is judged at the time it will actually go out, for a resend too.
            if let problem = legalProblem(request, channel: resend?.content.channel, sendAt: wait.until) {
                return (.finish(lease: leased.lease, state: .failed, reason: problem, decisions: merged + [wait.reason, problem]), nil)
            }
            return (.deferral(lease: leased.lease, until: wait.until, reason: wait.reason, decisions: merged + [wait.reason]), nil)
        }
        if let previous = resend {
            if let problem = legalProblem(request, channel: previous.content.channel, sendAt: now) {
                return (.finish(lease: leased.lease, state: .failed, reason: problem, decisions: merged + [problem]), nil)
            }
            let channel = previous.content.channel
            let gateway: String
            var notes: [String] = []
            switch gateways.choose(channel, now: now) {
            case .gateway(let name, let gatewayNotes):
                gateway = name
                notes = gatewayNotes
            case .wait(let until, let reason):
                return (.deferral(lease: leased.lease, until: until, reason: reason, decisions: merged + [reason]), nil)
            case .none:
                let reason = "no gateway configured for \(channel.rawValue)"
                return (.finish(lease: leased.lease, state: .failed, reason: reason, decisions: merged + [reason]), nil)
            }
            let key = MessageID.idempotencyKey(messageID: id, channel: channel)
            let send = PlannedSend(
                lease: leased.lease, locale: previous.locale, tone: previous.tone, content: previous.content,
                decisions: merged + notes + ["resending the content rendered before via \(gateway)"], gateway: gateway,
                idempotencyKey: key)
            return (.send(send), OutboundMessage(messageID: id, idempotencyKey: key, recipient: request.recipient, content: previous.content))
        }

        // A collection notice goes only by a channel that counts as written notice in the debtor's
        // country, on that channel's condition (a dated consent on the recipient record).
        let rules = countryRules(request)
        if let rules, step(request) == .collectionNotice {
            for channel in Channel.allCases where !excluded.contains(channel) {
                if let problem = CollectionRuleCheck.noticeChannelProblem(channel, recipient: request.recipient, rules: rules, at: now) {
                    excluded.insert(channel)
                    skipped.append(problem)
                }
            }
        }

        // Plan and render; a channel whose rendering may not be sent (an SMS above
        // templates.sms_max_parts) is skipped with the reason and the next one is tried.
        var plan: Plan
        var content: RenderedContent
        var deadlineNote: [String] = []
        var experimentNote: [String] = []
        while true {
            switch planner.plan(request, catalog: templates, excluding: excluded) {
            case .planned(let planned): plan = planned
            case .unplannable(var reason, let decisions):
                if let last = skipped.last {
                    reason = "\(last); no other usable channel"
                } else if !leased.excludedChannels.isEmpty, let last = leased.lastReason {
                    // Say what failed before, not only that nothing is left.
                    reason = "\(last); no other usable channel"
                }
                return (.finish(lease: leased.lease, state: .failed, reason: reason, decisions: merged + skipped + decisions + (decisions.last == reason ? [] : [reason])), nil)  // the planner's trail may end with the reason already
            }
            // A plan step states its deadline from the day and channel it really goes: a delay never shortens it.
            if let planStep = request.planStep {
                let deadline = PlanSchedule.deadline(
                    sendDate: ValueRules.today(now, in: RecipientTimeZone.of(request.recipient)), deadlineDays: planStep.deadlineDays,
                    rules: step(request) == .collectionNotice ? countryRules(request) : nil, channel: plan.channel)
                request.data["deadline"] = .string(deadline.description)
                deadlineNote = ["deadline \(deadline): plan \(planStep.plan), step \(planStep.step), at least \(planStep.deadlineDays) days from sending"]
            }
            let experiment = experimentVariant(request, id: id, plan: plan, templates: templates)
            experimentNote = experiment.note
            switch templates.render(request, messageID: id, plan: plan, experiment: experiment.variant) {
            case .success(let rendered): content = rendered
            case .failure(let failure):
                return (.finish(lease: leased.lease, state: .failed, reason: failure.reason, decisions: merged + skipped + plan.decisions + [failure.reason]), nil)
            }
            guard let problem = smsTooLong(content) else { break }
            skipped += plan.decisions + [problem]
            excluded.insert(plan.channel)
        }
        var trail = skipped + plan.decisions + deadlineNote + experimentNote
        // A learned send hour: on the step's day, wait for the hour chosen from the outcomes known now.
        if request.planStep?.timing == .learned, leased.attempts == 0,
           let learned = learnedHour(request, id: id, channel: plan.channel, stats: hourStats, now: now)
        {
            if !learned.isNow {
                let reason = "waiting for the learned send hour: \(learned.reason)"
                return (.deferral(lease: leased.lease, until: learned.at, reason: reason, decisions: merged + trail + [reason]), nil)
            }
            trail.append(learned.reason)
        }
        if let wait = windowWait(request, id: id, now: now) {
            guard let wait else {
                return (.finish(lease: leased.lease, state: .failed, reason: Self.neverOpens, decisions: merged + trail + [Self.neverOpens]), nil)
            }
            // The deadline is judged at the time it will actually go out (a plan step's moves with it).
            if request.planStep == nil, let problem = legalProblem(request, channel: plan.channel, sendAt: wait.until) {
                return (.finish(lease: leased.lease, state: .failed, reason: problem, decisions: merged + trail + [wait.reason, problem]), nil)
            }
            return (.deferral(lease: leased.lease, until: wait.until, reason: wait.reason, decisions: merged + trail + [wait.reason]), nil)
        }
        if request.planStep == nil, let problem = legalProblem(request, channel: plan.channel, sendAt: now) {
            return (.finish(lease: leased.lease, state: .failed, reason: problem, decisions: merged + trail + [problem]), nil)
        }
        // Spacing and fee limits against what the case has really been sent.
        var ruleNotes: [String] = []
        if let rules {
            let (verdict, notes) = CollectionRuleCheck.atSend(
                request, messageID: id, step: step(request), rules: rules, history: caseSteps,
                steps: planner.policy.kinds.mapValues(\.legalStep), sendAt: now)
            switch verdict {
            case .wait(let until, let reason)?:
                if request.planStep == nil, let problem = legalProblem(request, channel: plan.channel, sendAt: until) {
                    return (.finish(lease: leased.lease, state: .failed, reason: problem, decisions: merged + trail + [reason, problem]), nil)
                }
                return (.deferral(lease: leased.lease, until: until, reason: reason, decisions: merged + trail + [reason]), nil)
            case .fail(let reason)?:
                return (.finish(lease: leased.lease, state: .failed, reason: reason, decisions: merged + trail + [reason]), nil)
            case nil:
                ruleNotes = notes
            }
        }
        if let until = frequencyCap.deferredUntil(kind: request.kind, sentAt: recentSends, now: now) {
            let reason = frequencyCap.deferralReason(kind: request.kind, until: until)
            return (.deferral(lease: leased.lease, until: until, reason: reason, decisions: merged + trail + [reason]), nil)
        }
        let gateway: String
        var gatewayNotes: [String] = []
        switch gateways.choose(plan.channel, now: now) {
        case .gateway(let name, let notes):
            gateway = name
            gatewayNotes = notes
        case .wait(let until, let reason):
            return (.deferral(lease: leased.lease, until: until, reason: reason, decisions: merged + trail + [reason]), nil)
        case .none:
            let reason = "no gateway configured for \(plan.channel.rawValue)"
            return (.finish(lease: leased.lease, state: .failed, reason: reason, decisions: merged + trail + [reason]), nil)
        }
        var decisions = merged + trail + ruleNotes + gatewayNotes
        var rendered = "rendered \(content.templateID)\(content.variant.map { " variant \($0)" } ?? "") (\(content.templateVersion.prefix(19))…)"
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

    /// Today's learned hour for a plan step (`timing: learned`), chosen by Thompson sampling from the
    /// outcomes of sends to debtors of the same country by the same channel. Each hour's draw is seeded
    /// by the message and the day, so the hour chosen at the day's opening is chosen again when it comes.
    func learnedHour(
        _ request: MessageRequest, id: String, channel: Channel, stats: [SendHourLearning.Group: [Int: HourStats]], now: Date
    ) -> (at: Date, isNow: Bool, reason: String)? {
        let country = request.recipient.effectiveCountry
        let zone = RecipientTimeZone.of(request.recipient)
        let counts = stats[SendHourLearning.Group(country: country?.uppercased(), channel: channel)] ?? [:]
        var seed: UInt64 = 14_695_981_039_346_656_037
        for byte in "\(id)|\(ValueRules.today(now, in: zone))".utf8 { seed = (seed ^ UInt64(byte)) &* 1_099_511_628_211 }
        guard let chosen = LearnedSchedule.today(
            now: now, timeZone: zone, country: country, windows: contactWindows,
            choose: { LearnedSendHour.choose(openHours: $0, stats: counts, seed: seed) })
        else { return nil }
        return (chosen.at, chosen.isNow, chosen.reason + "; similar debtors: \(country ?? "no country"), \(channel.rawValue)")
    }

    /// The experiment variant a message reads (`experiments`), with the trail's note; nil outside an
    /// experiment. Where the assigned variant has no file for the template the plan chose (another
    /// locale or tone), the template itself (variant `a`) is sent and recorded, and the note says so.
    func experimentVariant(_ request: MessageRequest, id: String, plan: Plan, templates: TemplateSet) -> (variant: String?, note: [String]) {
        guard let experiment = planner.policy.experiments.experiment(kind: request.kind, channel: plan.channel) else { return (nil, []) }
        let assignment = experiment.assign(unit: request.caseRef ?? id, isCase: request.caseRef != nil)
        let key = TemplateKey(kind: request.kind, locale: plan.locale, tone: plan.tone, channel: plan.channel)
        if assignment.variant == TemplateExperiment.baseVariant || templates.experimentVariants(of: key).contains(assignment.variant) {
            return (assignment.variant, [assignment.note])
        }
        let base = TemplateExperiment.baseVariant
        return (base, [assignment.note + "; \(key) has no variant \(assignment.variant), so variant \(base) (the template itself) is sent"])
    }

    /// Why `content` may not be sent: an SMS of more segments than `templates.sms_max_parts`.
    func smsTooLong(_ content: RenderedContent) -> String? {
        guard let sms = content.sms, sms.segments > smsMaxParts else { return nil }
        return "sms skipped: the rendered text is \(sms.segments) segments (\(sms.encoding.rawValue)), above templates.sms_max_parts (\(smsMaxParts)); not sent by sms"
    }

    static let neverOpens = "the recipient's contact window never opens in the next 30 days; check policy.contact_windows"

    /// `nil` when the recipient may be contacted now; otherwise when (spread over `windowSpread` after
    /// the opening, by message id, so an opening is not a thundering herd), or `.some(nil)` when the
    /// window never opens.
    func windowWait(_ request: MessageRequest, id: String, now: Date) -> (until: Date, reason: String)?? {
        let country = request.recipient.effectiveCountry
        let zone = RecipientTimeZone.of(request.recipient)
        guard let opening = contactWindows.earliestAllowed(at: now, country: country, timeZone: zone) else { return .some(nil) }
        guard opening > now else { return nil }
        var hash: UInt64 = 14_695_981_039_346_656_037
        for byte in id.utf8 { hash = (hash ^ UInt64(byte)) &* 1_099_511_628_211 }
        let until = opening.addingTimeInterval(windowSpread * Double(hash % 10_000) / 10_000)
        let local = Self.localTime(opening, zone)
        return (until, "outside the contact window for \(country ?? "?") (\(zone.identifier)): deferred to the opening at \(local), sending at \(RFC3339.format(until))")
    }

    static func localTime(_ date: Date, _ zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%04d-%02d-%02d %02d:%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0, parts.minute ?? 0)
            + " local"
    }

    /// The legal rule of the message's kind for the recipient's country, checked at the actual send
    /// time: a stated deadline shorter than the minimum holds the message as failed. The minimum is
    /// the kind's (`minimum_deadline_days`) or, for a collection notice, the country rules' counted
    /// from presumed receipt by `channel` where the country counts so, whichever is longer.
    func legalProblem(_ request: MessageRequest, channel: Channel?, sendAt: Date) -> String? {
        guard let country = request.recipient.effectiveCountry,
              let text = request.data["deadline"]?.scalarText, let deadline = RFC3339.parseDate(text)
        else { return nil }
        let kindMinimum = planner.policy.kinds[request.kind]?.minimumDeadlineDays[country]
        let ruleMinimum = step(request) == .collectionNotice ? countryRules(request)?.noticeDays(channel: channel) : nil
        guard let minimum = [kindMinimum, ruleMinimum].compactMap({ $0 }).max() else { return nil }
        return DeadlineGuard.problem(
            deadline: deadline, sendAt: sendAt, timeZone: RecipientTimeZone.of(request.recipient), country: country, minimumDays: minimum)
    }

    /// The country rules for a message: its debtor's country, its creditor's overrides.
    func countryRules(_ request: MessageRequest) -> CountryRules? {
        planner.policy.collectionRules.rules(country: request.recipient.effectiveCountry, creditor: request.data["creditor"]?.scalarText)
    }

    func step(_ request: MessageRequest) -> LegalStep { planner.policy.kinds[request.kind]?.legalStep ?? .none }

    /// The state a send's result leads to (`MessageLifecycle.outcome`), as the store records it.
    func completion(
        for send: PlannedSend, leased: LeasedMessage, attemptID: Int64, result: SendResult, now: Date, unit: @autoclosure () -> Double
    ) -> Completion {
        let error = result.error.map { Masking.scrub($0, knownContact: leased.request.recipient) }
        let outcome = AttemptOutcome(result.outcome)
        let verdict = MessageLifecycle.outcome(
            .init(outcome: outcome, channel: send.content.channel, gateway: send.gateway, providerID: result.providerID, error: error, retryAfter: result.retryAfter),
            .init(
                attemptsBefore: leased.attempts, createdAt: leased.createdAt, expiresAt: leased.request.expiresAt, retry: retry,
                fallBackOnPermanentFailure: fallbackOnPermanentFailure),
            now: now, unit: unit())
        var completion = Completion(
            lease: send.lease, attemptID: attemptID, gateway: send.gateway, outcome: outcome, httpStatus: result.httpStatus, providerID: result.providerID,
            latencyMs: result.latencyMs, error: error, state: verdict.state, reason: verdict.reason, readyAt: verdict.readyAt,
            excludeChannel: verdict.excludeChannel, decisions: verdict.decisions)
        completion.parts = result.parts
        return completion
    }
}
