import Foundation
import VarselCore
import VarselHTTP

// WORK IN PROGRESS: replaced by the real preset.
public struct SMTPAdapter: GatewayAdapter {
    public static let preset = Preset(type: "smtp", channels: [.email], summary: "", defaultURL: nil, urlSchemes: ["smtp", "smtps"])
    public let configuration: GatewayConfiguration
    public init(configuration: GatewayConfiguration) { self.configuration = configuration }
    public func request(for message: OutboundMessage) throws(GatewayRequestError) -> HTTPRequest {
        throw GatewayRequestError("not built yet")
    }
}
