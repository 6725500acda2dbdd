import Foundation
import VarselCore
import VarselHTTP

// WORK IN PROGRESS: replaced by the real preset.
public struct VonageAdapter: GatewayAdapter {
    public static let preset = Preset(type: "vonage", channels: [.sms], summary: "", defaultURL: nil)
    public let configuration: GatewayConfiguration
    public init(configuration: GatewayConfiguration) { self.configuration = configuration }
    public func request(for message: OutboundMessage) throws(GatewayRequestError) -> HTTPRequest {
        throw GatewayRequestError("not built yet")
    }
}
