import VarselHTTP

/// Maps Varsel's message onto one provider's API and reads the provider's reply.
public protocol GatewayAdapter: Sendable {
    var configuration: GatewayConfiguration { get }
    /// The request for this message. Carries `Idempotency-Key` (docs/gateway.md).
    func request(for message: OutboundMessage) throws(GatewayRequestError) -> HTTPRequest
    /// The provider's id for the accepted message, from a 2xx reply.
    func providerID(from response: HTTPResponse) -> String?
}

extension GatewayConfiguration {
    /// The adapter for this configuration's kind.
    public func makeAdapter() -> any GatewayAdapter {
        switch kind {
        case .httpJSON: HTTPJSONAdapter(configuration: self)
        case .twilio: TwilioAdapter(configuration: self)
        }
    }

    func baseRequest(url: String, contentType: String, body: [UInt8], idempotencyKey: String) -> HTTPRequest {
        HTTPRequest(
            method: "POST", url: url,
            headers: [
                HTTPHeader("Content-Type", contentType), HTTPHeader("Accept", "application/json"),
                HTTPHeader("Idempotency-Key", idempotencyKey),
            ],
            body: body, connectTimeoutMilliseconds: connectTimeoutMilliseconds, timeoutMilliseconds: timeoutMilliseconds,
            poolKey: name)
    }
}
