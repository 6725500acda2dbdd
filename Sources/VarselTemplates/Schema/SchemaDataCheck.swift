import Foundation
import VarselCore

/// Checks message data against a kind's schema: required fields present, no undeclared fields,
/// values of the declared types. Returns (field path, message) pairs such as
/// `("data.installments[1].due_date", "expected a date YYYY-MM-DD")`.
public enum SchemaDataCheck {
    /// - Parameter refuseUndeclared: whether a field the schema does not declare is a problem (it is in the
    ///   shipped samples; a producer may send more than the templates read).
    /// - Parameter builtInRulesPassed: the data already passed `MessageValidator`'s rules by field
    ///   name (`DataFieldType`: amounts, currencies, dates, links), as enqueue's data is when this
    ///   runs: a scalar top-level field whose declared type is the one its name has is then not
    ///   judged again by the same rule (an amount's declared minimum still is).
    public static func problems(
        in data: [String: JSONValue], schema: KindSchema, refuseUndeclared: Bool = true, builtInRulesPassed: Bool = false
    ) -> [(path: String, message: String)] {
        var found: [(String, String)] = []
        // Every amount of a message is in its one currency.
        let currency = data["currency"].flatMap { ValueRules.currencyProblem($0) == nil ? $0.scalarText : nil }
        let context = Context(currency: currency, refuseUndeclared: refuseUndeclared, builtInRulesPassed: builtInRulesPassed)
        check(object: data, fields: schema.fields, topLevel: true, path: "data", context: context, into: &found)
        return found
    }

    private struct Context {
        let currency: String?
        let refuseUndeclared: Bool
        let builtInRulesPassed: Bool
    }

    /// Problems come in name order. Most data has none, so the fields are first checked in the
    /// dictionaries' own order and sorted only to report what was found.
    private static func check(
        object: [String: JSONValue], fields: [String: FieldSpec], topLevel: Bool = false, path: @autoclosure () -> String, context: Context,
        into found: inout [(String, String)]
    ) {
        let before = found.count
        let judgedByName = topLevel && context.builtInRulesPassed
        check(members: object, of: object, declared: fields, fields: fields, judgedByName: judgedByName, path: path(), context: context, into: &found)
        guard found.count > before else { return }
        found.removeSubrange(before...)
        check(
            members: object.sorted { $0.key < $1.key }, of: object, declared: fields.sorted { $0.key < $1.key }, fields: fields,
            judgedByName: judgedByName, path: path(), context: context, into: &found)
    }

    /// Checks `members` (the entries of `object`) against `declared` (the entries of `fields`), in
    /// their order. `judgedByName`: the members already passed `MessageValidator`'s rules by name.
    private static func check(
        members: some Sequence<(key: String, value: JSONValue)>, of object: [String: JSONValue],
        declared: some Sequence<(key: String, value: FieldSpec)>, fields: [String: FieldSpec], judgedByName: Bool, path: @autoclosure () -> String,
        context: Context, into found: inout [(String, String)]
    ) {
        for (name, spec) in declared where spec.required {
            switch object[name] {
            case nil, .null?: found.append(("\(path()).\(name)", "required"))
            default: break
            }
        }
        for (name, value) in members {
            guard let spec = fields[name] else {
                if context.refuseUndeclared { found.append(("\(path()).\(name)", "not declared in the schema")) }
                continue
            }
            if value == .null { continue }
            let judged = judgedByName && Self.builtInRuleJudged(name: name, value: value, type: spec.type)
            check(value: value, spec: spec, type: spec.type, builtInJudged: judged, path: "\(path()).\(name)", context: context, into: &found)
        }
    }

    /// Whether `MessageValidator` already held this value to the rule its declared type names: a
    /// scalar (lists and objects it walks into), declared as the type its field name has.
    private static func builtInRuleJudged(name: String, value: JSONValue, type: FieldType) -> Bool {
        switch value {
        case .array, .object: return false
        default: break
        }
        switch type {
        case .money, .currency, .date, .url: return type == FieldType(DataFieldType.of(name))
        default: return false
        }
    }

    /// Reads decimals as JSON writes them, whatever the process's locale.
    private static let posix = Locale(identifier: "en_US_POSIX")

