import Foundation
import HTTPTypes
import Hummingbird
import Testing
import VarselCore
@testable import VarselDaemon
import VarselTestSupport
import Yams

/// The OpenAPI document describes exactly the routes the server has.
@Suite struct OpenAPITests {
    @Test("every route the router has is in /openapi.yaml with its method, and every documented operation is routed")
    func documentMatchesRoutes() async throws {
        let api = try await APITests.Running.start()
        let reply = try await api.anonymous.send("GET", "/openapi.yaml")
        #expect(reply.status == 200)
        let document = try #require(try Yams.load(yaml: String(decoding: reply.body, as: UTF8.self)) as? [String: Any])
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var documented: Set<String> = []
        for (path, item) in paths {
            for method in item.keys where ["get", "put", "post", "delete", "patch"].contains(method) {
                documented.insert("\(method.uppercased()) \(path)")
            }
        }
        let routed = Set(api.server.router().routes.map { "\($0.method.rawValue) \($0.path)" })
        #expect(routed == documented, "routed but not documented: \(routed.subtracting(documented).sorted()); documented but not routed: \(documented.subtracting(routed).sorted())")
        await api.stop()
    }

    @Test("the message schema is made from the configuration and the template set: one branch per kind, required data from both, countries the validator knows")
    func messageSchemaFromConfig() async throws {
        let api = try await APITests.Running.start(extraYAML: "\nkinds:\n  overdue_notice:\n    required_data: [creditor, ref_code]\n")
        let reply = try await api.anonymous.send("GET", "/openapi.yaml")
        #expect(reply.status == 200)
        let document = try #require(try Yams.load(yaml: String(decoding: reply.body, as: UTF8.self)) as? [String: Any])
        let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
        let message = try #require(schemas["Message"] as? [String: Any])
        let branches = (message["oneOf"] as? [[String: Any]] ?? []).compactMap { $0["$ref"] as? String }
        let kinds = api.components.config.planning.kinds.keys.sorted()
        #expect(kinds.contains("overdue_notice") && kinds.contains("reminder"))
        #expect(branches == kinds.map { "#/components/schemas/Message_\($0)" })

        func dataSchema(_ kind: String) throws -> [String: Any] {
            let branch = try #require(schemas["Message_\(kind)"] as? [String: Any])
            return try #require((branch["properties"] as? [String: Any])?["data"] as? [String: Any])
        }
        // `required_data` of the configuration…
        #expect(try dataSchema("overdue_notice")["required"] as? [String] == ["creditor", "ref_code"])
        // …and the fields templates/_schema/payment_plan.yaml requires, with their declared types.
        let plan = try dataSchema("payment_plan")
        let required = Set(plan["required"] as? [String] ?? [])
        #expect(required.isSuperset(of: ["creditor", "invoice_number", "amount", "currency", "payment_link", "installments"]))
        let installments = try #require((plan["properties"] as? [String: Any])?["installments"] as? [String: Any])
        #expect(installments["type"] as? String == "array")
        let item = try #require(installments["items"] as? [String: Any])
        #expect(Set(item["required"] as? [String] ?? []) == ["number", "due_date", "amount"])

        let countries = try #require((schemas["CountryCode"] as? [String: Any])?["enum"] as? [String])
        #expect(countries.contains("NO") && countries.contains("SE") && !countries.contains("XX"))
        #expect(countries.allSatisfy { PhoneNumber.callingCode(forRegion: $0) != nil })
        let recipient = try #require(schemas["MessageRecipient"] as? [String: Any])
        #expect(recipient["additionalProperties"] as? Bool == false)
        #expect((recipient["anyOf"] as? [Any])?.count == 3, "a contact point: phone, email or address")
        await api.stop()
    }

    @Test("the 503 of a batch documents Retry-After, and 400 and 422 of a batch are documented")
    func batchResponses() async throws {
        let api = try await APITests.Running.start()
        let reply = try await api.anonymous.send("GET", "/openapi.yaml")
        let document = try #require(try Yams.load(yaml: String(decoding: reply.body, as: UTF8.self)) as? [String: Any])
        let batch = try #require(((document["paths"] as? [String: Any])?["/v1/messages:batch"] as? [String: Any])?["post"] as? [String: Any])
        let responses = try #require(batch["responses"] as? [String: Any])
        #expect(Set(responses.keys).isSuperset(of: ["200", "400", "413", "422", "503"]))
        let unavailable = try #require(responses["503"] as? [String: Any])
        #expect((unavailable["headers"] as? [String: Any])?["Retry-After"] != nil)
        await api.stop()
    }
}
