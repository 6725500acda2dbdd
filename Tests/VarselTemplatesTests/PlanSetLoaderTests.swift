import Foundation
import Testing
import VarselCore
import VarselTemplates
import VarselTestSupport

/// Plan files read into `CollectionPlan`s, every problem at its file, line and column; the shipped
/// plans pass the check with the shipped rules and kinds.
@Suite struct PlanSetLoaderTests {
    static let shipped = Paths.packageRoot.appendingPathComponent("plans").path

    static let example = """
        name: standard-no
        country: "NO"
        about: Two reminders and a collection notice, 14 days apart.
        steps:
          - { name: reminder-1, kind: reminder, after: { due_date: 14 }, channels: [sms, email], fee: "35.00" }
          - { name: reminder-2, kind: reminder, after: { previous: 14 }, skip_if: { amount_above: "50000" } }
          - name: notice
            kind: collection_notice
            after: { previous: 14 }
            channels: [letter, email]
            deadline_days: 14
            only_if: { amount_above: 0 }
        """

    /// The problems of `text` read as `plans/<name>.yaml`, as printed.
    func problems(_ text: String, name: String = "standard-no") -> [String] {
        PlanSetLoader.parse(text, file: "plans/\(name).yaml").problems.map(\.description)
    }

    /// The example with `old` replaced by `new`.
    func edited(_ old: String, _ new: String) -> String {
        precondition(Self.example.contains(old), "the example has no \(old)")
        return Self.example.replacingOccurrences(of: old, with: new)
    }

