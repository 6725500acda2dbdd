import Foundation

/// A collection plan held to its country's rule table (docs/collection-rules.md) and the configured
/// kinds, before any case follows it: what the send-time rules would refuse or hold back one case
/// at a time is refused here for the whole plan. Pure: the callers bring the rules and the kinds.
public enum PlanCheck {
    /// Every problem of every plan, in file and line order.
    public static func problems(_ plans: [String: CollectionPlan], rules: CollectionRules, kinds: [String: KindRule]) -> [PlanProblem] {
        plans.values.flatMap { problems($0, rules: rules, kinds: kinds) }.sorted()
    }

    /// The plan's problems, each at its step's line and naming the rule and its source. The rules
    /// are the country's own: a creditor's stricter overrides apply to its messages at enqueue and
    /// at send, not to a plan every creditor may use.
    public static func problems(_ plan: CollectionPlan, rules: CollectionRules, kinds: [String: KindRule]) -> [PlanProblem] {
        var problems: [PlanProblem] = []
        func report(_ step: PlanStep?, _ message: String, _ severity: PlanProblem.Severity = .error) {
            let text = step.map { "step '\($0.name)': \(message)" } ?? message
            problems.append(PlanProblem(file: plan.file, line: step?.line ?? 1, severity: severity, message: text))
        }
        let country = rules.countries[plan.country]
        if country == nil {
            report(nil, "no collection rules for country '\(plan.country)' (\(rules.countries.keys.sorted().joined(separator: ", ")) have them); a new country's are configured under collection_rules.countries")
        }
        let days = plan.stepDays
        for (index, step) in plan.steps.enumerated() {
            guard let kind = kinds[step.kind] else {
                report(step, "unknown kind '\(step.kind)'; the configured kinds are \(kinds.keys.sorted().joined(separator: ", "))")
                continue
            }
            let refused = step.channels?.filter { !(kind.allowedChannels?.contains($0) ?? true) } ?? []
            for channel in refused {
                report(step, "a \(step.kind) may not go by \(channel.rawValue)" + (kind.channelRuleReason.map { ": \($0)" } ?? "") + " (kinds.\(step.kind).channels)")
            }
            if step.fee != nil, kind.legalStep != .reminder {
                report(step, "only a reminder step charges a fee (kinds.\(step.kind).legal_step is \(kind.legalStep.rawValue))")
            }
            if kind.legalStep == .collectionNotice, step.deadlineDays == nil {
                report(step, "a collection notice states a deadline: give deadline_days")
            }
            guard let country else { continue }
            switch kind.legalStep {
            case .reminder: reminderProblems(step, day: days[index], rules: country, report: report)
            case .collectionNotice:
                let channels = step.channels?.filter { !refused.contains($0) } ?? Channel.allCases.filter { kind.allowedChannels?.contains($0) ?? true }
                noticeProblems(step, kind: kind, channels: channels, explicit: step.channels != nil, rules: country, report: report)
            case .none: break
            }
        }
        if let country {
            problems += sequenceProblems(plan, days: days, kinds: kinds, rules: country)
        }
        return problems.sorted()
    }

    /// A reminder's day, and its fee's day, size and agreement.
    private static func reminderProblems(_ step: PlanStep, day: Int, rules: CountryRules, report: (PlanStep?, String, PlanProblem.Severity) -> Void) {
        let country = rules.country
        if day < rules.reminderEarliestDaysAfterDue {
            report(step, "a reminder may go at the earliest \(rules.reminderEarliestDaysAfterDue) days after the due date in \(country)\(rules.source("reminder_earliest_days_after_due")); this step is on day \(day)", .error)
        }
        guard let fee = step.fee.flatMap({ Decimal(string: $0, locale: CollectionRules.posix) }), fee > 0 else { return }
        if day < rules.feeEarliestDaysAfterDue {
            report(step, "a fee may be charged in \(country) only on a reminder at least \(rules.feeEarliestDaysAfterDue) days after the due date\(rules.source("fee_earliest_days_after_due")); this step is on day \(day)", .error)
        }
        // A plan has no currency: its fees are in the country's fee currency, so the numbers compare.
        if let capText = rules.feeCap, let currency = rules.feeCurrency, let cap = Decimal(string: capText, locale: CollectionRules.posix), fee > cap {
            report(step, "fee \(step.fee ?? "") is above the reminder fee cap of \(capText) \(currency) in \(country)\(rules.source("fee_cap"))", .error)
        }
        if rules.feeRequiresAgreement {
            report(step, "a reminder fee in \(country) needs the debtor's agreement when the debt arose\(rules.source("fee_requires_agreement")): each case must carry data.fee_agreed: true, or this step's message is refused", .warning)
        }
    }

