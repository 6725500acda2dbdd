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
        check(object: data, fields: schema.fields, path: "data", refuseUndeclared: refuseUndeclared, into: &found)
        return found
    }

    private static func check(
        object: [String: JSONValue], fields: [String: FieldSpec], path: String, refuseUndeclared: Bool, into found: inout [(String, String)]
    ) {
        for (name, spec) in fields.sorted(by: { $0.key < $1.key }) where spec.required {
            if object[name] == nil || object[name] == .null { found.append(("\(path).\(name)", "required")) }
        }
        for (name, value) in object.sorted(by: { $0.key < $1.key }) {
            guard let spec = fields[name] else {
                if refuseUndeclared { found.append(("\(path).\(name)", "not declared in the schema")) }
                continue
            }
            if value != .null { check(value: value, type: spec.type, path: "\(path).\(name)", refuseUndeclared: refuseUndeclared, into: &found) }
        }
    }

    private static func check(value: JSONValue, type: FieldType, path: String, refuseUndeclared: Bool, into found: inout [(String, String)]) {
        func fail(_ message: String) { found.append((path, message)) }
        switch type {
        case .text:
            if value.scalarText == nil || value.isBool { fail("expected text") }
        case .number:
            if case .number = value { break }
            if case .string(let text) = value, Double(text) != nil { break }
            fail("expected a number")
        case .money:
            if MessageValidator.moneyText(value) == nil { fail("expected a decimal amount such as \"1250.00\"") }
        case .currency:
            guard case .string(let code) = value, code.count == 3, code.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
                return fail("expected an ISO 4217 currency code such as NOK")
            }
        case .date:
            guard case .string(let text) = value, RFC3339.parseDate(text) != nil else { return fail("expected a date YYYY-MM-DD") }
        case .url:
            guard case .string(let text) = value, let url = URL(string: text), ["https", "http"].contains(url.scheme?.lowercased() ?? ""),
                  url.host?.isEmpty == false
            else { return fail("expected an http(s) URL") }
        case .flag:
            if !value.isBool { fail("expected true or false") }
        case .list(let item):
            guard case .array(let items) = value else { return fail("expected a list") }
            for (index, element) in items.enumerated() {
                check(value: element, type: item, path: "\(path)[\(index)]", refuseUndeclared: refuseUndeclared, into: &found)
            }
        case .object(let fields):
            guard case .object(let object) = value else { return fail("expected an object") }
            check(object: object, fields: fields, path: path, refuseUndeclared: refuseUndeclared, into: &found)
        }
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
        guard let schema = schemas[kind] else { return [] }
        return SchemaDataCheck.problems(in: data, schema: schema, refuseUndeclared: false).map {
            ValidationError(field: $0.path, problem: $0.message == "required" ? "required by the templates of kind \(kind) (\(schema.file))" : $0.message)
        }
    }
}
