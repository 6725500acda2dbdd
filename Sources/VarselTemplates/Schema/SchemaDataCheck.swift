import Foundation
import VarselCore

/// Checks message data against a kind's schema: required fields present, no undeclared fields,
/// values of the declared types. Returns (field path, message) pairs such as
/// `("data.installments[1].due_date", "expected a date YYYY-MM-DD")`.
public enum SchemaDataCheck {
    /// - Parameter undeclared: whether a field the schema does not declare is a problem (it is in the
    ///   shipped samples; a producer may send more than the templates read).
    public static func problems(in data: [String: JSONValue], schema: KindSchema, refuseUndeclared: Bool = true) -> [(path: String, message: String)] {
        var found: [(String, String)] = []
        // Every amount of a message is in its one currency.
        let currency = data["currency"].flatMap { ValueRules.currencyProblem($0) == nil ? $0.scalarText : nil }
        let context = Context(currency: currency, refuseUndeclared: refuseUndeclared)
        check(object: data, fields: schema.fields, path: "data", context: context, into: &found)
        return found
    }

    private struct Context {
        let currency: String?
        let refuseUndeclared: Bool
    }

    /// Problems come in name order. Most data has none, so the fields are first checked in the
    /// dictionaries' own order and sorted only to report what was found.
    private static func check(
        object: [String: JSONValue], fields: [String: FieldSpec], path: @autoclosure () -> String, context: Context,
        into found: inout [(String, String)]
    ) {
        let before = found.count
        check(members: object, of: object, declared: fields, fields: fields, path: path(), context: context, into: &found)
        guard found.count > before else { return }
        found.removeSubrange(before...)
        check(
            members: object.sorted { $0.key < $1.key }, of: object, declared: fields.sorted { $0.key < $1.key }, fields: fields, path: path(),
            context: context, into: &found)
    }

    /// Checks `members` (the entries of `object`) against `declared` (the entries of `fields`), in their order.
    private static func check(
        members: some Sequence<(key: String, value: JSONValue)>, of object: [String: JSONValue],
        declared: some Sequence<(key: String, value: FieldSpec)>, fields: [String: FieldSpec], path: @autoclosure () -> String, context: Context,
        into found: inout [(String, String)]
    ) {
        for (name, spec) in declared where spec.required {
            if object[name] == nil || object[name] == .null { found.append(("\(path()).\(name)", "required")) }
        }
        for (name, value) in members {
            guard let spec = fields[name] else {
                if context.refuseUndeclared { found.append(("\(path()).\(name)", "not declared in the schema")) }
                continue
            }
            if value != .null { check(value: value, spec: spec, type: spec.type, path: "\(path()).\(name)", context: context, into: &found) }
        }
    }

    /// Reads decimals as JSON writes them, whatever the process's locale.
    private static let posix = Locale(identifier: "en_US_POSIX")

    private static func check(
        value: JSONValue, spec: FieldSpec, type: FieldType, path: @autoclosure () -> String, context: Context, into found: inout [(String, String)]
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
            switch ValueRules.money(value, currency: context.currency) {
            case .failure(let problem): fail(problem.description)
            case .success:
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
            }
        case .currency:
            if let problem = ValueRules.currencyProblem(value) { fail(problem) }
        case .date:
            if case .failure(let problem) = ValueRules.date(value) { fail(problem.description) }
        case .url:
            guard case .string(let text) = value, let url = URL(string: text), ["https", "http"].contains(url.scheme?.lowercased() ?? ""),
                  url.host?.isEmpty == false
            else { return fail("expected an http(s) URL") }
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
    public func dataProblems(kind: String, data: [String: JSONValue]) -> [ValidationError] {
        SchemaDataCheck.enqueueProblems(kind: kind, data: data, schemas: schemas)
    }
}

extension SchemaDataCheck {
    /// `TemplateSet.dataProblems` for schemas read on their own (`TemplateSetLoader.readSchemas`).
    public static func enqueueProblems(kind: String, data: [String: JSONValue], schemas: [String: KindSchema]) -> [ValidationError] {
        guard let schema = schemas[kind] else { return [] }
        return problems(in: data, schema: schema, refuseUndeclared: false).map {
            ValidationError(field: $0.path, problem: $0.message == "required" ? "required by the templates of kind \(kind) (\(schema.file))" : $0.message)
        }
    }
}
