import Foundation

extension CaseEventRequest {
    /// How far in the future an event's `at` may lie: clocks of two systems differ a little, a
    /// payment tomorrow is a mistake.
    public static let futureTolerance: TimeInterval = 300

    /// Validates an event body (`POST /v1/cases/{case_ref}/events`) for the case `caseRef`. Every
    /// problem names its field; nothing is stored on failure.
    public static func parse(_ value: JSONValue, caseRef: String, now: Date) -> Result<CaseEventRequest, ValidationFailure> {
        var errors: [ValidationError] = []
        func fail(_ field: String, _ problem: String) { errors.append(ValidationError(field: field, problem: problem)) }
        if let problem = caseRefProblem(caseRef) { fail("case_ref", problem) }
        guard case .object(let fields) = value else {
            return .failure(ValidationFailure(errors + [ValidationError(field: "", problem: "expected a JSON object, got \(value.typeName)")]))
        }
        let known: Set = ["type", "amount", "currency", "at", "note", "idempotency_key"]
        for key in fields.keys.sorted() where !known.contains(key) { fail(key, "unknown field") }

        var type: CaseEventType?
        switch fields["type"] {
        case nil:
            fail("type", "required: one of \(CaseEventType.allCases.map(\.rawValue).joined(separator: ", "))")
        case .string(let name)?:
            type = CaseEventType(rawValue: name)
            if type == nil { fail("type", "'\(name)' is not an event type; use one of \(CaseEventType.allCases.map(\.rawValue).joined(separator: ", "))") }
        case let other?:
            fail("type", "expected a string, got \(other.typeName)")
        }

        var amount: String?
        switch fields["amount"] {
        case nil:
            if type == .partiallyPaid { fail("amount", "required for partially_paid: the amount paid") }
        case .string(let text)?:
            if let money = Money(text, currency: "XXX"), !money.negative, money.integerDigits.count <= ValueRules.maxAmountIntegerDigits {
                if money.isZero { fail("amount", "must be more than zero") } else { amount = text }
            } else {
                fail("amount", "expected a decimal amount such as \"400.00\" (digits and one optional ., at most \(ValueRules.maxAmountIntegerDigits) before it)")
            }
        case let other?:
            fail("amount", "expected a decimal amount as a string such as \"400.00\", got \(other.typeName)")
        }
        var currency: String?
        switch fields["currency"] {
        case nil: break
        case .string(let code)?:
            if ISO4217.isKnown(code) { currency = code } else { fail("currency", "'\(code)' is not an ISO 4217 currency code (upper case, e.g. NOK)") }
            if fields["amount"] == nil { fail("currency", "given without an amount") }
        case let other?:
            fail("currency", "expected a string, got \(other.typeName)")
        }

        var at: Date?
        switch fields["at"] {
        case nil: break
        case .string(let text)?:
            if text.count <= 40, let date = RFC3339.parseTimestamp(text),
               MessageValidator.plausibleTimestampYears.contains(ValueRules.today(date, in: TimeZone(identifier: "UTC")!).year)
            {
                if date > now.addingTimeInterval(futureTolerance) { fail("at", "lies in the future; an event says what has happened") } else { at = date }
            } else {
                fail("at", "expected an RFC 3339 timestamp such as 2026-12-01T10:00:00Z")
            }
        case let other?:
            fail("at", "expected a string, got \(other.typeName)")
        }
        let note = text(fields["note"], "note", max: 500, fail)
        let key = text(fields["idempotency_key"], "idempotency_key", max: MessageValidator.maxKeyLength, fail)
        guard errors.isEmpty, let type else { return .failure(ValidationFailure(errors)) }
        return .success(CaseEventRequest(caseRef: caseRef, type: type, amount: amount, currency: currency, at: at, note: note, idempotencyKey: key))
    }

    /// Why a case reference cannot be used (as in messages: 1–255 characters on one line), or nil.
    public static func caseRefProblem(_ caseRef: String) -> String? {
        if caseRef.isEmpty { return "must not be empty" }
        if caseRef.unicodeScalars.count > MessageValidator.maxKeyLength { return "longer than \(MessageValidator.maxKeyLength) characters" }
        return ValueRules.textProblem(caseRef, multiline: false)
    }

    private static func text(_ value: JSONValue?, _ field: String, max: Int, _ fail: (String, String) -> Void) -> String? {
        switch value {
        case nil: return nil
        case .string(let text)?:
            if text.isEmpty { fail(field, "must not be empty") } else if text.unicodeScalars.count > max {
                fail(field, "longer than \(max) characters")
            } else if let problem = ValueRules.textProblem(text, multiline: false) { fail(field, problem) } else { return text }
            return nil
        case let other?:
            fail(field, "expected a string, got \(other.typeName)")
            return nil
        }
    }
}
