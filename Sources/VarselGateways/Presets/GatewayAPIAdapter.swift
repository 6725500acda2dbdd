import Foundation
import VarselCore
import VarselHTTP

/// GatewayAPI (gatewayapi.com, Denmark; accounts on the EU platform use `https://gatewayapi.eu`):
/// one JSON `POST {url}/rest/mtsms` per message with `Authorization: Token <token>`, `userref`
/// carrying Varsel's message id; the provider id is the reply's `ids[0]`. Delivery status
/// notifications are JSON POSTs; with an authentication token set on the webhook they carry
/// `X-Gwapi-Signature`, a JWT signed HS256 with that token whose claims are the notification.
///
/// Docs: https://gatewayapi.com/docs/apis/rest/ (sending, webhooks, the error code index) and
/// https://gatewayapi.com/docs/authentication
public struct GatewayAPIAdapter: GatewayAdapter {
    public static let preset = Preset(
        type: "gatewayapi", channels: [.sms], summary: "GatewayAPI (gatewayapi.com / gatewayapi.eu) REST API `/rest/mtsms`",
        defaultURL: "https://gatewayapi.com",
        options: [
            .init("callback_url", "`callback_url`: where GatewayAPI posts delivery status notifications (default: the account's default webhook)")
        ],
        secrets: [.init("token", required: true, "the API token, sent as `Authorization: Token <token>`")],
        receiptSchemes: ["jwt"],
        // "Our API has a limit of 40 open connections per IP address."
        defaultMaxConnections: 40)

    public let configuration: GatewayConfiguration

    public init(configuration: GatewayConfiguration) {
        self.configuration = configuration
    }

    public var configurationProblem: String? {
        if let callback = configuration.options["callback_url"] {
            guard let url = URL(string: callback), url.host != nil, ["http", "https"].contains(url.scheme?.lowercased() ?? "") else {
                return "callback_url: expected an http:// or https:// URL, e.g. https://varsel.example/v1/receipts/\(configuration.name)"
            }
        }
        if case .preset(let scheme, _, _)? = configuration.receipts?.signature, scheme != "jwt" {
            return "receipts.signature: use jwt, basic or none"
        }
        return nil
    }

    public func request(for message: OutboundMessage) throws(GatewayRequestError) -> HTTPRequest {
        let phone = try phone(of: message)
        let token = try secret("token")
        // "msisdn: The full mobile phone number of the recipient" – digits with the country code, no `+`.
        let digits = phone.hasPrefix("+") ? phone.dropFirst() : Substring(phone)
        guard (1...15).contains(digits.count), digits.utf8.allSatisfy({ (48...57).contains($0) }), let msisdn = Int64(digits) else {
            throw GatewayRequestError("the phone number is not an international number (E.164)")
        }
        var body: [String: Any] = [
            "message": message.content.text,
            "recipients": [["msisdn": msisdn]],
            "userref": message.messageID,
        ]
        if let from = configuration.from, !from.isEmpty {
            // Up to 11 characters, or 15 digits for a number (given without `+`).
            let number = from.dropFirst()
            body["sender"] = from.hasPrefix("+") && !number.isEmpty && number.utf8.allSatisfy({ (48...57).contains($0) }) ? String(number) : from
        }
        if let callback = configuration.options["callback_url"] { body["callback_url"] = callback }
        // The default ("UTF8") is sent as GSM 03.38; a text outside it must ask for UCS2.
        if SMSEncoding(text: message.content.text).scheme == .ucs2 { body["encoding"] = "UCS2" }
        var request = configuration.baseRequest(
            url: endpoint("/rest/mtsms"), contentType: "application/json", body: try json(body), idempotencyKey: message.idempotencyKey)
        request.headers.append(HTTPHeader("Authorization", "Token \(token)"))
        return request
    }

