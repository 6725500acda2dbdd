import Foundation
import Testing
@testable import VarselDaemon
import VarselCore
import VarselTestSupport

/// `varsel demo` as a new user runs it, and the letter address it shows.
@Suite(.serialized) struct DemoTests {
    /// The demo's output, per case: the title and the rows of each label (`why`, `text`, …), with
    /// continuation rows under the label above them.
    struct Case {
        let title: String
        var rows: [(label: String, value: String)] = []

        func values(_ label: String) -> [String] { rows.filter { $0.label == label }.map(\.value) }
    }

    static func parse(_ output: String) -> [Case] {
        var cases: [Case] = []
        var label = ""
        for line in output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("── ") {
                cases.append(Case(title: String(line.dropFirst(3))))
                label = ""
                continue
            }
            guard !cases.isEmpty, line.hasPrefix("   "), line.count > 13 else { continue }
            let head = line.dropFirst(3).prefix(10).trimmingCharacters(in: .whitespaces)
            if !head.isEmpty { label = head }
            cases[cases.count - 1].rows.append((label, String(line.dropFirst(13))))
        }
        return cases
    }

    @Test("the demo prints no trail line twice, no country line on the domestic German letter, and every case as expected")
    func demoOutput() async throws {
        let run = try await ChildProcess.run(["demo", "--templates", Paths.templates], timeout: .seconds(120))
        #expect(run.status == 0, "\(run.stderr)")
        let cases = Self.parse(run.stdout)
        #expect(cases.count == DemoMessages.cases().count, "\(run.stdout)")
        for demoCase in cases {
            let trail = demoCase.values("why")
            for (first, second) in zip(trail, trail.dropFirst()) {
                #expect(first != second, "case \(demoCase.title) repeats its trail line: \(first)")
            }
        }
        let noChannel = try #require(cases.first { $0.title.contains("No usable channel") })
        #expect(noChannel.values("why").filter { $0.hasPrefix("no usable channel") }.count == 1, "\(noChannel.values("why"))")

        let letter = try #require(cases.first { $0.title.contains("German collection notice by letter") })
        let text = letter.values("text")
        let city = try #require(text.firstIndex(of: "| 10115 Berlin"), "\(text)")
        #expect(text[city + 1] != "| DE", "a domestic letter printed its country: \(text)")
        #expect(!text.contains("| DE"))
    }

    @Test("varsel demo --plans: simulated cases through the real daemon on a fast clock; the model, the outcome report by step, channel, variant and hour, and every send inside the contact window")
    func planDemo() async throws {
        let run = try await ChildProcess.run(["demo", "--plans", "--cases", "200", "--seed", "11", "--templates", Paths.templates], timeout: .seconds(300))
        #expect(run.status == 0, "\(run.stderr)\n\(run.stdout)")
        let out = run.stdout
        #expect(out.contains("Varsel plan demo: 200 simulated Norwegian cases over 60 days"))
        #expect(out.contains("Synthetic payment model:") && out.contains("best 18:00 and 19:00") && out.contains("b ×1.3"))
        for header in ["step        messages", "channel  messages", "channel  variant  messages", "hour  messages"] {
            #expect(out.contains(header), "\(header)\n\(out)")
        }
        #expect(out.contains("reminder-1") && out.contains("notice"))
        #expect(out.contains("variants (two-proportion z-test, two-sided, 5 %):\n  channel sms: "))
        #expect(out.contains("Learned send hour: share of sends at the model's best hours"))
        let window = try #require(out.split(separator: "\n").first { $0.hasPrefix("Every send inside the debtor's contact window:") })
        #expect(window.contains(": yes, "), "\(window)")
        // Payments stopped cases: some steps were cancelled, and every case ended somewhere.
        let messages = try #require(out.split(separator: "\n").first { $0.hasPrefix("Messages: ") })
        #expect(messages.contains("sent ") && messages.contains("cancelled "), "\(messages)")
        #expect(!messages.contains("queued") && !messages.contains("failed"), "\(messages)")
        let bad = try await ChildProcess.run(["demo", "--plans", "--cases", "5"], timeout: .seconds(60))
        #expect(bad.status != 0 && bad.stderr.contains("--cases: use 100 to 20000"))
    }

    @Test("every date in the demo is relative to the day it runs: due dates in the past, deadlines ahead, never today")
    func datesAreRelative() throws {
        let calendar = Calendar(identifier: .gregorian)
        for now in [Date(), RFC3339.parseTimestamp("2031-02-28T23:30:00Z")!, RFC3339.parseTimestamp("2040-12-31T00:00:00Z")!] {
            let today = String(RFC3339.format(now).prefix(10))
            for demoCase in DemoMessages.cases(now: now) {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(demoCase.json.utf8)) as? [String: Any], "\(demoCase.title)")
                let data = try #require(object["data"] as? [String: Any])
                #expect(object["send_after"] == nil && object["expires_at"] == nil)
                if let due = data["due_date"] as? String, RFC3339.parseDate(due) != nil {
                    #expect(due < today, "\(demoCase.title): due date \(due) is not in the past on \(today)")
                }
                let deadline = try #require(data["deadline"] as? String)
                let days = calendar.dateComponents(
                    [.day], from: RFC3339.parseTimestamp(today + "T00:00:00Z")!, to: RFC3339.parseTimestamp(deadline + "T00:00:00Z")!).day ?? 0
                #expect(days >= 10, "\(demoCase.title): deadline \(deadline) is only \(days) days after \(today)")
                if (object["kind"] as? String) == "collection_notice" { #expect(days >= 15, "a collection notice needs the longest legal minimum and then some") }
            }
        }
    }

    /// The address block of a rendered letter, as text lines.
    static func letterText(senderCountry: String?) throws -> [String] {
        var data: [String: Any] = [
            "creditor": "Fjordkraft AS", "invoice_number": "10023", "amount": "1250.00", "currency": "NOK", "due_date": "2030-01-01",
            "deadline": "2030-02-01", "payment_link": "https://pay.example/abc",
        ]
        if let senderCountry { data["sender_country"] = senderCountry }
        let output = try TemplatePreview.render(
            directory: Paths.templates, kind: "collection_notice", channel: "letter", locale: "nb-NO", tone: nil,
            data: try JSONSerialization.data(withJSONObject: ["data": data]))
        return output.summary.components(separatedBy: "\n")
    }

    @Test("a letter prints the address's country only when it goes abroad or the sender's country is not given")
    func letterCountryLine() throws {
        // The sample recipient lives at Storgata 1, 0155 Oslo, NO.
        let domestic = try Self.letterText(senderCountry: "NO")
        let city = try #require(domestic.firstIndex(of: "0155 Oslo"), "\(domestic)")
        #expect(domestic[city + 1] != "NO", "\(domestic)")
        #expect(!domestic.contains("NO"))
        #expect(try Self.letterText(senderCountry: "no").contains("NO") == false, "country codes compare without case")

        let abroad = try Self.letterText(senderCountry: "SE")
        let abroadCity = try #require(abroad.firstIndex(of: "0155 Oslo"), "\(abroad)")
        #expect(abroad[abroadCity + 1] == "NO", "a letter posted from Sweden must name the country: \(abroad)")

        let unknown = try Self.letterText(senderCountry: nil)
        let unknownCity = try #require(unknown.firstIndex(of: "0155 Oslo"), "\(unknown)")
        #expect(unknown[unknownCity + 1] == "NO", "without a sender country the country line stays: \(unknown)")
    }
}
