import Foundation
import VarselCore
import VarselHTTP

/// Twilio's Messages API: form-encoded POST to `{url}/2010-04-01/Accounts/{AccountSid}/Messages.json`
/// with Basic auth (account SID and auth token); the provider id is the reply's `sid`.
///
/// - Important: Twilio does not honour `Idempotency-Key`: a resend after a timeout can duplicate.
///   Varsel still sends the header and marks such resends ambiguous.
public struct TwilioAdapter: GatewayAdapter {
    public static let preset = Preset(
        type: "twilio", channels: [.sms], summary: "Twilio Programmable Messaging (form-encoded Messages API)",
        defaultURL: "https://api.twilio.com",
        options: [
            .init("account_sid", required: true, "the account SID (also the Basic auth user)"),
            .init("messaging_service_sid", "send from this Messaging Service instead of `from`"),
            .init("status_callback", "the `StatusCallback` URL Twilio posts delivery reports to"),
        ],
        secrets: [.init("auth_token", required: true, "the account's auth token (Basic auth password; signs callbacks)")],
        receiptSchemes: ["twilio"])

    public let configuration: GatewayConfiguration

    public init(configuration: GatewayConfiguration) {
        self.configuration = configuration
    }

    public func request(for message: OutboundMessage) throws(GatewayRequestError) -> HTTPRequest {
        guard message.channel == .sms else { throw GatewayRequestError("a Twilio gateway sends SMS only, not \(message.channel.rawValue)") }
        guard let phone = message.recipient.phone else { throw GatewayRequestError("no phone number") }
        guard let sid = configuration.accountSID, let token = configuration.authToken else {
            throw GatewayRequestError("gateway \(configuration.name) has no Twilio account SID or auth token")
        }
        var fields: [(String, String)] = [("To", phone), ("Body", message.content.text)]
        if let service = configuration.messagingServiceSID {
            fields.append(("MessagingServiceSid", service))
        } else if let from = configuration.from {
            fields.append(("From", from))
        }
        if let callback = configuration.statusCallback { fields.append(("StatusCallback", callback)) }
        let base = configuration.url.hasSuffix("/") ? String(configuration.url.dropLast()) : configuration.url
        var request = configuration.baseRequest(
            url: "\(base)/2010-04-01/Accounts/\(FormEncoding.encode(sid))/Messages.json",
            contentType: "application/x-www-form-urlencoded", body: Array(FormEncoding.encode(fields).utf8),
            idempotencyKey: message.idempotencyKey)
        request.basicAuth = HTTPBasicAuth(user: sid, password: token)
        return request
    }

    public func interpret(_ response: HTTPResponse) -> ProviderAnswer {
        let outcome = OutcomeClassifier.defaultClass(status: response.status)
        guard outcome == .accepted else { return ProviderAnswer(outcome: outcome, error: ProviderReply.message(response.body)) }
        return ProviderAnswer(outcome: .accepted, providerID: ProviderReply.string(at: "sid", in: response.body))
    }
}

/// `application/x-www-form-urlencoded` per the WHATWG URL standard (space as `+`).
public enum FormEncoding {
    public static func encode(_ fields: [(String, String)]) -> String {
        fields.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
    }

    public static func encode(_ text: String) -> String {
        var output = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "*"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"):
                output.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                output += "+"
            default:
                output += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return output
    }

    /// Decodes a form body into name/value pairs, in order.
    public static func decode(_ body: String) -> [(String, String)] {
        body.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func unescape(_ text: Substring) -> String {
                (String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding) ?? String(text)
            }
            return (unescape(parts[0]), parts.count > 1 ? unescape(parts[1]) : "")
        }
    }
}

