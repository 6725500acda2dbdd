import Foundation
import Testing
import VarselTestSupport

/// `varsel plans check`: the steps by day on stdout, problems on stderr as file:line:column, exit 1 on
/// an error, 0 with warnings alone; the configuration's rules and plan directory with --config.
@Suite struct PlansCheckCommandTests {
    static let shipped = Paths.packageRoot.appendingPathComponent("plans").path

    /// A copy of the shipped plans (in `folder` of it, if given), `edit` applied to the file of `name`.
    static func copy(into folder: String = "", editing name: String? = nil, _ edit: (String) -> String = { $0 }) throws -> TemporaryDirectory {
        let dir = TemporaryDirectory()
        for file in try FileManager.default.contentsOfDirectory(atPath: shipped) where file.hasSuffix(".yaml") {
            let text = try String(contentsOfFile: "\(shipped)/\(file)", encoding: .utf8)
            dir.write(folder.isEmpty ? file : "\(folder)/\(file)", file == "\(name ?? "").yaml" ? edit(text) : text)
        }
        return dir
    }

    @Test("the shipped plans: exit 0, each plan's steps by day, no problems")
    func shipped() async throws {
        let result = try await ChildProcess.run(["plans", "check", "--dir", Self.shipped])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("standard-fi (FI): Two reminders with a fee and a collection notice, 15 days apart."), "\(result.stdout)")
        #expect(result.stdout.contains("  day 44: notice, collection_notice; by letter, email; deadline 17 days"))
        #expect(result.stdout.contains("  day 28: reminder-2, reminder; skipped above 50000"))
        #expect(result.stdout.contains("\(Self.shipped): 4 plan(s), 0 error(s), 0 warning(s)"))
        #expect(result.stderr.isEmpty)
    }

    @Test("a plan that breaks a rule and one with a bad key: exit 1, file:line:column: error: message on stderr")
    func broken() async throws {
        let dir = try Self.copy(editing: "standard-dk") { text in
            text.replacingOccurrences(
                of: "  - { name: notice,",
                with: "  - { name: reminder-4, kind: reminder, after: { previous: 9 }, fee: \"100.00\" }\n  - { name: notice,")
                .replacingOccurrences(of: "about:", with: "abuot:")
        }
        let result = try await ChildProcess.run(["plans", "check", "--dir", dir.path])
        #expect(result.status == 1)
        let file = "\(dir.path)/standard-dk.yaml"
        #expect(result.stderr.contains("\(file):5:1: error: unknown key 'abuot' in a plan"), "\(result.stderr)")
        // The bad key leaves the plan out; the rules are checked once it reads.
        let fixed = try Self.copy(editing: "standard-dk") { text in
            text.replacingOccurrences(
                of: "  - { name: notice,",
                with: "  - { name: reminder-4, kind: reminder, after: { previous: 9 }, fee: \"100.00\" }\n  - { name: notice,")
        }
        let rules = try await ChildProcess.run(["plans", "check", "--dir", fixed.path])
        #expect(rules.status == 1)
        let fixedFile = "\(fixed.path)/standard-dk.yaml"
        #expect(rules.stderr.contains("\(fixedFile):10:1: error: step 'reminder-4': fee-bearing reminder number 4; at most 3 per case in DK (renteloven § 9 b, stk. 1)"), "\(rules.stderr)")
        #expect(rules.stderr.contains("\(fixedFile):10:1: error: step 'reminder-4': a fee-bearing reminder 9 days after the fee-bearing step 'reminder-3'; at least 10 days apart in DK"))
        #expect(rules.stderr.contains("\(fixed.path): 4 plan(s), 2 error(s), 0 warning(s)"))
    }

    @Test("warnings alone exit 0: a Swedish fee needs the debtor's agreement")
    func warningsOnly() async throws {
        let dir = try Self.copy(editing: "standard-se") { $0.replacingOccurrences(of: "channels: [sms, email] }", with: "channels: [sms, email], fee: \"60.00\" }") }
        let result = try await ChildProcess.run(["plans", "check", "--dir", dir.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("\(dir.path)/standard-se.yaml:7:1: warning: step 'reminder-1': a reminder fee in SE needs the debtor's agreement"), "\(result.stderr)")
        #expect(result.stdout.contains("4 plan(s), 0 error(s), 1 warning(s)"))
    }

    @Test("--config: its plans.dir (relative to the file) and its rules, here a lower Norwegian cap that the shipped plan breaks")
    func withConfiguration() async throws {
        let dir = try Self.copy(into: "my-plans")
        let config = dir.write("varsel.yaml", """
            plans: { dir: my-plans }
            channels:
              sms: { gateways: [sms-main] }
            gateways:
              sms-main: { type: http-json, url: "https://sms.example/v1/messages", from: Fjordkraft }
            collection_rules:
              countries:
                "NO": { fee_cap: "30.00", sources: { fee_cap: "a lower cap for the test" } }
            """)
        let result = try await ChildProcess.run(["plans", "check", "--config", config])
        #expect(result.status == 1)
        #expect(result.stderr.contains("standard-no.yaml:8:1: error: step 'reminder-1': fee 35.00 is above the reminder fee cap of 30.00 NOK in NO (a lower cap for the test)"), "\(result.stderr)")
        #expect(result.stderr.contains("\(dir.path)/my-plans: 4 plan(s), 1 error(s), 0 warning(s)"), "\(result.stderr)")
    }

    @Test("a directory that is not there: exit 1, named")
    func missingDirectory() async throws {
        let dir = TemporaryDirectory()
        let result = try await ChildProcess.run(["plans", "check", "--dir", dir.path + "/nowhere"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(dir.path)/nowhere:1:1: error: not a readable directory"))
    }
}
