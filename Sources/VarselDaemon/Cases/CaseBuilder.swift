import Foundation
import VarselCore
import VarselStore

/// Turns a case request (`POST /v1/cases`: `case_ref`, `plan`, `recipient`, `data`) into one
/// validated message per step of the plan that applies. Each message goes through the validator a
/// producer's message goes through (kind schema, contact points, the country rules at enqueue), with
/// the step's kind, channels, fee, time and a provisional deadline; the dispatcher sets the real
/// deadline when the step is sent.
struct CaseBuilder {
    let validator: MessageValidator

    struct Built {
        let caseRef: String
        let plan: CollectionPlan
        let requestHash: String
        let steps: [(step: String, message: MessageRequest)]
    }

    func build(
        _ value: JSONValue, plans: [String: CollectionPlan], stored: [String: Recipient], now: Date, learnedWithin windows: ContactWindows? = nil
    ) -> Result<Built, ValidationFailure> {
        var errors: [ValidationError] = []
        func fail(_ field: String, _ problem: String) { errors.append(ValidationError(field: field, problem: problem)) }
        guard case .object(let root) = value else {
            return .failure(ValidationFailure([ValidationError(field: "", problem: "expected a JSON object, got \(value.typeName)")]))
        }
        for key in root.keys.sorted() where !["case_ref", "plan", "recipient", "data"].contains(key) { fail(key, "unknown field") }
        var caseRef = ""
        switch root["case_ref"] {
        case .string(let text)?:
            if let problem = CaseEventRequest.caseRefProblem(text) { fail("case_ref", problem) } else { caseRef = text }
        case nil: fail("case_ref", "required: the creditor's reference for the case")
        case let other?: fail("case_ref", "expected a string, got \(other.typeName)")
        }
        var plan: CollectionPlan?
        switch root["plan"] {
        case .string(let name)?:
            plan = plans[name]
            if plan == nil {
                fail("plan", "no plan named '\(name)'; the plans are: \(plans.keys.sorted().joined(separator: ", "))")
            }
        case nil: fail("plan", "required: the name of a plan (plans.dir)")
        case let other?: fail("plan", "expected a string, got \(other.typeName)")
        }
        guard case .object(let recipient)? = root["recipient"] else {
            fail("recipient", root["recipient"] == nil ? "required" : "expected an object")
            return .failure(ValidationFailure(errors))
        }
        guard case .object(let data)? = root["data"] else {
            fail("data", root["data"] == nil ? "required" : "expected an object")
            return .failure(ValidationFailure(errors))
        }
        let dueDate = data["due_date"]?.scalarText.flatMap(RFC3339.parseDate)
        if dueDate == nil { fail("data.due_date", "required: the invoice's due date (YYYY-MM-DD), from which the plan counts") }
        let amount = data["amount"].flatMap(MessageValidator.moneyText).flatMap { Decimal(string: $0, locale: Locale(identifier: "en_US_POSIX")) }
        if amount == nil { fail("data.amount", "required: the amount, a decimal string such as \"1250.00\"") }
        guard errors.isEmpty, let plan, let dueDate, let amount else { return .failure(ValidationFailure(errors)) }

        let probe = Recipient(country: (recipient["country"]?.scalarText)?.uppercased(), timezone: recipient["timezone"]?.scalarText)
        let zone = RecipientTimeZone.of(probe)
        let rules = validator.collectionRules.rules(country: probe.country, creditor: data["creditor"]?.scalarText)
        var steps: [(step: String, message: MessageRequest)] = []
        var seen: Set<String> = []
        for scheduled in PlanSchedule.schedule(plan, dueDate: dueDate, amount: amount, timeZone: zone, now: now) {
            let step = scheduled.step
            // A learned hour is chosen by the dispatcher when the step's day comes, from the outcomes
            // known then: the step waits for the first open hour of its day.
            var sendAfter = scheduled.sendAfter
            if let windows, let opening = LearnedSchedule.sendTime(
                day: scheduled.day, now: now, timeZone: zone, country: probe.country, windows: windows,
                choose: { $0.first.map { LearnedSendHour.Choice(hour: $0, reason: "") } })
            {
                sendAfter = opening.sendAfter
            }
            var stepData = data
            if let fee = step.fee { stepData["fee"] = .string(fee) }
            let deadlineDays = step.deadlineDays ?? PlanSchedule.defaultDeadlineDays
            let isNotice = validator.kinds[step.kind]?.legalStep == .collectionNotice
            let sendDate = ValueRules.today(sendAfter, in: zone)
            // Provisional: the dispatcher states the deadline from the day and channel it really goes.
            let deadline = PlanSchedule.deadline(sendDate: sendDate, deadlineDays: deadlineDays, rules: isNotice ? rules : nil, channel: nil)
            stepData["deadline"] = .string(deadline.description)
            var stepRecipient = recipient
            if let channels = step.channels { stepRecipient["channels"] = .array(channels.map { .string($0.rawValue) }) }
            let message: JSONValue = .object([
                "idempotency_key": .string(CaseRecord.messageKey(caseRef: caseRef, step: step.name)),
                "kind": .string(step.kind), "case_ref": .string(caseRef), "recipient": .object(stepRecipient), "data": .object(stepData),
                "send_after": .string(RFC3339.format(sendAfter)),
            ])
            switch validator.validate(message, stored: stored) {
            case .success(var request):
                request.planStep = PlanStepRef(plan: plan.name, step: step.name, deadlineDays: deadlineDays, timing: windows == nil ? nil : .learned)
                steps.append((step.name, request))
            case .failure(let failure):
                for error in failure.errors {
                    // What every step shares (the recipient, the invoice) is said once; what the step adds, per step.
                    let perStep = ["data.fee", "data.deadline", "send_after", "kind"].contains(error.field)
                    let problem = perStep ? "step \(step.name): \(error.problem)" : error.problem
                    if seen.insert(error.field + "\u{1F}" + problem).inserted { fail(error.field, problem) }
                }
            }
        }
        guard errors.isEmpty else { return .failure(ValidationFailure(errors)) }
        if steps.isEmpty { return .failure(ValidationFailure([ValidationError(field: "plan", problem: "no step of plan \(plan.name) applies to this case")])) }
        return .success(Built(caseRef: caseRef, plan: plan, requestHash: Self.hash(value), steps: steps))
    }

    /// The request's hash, independent of key order: a repeat is recognised however it is written.
    static func hash(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Digest.sha256((try? encoder.encode(value)) ?? Data())
    }
}
