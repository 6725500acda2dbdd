import Foundation
import VarselHTTP

/// The CLI's client for a running daemon (`--server URL`, token from `VARSEL_TOKEN`).
public struct APIClient: Sendable {
    public let baseURL: String
    let token: String?
    let client: CurlHTTPClient

    public init(baseURL: String, token: String?) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
        self.client = CurlHTTPClient(configuration: .init(maxInFlight: 4, maxConnectionsPerPool: 4))
    }

    /// Sends a request and returns status and body. Transport failures throw with curl's reason.
    public func send(
        _ method: String, _ path: String, body: Data? = nil, contentType: String = "application/json", headers extra: [String: String] = [:]
    ) async throws -> (status: Int, body: Data) {
        var headers = [HTTPHeader("Accept", "application/json")]
        for (name, value) in extra.sorted(by: { $0.key < $1.key }) { headers.append(HTTPHeader(name, value)) }
        if let token { headers.append(HTTPHeader("Authorization", "Bearer \(token)")) }
        if body != nil, extra["Content-Type"] == nil { headers.append(HTTPHeader("Content-Type", contentType)) }
        let request = VarselHTTP.HTTPRequest(
            method: method, url: baseURL + path, headers: headers, body: body.map(Array.init) ?? [], timeoutMilliseconds: 120_000,
            poolKey: "api")
        let response = try await client.execute(request)
        return (response.status, Data(response.body))
    }

    public func close() { client.shutdown() }

    /// A readable error from a problem+json reply; a 401 or 403 also says what to do about the token.
    public func problemText(_ body: Data, status: Int) -> String {
        let text = Self.problemText(body, status: status)
        switch status {
        case 401 where token == nil || token?.isEmpty == true:
            return text + "\nVARSEL_TOKEN is not set: export VARSEL_TOKEN=<token> (make one with `varsel token create --config FILE --scopes enqueue,read,cancel`)"
        case 401:
            return text + "\nthe token in VARSEL_TOKEN is not known to \(baseURL) or was revoked: set VARSEL_TOKEN to a valid token (`varsel token create --config FILE --scopes …`)"
        case 403:
            return text + "\nthe token in VARSEL_TOKEN lacks the scope this needs: use a token with it (`varsel token create --config FILE --scopes …`)"
        default:
            return text
        }
    }

    /// A readable error from a problem+json reply.
    public static func problemText(_ body: Data, status: Int) -> String {
        if let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any], let detail = object["detail"] as? String {
            return "HTTP \(status): \(detail)"
        }
        return "HTTP \(status): \(String(decoding: body.prefix(500), as: UTF8.self))"
    }
}