    /// - Parameter builtInJudged: `MessageValidator` already judged the value by its type's rule
    ///   (`builtInRuleJudged`): only what the schema adds (an amount's minimum) is left.
    private static func check(
        value: JSONValue, spec: FieldSpec, type: FieldType, builtInJudged: Bool = false, path: @autoclosure () -> String, context: Context,
        into found: inout [(String, String)]
    ) {
        func fail(_ message: String) { found.append((path(), message)) }
        switch type {
        case .text:
            if value.scalarText == nil || value.isBool { return fail("expected text") }
            if case .string(let text) = value, let problem = ValueRules.textProblem(text, multiline: spec.multiline) { fail(problem) }
        case .number:
            var number: Decimal?
            if case .number(let value) = value { number = value }
            if case .string(let text) = value, Double(text) != nil { number = Decimal(string: text, locale: posix) }
            guard let number else { return fail("expected a number") }
            if let problem = boundProblem(number, spec: spec, text: value.scalarText ?? "") { fail(problem) }
        case .money:
            if !builtInJudged, case .failure(let problem) = ValueRules.money(value, currency: context.currency) { return fail(problem.description) }
            guard let text = value.scalarText, spec.minimum != nil || spec.exclusiveMinimum != nil else { return }
            // The bounds schemas declare are nearly always 0: judged by the amount's sign and
            // digits, the same verdict and words as `boundProblem`, without reading a Decimal.
            if spec.minimum ?? 0 == 0, spec.exclusiveMinimum ?? 0 == 0, let amount = Money(text, currency: "XXX") {
                if spec.minimum != nil, amount.negative, !amount.isZero {
                    fail("'\(text)' is below the minimum 0")
                } else if spec.exclusiveMinimum != nil, amount.negative || amount.isZero {
                    fail("'\(text)' must be more than 0")
                }
                return
            }
            guard let amount = Decimal(string: text, locale: posix) else { return }
            if let problem = boundProblem(amount, spec: spec, text: text) { fail(problem) }
        case .currency:
            if !builtInJudged, let problem = ValueRules.currencyProblem(value) { fail(problem) }
        case .date:
            if !builtInJudged, case .failure(let problem) = ValueRules.date(value) { fail(problem.description) }
        case .url:
            guard !builtInJudged else { return }
            guard case .string(let text) = value, ValueRules.isHTTPURL(text) else { return fail("expected an http(s) URL") }
        case .flag:
            if !value.isBool { fail("expected true or false") }
        case .list(let item):
            guard case .array(let items) = value else { return fail("expected a list") }
            for (index, element) in items.enumerated() {
                check(value: element, spec: spec, type: item, path: "\(path())[\(index)]", context: context, into: &found)
            }
        case .object(let fields):
            guard case .object(let object) = value else { return fail("expected an object") }
            check(object: object, fields: fields, path: path(), context: context, into: &found)
        }
    }

    /// Why `value` is below the field's declared minimum.
    private static func boundProblem(_ value: Decimal, spec: FieldSpec, text: String) -> String? {
        if let minimum = spec.minimum, value < minimum { return "'\(text)' is below the minimum \(minimum)" }
        if let bound = spec.exclusiveMinimum, value <= bound {
            return bound == 0 ? "'\(text)' must be more than 0" : "'\(text)' must be more than \(bound)"
        }
        return nil
    }
}

extension JSONValue {
    fileprivate var isBool: Bool {
        if case .bool = self { return true }
        return false
    }
}

extension TemplateSet {
    /// What enqueue holds a message's data to: the fields its kind's schema requires, with their
    /// declared types. Fields the schema does not declare are let through.
    public func dataProblems(kind: String, data: [String: JSONValue], builtInRulesPassed: Bool = false) -> [ValidationError] {
        SchemaDataCheck.enqueueProblems(kind: kind, data: data, schemas: schemas, builtInRulesPassed: builtInRulesPassed)
    }
}

extension SchemaDataCheck {
    /// `TemplateSet.dataProblems` for schemas read on their own (`TemplateSetLoader.readSchemas`).
    public static func enqueueProblems(
        kind: String, data: [String: JSONValue], schemas: [String: KindSchema], builtInRulesPassed: Bool = false
    ) -> [ValidationError] {
        guard let schema = schemas[kind] else { return [] }
        return problems(in: data, schema: schema, refuseUndeclared: false, builtInRulesPassed: builtInRulesPassed).map {
            ValidationError(field: $0.path, problem: $0.message == "required" ? "required by the templates of kind \(kind) (\(schema.file))" : $0.message)
        }
    }
}
