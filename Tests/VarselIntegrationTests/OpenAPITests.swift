import Foundation
import HTTPTypes
import Hummingbird
import Testing
import VarselDaemon
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
}
