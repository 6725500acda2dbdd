import Crypto
import Foundation
import VarselCore
import VarselHTTP

/// Vonage (formerly Nexmo) SMS API: a form-encoded POST to `{url}/sms/json` with the API key and
/// secret as HTTP Basic credentials; `to` in international digits without `+`, `type=unicode` for a
/// text GSM-7 cannot carry, our message id as `client-ref`. A long text is split into parts, each
/// with its own `message-id` and its own delivery receipt; the parts are reported to the store so the
/// message is delivered only when every part is.
///
/// Docs: <https://developer.vonage.com/en/api/sms> (send, delivery receipt),
/// <https://developer.vonage.com/en/messaging/sms/guides/delivery-receipts>,
/// <https://developer.vonage.com/en/getting-started/concepts/signing-messages> (the `vonage` receipt scheme).
///
/// - Important: Vonage does not honour `Idempotency-Key`: a resend after a timeout can duplicate.
public struct VonageAdapter: GatewayAdapter {
    /// The signing methods Vonage offers for signed webhooks (dashboard names: MD5 hash, MD5 HMAC,
    /// SHA1 HMAC, SHA-256 HMAC, SHA-512 HMAC).
    public static let signatureMethods = ["md5hash", "md5", "sha1", "sha256", "sha512"]

    public static let preset = Preset(
        type: "vonage", channels: [.sms], summary: "Vonage (Nexmo) SMS API, form-encoded sms/json",
        defaultURL: "https://rest.nexmo.com",
        options: [
            .init("callback", "the webhook URL Vonage sends this gateway's delivery receipts to (`callback`; overrides the dashboard's)"),
            .init("signature_method", "how Vonage signs webhooks, as set in its dashboard: md5hash (Vonage's default), md5, sha1, sha256 or sha512"),
        ],
        secrets: [
            .init("api_key", required: true, "the account's API key (Basic auth user)"),
            .init("api_secret", required: true, "the account's API secret (Basic auth password)"),
        ],
        receiptSchemes: ["vonage"])

    public let configuration: GatewayConfiguration

    public init(configuration: GatewayConfiguration) {
        self.configuration = configuration
    }

    public var configurationProblem: String? {
        if configuration.from?.isEmpty ?? true {
            return "a vonage gateway needs from: the sender id (up to 11 letters and digits) or number"
        }
        if let method = configuration.options["signature_method"], !Self.signatureMethods.contains(method) {
            return "signature_method: use \(Self.signatureMethods.joined(separator: ", "))"
        }
        if let callback = configuration.options["callback"], !["http", "https"].contains(URL(string: callback)?.scheme?.lowercased() ?? "") {
            return "callback: expected an http:// or https:// URL"
        }
        return nil
    }

    public func request(for message: OutboundMessage) throws(GatewayRequestError) -> HTTPRequest {
        let phone = try phone(of: message)
        let to = phone.filter { $0.isASCII && $0.isNumber }
        guard (7...15).contains(to.count) else { throw GatewayRequestError("the phone number is not an international number Vonage takes") }
        guard let from = configuration.from, !from.isEmpty else { throw GatewayRequestError("gateway \(configuration.name) has no from") }
        let key = try secret("api_key"), secret = try secret("api_secret")
        let text = message.content.text
        var fields: [(String, String)] = [
            ("from", from.hasPrefix("+") && from.dropFirst().allSatisfy(\.isNumber) ? String(from.dropFirst()) : from),
            ("to", to), ("text", text),
        ]
        if (message.content.sms?.encoding ?? SMSEncoding(text: text).scheme) == .ucs2 { fields.append(("type", "unicode")) }
        fields.append(("client-ref", message.messageID))
        if let callback = configuration.options["callback"] { fields.append(("callback", callback)) }
        var request = configuration.baseRequest(
            url: endpoint("/sms/json"), contentType: "application/x-www-form-urlencoded", body: Array(FormEncoding.encode(fields).utf8),
            idempotencyKey: message.idempotencyKey)
        request.basicAuth = HTTPBasicAuth(user: key, password: secret)
        return request
    }

