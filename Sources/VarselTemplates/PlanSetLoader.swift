import Foundation
import VarselCore
import Yams

/// Reads the operator's collection plans, one per file (`<dir>/<name>.yaml`, docs/plans.md):
///
/// ```yaml
/// name: standard-no
/// country: "NO"
/// about: Two reminders and a collection notice, 14 days apart.
/// steps:
///   - { name: reminder-1, kind: reminder, after: { due_date: 14 }, channels: [sms, email], fee: "35.00" }
///   - { name: reminder-2, kind: reminder, after: { previous: 14 }, skip_if: { amount_above: "50000" } }
///   - { name: notice, kind: collection_notice, after: { previous: 14 }, channels: [letter, email], deadline_days: 14 }
/// ```
///
/// Every problem is located at its file, line and column. What the plans mean against the country
/// rules and the configured kinds is `PlanCheck`'s to say.
public enum PlanSetLoader {
    /// Every plan in `directory` by name, and every problem its files have; a plan with a problem
    /// is left out.
    public static func load(directory: String) -> (plans: [String: CollectionPlan], problems: [PlanProblem]) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue,
              let names = try? FileManager.default.contentsOfDirectory(atPath: directory)
        else {
            return ([:], [PlanProblem(file: directory, message: "not a readable directory")])
        }
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        var plans: [String: CollectionPlan] = [:]
        var problems: [PlanProblem] = []
        // Hidden files are editors' and version control's.
        for name in names.sorted() where !name.hasPrefix(".") {
            let path = prefix + name
            if name.hasSuffix(".yml") {
                problems.append(PlanProblem(file: path, message: "plans are read from *.yaml files only: rename it to \(name.dropLast(4)).yaml"))
                continue
            }
            guard name.hasSuffix(".yaml") else { continue }
            guard let data = FileManager.default.contents(atPath: path) else {
                problems.append(PlanProblem(file: path, message: "cannot read the file"))
                continue
            }
            guard let text = String(data: data, encoding: .utf8) else {
                problems.append(PlanProblem(file: path, message: "not UTF-8 text"))
                continue
            }
            let parsed = parse(text, file: path)
            problems += parsed.problems
            if let plan = parsed.plan { plans[plan.name] = plan }
        }
        return (plans, problems.sorted())
    }

    /// The plans of `directory` held to `rules` and `kinds` (`PlanCheck`), as the daemon uses them.
    /// Throws `PlanSetError` naming every error; the warnings come back with the plans.
    public static func loadChecked(
        directory: String, rules: CollectionRules, kinds: [String: KindRule]
    ) throws(PlanSetError) -> (plans: [String: CollectionPlan], warnings: [PlanProblem]) {
        let loaded = load(directory: directory)
        let problems = (loaded.problems + PlanCheck.problems(loaded.plans, rules: rules, kinds: kinds)).sorted()
        let errors = problems.filter { $0.severity == .error }
        guard errors.isEmpty else { throw PlanSetError(directory: directory, problems: errors) }
        return (loaded.plans, problems.filter { $0.severity == .warning })
    }

    /// One plan file's text; `file` is its path, named in every problem and kept on the plan. The
    /// plan's `name` must be the file's name without `.yaml`.
    public static func parse(_ source: String, file: String) -> (plan: CollectionPlan?, problems: [PlanProblem]) {
        var parser = PlanFileParser(file: file)
        let root: Node?
        do {
            root = try Yams.compose(yaml: source)
        } catch let error as YamlError {
            parser.fail(error)
            return (nil, parser.problems)
        } catch {
            parser.fail(nil, "not valid YAML: \(error)")
            return (nil, parser.problems)
        }
        let plan = parser.plan(root)
        return (parser.problems.isEmpty ? plan : nil, parser.problems.sorted())
    }
}

/// The reading of one plan file, collecting every problem at its mark.
private struct PlanFileParser {
    let file: String
    var problems: [PlanProblem] = []

    static let planKeys = ["name", "country", "about", "timing", "steps"]
    static let stepKeys = ["name", "kind", "after", "channels", "fee", "deadline_days", "skip_if", "only_if"]

    init(file: String) { self.file = file }

    mutating func fail(_ mark: Mark?, _ message: String) {
        problems.append(PlanProblem(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, message: message))
    }

    mutating func fail(_ error: YamlError) {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            fail(mark, "not valid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            fail(context.mark, "\(duplicates.map { "'\($0)'" }.joined(separator: ", ")) given twice in one mapping")
        default:
            fail(nil, "not valid YAML: \(error)")
        }
    }