    /// 200 with `{"ids": [421332671], "usage": {…}}`; errors with `{"code": "0x0213", "message":
    /// "Unauthorized IP-address: %1", "variables": [...], "incident_uuid": …}`: 400/401/403/422
    /// permanent, 429 and 5xx transient, and by the error code index: a configuration error
    /// (0x021E) is permanent whatever its status; the general codes 05 (shutting down), 06
    /// (insufficient resources) and 09 (temporarily unavailable) are transient.
    public func interpret(_ response: HTTPResponse) -> ProviderAnswer {
        if (200...299).contains(response.status) {
            return ProviderAnswer(outcome: .accepted, providerID: ProviderReply.string(at: "ids.0", in: response.body))
        }
        let code = ProviderReply.string(at: "code", in: response.body)
        // The message keeps its %1 placeholders: the variables can hold the recipient's number.
        let message = ProviderReply.string(at: "message", in: response.body)
        let text = [code, message].compactMap { $0 }.joined(separator: " ")
        let error = text.isEmpty ? ProviderReply.message(response.body) : String(text.prefix(200))
        var outcome = OutcomeClassifier.defaultClass(status: response.status)
        if let code = code?.lowercased(), code.hasPrefix("0x"), let value = UInt32(code.dropFirst(2), radix: 16) {
            if value == 0x021E {
                outcome = .permanent
            } else if [0x05, 0x06, 0x09].contains(value & 0xFF) {
                outcome = .transient
            }
        }
        return ProviderAnswer(outcome: outcome, error: error)
    }

    // MARK: Delivery status notifications

    /// `jwt`: the `X-Gwapi-Signature` JWT must be HS256 (no other algorithm is accepted, `none`
    /// least of all) and verify with the webhook's token; `exp` and `iat`, when present, bound its
    /// age; and a JSON body must say what the verified claims say. `basic` and `none` as configured.
    public func verify(_ callback: ReceiptCallback, now: Date) -> ReceiptSignature.Failure? {
        switch configuration.receipts?.signature {
        case nil:
            return .invalid
        case .preset(let scheme, let key, let maxAge)?:
            guard scheme == "jwt" else { return .invalid }
            guard let token = callback.headers["x-gwapi-signature"], !token.isEmpty else { return .missing("X-Gwapi-Signature") }
            let claims: [String: Any]
            switch JWT.verify(token, key: key, now: now, maxAge: maxAge) {
            case .success(let verified): claims = verified
            case .failure(let failure): return failure
            }
            if !callback.body.isEmpty, let body = callback.json as? [String: Any] {
                // The claims are what is read; a body that says otherwise was not what GatewayAPI signed.
                for field in ["id", "status", "msisdn", "userref", "time", "error", "code"] where JWT.text(body[field]) != nil {
                    guard JWT.text(body[field]) == JWT.text(claims[field]) else { return .invalid }
                }
            }
            return nil
        case let signature?:
            return signature.verify(headers: callback.headers, body: callback.body, now: now)
        }
    }

    /// One notification: `{id, msisdn, time, status, error, code, userref, charge_status, …}`, read
    /// from the verified JWT claims under `jwt`, else from the JSON body. A webhook call without a
    /// status (an incoming SMS on the same webhook) holds nothing Varsel tracks.
    public func receipts(from callback: ReceiptCallback) throws(ReceiptError) -> [ParsedReceipt] {
        let fields: [String: Any]
        if case .preset("jwt", _, _)? = configuration.receipts?.signature {
            guard let token = callback.headers["x-gwapi-signature"], let claims = JWT.claims(token) else {
                throw ReceiptError(field: "X-Gwapi-Signature", description: "the JWT's claims are not a JSON object")
            }
            fields = claims
        } else {
            guard let object = callback.json as? [String: Any] else {
                throw ReceiptError(field: "", description: "the body is not a JSON object")
            }
            fields = object
        }
        guard let word = JWT.text(fields["status"]) else {
            if fields["receiver"] != nil || fields["message"] != nil { return [] }
            throw ReceiptError(field: "status", description: "status: required")
        }
        guard let id = JWT.text(fields["id"]), id.count <= 255 else {
            throw ReceiptError(field: "id", description: "id: required, GatewayAPI's message id")
        }
        guard let status = Self.status(word) else {
            throw ReceiptError(field: "status", description: "status: unknown status '\(word.prefix(40))'")
        }
        var error: String?
        if status.isFailure {
            let detail = [JWT.text(fields["code"]), JWT.text(fields["error"])].compactMap { $0 }.joined(separator: " ")
            error = "GatewayAPI \(word)" + (detail.isEmpty ? "" : ": \(detail)")
        }
        return [ParsedReceipt(providerID: id, status: status, providerStatus: word, error: error)]
    }