    /// What each documented non-zero `status` of a message object means: (meaning, outcome class).
    /// Unlisted codes are permanent. <https://developer.vonage.com/en/messaging/sms/guides/troubleshooting-sms>
    static let statusCodes: [String: (String, OutcomeClass)] = [
        "1": ("Throttled", .transient),
        "2": ("Missing Parameters", .permanent),
        "3": ("Invalid Parameters", .permanent),
        "4": ("Invalid Credentials", .permanent),
        "5": ("Internal Error", .transient),
        "6": ("Invalid Message", .permanent),
        "7": ("Number Barred", .permanent),
        "8": ("Partner Account Barred", .permanent),
        "9": ("Partner Quota Violation", .transient),
        "10": ("Too Many Existing Binds", .transient),
        "11": ("Account Not Enabled For HTTP", .permanent),
        "12": ("Message Too Long", .permanent),
        "14": ("Invalid Signature", .permanent),
        "15": ("Invalid Sender Address", .permanent),
        "22": ("Invalid Network Code", .permanent),
        "23": ("Invalid Callback Url", .permanent),
        "29": ("Non-Whitelisted Destination", .permanent),
        "32": ("Signature And API Secret Disallowed", .permanent),
        "33": ("Number De-activated", .permanent),
    ]

    /// A 2xx is read message by message: every `status` "0" is accepted (the first `message-id` is
    /// the provider id; with more than one part, all of them are the parts). A non-zero status takes
    /// its class from ``statusCodes``; a transient one after some parts were accepted is ambiguous
    /// (a resend repeats those parts).
    public func interpret(_ response: HTTPResponse) -> ProviderAnswer {
        let outcome = OutcomeClassifier.defaultClass(status: response.status)
        guard outcome == .accepted else {
            let text = ProviderReply.string(at: "messages.0.error-text", in: response.body) ?? ProviderReply.message(response.body)
            return ProviderAnswer(outcome: outcome, error: text)
        }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any],
            let messages = object["messages"] as? [[String: Any]], !messages.isEmpty
        else {
            return ProviderAnswer(outcome: .ambiguous, error: "the reply is not Vonage's JSON; whether the message was sent is unknown")
        }
        var ids: [String] = []
        var failure: (index: Int, code: String, text: String?)?
        for (index, part) in messages.enumerated() {
            let code = part["status"].map(jsonText) ?? ""
            if code == "0" {
                if let id = part["message-id"].map(jsonText), !id.isEmpty { ids.append(id) }
            } else if failure == nil {
                failure = (index, code.isEmpty ? "?" : code, part["error-text"].map(jsonText))
            }
        }
        if let failure {
            let (meaning, known) = Self.statusCodes[failure.code] ?? ("unknown status", .permanent)
            var error = "Vonage status \(failure.code) (\(meaning))" + (failure.text.map { ": \($0.prefix(160))" } ?? "")
            if messages.count > 1 { error += "; part \(failure.index + 1) of \(messages.count), \(ids.count) accepted" }
            return ProviderAnswer(outcome: known == .transient && !ids.isEmpty ? .ambiguous : known, error: error)
        }
        return ProviderAnswer(outcome: .accepted, providerID: ids.first, parts: ids.count > 1 ? ids : [])
    }

    /// `vonage`: the `sig` parameter, checked with the signature secret (`receipts.secret_file`) by
    /// ``signatureMethod``; the `timestamp` parameter must lie within `max_age_seconds`. `basic` and
    /// `none` are checked as for every gateway.
    public func verify(_ callback: ReceiptCallback, now: Date) -> ReceiptSignature.Failure? {
        switch configuration.receipts?.signature {
        case nil:
            return .invalid
        case .preset(let scheme, let key, let maxAge)? where scheme == "vonage":
            guard let fields = try? Self.fields(of: callback) else { return .invalid }
            guard let sig = fields["sig"], !sig.isEmpty else { return .missing("sig") }
            guard let timestamp = fields["timestamp"] else { return .missing("timestamp") }
            guard let seconds = Double(timestamp), abs(now.timeIntervalSince1970 - seconds) <= maxAge else { return .expired }
            let given = sig.lowercased()
            // The guide signs every parameter; Vonage's Java library leaves out empty ones. Either is genuine.
            let all = Self.signature(fields, secret: key, method: signatureMethod, skippingEmpty: false)
            let nonEmpty = Self.signature(fields, secret: key, method: signatureMethod, skippingEmpty: true)
            let matches = [ConstantTime.equal(all, given), ConstantTime.equal(nonEmpty, given)]
            return matches.contains(true) ? nil : .invalid
        case let other?:
            return other.verify(headers: callback.headers, body: callback.body, now: now)
        }
    }

    /// `signature_method`, `md5hash` (Vonage's default) when absent.
    public var signatureMethod: String { configuration.options["signature_method"] ?? "md5hash" }

    /// Vonage's request signature in lower-case hex: the parameters but `sig`, sorted by name, as
    /// `&name=value` with `&` and `=` in values replaced by `_`; `md5hash` is MD5 of that string followed
    /// by the secret, the others an HMAC of it keyed by the secret.
    public static func signature(_ parameters: [String: String], secret: [UInt8], method: String, skippingEmpty: Bool = false) -> String {
        let names = parameters.keys.filter { $0 != "sig" && !(skippingEmpty && parameters[$0]?.trimmingCharacters(in: .whitespaces).isEmpty == true) }
            .sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        var base = ""
        for name in names {
            let value = (parameters[name] ?? "").replacingOccurrences(of: "&", with: "_").replacingOccurrences(of: "=", with: "_")
            base += "&\(name)=\(value)"
        }
        let message = Array(base.utf8)
        let key = SymmetricKey(data: secret)
        let digest: [UInt8]
        switch method {
        case "md5": digest = Array(HMAC<Insecure.MD5>.authenticationCode(for: message, using: key))
        case "sha1": digest = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: key))
        case "sha256": digest = Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
        case "sha512": digest = Array(HMAC<SHA512>.authenticationCode(for: message, using: key))
        default: digest = Array(Insecure.MD5.hash(data: message + secret))
        }
        return ReceiptSignature.hex(digest)
    }

    /// What each documented DLR `err-code` means. <https://developer.vonage.com/en/messaging/sms/guides/delivery-receipts>
    static let receiptErrors: [String: String] = [
        "1": "Unknown", "2": "Absent Subscriber - Temporary", "3": "Absent Subscriber - Permanent", "4": "Call Barred by User",
        "5": "Portability Error", "6": "Anti-Spam Rejection", "7": "Handset Busy", "8": "Network Error", "9": "Illegal Number",
        "10": "Illegal Message", "11": "Unroutable", "12": "Destination Unreachable", "13": "Subscriber Age Restriction",
        "14": "Number Blocked by Carrier", "15": "Prepaid Insufficient Funds", "99": "General Error",
    ]

    /// One delivery receipt per callback (per part of a long text): `messageId` and `status` —
    /// `delivered`; `accepted` and `buffered` (still in the network) and `unknown` are `sent`;
    /// `expired`, `failed`, `rejected` as named — with a non-zero `err-code` as the error. An inbound
    /// SMS posted to the same URL (no `status`, a `text`) holds no report: `[]`.
    public func receipts(from callback: ReceiptCallback) throws(ReceiptError) -> [ParsedReceipt] {
        let fields = try Self.fields(of: callback)
        guard let word = fields["status"], !word.isEmpty else {
            if fields["text"] != nil || fields["keyword"] != nil { return [] }
            throw ReceiptError(field: "status", description: "status: required")
        }
        guard let id = fields["messageId"] ?? fields["message-id"], !id.isEmpty, id.count <= 255 else {
            throw ReceiptError(field: "messageId", description: "messageId: required, the message-id Vonage answered with")
        }
        let status: DeliveryStatus
        switch word.lowercased() {
        case "delivered": status = .delivered
        case "accepted", "buffered", "unknown": status = .sent
        case "expired": status = .expired
        case "failed": status = .failed
        case "rejected": status = .rejected
        default: throw ReceiptError(field: "status", description: "status: unknown status '\(word.prefix(40))'")
        }
        var error: String?
        if let code = fields["err-code"], !code.isEmpty, code != "0" {
            error = "Vonage err-code \(code)" + (Self.receiptErrors[code].map { " (\($0))" } ?? "")
        }
        return [ParsedReceipt(providerID: id, status: status, providerStatus: word, error: error)]
    }

    /// A callback's parameters: its query and form body (GET or POST), or its JSON object (POST-JSON).
    static func fields(of callback: ReceiptCallback) throws(ReceiptError) -> [String: String] {
        let isJSON = callback.headers["content-type"]?.lowercased().contains("json") ?? false
        guard isJSON, !callback.body.isEmpty else { return callback.formFields }
        guard let object = callback.json as? [String: Any] else {
            throw ReceiptError(field: "", description: "the body is not a JSON object")
        }
        var fields: [String: String] = [:]
        for (name, value) in object where !(value is NSNull) { fields[name] = jsonText(value) }
        return fields
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
