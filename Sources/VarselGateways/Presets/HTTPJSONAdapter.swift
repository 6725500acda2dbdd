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

    public func request(for message: OutboundMessage) throws(GatewayRequestError) -> HTTPRequest {
        let body = try Self.body(for: message, from: configuration.from)
        var request = configuration.baseRequest(
            url: configuration.url, contentType: "application/json", body: body, idempotencyKey: message.idempotencyKey)
        if let token = configuration.bearerToken {
            request.headers.append(HTTPHeader("Authorization", "Bearer \(token)"))
        }
        return request
    }

    /// The body of docs/gateway.md, written directly: the same bytes as `JSONEncoder` gave for
    /// the body structures it replaced, with sorted keys and slashes unescaped (the encoder
    /// was 2 % of the send loop's CPU). `HTTPJSONBodyTests` holds the two together.
    static func body(for message: OutboundMessage, from: String?) throws(GatewayRequestError) -> [UInt8] {
        let recipient = message.recipient
        let content = message.content
        var writer = CompactJSONWriter(capacity: 512 + content.text.utf8.count + (content.html?.utf8.count ?? 0))
        var object = CompactJSONWriter.ObjectState()
        func optional(_ value: String?) {
            if let value { writer.string(value) } else { writer.null() }
        }
        switch message.channel {
        case .sms:
            guard let phone = recipient.phone else { throw GatewayRequestError("no phone number") }
            if let from { writer.key("from", &object); writer.string(from) }
            writer.key("message_id", &object); writer.string(message.messageID)
            writer.key("text", &object); writer.string(content.text)
            writer.key("to", &object); writer.string(phone)
        case .email:
            guard let email = recipient.email else { throw GatewayRequestError("no email address") }
            // Sent as null when absent, as the contract's example shows.
            writer.key("from", &object); optional(from)
            writer.key("html", &object); optional(content.html)
            writer.key("message_id", &object); writer.string(message.messageID)
            writer.key("subject", &object); writer.string(content.subject ?? "")
            writer.key("text", &object); writer.string(content.text)
            writer.key("to", &object); writer.string(email)
        case .letter:
            guard let address = recipient.address, let name = recipient.name else { throw GatewayRequestError("no postal address") }
            writer.key("address", &object)
            var fields = CompactJSONWriter.ObjectState()
            writer.key("city", &fields); writer.string(address.city ?? "")
            writer.key("country", &fields); writer.string(address.country ?? "")
            writer.key("lines", &fields); writer.array(address.lines) { $0.string($1) }
            writer.key("name", &fields); writer.string(name)
            writer.key("postal_code", &fields); writer.string(address.postalCode ?? "")
            writer.end(fields)
            writer.key("html", &object); writer.string(content.html ?? "")
            writer.key("message_id", &object); writer.string(message.messageID)
            writer.key("text", &object); writer.string(content.text)
        }
        writer.end(object)
        return writer.bytes
    }
}

/// Reading fields out of provider replies.
public enum ProviderReply {
    /// The string (or number, in plain decimal notation) at a dotted path in a JSON body; array
    /// elements by index (`errors.0.message`). Nil for an empty string, a missing field, another type,
    /// or a body that is not JSON.
    public static func string(at path: String, in body: [UInt8]) -> String? {
        guard !body.isEmpty, let value = try? JSONReader.value(from: body) else { return nil }
        return string(at: path, in: value)
    }

    private static func string(at path: String, in value: JSONValue) -> String? {
        var current = value
        for key in path.split(separator: ".") {
            switch current {
            case .object(let fields):
                guard let next = fields[String(key)] else { return nil }
                current = next
            case .array(let items):
                guard let index = Int(key), items.indices.contains(index) else { return nil }
                current = items[index]
            default:
                return nil
            }
        }
        switch current {
        case .string(let text): return text.isEmpty ? nil : text
        case .number: return current.scalarText
        default: return nil
        }
    }

    /// A short excerpt of the provider's explanation: a JSON `message`/`error`/`detail` field if any.
    public static func message(_ body: [UInt8]) -> String? {
        guard !body.isEmpty, let value = try? JSONReader.value(from: body) else { return nil }
        for field in ["message", "error", "detail", "error.message", "title", "errors.0.message", "Message"] {
            if let text = string(at: field, in: value) { return String(text.prefix(200)) }
        }
        return nil
    }
}
