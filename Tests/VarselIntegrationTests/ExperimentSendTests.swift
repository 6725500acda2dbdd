import Foundation
import Testing
import VarselCore
@testable import VarselDaemon
import VarselStore
import VarselTemplates
import VarselTestSupport

/// Template experiments end to end: a case reads the variant its case_ref hashes to, the status and
/// the trail say which, the gateway gets that text, and the report compares the variants.
@Suite(.serialized) struct ExperimentSendTests {
    typealias Running = APITests.Running
    static let experimentYAML = "\nexperiments: { sms-wording: { kind: reminder, channel: sms, weights: { a: 50, b: 50 } } }\n"
    static let experiment = TemplateExperiment(name: "sms-wording", kind: "reminder", channel: .sms, weights: [.init(variant: "a", weight: 50), .init(variant: "b", weight: 50)])
    static let shortSMS = "{{creditor}}: faktura {{invoice_number}}, {{amount}}, forfalt {{due_date}}. Betal innen {{deadline}}: {{payment_link}}"

    /// The shipped templates with a variant b of the Norwegian reminder SMS.
    static func templates(_ directory: TemporaryDirectory) throws -> String {
        for (path, text) in try TemplateSetLoader.readFiles(Paths.templates) { directory.write("templates/" + path, text) }
        directory.write("templates/reminder/nb/direct/sms.b.mustache", shortSMS)
        return directory.file("templates")
    }

    static func sms(_ key: String, caseRef: String, locale: String = "nb-NO") -> String {
        Fixtures.sms(key: key).replacingOccurrences(of: "case-\(key)", with: caseRef).replacingOccurrences(of: "nb-NO", with: locale)
    }

    @Test("each case reads the variant its case_ref hashes to, in status, trail and text; a case's messages agree; the report compares b with a", arguments: StoreBackend.allCases)
    func experimentEndToEnd(_ backend: StoreBackend) async throws {
        let directory = TemporaryDirectory()
        let api = try await Running.start(backend: backend, extraYAML: Self.experimentYAML, templates: try Self.templates(directory))
        var ids: [String: [String]] = [:]
        for index in 0..<24 {
            let (status, body) = try await api.post("/v1/messages", Self.sms("x\(index)", caseRef: "exp-\(index)"))
            #expect(status == 202, "\(body)")
            ids["exp-\(index)", default: []].append(try #require(body["id"] as? String))
        }
        let (again, second) = try await api.post("/v1/messages", Self.sms("x0-again", caseRef: "exp-0"))
        #expect(again == 202)
        ids["exp-0", default: []].append(try #require(second["id"] as? String))
        await api.components.dispatcher.run(untilIdle: true)

        var byVariant: [String: [String]] = [:]
        for (caseRef, messageIDs) in ids {
            let expected = Self.experiment.assign(unit: caseRef, isCase: true)
            for id in messageIDs {
                let status = try #require(try await api.components.store.status(id: id))
                #expect(status.state == .sent)
                #expect(status.variant == expected.variant, "\(caseRef)")
                #expect(status.content?.variant == expected.variant)
                #expect(status.decisions.contains { $0.text == expected.note }, "\(status.decisions.map(\.text))")
                let isShort = status.content?.text.hasPrefix("Fjordkraft AS: faktura 10023") == true
                #expect(isShort == (expected.variant == "b"), "\(status.content?.text ?? "")")
                let (_, json) = try await api.get("/v1/messages/\(id)")
                #expect(json["variant"] as? String == expected.variant)
            }
            byVariant[expected.variant, default: []].append(caseRef)
        }
        let bCases = try #require(byVariant["b"])
        #expect(!bCases.isEmpty && !(byVariant["a"] ?? []).isEmpty, "both variants drawn among 24 cases")
        for caseRef in bCases { #expect(try await api.post("/v1/cases/\(caseRef)/events", #"{"type": "paid"}"#).0 == 201) }

        let (status, report) = try await api.get("/v1/reports/outcomes?by=variant")
        #expect(status == 200, "\(report)")
        let rows = try #require(report["rows"] as? [[String: Any]])
        #expect(rows.map { $0["variant"] as? String } == ["a", "b"])
        #expect(rows.map { $0["paid"] as? Int } == [0, bCases.count])
        let comparison = try #require((report["comparisons"] as? [[String: Any]])?.first)
        #expect(comparison["variant"] as? String == "b" && comparison["against"] as? String == "a")
        #expect(comparison["rate"] as? Double == 1 && comparison["against_rate"] as? Double == 0)
        #expect(comparison["significant"] as? Bool == (bCases.count >= 3 && ids.count - bCases.count >= 3))
        #expect((comparison["verdict"] as? String)?.hasPrefix("b ") == true)
        let (_, byChannel) = try await api.get("/v1/reports/outcomes?by=channel")
        #expect(byChannel["comparisons"] == nil, "comparisons only where the report is by variant")
        await api.stop()
    }

    @Test("a case assigned b whose locale has no variant b gets the template itself, recorded as a, and the trail says why")
    func missingVariantFallsBack() async throws {
        let directory = TemporaryDirectory()
        let api = try await Running.start(extraYAML: Self.experimentYAML, templates: try Self.templates(directory))
        let caseRef = try #require((0..<100).map { "sv-\($0)" }.first { Self.experiment.assign(unit: $0, isCase: true).variant == "b" })
        let (_, body) = try await api.post("/v1/messages", Self.sms("sv", caseRef: caseRef, locale: "sv-SE"))
        await api.components.dispatcher.run(untilIdle: true)
        let id = try #require(body["id"] as? String)
        let status = try #require(try await api.components.store.status(id: id))
        #expect(status.state == .sent && status.locale == "sv" && status.variant == "a")
        #expect(status.decisions.contains { $0.text.contains("variant b") && $0.text.contains("reminder/sv/direct/sms has no variant b, so variant a (the template itself) is sent") },
                "\(status.decisions.map(\.text))")
        await api.stop()
    }

    @Test("a message of a kind or channel outside every experiment has no variant, in status or JSON")
    func outsideExperiment() async throws {
        let directory = TemporaryDirectory()
        let api = try await Running.start(extraYAML: Self.experimentYAML, templates: try Self.templates(directory))
        let (_, body) = try await api.post("/v1/messages", Fixtures.email(key: "e1"))
        await api.components.dispatcher.run(untilIdle: true)
        let id = try #require(body["id"] as? String)
        let (_, json) = try await api.get("/v1/messages/\(id)")
        #expect(json["state"] as? String == "sent")
        #expect(json.keys.contains("template") && !json.keys.contains("variant"))
        await api.stop()
    }
}
