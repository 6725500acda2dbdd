import Foundation
import VarselCore
import Yams

/// Reads `_schema/<kind>.yaml`:
///
/// ```yaml
/// about: A payment reminder for an overdue invoice.
/// fields:
///   amount:   { type: money, required: true, show: all, about: "the amount to pay" }
///   fee:      { type: money, about: "the reminder fee" }
///   installments:
///     type: list
///     required: true
///     show: [email, letter]
///     items:
///       due_date: { type: date, required: true }
/// ```
///
/// Every problem is located at its line and column in the file.
enum KindSchemaParser {
    /// Names the renderer sets itself; a kind cannot declare them.
    static let reserved: Set = ["raw", "recipient", "message_id", "case_ref", "total"]

    /// A schema file, `_schema/<kind>.yaml` (relative to the template directory): its kind is its name.
    static func parse(_ source: String, file: String) -> (schema: KindSchema?, problems: [TemplateProblem]) {
        let name = file.split(separator: "/").last.map(String.init) ?? file
        return parse(source, file: file, kind: name.hasSuffix(".yaml") ? String(name.dropLast(".yaml".count)) : name)
    }

    static func parse(_ source: String, file: String, kind: String) -> (schema: KindSchema?, problems: [TemplateProblem]) {
        var problems: [TemplateProblem] = []
        func fail(_ mark: Mark?, _ message: String) { problems.append(DataFileYAML.problem(file, mark, message)) }
        let root: Node?
        switch DataFileYAML.compose(source, file: file) {
        case .success(let node): root = node
        case .failure(let problem): return (nil, [problem])
        }
        guard let root, let mapping = root.mapping else {
            fail(root?.mark, "expected a mapping with 'fields:'")
            return (nil, problems)
        }
        checkKeys(mapping, allowed: ["about", "fields"], fail: fail)
        guard let fieldsNode = mapping["fields"], let fieldsMapping = fieldsNode.mapping else {
            fail(mapping["fields"]?.mark ?? root.mark, "'fields:' must map each field name to its declaration")
            return (nil, problems)
        }
        let fields = parseFields(fieldsMapping, path: "", fail: fail)
        for name in fields.keys where reserved.contains(name) {
            let spec = fields[name]!
            problems.append(TemplateProblem(
                file: file, line: spec.line, column: spec.column,
                message: "'\(name)' is set by Varsel for every message; it cannot be declared as a data field"))
        }
        return (problems.isEmpty ? KindSchema(kind: kind, fields: fields, file: file) : nil, problems)
    }

    private static func parseFields(_ mapping: Node.Mapping, path: String, fail: (Mark?, String) -> Void) -> [String: FieldSpec] {
        var fields: [String: FieldSpec] = [:]
        for (keyNode, value) in mapping {
            guard let name = keyNode.string, MessageValidator.isTemplateName(name) else {
                fail(keyNode.mark, "field name '\(keyNode.string ?? "?")' must be letters, digits and _, starting with a letter or _")
                continue
            }
            let fullName = path.isEmpty ? name : "\(path).\(name)"
            if fields[name] != nil {
                fail(keyNode.mark, "field \(fullName) is declared twice")
                continue
            }
            if let spec = parseField(value, name: name, fullName: fullName, mark: keyNode.mark, fail: fail) { fields[name] = spec }
        }
        return fields
    }