    /// Letters, digits, `-` and `_`: a plan's or a step's name.
    static func isName(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 64 && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }

    mutating func checkKeys(_ mapping: Node.Mapping, allowed: [String], in place: String) {
        for (key, _) in mapping where !allowed.contains(key.string ?? "") {
            fail(key.mark, "unknown key '\(key.string ?? "?")' in \(place); expected one of \(allowed.joined(separator: ", "))")
        }
    }

    /// A single value (not a list or mapping), or a problem at the node.
    mutating func scalar(_ node: Node, _ what: String) -> String? {
        guard let text = node.scalar?.string else {
            fail(node.mark, "\(what): expected a single value")
            return nil
        }
        return text
    }

    mutating func plan(_ root: Node?) -> CollectionPlan? {
        guard let root, let mapping = root.mapping else {
            fail(root?.mark, "expected a mapping with name, country and steps")
            return nil
        }
        checkKeys(mapping, allowed: Self.planKeys, in: "a plan")
        let fileName = file.split(separator: "/").last.map(String.init) ?? file
        let expected = fileName.hasSuffix(".yaml") ? String(fileName.dropLast(5)) : nil
        var name: String?
        if let node = mapping["name"] {
            if let text = scalar(node, "name") {
                if !Self.isName(text) {
                    fail(node.mark, "name '\(text)' must be letters, digits, - and _")
                } else if let expected, text != expected {
                    fail(node.mark, "name '\(text)' must be the file's name: \(expected) (or rename the file to \(text).yaml)")
                } else {
                    name = text
                }
            }
        } else {
            fail(root.mark, "name is required (the file's name without .yaml\(expected.map { ": \($0)" } ?? ""))")
        }
        var country: String?
        if let node = mapping["country"] {
            if let text = scalar(node, "country") {
                if text.count == 2, text.allSatisfy({ $0.isASCII && $0.isUppercase }) {
                    country = text
                } else {
                    fail(node.mark, "country '\(text)' must be a country code in capitals, such as \"NO\", SE, DK or FI")
                }
            }
        } else {
            fail(root.mark, "country is required: the country whose collection rules the plan follows, such as \"NO\"")
        }
        var about = ""
        if let node = mapping["about"], let text = scalar(node, "about") { about = text }
        var timing: PlanTiming?
        if let node = mapping["timing"], let text = scalar(node, "timing") {
            timing = PlanTiming(rawValue: text)
            if timing == nil { fail(node.mark, "timing '\(text)': use fixed (09:00 local) or learned (the hour learned from earlier outcomes)") }
        }
        var steps: [PlanStep] = []
        if let node = mapping["steps"] {
            if let list = node.sequence, !list.isEmpty {
                var names: [String: Int] = [:]
                for (index, item) in list.enumerated() {
                    if let step = step(item, index: index, names: &names) { steps.append(step) }
                }
            } else {
                fail(node.mark, "steps: expected a list of at least one step")
            }
        } else {
            fail(root.mark, "steps is required: a list of at least one step")
        }
        guard let name, let country else { return nil }
        var plan = CollectionPlan(name: name, country: country, steps: steps, file: file)
        plan.about = about
        plan.timing = timing
        return plan
    }

    mutating func step(_ node: Node, index: Int, names: inout [String: Int]) -> PlanStep? {
        guard let mapping = node.mapping else {
            fail(node.mark, "step \(index + 1): expected a mapping such as { name: reminder-1, kind: reminder, after: { due_date: 14 } }")
            return nil
        }
        var label = "step \(index + 1)"
        var name: String?
        if let nameNode = mapping["name"] {
            if let text = scalar(nameNode, "\(label): name") {
                if !Self.isName(text) {
                    fail(nameNode.mark, "\(label): name '\(text)' must be letters, digits, - and _")
                } else if let line = names[text] {
                    fail(nameNode.mark, "\(label): name '\(text)' is already the name of the step on line \(line)")
                } else {
                    name = text
                    names[text] = node.mark?.line ?? 1
                    label = "step '\(text)'"
                }
            }
        } else {
            fail(node.mark, "\(label): name is required")
        }
        checkKeys(mapping, allowed: Self.stepKeys, in: label)
        var kind: String?
        if let kindNode = mapping["kind"] {
            if let text = scalar(kindNode, "\(label): kind") {
                if text.isEmpty { fail(kindNode.mark, "\(label): kind must name a configured kind, such as reminder") } else { kind = text }
            }
        } else {
            fail(node.mark, "\(label): kind is required (reminder, collection_notice, …)")
        }
        let anchor = after(mapping["after"], stepMark: node.mark, first: index == 0, label: label)
        var channels: [Channel]?
        if let channelsNode = mapping["channels"] {
            channels = channelList(channelsNode, label: label)
        }
        var fee: String?
        if let feeNode = mapping["fee"] { fee = amount(feeNode, "\(label): fee", example: "\"35.00\"") }
        var deadlineDays: Int?
        if let deadlineNode = mapping["deadline_days"] { deadlineDays = days(deadlineNode, "\(label): deadline_days", range: 1...365) }
        let skipIf = condition(mapping["skip_if"], "\(label): skip_if")
        let onlyIf = condition(mapping["only_if"], "\(label): only_if")
        let posix = Locale(identifier: "en_US_POSIX")
        if let skipIf, let onlyIf, let skip = Decimal(string: skipIf, locale: posix), let only = Decimal(string: onlyIf, locale: posix), only >= skip {
            fail(mapping["only_if"]?.mark, "\(label): only_if amount_above \(onlyIf) and skip_if amount_above \(skipIf) leave no amount this step is taken for")
        }
        guard let name, let kind, let anchor else { return nil }
        return PlanStep(
            name: name, kind: kind, anchor: anchor.anchor, days: anchor.days, channels: channels, fee: fee, deadlineDays: deadlineDays,
            skipIfAmountAbove: skipIf, onlyIfAmountAbove: onlyIf, line: node.mark?.line ?? 1)
    }