    /// The states of "Delivery Status Notification": UNKNOWN → SCHEDULED/BUFFERED → ENROUTE →
    /// DELIVERED, or a final EXPIRED, DELETED, UNDELIVERABLE, ACCEPTED, REJECTED, SKIPPED.
    static func status(_ word: String) -> DeliveryStatus? {
        switch word.uppercased() {
        case "UNKNOWN", "SCHEDULED", "BUFFERED": .accepted
        case "ENROUTE": .sent
        case "DELIVERED": .delivered
        // "The mobile network has accepted the message on the end user's behalf": final, not a failure.
        case "ACCEPTED": .delivered
        case "EXPIRED": .expired
        case "UNDELIVERABLE", "UNDELIVERED": .undelivered
        // Rejected by the network; SKIPPED: deliberately not sent under network rules; DELETED: cancelled.
        case "REJECTED", "SKIPPED", "DELETED": .rejected
        default: nil
        }
    }

    /// Compact JWS (RFC 7515/7519) with HMAC-SHA256, as GatewayAPI signs its webhooks.
    enum JWT {
        static func verify(_ token: String, key: [UInt8], now: Date, maxAge: TimeInterval) -> Result<[String: Any], ReceiptSignature.Failure> {
            let parts = token.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 3, let headerBytes = base64URLDecode(parts[0]),
                let header = (try? JSONSerialization.jsonObject(with: Data(headerBytes))) as? [String: Any]
            else { return .failure(.invalid) }
            // The algorithm is fixed, never taken from the token: `none` or RS256 are refused.
            guard header["alg"] as? String == "HS256", header["crit"] == nil else { return .failure(.invalid) }
            guard let signature = base64URLDecode(parts[2]) else { return .failure(.invalid) }
            let expected = ReceiptSignature.hmacSHA256(key, Array("\(parts[0]).\(parts[1])".utf8))
            guard ConstantTime.equal(expected, signature) else { return .failure(.invalid) }
            guard let claimBytes = base64URLDecode(parts[1]),
                let claims = (try? JSONSerialization.jsonObject(with: Data(claimBytes))) as? [String: Any]
            else { return .failure(.invalid) }
            let seconds = now.timeIntervalSince1970
            if let expires = number(claims["exp"]), seconds >= expires { return .failure(.expired) }
            if let issued = number(claims["iat"]), abs(seconds - issued) > maxAge { return .failure(.expired) }
            if let notBefore = number(claims["nbf"]), seconds + 60 < notBefore { return .failure(.expired) }
            return .success(claims)
        }

        /// The claims of a token, unverified: only for a token `verify` accepted.
        static func claims(_ token: String) -> [String: Any]? {
            let parts = token.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 3, let bytes = base64URLDecode(parts[1]) else { return nil }
            return (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
        }

        static func base64URLDecode(_ text: Substring) -> [UInt8]? {
            guard text.utf8.allSatisfy({ $0 != UInt8(ascii: "=") && $0 != UInt8(ascii: "+") && $0 != UInt8(ascii: "/") }) else { return nil }
            var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            if base64.count % 4 == 1 { return nil }
            base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
            return Data(base64Encoded: base64).map(Array.init)
        }

        static func number(_ value: Any?) -> Double? {
            (value as? NSNumber)?.doubleValue
        }

        /// A scalar claim or field as text (ids and numbers arrive as JSON numbers), `nil` for null.
        static func text(_ value: Any?) -> String? {
            switch value {
            case let text as String: return text.isEmpty ? nil : text
            case let number as NSNumber: return number.stringValue
            default: return nil
            }
        }
    }
}