    /// A notice's channels and its deadline against the strictest of them.
    private static func noticeProblems(
        _ step: PlanStep, kind: KindRule, channels: [Channel], explicit: Bool, rules: CountryRules,
        report: (PlanStep?, String, PlanProblem.Severity) -> Void
    ) {
        let country = rules.country
        let never = channels.filter { (rules.noticeChannels[$0] ?? .never) == .never }
        if explicit {
            for channel in never {
                report(step, "\(channel.rawValue) does not count as a written collection notice in \(country)\(rules.source("notice_channels"))", .error)
            }
        }
        let written = channels.filter { !never.contains($0) }
        if !written.isEmpty, !written.contains(where: { rules.noticeChannels[$0] == .always }) {
            let conditions = written.map { "\($0.rawValue) only with \(rules.noticeChannels[$0] == .usedAddress ? "a used_address" : "an electronic_notice") consent" }
            report(step, "no channel of this notice counts as written notice in \(country) without a condition (\(conditions.joined(separator: ", "))\(rules.source("notice_channels"))): a debtor without the consent cannot be sent it; add letter to fall back on", .warning)
        }
        guard let deadline = step.deadlineDays else { return }
        // The strictest channel: the one whose notice needs the most days (in Finland a letter's 7 days of presumed receipt).
        if let strictest = written.max(by: { rules.noticeDays(channel: $0) < rules.noticeDays(channel: $1) }), deadline < rules.noticeDays(channel: strictest) {
            let why = rules.noticeCountsFrom == .presumedReceipt
                ? "\(rules.noticeMinimumDays) days from presumed receipt, which by \(strictest.rawValue) is \(rules.presumedReceiptDays[strictest] ?? 0) days after sending"
                : "counted from sending"
            report(step, "deadline_days \(deadline) is shorter than the \(rules.noticeDays(channel: strictest)) days a collection notice by \(strictest.rawValue) needs in \(country) (\(why))\(rules.source("notice_minimum_days"))", .error)
        } else if let minimum = kind.minimumDeadlineDays[country], deadline < minimum {
            // The kind's own minimum (older, per kind), where it is the longer one.
            report(step, "deadline_days \(deadline) is shorter than kinds.\(step.kind).minimum_deadline_days.\(country): \(minimum)", .error)
        }
    }

    /// The rules between steps, for every band of amount the plan's conditions tell apart: the gaps
    /// between steps, and the number and spacing of fee-bearing reminders.
    private static func sequenceProblems(_ plan: CollectionPlan, days: [Int], kinds: [String: KindRule], rules: CountryRules) -> [PlanProblem] {
        let country = rules.country
        let bands = plan.amountBands
        // A problem found in some bands only says for which amounts.
        var found: [PlanProblem: [PlanAmountBand]] = [:]
        var order: [PlanProblem] = []
        for band in bands {
            func report(_ index: Int, _ message: String) {
                let problem = PlanProblem(file: plan.file, line: plan.steps[index].line, message: "step '\(plan.steps[index].name)': \(message)")
                if found[problem] == nil { order.append(problem) }
                found[problem, default: []].append(band)
            }
            let steps = band.steps.filter { (kinds[plan.steps[$0].kind]?.legalStep ?? LegalStep.none) != LegalStep.none }
            for (earlier, later) in zip(steps, steps.dropFirst()) {
                let gap = days[later] - days[earlier]
                if gap < rules.stepsMinDaysApart {
                    report(later, "\(gap) days after step '\(plan.steps[earlier].name)'; steps of a case at least \(rules.stepsMinDaysApart) days apart in \(country)\(rules.source("steps_min_days_apart"))")
                }
                if let max = rules.stepsMaxDaysApart, gap > max {
                    report(later, "\(gap) days after step '\(plan.steps[earlier].name)'; at most \(max) days between steps in \(country)\(rules.source("steps_max_days_apart"))")
                }
            }
            let charging = steps.filter { kinds[plan.steps[$0].kind]?.legalStep == .reminder && CaseStep.charges(fee: plan.steps[$0].fee) }
            if let max = rules.feeRemindersMax, charging.count > max {
                for index in charging.dropFirst(max) {
                    report(index, "fee-bearing reminder number \(charging.firstIndex(of: index)! + 1); at most \(max) per case in \(country)\(rules.source("fee_reminders_max"))")
                }
            }
            for (earlier, later) in zip(charging, charging.dropFirst()) where days[later] - days[earlier] < rules.feeRemindersMinDaysApart {
                report(later, "a fee-bearing reminder \(days[later] - days[earlier]) days after the fee-bearing step '\(plan.steps[earlier].name)'; at least \(rules.feeRemindersMinDaysApart) days apart in \(country)\(rules.source("fee_reminders_min_days_apart"))")
            }
        }
        return order.map { problem in
            let foundIn = found[problem]!
            guard foundIn.count < bands.count else { return problem }
            return PlanProblem(
                file: problem.file, line: problem.line, column: problem.column, severity: problem.severity,
                message: problem.message + " (for \(foundIn.map(\.description).joined(separator: " or ")))")
        }
    }
}