    /// `after: { due_date: N }` or `after: { previous: N }`.
    mutating func after(_ node: Node?, stepMark: Mark?, first: Bool, label: String) -> (anchor: PlanStep.Anchor, days: Int)? {
        guard let node else {
            fail(stepMark, "\(label): after is required: { due_date: N } or { previous: N }, N days")
            return nil
        }
        guard let mapping = node.mapping, mapping.count == 1, let (key, value) = mapping.first else {
            fail(node.mark, "\(label): after must be one of { due_date: N } or { previous: N }, N days")
            return nil
        }
        guard let anchor = key.string.flatMap(PlanStep.Anchor.init(rawValue:)) else {
            fail(key.mark, "\(label): after counts from due_date or previous, not '\(key.string ?? "?")'")
            return nil
        }
        if first, anchor == .previous {
            fail(key.mark, "\(label): the first step has no previous step; it counts from the due date: after: { due_date: N }")
            return nil
        }
        guard let count = days(value, "\(label): after.\(anchor.rawValue)", range: 0...365) else { return nil }
        return (anchor, count)
    }

    mutating func days(_ node: Node, _ what: String, range: ClosedRange<Int>) -> Int? {
        guard let text = scalar(node, what) else { return nil }
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(text), range.contains(value) else {
            fail(node.mark, "\(what): expected a whole number of days from \(range.lowerBound) to \(range.upperBound), not '\(text)'")
            return nil
        }
        return value
    }

    /// An amount as text (`"35.00"`, `50000`), zero or more.
    mutating func amount(_ node: Node, _ what: String, example: String) -> String? {
        guard let text = scalar(node, what) else { return nil }
        guard !text.hasPrefix("-"), Money(text, currency: "XXX") != nil else {
            fail(node.mark, "\(what): expected an amount of zero or more such as \(example), not '\(text)'")
            return nil
        }
        return text
    }

    mutating func channelList(_ node: Node, label: String) -> [Channel]? {
        guard let list = node.sequence, !list.isEmpty else {
            fail(node.mark, "\(label): channels: expected a list such as [letter, email]")
            return nil
        }
        var channels: [Channel] = []
        for item in list {
            guard let channel = item.scalar.flatMap({ Channel(rawValue: $0.string) }) else {
                fail(item.mark, "\(label): channels: '\(item.scalar?.string ?? "?")' is not a channel; use sms, email or letter")
                continue
            }
            if channels.contains(channel) {
                fail(item.mark, "\(label): channels: \(channel.rawValue) is listed twice")
                continue
            }
            channels.append(channel)
        }
        return channels.count == list.count ? channels : nil
    }

    /// `skip_if: { amount_above: X }`, `only_if: { amount_above: X }`.
    mutating func condition(_ node: Node?, _ what: String) -> String? {
        guard let node else { return nil }
        guard let mapping = node.mapping else {
            fail(node.mark, "\(what): expected { amount_above: X }")
            return nil
        }
        checkKeys(mapping, allowed: ["amount_above"], in: what)
        guard let value = mapping["amount_above"] else {
            fail(node.mark, "\(what): amount_above is required, e.g. { amount_above: \"50000\" }")
            return nil
        }
        return amount(value, "\(what).amount_above", example: "\"50000\"")
    }
}
