import Foundation
import VarselCore
import VarselHTTP

/// The generic `http-json` gateway (docs/gateway.md): one JSON POST per message, provider id read from
/// the reply's `id` field (or `id_field`).
public struct HTTPJSONAdapter: GatewayAdapter {
    public static let preset = Preset(
        type: "http-json", channels: [.sms, .email, .letter],
        summary: "Varsel's own JSON shape (docs/gateway.md), for an in-house gateway or a relay that speaks it",
        defaultURL: nil,
        options: [.init("id_field", "where the provider id is in the JSON reply: `id` (default) or a dotted path such as `data.id`")],
        secrets: [.init("token", "sent as `Authorization: Bearer <token>`")],
        receiptSchemes: ["hmac-sha256"])

    public let configuration: GatewayConfiguration

    public init(configuration: GatewayConfiguration) {
        self.configuration = configuration
    }

    struct SMSBody: Encodable {
        let message_id: String
        let to: String
        let from: String?
        let text: String
    }

    struct EmailBody: Encodable {
        let message_id: String
        let to: String
        let from: String?
        let subject: String
        let text: String
        let html: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(message_id, forKey: .message_id)
            try container.encode(to, forKey: .to)
            try container.encode(from, forKey: .from)
            try container.encode(subject, forKey: .subject)
            try container.encode(text, forKey: .text)
            try container.encode(html, forKey: .html)
        }

        enum CodingKeys: CodingKey { case message_id, to, from, subject, text, html }
    }

    struct LetterBody: Encodable {
        struct Address: Encodable {
            let name: String
            let lines: [String]
            let postal_code: String
            let city: String
            let country: String
        }

        let message_id: String
        let address: Address
        let html: String
        let text: String
    }

    public func request(for message: OutboundMessage) throws(GatewayRequestError) -> HTTPRequest {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let recipient = message.recipient
        let content = message.content
        let body: Data
        do {
            switch message.channel {
            case .sms:
                guard let phone = recipient.phone else { throw GatewayRequestError("no phone number") }
                body = try encoder.encode(SMSBody(message_id: message.messageID, to: phone, from: configuration.from, text: content.text))
            case .email:
                guard let email = recipient.email else { throw GatewayRequestError("no email address") }
                body = try encoder.encode(EmailBody(
                    message_id: message.messageID, to: email, from: configuration.from, subject: content.subject ?? "",
                    text: content.text, html: content.html))
            case .letter:
                guard let address = recipient.address, let name = recipient.name else { throw GatewayRequestError("no postal address") }
                body = try encoder.encode(LetterBody(
                    message_id: message.messageID,
                    address: .init(
                        name: name, lines: address.lines, postal_code: address.postalCode ?? "", city: address.city ?? "",
                        country: address.country ?? ""),
                    html: content.html ?? "", text: content.text))
            }
        } catch let error as GatewayRequestError {
            throw error
        } catch {
            throw GatewayRequestError("cannot encode the request: \(error)")
        }
        var request = configuration.baseRequest(
            url: configuration.url, contentType: "application/json", body: Array(body), idempotencyKey: message.idempotencyKey)
        if let token = configuration.bearerToken {
            request.headers.append(HTTPHeader("Authorization", "Bearer \(token)"))
        }
        return request
    }

}

/// Reading fields out of provider replies.
public enum ProviderReply {
    /// The string (or number) at a dotted path in a JSON object body.
    public static func string(at path: String, in body: [UInt8]) -> String? {
        guard !body.isEmpty, let object = try? JSONSerialization.jsonObject(with: Data(body)) else { return nil }
        var current: Any = object
        for key in path.split(separator: ".") {
            if let dictionary = current as? [String: Any], let next = dictionary[String(key)] {
                current = next
            } else if let array = current as? [Any], let index = Int(key), array.indices.contains(index) {
                current = array[index]
            } else {
                return nil
            }
        }
        switch current {
        case let text as String: return text.isEmpty ? nil : text
        case let number as NSNumber: return number.stringValue
        default: return nil
        }
    }

    /// A short excerpt of the provider's explanation: a JSON `message`/`error`/`detail` field if any.
    public static func message(_ body: [UInt8]) -> String? {
        for field in ["message", "error", "detail", "error.message", "title", "errors.0.message", "Message"] {
            if let text = string(at: field, in: body) { return String(text.prefix(200)) }
        }
        return nil
    }
}