    @Test("timing: learned or fixed, else nil (the country's setting decides); anything else is an error at its line")
    func timing() throws {
        let learned = PlanSetLoader.parse(edited("about: Two", "timing: learned\nabout: Two"), file: "plans/standard-no.yaml")
        #expect(learned.problems.isEmpty)
        #expect(learned.plan?.timing == .learned)
        #expect(PlanSetLoader.parse(Self.example, file: "plans/standard-no.yaml").plan?.timing == nil)
        #expect(problems(edited("about: Two", "timing: whenever\nabout: Two")) == [
            "plans/standard-no.yaml:3:9: error: timing 'whenever': use fixed (09:00 local) or learned (the hour learned from earlier outcomes)",
        ])
    }

    @Test("the format's example reads into the model: names, kinds, anchors, days, channels, fee, deadline, conditions, lines, file")
    func example() throws {
        let parsed = PlanSetLoader.parse(Self.example, file: "plans/standard-no.yaml")
        #expect(parsed.problems.isEmpty, "\(parsed.problems)")
        let plan = try #require(parsed.plan)
        #expect(plan.name == "standard-no" && plan.country == "NO" && plan.file == "plans/standard-no.yaml")
        #expect(plan.about == "Two reminders and a collection notice, 14 days apart.")
        #expect(plan.steps == [
            PlanStep(name: "reminder-1", kind: "reminder", anchor: .dueDate, days: 14, channels: [.sms, .email], fee: "35.00", line: 5),
            PlanStep(name: "reminder-2", kind: "reminder", anchor: .previous, days: 14, skipIfAmountAbove: "50000", line: 6),
            PlanStep(name: "notice", kind: "collection_notice", anchor: .previous, days: 14, channels: [.letter, .email], deadlineDays: 14,
                     onlyIfAmountAbove: "0", line: 7),
        ])
        #expect(plan.stepDays == [14, 28, 42])
    }

    @Test("unknown keys, at their line and column, in the plan, a step, after and a condition")
    func unknownKeys() {
        #expect(problems(edited("about:", "abut:")) == [
            "plans/standard-no.yaml:3:1: error: unknown key 'abut' in a plan; expected one of name, country, about, timing, steps",
        ])
        #expect(problems(edited("fee: \"35.00\"", "fees: \"35.00\"")) == [
            "plans/standard-no.yaml:5:90: error: unknown key 'fees' in step 'reminder-1'; expected one of name, kind, after, channels, fee, deadline_days, skip_if, only_if",
        ])
        #expect(problems(edited("after: { previous: 14 }, skip_if", "after: { previus: 14 }, skip_if")) == [
            "plans/standard-no.yaml:6:50: error: step 'reminder-2': after counts from due_date or previous, not 'previus'",
        ])
        let condition = problems(edited("skip_if: { amount_above: \"50000\" }", "skip_if: { amount_over: \"50000\" }"))
        #expect(condition.count == 2)
        #expect(condition.contains("plans/standard-no.yaml:6:77: error: unknown key 'amount_over' in step 'reminder-2': skip_if; expected one of amount_above"), "\(condition)")
        #expect(condition.contains("plans/standard-no.yaml:6:75: error: step 'reminder-2': skip_if: amount_above is required, e.g. { amount_above: \"50000\" }"), "\(condition)")
    }

    @Test("duplicates: a key given twice, a step name used twice")
    func duplicates() {
        let twice = problems(edited("    deadline_days: 14\n", "    deadline_days: 14\n    deadline_days: 21\n"))
        #expect(twice.count == 1)
        #expect(twice.first?.hasPrefix("plans/standard-no.yaml:11:5: error: 'deadline_days' given twice in one mapping") == true, "\(twice)")
        #expect(problems(edited("name: reminder-2", "name: reminder-1")) == [
            "plans/standard-no.yaml:6:13: error: step 2: name 'reminder-1' is already the name of the step on line 5",
        ])
    }

    @Test("missing: name, country, steps; a step's name, kind and after")
    func missing() {
        let plan = problems("about: nothing else\n")
        #expect(plan == [
            "plans/standard-no.yaml:1:1: error: country is required: the country whose collection rules the plan follows, such as \"NO\"",
            "plans/standard-no.yaml:1:1: error: name is required (the file's name without .yaml: standard-no)",
            "plans/standard-no.yaml:1:1: error: steps is required: a list of at least one step",
        ])
        #expect(problems(edited("  - name: notice\n    kind:", "  - kind:")) == ["plans/standard-no.yaml:7:5: error: step 3: name is required"])
        #expect(problems(edited("    kind: collection_notice\n", "")) == ["plans/standard-no.yaml:7:5: error: step 'notice': kind is required (reminder, collection_notice, …)"])
        #expect(problems(edited("    after: { previous: 14 }\n", "")) == [
            "plans/standard-no.yaml:7:5: error: step 'notice': after is required: { due_date: N } or { previous: N }, N days",
        ])
        #expect(problems("name: standard-no\ncountry: NO\nsteps: []\n") == [
            "plans/standard-no.yaml:3:8: error: steps: expected a list of at least one step",
        ])
    }

    @Test("bad values: days out of range, both anchors, the first step counting from the previous, channels, amounts, deadline, country, name")
    func badValues() {
        #expect(problems(edited("due_date: 14", "due_date: 366")) == [
            "plans/standard-no.yaml:5:60: error: step 'reminder-1': after.due_date: expected a whole number of days from 0 to 365, not '366'",
        ])
        #expect(problems(edited("due_date: 14", "due_date: -1")).first?.contains("not '-1'") == true)
        #expect(problems(edited("{ due_date: 14 }", "{ due_date: 14, previous: 2 }")) == [
            "plans/standard-no.yaml:5:48: error: step 'reminder-1': after must be one of { due_date: N } or { previous: N }, N days",
        ])
        #expect(problems(edited("{ due_date: 14 }", "{ previous: 14 }")) == [
            "plans/standard-no.yaml:5:50: error: step 'reminder-1': the first step has no previous step; it counts from the due date: after: { due_date: N }",
        ])
        #expect(problems(edited("[sms, email]", "[sms, fax]")) == [
            "plans/standard-no.yaml:5:82: error: step 'reminder-1': channels: 'fax' is not a channel; use sms, email or letter",
        ])
        #expect(problems(edited("[sms, email]", "[sms, sms]")) == ["plans/standard-no.yaml:5:82: error: step 'reminder-1': channels: sms is listed twice"])
        #expect(problems(edited("fee: \"35.00\"", "fee: \"-35\"")) == [
            "plans/standard-no.yaml:5:95: error: step 'reminder-1': fee: expected an amount of zero or more such as \"35.00\", not '-35'",
        ])
        #expect(problems(edited("fee: \"35.00\"", "fee: 35,00")).count == 1)
        #expect(problems(edited("deadline_days: 14", "deadline_days: 0")) == [
            "plans/standard-no.yaml:11:20: error: step 'notice': deadline_days: expected a whole number of days from 1 to 365, not '0'",
        ])
        #expect(problems(edited("only_if: { amount_above: 0 }", "only_if: { amount_above: 0 }\n    skip_if: { amount_above: 0 }")) == [
            "plans/standard-no.yaml:12:14: error: step 'notice': only_if amount_above 0 and skip_if amount_above 0 leave no amount this step is taken for",
        ])
        #expect(problems(edited("country: \"NO\"", "country: norway")) == [
            "plans/standard-no.yaml:2:10: error: country 'norway' must be a country code in capitals, such as \"NO\", SE, DK or FI",
        ])
        // Unquoted NO is the country code, not YAML 1.1's false.
        #expect(problems(edited("country: \"NO\"", "country: NO")).isEmpty)
        #expect(problems(Self.example, name: "standard-nb") == [
            "plans/standard-nb.yaml:1:7: error: name 'standard-no' must be the file's name: standard-nb (or rename the file to standard-no.yaml)",
        ])
        #expect(problems(edited("name: standard-no", "name: standard no"), name: "standard no").first?.contains("must be letters, digits, - and _") == true)
        #expect(problems(edited("  - name: notice", "  - name: notice\n   bad")).first?.contains("not valid YAML") == true)
        #expect(problems("- a list\n") == ["plans/standard-no.yaml:1:1: error: expected a mapping with name, country and steps"])
    }

    @Test("a directory: each *.yaml a plan, problems named by their path, a .yml refused, other files let be")
    func directory() throws {
        let dir = TemporaryDirectory()
        dir.write("standard-no.yaml", Self.example)
        dir.write("broken.yaml", Self.example.replacingOccurrences(of: "standard-no", with: "broken").replacingOccurrences(of: "fee:", with: "fees:"))
        dir.write("old.yml", Self.example)
        dir.write("README.md", "notes")
        dir.write(".standard-no.yaml.swp", "editor")
        let loaded = PlanSetLoader.load(directory: dir.path)
        #expect(Array(loaded.plans.keys) == ["standard-no"])
        #expect(loaded.plans["standard-no"]?.file == dir.path + "/standard-no.yaml")
        #expect(loaded.problems.map(\.description) == [
            "\(dir.path)/broken.yaml:5:90: error: unknown key 'fees' in step 'reminder-1'; expected one of name, kind, after, channels, fee, deadline_days, skip_if, only_if",
            "\(dir.path)/old.yml:1:1: error: plans are read from *.yaml files only: rename it to old.yaml",
        ])
        #expect(PlanSetLoader.load(directory: dir.path + "/nowhere").problems.map(\.description) == ["\(dir.path)/nowhere:1:1: error: not a readable directory"])
    }

    @Test("the four shipped plans read and pass the check with the shipped rules and kinds, without a warning")
    func shippedPlans() throws {
        let loaded = PlanSetLoader.load(directory: Self.shipped)
        #expect(loaded.problems.isEmpty, "\(loaded.problems)")
        #expect(loaded.plans.keys.sorted() == ["standard-dk", "standard-fi", "standard-no", "standard-se"])
        for (name, plan) in loaded.plans {
            #expect(name == "standard-\(plan.country.lowercased())")
            #expect(PlanCheck.problems(plan, rules: .shipped, kinds: KindRule.shipped).isEmpty, "\(name)")
        }
        let checked = try PlanSetLoader.loadChecked(directory: Self.shipped, rules: .shipped, kinds: KindRule.shipped)
        #expect(checked.plans.count == 4 && checked.warnings.isEmpty)
        // What the country table asks, as shipped.
        #expect(loaded.plans["standard-no"]?.steps.first?.fee == "35.00" && loaded.plans["standard-no"]?.stepDays == [14, 28, 42])
        #expect(loaded.plans["standard-se"]?.steps.allSatisfy { $0.fee == nil } == true)
        #expect(loaded.plans["standard-dk"]?.steps.filter { $0.fee == "100.00" }.count == 3)
        #expect(loaded.plans["standard-fi"]?.steps.last?.deadlineDays == 17)
    }

    @Test("loadChecked refuses a set with a plan that breaks a rule, naming every error; warnings alone pass")
    func loadChecked() throws {
        let dir = TemporaryDirectory()
        for name in ["standard-no", "standard-se"] {
            dir.write("\(name).yaml", try String(contentsOfFile: "\(Self.shipped)/\(name).yaml", encoding: .utf8))
        }
        dir.write("standard-se.yaml", try String(contentsOfFile: "\(Self.shipped)/standard-se.yaml", encoding: .utf8)
            .replacingOccurrences(of: "channels: [sms, email] }", with: "channels: [sms, email], fee: \"60.00\" }"))
        let warned = try PlanSetLoader.loadChecked(directory: dir.path, rules: .shipped, kinds: KindRule.shipped)
        #expect(warned.warnings.count == 1 && warned.warnings[0].message.contains("data.fee_agreed"))
        dir.write("standard-no.yaml", try String(contentsOfFile: "\(Self.shipped)/standard-no.yaml", encoding: .utf8)
            .replacingOccurrences(of: "fee: \"35.00\"", with: "fee: \"35.01\""))
        #expect {
            try PlanSetLoader.loadChecked(directory: dir.path, rules: .shipped, kinds: KindRule.shipped)
        } throws: { error in
            guard let error = error as? PlanSetError else { return false }
            return error.problems.count == 1 && error.problems[0].description.hasPrefix("\(dir.path)/standard-no.yaml:8:1: error: step 'reminder-1': fee 35.01 is above")
        }
    }
}