    private static func parseField(_ node: Node, name: String, fullName: String, mark: Mark?, fail: (Mark?, String) -> Void) -> FieldSpec? {
        guard let mapping = node.mapping else {
            fail(node.mark, "field \(fullName): expected a declaration such as { type: text, required: true }")
            return nil
        }
        checkKeys(mapping, allowed: ["type", "required", "show", "about", "items", "fields", "example", "minimum", "exclusive_minimum", "multiline"], fail: fail)
        guard let typeName = mapping["type"]?.string else {
            fail(mapping["type"]?.mark ?? node.mark, "field \(fullName): 'type' is required (text, number, money, currency, date, url, flag, list or object)")
            return nil
        }
        let type: FieldType
        if let scalar = FieldType.scalarNames[typeName] {
            type = scalar
            if mapping["items"] != nil || mapping["fields"] != nil {
                fail(mapping["items"]?.mark ?? mapping["fields"]?.mark, "field \(fullName): only a list has 'items' and only an object has 'fields'")
            }
        } else if typeName == "list" {
            switch mapping["items"] {
            case nil:
                type = .list(item: .text)
            case let items? where items.string != nil:
                guard let item = FieldType.scalarNames[items.string!] else {
                    fail(items.mark, "field \(fullName): items must be a scalar type (text, number, money, date, …) or a mapping of fields")
                    return nil
                }
                type = .list(item: item)
            case let items?:
                guard let itemFields = items.mapping else {
                    fail(items.mark, "field \(fullName): items must be a scalar type or a mapping of fields")
                    return nil
                }
                type = .list(item: .object(fields: parseFields(itemFields, path: fullName + "[]", fail: fail)))
            }
        } else if typeName == "object" {
            guard let objectFields = mapping["fields"]?.mapping else {
                fail(mapping["fields"]?.mark ?? node.mark, "field \(fullName): an object needs 'fields:'")
                return nil
            }
            type = .object(fields: parseFields(objectFields, path: fullName, fail: fail))
        } else {
            fail(mapping["type"]?.mark, "field \(fullName): unknown type '\(typeName)'; use text, number, money, currency, date, url, flag, list or object")
            return nil
        }
        if let builtIn = DataFieldType.known[name], type.isScalar, type.formatting != builtIn {
            fail(mapping["type"]?.mark, "field \(fullName): '\(name)' is always \(FieldType(builtIn)) in Varsel (enqueue checks it so); declare type: \(FieldType(builtIn))")
        }
        var required = false
        if let node = mapping["required"] {
            switch node.string {
            case "true", "yes": required = true
            case "false", "no": required = false
            default: fail(node.mark, "field \(fullName): required must be true or false")
            }
        }
        var show: Set<Channel> = []
        if let node = mapping["show"] {
            if node.string == "all" {
                show = Set(Channel.allCases)
            } else if let list = node.sequence {
                for item in list {
                    guard let channel = item.string.flatMap(Channel.init(rawValue:)) else {
                        fail(item.mark, "field \(fullName): show lists channels (sms, email, letter)")
                        continue
                    }
                    show.insert(channel)
                }
            } else if node.string != "none" {
                fail(node.mark, "field \(fullName): show is all, none or a list of channels such as [email, letter]")
            }
        }
        if !show.isEmpty, !required {
            fail(mapping["show"]?.mark, "field \(fullName): only a required field can be one every template must show")
        }
        var spec = FieldSpec(
            type: type, required: required, mustShow: show, about: mapping["about"]?.string ?? "",
            line: mark?.line ?? 1, column: mark?.column ?? 1)
        for key in ["minimum", "exclusive_minimum"] {
            guard let node = mapping[key] else { continue }
            guard type == .money || type == .number else {
                fail(node.mark, "field \(fullName): only money and number fields have \(key)")
                continue
            }
            guard let text = node.string, let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")),
                  Double(text) != nil
            else {
                fail(node.mark, "field \(fullName): \(key) must be a number such as 0")
                continue
            }
            if key == "minimum" { spec.minimum = value } else { spec.exclusiveMinimum = value }
        }
        if let node = mapping["multiline"] {
            switch node.string {
            case "true", "yes" where type == .text: spec.multiline = true
            case "false", "no": spec.multiline = false
            default: fail(node.mark, "field \(fullName): multiline is true or false, and only for text")
            }
        }
        return spec
    }

    private static func checkKeys(_ mapping: Node.Mapping, allowed: Set<String>, fail: (Mark?, String) -> Void) {
        for (key, _) in mapping where !allowed.contains(key.string ?? "") {
            fail(key.mark, "unknown key '\(key.string ?? "?")'; expected one of \(allowed.sorted().joined(separator: ", "))")
        }
    }
}
