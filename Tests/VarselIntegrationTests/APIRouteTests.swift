import Foundation
import Testing
import VarselCore
@testable import VarselDaemon
import VarselTestSupport

/// What the API answers for a request no route takes.
@Suite(.serialized) struct APIRouteTests {
    @Test("an unknown path → 404 application/problem+json of type not-found, with or without a token")
    func unknownPath() async throws {
        let api = try await APITests.Running.start()
        for path in ["/nope", "/v1/nothing/here", "/v1/messages/abc/unknown"] {
            let held = try HeldRequest(port: api.port, token: api.token, path: path, method: "GET")
            let reply = try held.readResponse()
            #expect(reply.status == 404, "\(path): \(reply)")
            #expect(reply.headers["content-type"] == "application/problem+json", "\(path)")
            let problem = try #require(try JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any])
            #expect(problem["type"] as? String == "urn:varsel:problem:not-found")
            #expect(problem["status"] as? Int == 404)
            #expect(problem["instance"] as? String == path)
        }
        #expect(try await api.anonymous.send("GET", "/nope").status == 404)
        await api.stop()
    }

    @Test("a known path with a method it does not take → 405 problem+json with Allow listing its methods")
    func wrongMethod() async throws {
        let api = try await APITests.Running.start()
        let cases: [(String, String, String)] = [
            ("GET", "/v1/messages:batch", "POST"),
            ("DELETE", "/healthz", "GET"),
            ("TRACE", "/readyz", "GET"),
            ("PATCH", "/v1/recipients/r-1", "DELETE, GET, PUT"),
            ("PUT", "/v1/messages", "GET, POST"),
            ("GET", "/v1/messages/m-1/cancel", "POST"),
            ("HEAD", "/openapi.yaml", "GET"),
        ]
        for (method, path, allow) in cases {
            let held = try HeldRequest(port: api.port, token: api.token, path: path, method: method)
            let reply = try held.readResponse()
            #expect(reply.status == 405, "\(method) \(path): \(reply)")
            #expect(reply.headers["allow"] == allow, "\(method) \(path): \(reply.headers)")
            guard method != "HEAD" else { continue }
            #expect(reply.headers["content-type"] == "application/problem+json")
            let problem = try #require(try JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any])
            #expect(problem["type"] as? String == "urn:varsel:problem:method-not-allowed")
        }
        // The routes themselves still answer.
        #expect(try await api.anonymous.send("GET", "/healthz").status == 200)
        #expect(try await api.client.send("GET", "/v1/messages").status == 200)
        await api.stop()
    }

    @Test("an answer of strings is written as JSONSerialization writes it (sorted keys, slashes unescaped), whatever the values hold")
    func stringAnswersMatchJSONSerialization() throws {
        let values = [
            "msg_01m8xw6gqzqhhz4gha249fjtpj", "queued", "", "a/b", "quote \" and backslash \\", "tab\tnew\nline\r",
            "bell \u{07} unit \u{1F} nul \u{0}", "Ærlig talt, Müller", "e\u{301}", "🙂 beyond U+FFFF", "<html> & 'x'",
        ]
        var random = SeededRandom(seed: 16)
        for round in 0..<300 {
            var object: [String: String] = [:]
            for key in ["state", "id", "status", "next_before", "a"].shuffled(using: &random).prefix(1 + round % 4) {
                object[key] = values.randomElement(using: &random)!
            }
            let expected = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            let written = APIServer.jsonBytes(object)
            #expect(
                written == Array(expected),
                "\(String(decoding: written, as: UTF8.self)) vs \(String(decoding: expected, as: UTF8.self))")
        }
    }
}
