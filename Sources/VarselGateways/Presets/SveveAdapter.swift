import Foundation
import VarselCore
import VarselHTTP

/// Sveve (Norway) SMS API: one JSON POST per message to `{url}/SMS/SendMessage` with the account's
/// user name and API password in the body; the provider id is the reply's `response.ids[0]`.
/// Delivery reports are `number`, `status` (`true`/`false`), `id`, `ref`, `errorCode`, `errorDesc`,
/// sent by GET or POST to the URL configured on the account.
///
/// Docs: <https://sveve.no/apidok/send>, <https://sveve.no/apidok/dlr>.
///
/// - Important: Sveve does not honour `Idempotency-Key`: a resend after a timeout can duplicate. It
///   allows 5 concurrent requests per account (`max_connections` defaults to 5) and answers 429 beyond.
///   Its callbacks carry no signature: protect the callback URL with `basic` (user and password in the
///   URL given to Sveve) or keep it private (`none`).
public struct SveveAdapter: GatewayAdapter {
    public static let preset = Preset(
        type: "sveve", channels: [.sms], summary: "Sveve SMS API (Norway), JSON SendMessage",
        defaultURL: "https://sveve.no",
        options: [.init("user", required: true, "the Sveve account name (`user`)")],
        secrets: [.init("password", required: true, "the account's API password (`passwd`, from Sveve's welcome e-mail)")],
        receiptSchemes: [], defaultMaxConnections: 5)

    public let configuration: GatewayConfiguration

    public init(configuration: GatewayConfiguration) {
        self.configuration = configuration
    }

    /// Sveve takes a sender (`from`) of at most 11 characters.
    public var configurationProblem: String? {
        guard let from = configuration.from, from.count > 11 else { return nil }
        return "from: Sveve takes a sender of at most 11 characters (a name or a number), not \(from.count)"
    }

    public func request(for message: OutboundMessage) throws(GatewayRequestError) -> HTTPRequest {
        let phone = try phone(of: message)
        guard let user = configuration.options["user"], !user.isEmpty else {
            throw GatewayRequestError("gateway \(configuration.name) has no Sveve user")
        }
        var body: [String: Any] = [
            "user": user, "passwd": try secret("password"), "to": phone, "msg": message.content.text, "f": "json",
            "ref": message.messageID, "reply": false,
        ]
        if let from = configuration.from { body["from"] = from }
        return configuration.baseRequest(
            url: endpoint("/SMS/SendMessage"), contentType: "application/json", body: try json(body), idempotencyKey: message.idempotencyKey)
    }

    /// 429 (more than 5 requests at once) and 5xx are transient, other non-2xx permanent. A 2xx is
    /// accepted only when the reply counts a sent message and reports neither a `fatalError` (wrong
    /// user or password, no credit, …: permanent, reclassify with `classify` on `response.fatalError`)
    /// nor an error for this number (an invalid number: permanent).
    public func interpret(_ response: HTTPResponse) -> ProviderAnswer {
        let outcome = OutcomeClassifier.defaultClass(status: response.status)
        guard outcome == .accepted else {
            return ProviderAnswer(outcome: outcome, error: Self.fatalError(in: response.body) ?? ProviderReply.message(response.body))
        }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any],
            let reply = object["response"] as? [String: Any]
        else {
            return ProviderAnswer(outcome: .ambiguous, error: "the reply is not Sveve's JSON; whether the message was sent is unknown")
        }
        if let fatal = Self.fatalError(in: response.body) {
            return ProviderAnswer(outcome: .permanent, error: "Sveve: \(fatal)")
        }
        // One number per request: any error in the list is about the recipient (an invalid number).
        if let errors = reply["errors"] as? [[String: Any]], let first = errors.first {
            let text = first["message"].map { "\($0)" } ?? "error for the recipient's number"
            return ProviderAnswer(outcome: .permanent, error: "Sveve: \(text.prefix(200))")
        }
        let ids = (reply["ids"] as? [Any] ?? []).compactMap { id -> String? in
            let text = jsonText(id)
            return text.isEmpty || text == "0" ? nil : text
        }
        let sent = reply["msgOkCount"].flatMap { Int(jsonText($0)) } ?? ids.count
        guard sent > 0 else {
            return ProviderAnswer(outcome: .permanent, error: "Sveve sent no message (msgOkCount 0)")
        }
        return ProviderAnswer(outcome: .accepted, providerID: ids.first)
    }

    /// Delivery reports: `status=true` is delivered, `status=false` undelivered (with `errorCode` and
    /// `errorDesc`). A callback without `status` (an incoming SMS pushed to the same URL) holds no
    /// report and returns `[]`.
    public func receipts(from callback: ReceiptCallback) throws(ReceiptError) -> [ParsedReceipt] {
        let fields = try Self.fields(of: callback)
        guard let word = fields["status"], !word.isEmpty else {
            if fields["msg"] != nil { return [] }
            throw ReceiptError(field: "status", description: "status: required (true or false)")
        }
        guard let id = fields["id"], !id.isEmpty, id.count <= 64 else {
            throw ReceiptError(field: "id", description: "id: required, Sveve's message id")
        }
        switch word.lowercased() {
        case "true":
            return [ParsedReceipt(providerID: id, status: .delivered, providerStatus: word, error: nil)]
        case "false":
            let code = fields["errorCode"].flatMap { $0.isEmpty ? nil : $0 }
            let description = fields["errorDesc"].flatMap { $0.isEmpty ? nil : $0 }
            let error = [code.map { "Sveve error \($0)" }, description].compactMap { $0 }.joined(separator: ": ")
            return [ParsedReceipt(providerID: id, status: .undelivered, providerStatus: word, error: error.isEmpty ? "not delivered (Sveve)" : error)]
        default:
            throw ReceiptError(field: "status", description: "status: expected true or false, not '\(word.prefix(20))'")
        }
    }

    /// The callback's fields: its query and form body, or a JSON object body.
    static func fields(of callback: ReceiptCallback) throws(ReceiptError) -> [String: String] {
        let isJSON = callback.headers["content-type"]?.lowercased().contains("json") ?? false
        guard isJSON, !callback.body.isEmpty else { return callback.formFields }
        guard let object = callback.json as? [String: Any] else {
            throw ReceiptError(field: "", description: "the body is not a JSON object")
        }
        var fields = callback.formFields
        for (name, value) in object where !(value is NSNull) {
            fields[name] = jsonText(value)
        }
        return fields
    }

    static func fatalError(in body: [UInt8]) -> String? {
        ProviderReply.string(at: "response.fatalError", in: body).map { String($0.prefix(200)) }
    }
}

/// A JSON value as text: `true`/`false` for booleans, digits for numbers.
private func jsonText(_ value: Any) -> String {
    if type(of: value) == Bool.self, let flag = value as? Bool { return flag ? "true" : "false" }
    if let number = value as? NSNumber {
        return String(cString: number.objCType) == "c" ? (number.boolValue ? "true" : "false") : number.stringValue
    }
    return "\(value)"
}
