import Foundation
import VarselCore
import VarselHTTP

/// 46elks (Sweden): one form-encoded `POST {url}/a1/sms` per message with Basic auth (API username
/// and API password), `dontlog=message` so 46elks keeps no copy of the text; the provider id is the
/// reply's `id`. Delivery reports are form POSTs (`id`, `status`, `delivered`) to the
/// `whendelivered` URL given with each message; they carry no signature, so receipts use `basic`
/// (46elks sends the user and password of a `https://user:pass@host/…` URL, which this preset
/// builds from `receipts.username_file`/`password_file`) or `none`.
///
/// Docs: https://46elks.com/docs/send-sms, https://46elks.com/docs/sms-delivery-reports,
/// https://46elks.com/docs/show-sms-id
public struct FortySixElksAdapter: GatewayAdapter {
    public static let preset = Preset(
        type: "46elks", channels: [.sms], summary: "46elks SMS API (`/a1/sms`, form-encoded)",
        defaultURL: "https://api.46elks.com",
        options: [
            .init(
                "when_delivered",
                "the `whendelivered` URL 46elks posts delivery reports to, e.g. https://varsel.example/v1/receipts/<gateway>; with receipts.signature basic the receipt user and password are put into it")
        ],
        secrets: [
            .init("username", required: true, "the API username (Basic auth)"),
            .init("password", required: true, "the API password (Basic auth)"),
        ],
        receiptSchemes: [])

    public let configuration: GatewayConfiguration

    public init(configuration: GatewayConfiguration) {
        self.configuration = configuration
    }

    public var configurationProblem: String? {
        if configuration.from?.isEmpty ?? true {
            return "a 46elks gateway needs from: a text sender id (up to 11 letters and digits) or an E.164 number"
        }
        if let callback = configuration.options["when_delivered"] {
            guard let url = URL(string: callback), url.host != nil, ["http", "https"].contains(url.scheme?.lowercased() ?? "") else {
                return "when_delivered: expected an http:// or https:// URL, e.g. https://varsel.example/v1/receipts/\(configuration.name)"
            }
            if url.user != nil || url.password != nil {
                return "when_delivered: no user or password in the URL (secrets are never read from the YAML file); set receipts.signature basic with username_file and password_file and they are added"
            }
        } else if configuration.receipts != nil {
            return "receipts need when_delivered: 46elks posts delivery reports only to the whendelivered URL sent with each message"
        }
        return nil
    }

    /// `when_delivered`, carrying the receipt credentials when receipts are checked with `basic`.
    var whenDelivered: String? {
        guard let callback = configuration.options["when_delivered"] else { return nil }
        guard case .basic(let user, let password)? = configuration.receipts?.signature, let scheme = callback.range(of: "://") else {
            return callback
        }
        return String(callback[..<scheme.upperBound]) + Self.userinfo(user) + ":" + Self.userinfo(password) + "@" + String(callback[scheme.upperBound...])
    }

    /// Percent-encodes all but RFC 3986's unreserved characters.
    static func userinfo(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }

    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    public func request(for message: OutboundMessage) throws(GatewayRequestError) -> HTTPRequest {
        let phone = try phone(of: message)
        let user = try secret("username")
        let password = try secret("password")
        guard let from = configuration.from, !from.isEmpty else { throw GatewayRequestError("gateway \(configuration.name) has no from (the sender)") }
        var fields: [(String, String)] = [("from", from), ("to", phone), ("message", message.content.text)]
        if let callback = whenDelivered { fields.append(("whendelivered", callback)) }
        // The message text is not kept in 46elks' history (nor shown by GET /sms/{id}).
        fields.append(("dontlog", "message"))
        var request = configuration.baseRequest(
            url: endpoint("/a1/sms"), contentType: "application/x-www-form-urlencoded", body: Array(FormEncoding.encode(fields).utf8),
            idempotencyKey: message.idempotencyKey)
        request.basicAuth = HTTPBasicAuth(user: user, password: password)
        return request
    }

    /// 2xx with `{"id": "s…", "status": "created", "parts": 1, "cost": 3500, …}`; a refusal is a 4xx
    /// whose body is a short text (or `{"error": …}`): permanent; 429 and 5xx transient.
    public func interpret(_ response: HTTPResponse) -> ProviderAnswer {
        let outcome = OutcomeClassifier.defaultClass(status: response.status)
        guard outcome == .accepted else {
            return ProviderAnswer(outcome: outcome, error: ProviderReply.message(response.body) ?? Self.plainText(response.body))
        }
        if ProviderReply.string(at: "status", in: response.body) == "failed" {
            return ProviderAnswer(outcome: .permanent, error: "46elks answered status failed")
        }
        return ProviderAnswer(outcome: .accepted, providerID: ProviderReply.string(at: "id", in: response.body))
    }

    static func plainText(_ body: [UInt8]) -> String? {
        let text = String(decoding: body.prefix(400), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { return nil }
        return String((text.split(whereSeparator: \.isNewline).first.map(String.init) ?? text).prefix(200))
    }

    /// A form POST with `id`, `status` (`sent`, `delivered` or `failed`) and, when delivered, `delivered`.
    public func receipts(from callback: ReceiptCallback) throws(ReceiptError) -> [ParsedReceipt] {
        let fields = callback.formFields
        guard let id = fields["id"], !id.isEmpty, id.count <= 255 else {
            throw ReceiptError(field: "id", description: "id: required, 46elks' SMS id")
        }
        guard let word = fields["status"], !word.isEmpty else { throw ReceiptError(field: "status", description: "status: required") }
        let status: DeliveryStatus
        switch word.lowercased() {
        case "created": status = .accepted
        case "sent": status = .sent
        case "delivered": status = .delivered
        case "failed": status = .failed
        default: throw ReceiptError(field: "status", description: "status: unknown status '\(word.prefix(40))'")
        }
        return [ParsedReceipt(providerID: id, status: status, providerStatus: word, error: status == .failed ? "46elks: failed, could not be delivered" : nil)]
    }
}
