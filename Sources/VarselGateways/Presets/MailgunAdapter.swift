import Foundation
import VarselCore
import VarselHTTP

/// Mailgun's Messages API (email only): a `multipart/form-data` POST to
/// `{url}/v3/{domain}/messages` with Basic auth `api:<api key>`, answered
/// `{"id": "<…@domain>", "message": "Queued. Thank you."}`; the provider id is the `id` without its
/// angle brackets, as it appears in the webhooks' `message.headers.message-id`
/// (https://documentation.mailgun.com/docs/mailgun/api-reference/send/mailgun/messages).
/// EU domains send through `url: https://api.eu.mailgun.net`.
///
/// Our message id travels as the custom variable `v:varsel_message_id`; tracking is off
/// (`o:tracking: no`). The HTML's `data:` images (payment QR codes) go as `inline` files, which
/// Mailgun sends as inline parts whose Content-ID is the filename (``InlineImages``). Delivery reports are Mailgun's JSON webhooks, signed with HMAC-SHA256 of
/// `timestamp + token` under the HTTP webhook signing key (`receipts.signature: mailgun`,
/// https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks): a
/// timestamp outside `max_age_seconds` or a token seen before is a replay.
///
/// - Important: Mailgun does not honour `Idempotency-Key`: a resend after a timeout can duplicate.
public struct MailgunAdapter: GatewayAdapter {
    public static let preset = Preset(
        type: "mailgun", channels: [.email], summary: "Mailgun Messages API (multipart form), JSON webhooks signed with HMAC-SHA256",
        defaultURL: "https://api.mailgun.net",
        options: [
            .init("domain", required: true, "the sending domain as registered with Mailgun (the `{domain}` in `/v3/{domain}/messages`)"),
            .init("reply_to", "the Reply-To address (sent as `h:Reply-To`)"),
        ],
        secrets: [.init("api_key", required: true, "the API key (Basic auth password for the user `api`)")],
        receiptSchemes: ["mailgun"])

    /// The scheme name under `receipts.signature`.
    public static let scheme = "mailgun"

    public let configuration: GatewayConfiguration
    /// Tokens of the webhooks accepted, kept for twice the replay window (a timestamp may lie up to
    /// `max_age_seconds` either side of now). Adapters are built once per API server, so a process
    /// keeps one per gateway.
    let replay: ReplayCache

    public init(configuration: GatewayConfiguration) {
        self.configuration = configuration
        if case .preset(_, _, let maxAge)? = configuration.receipts?.signature {
            replay = ReplayCache(window: 2 * maxAge)
        } else {
            replay = ReplayCache(window: 600)
        }
    }

    public func request(for message: OutboundMessage) throws(GatewayRequestError) -> HTTPRequest {
        let to = try email(of: message)
        let key = try secret("api_key")
        guard let from = configuration.from, !from.isEmpty else {
            throw GatewayRequestError("gateway \(configuration.name) has no from address")
        }
        guard let domain = configuration.options["domain"], Self.isDomain(domain) else {
            throw GatewayRequestError("gateway \(configuration.name) has no usable domain")
        }
        var fields: [(String, String)] = [
            ("from", from), ("to", to), ("subject", message.content.subject ?? ""), ("text", message.content.text),
        ]
        // `data:` images (payment QR codes) as `inline` files; Mailgun gives each the Content-ID of its
        // filename, which the HTML refers to by cid:.
        let inline = message.content.html.map { InlineImages(html: $0) }
        if let html = inline?.html { fields.append(("html", html)) }
        if let replyTo = configuration.options["reply_to"] { fields.append(("h:Reply-To", replyTo)) }
        fields += [("v:varsel_message_id", message.messageID), ("o:tracking", "no")]
        let files = (inline?.images ?? []).map { MultipartForm.File(name: "inline", filename: $0.filename, contentType: $0.contentType, data: $0.data) }
        let form = MultipartForm(fields: fields, files: files)
        var request = configuration.baseRequest(
            url: endpoint("/v3/\(domain)/messages"), contentType: form.contentType, body: form.body, idempotencyKey: message.idempotencyKey)
        request.basicAuth = HTTPBasicAuth(user: "api", password: key)
        return request
    }

    /// 2xx accepted, the id from `id` without `<>`; 429 and 5xx transient; 400, 401, 402, 404, 413
    /// and the other statuses permanent, with Mailgun's `message`.
    public func interpret(_ response: HTTPResponse) -> ProviderAnswer {
        let outcome = OutcomeClassifier.defaultClass(status: response.status)
        guard outcome == .accepted else {
            let plain = String(decoding: response.body.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            // A JSON `message`, else a short plain-text body such as `Forbidden` (not an HTML page).
            let error = ProviderReply.message(response.body) ?? (plain.isEmpty || plain.hasPrefix("<") ? nil : plain)
            return ProviderAnswer(outcome: outcome, error: error)
        }
        return ProviderAnswer(outcome: .accepted, providerID: ProviderReply.string(at: "id", in: response.body).flatMap(Self.bare))
    }

    public var configurationProblem: String? {
        if let domain = configuration.options["domain"], !Self.isDomain(domain) {
            return "domain: '\(domain.prefix(80))' is not a domain name (e.g. mg.fjordkraft.example)"
        }
        if let replyTo = configuration.options["reply_to"], MailAddress(parsing: replyTo) == nil {
            return "reply_to: '\(replyTo.prefix(80))' is not an address (`Name <address>` or a bare address)"
        }
        return nil
    }

    /// `mailgun`: the body's `signature.signature` is the hex HMAC-SHA256 of `signature.timestamp` +
    /// `signature.token` under the webhook signing key; a timestamp outside `max_age_seconds`, or a
    /// token already accepted within it, is a replay. `basic` and `none` as for every gateway.
    public func verify(_ callback: ReceiptCallback, now: Date) -> ReceiptSignature.Failure? {
        switch configuration.receipts?.signature {
        case .preset(Self.scheme, let key, let maxAge)?:
            guard let signature = (callback.json as? [String: Any])?["signature"] as? [String: Any] else { return .missing("signature") }
            guard let timestamp = Self.text(signature["timestamp"]), let token = signature["token"] as? String, !token.isEmpty,
                let hex = signature["signature"] as? String
            else { return .invalid }
            guard let seconds = Double(timestamp), abs(now.timeIntervalSince1970 - seconds) <= maxAge else { return .expired }
            let expected = ReceiptSignature.hex(ReceiptSignature.hmacSHA256(key, Array((timestamp + token).utf8)))
            guard ConstantTime.equal(expected, hex.lowercased()) else { return .invalid }
            return replay.admit(token, now: now) ? nil : .expired
        case .preset?, nil:
            return .invalid
        case let signature?:
            return signature.verify(headers: callback.headers, body: callback.body, now: now)
        }
    }

    /// `event-data.event`: `accepted` → accepted, `delivered` → delivered, `failed` with
    /// `severity: temporary` → sent (Mailgun retries), `failed` with `severity: permanent` →
    /// undelivered, or rejected when Mailgun dropped it for an earlier bounce, unsubscribe or
    /// complaint (`reason: suppress-*`), `rejected` → rejected. `opened`, `clicked`,
    /// `unsubscribed`, `complained` and other events are skipped. The id is
    /// `event-data.message.headers.message-id`.
    public func receipts(from callback: ReceiptCallback) throws(ReceiptError) -> [ParsedReceipt] {
        guard let object = callback.json as? [String: Any] else {
            throw ReceiptError(field: "", description: "the body is not a JSON object (a Mailgun webhook)")
        }
        guard let data = object["event-data"] as? [String: Any] else {
            throw ReceiptError(field: "event-data", description: "event-data: required, an object")
        }
        guard let event = data["event"] as? String else {
            throw ReceiptError(field: "event-data.event", description: "event-data.event: required, a string")
        }
        let severity = data["severity"] as? String
        let reason = data["reason"] as? String
        let status: DeliveryStatus
        switch event {
        case "accepted": status = .accepted
        case "delivered": status = .delivered
        case "rejected": status = .rejected
        case "failed":
            switch severity {
            case "temporary": status = .sent
            case "permanent": status = reason?.hasPrefix("suppress-") == true ? .rejected : .undelivered
            default:
                throw ReceiptError(
                    field: "event-data.severity", description: "event-data.severity: permanent or temporary for a failed event")
            }
        default:
            return []
        }
        let headers = (data["message"] as? [String: Any])?["headers"] as? [String: Any]
        guard let messageID = (headers?["message-id"] as? String).flatMap(Self.bare) else {
            throw ReceiptError(
                field: "event-data.message.headers.message-id", description: "event-data.message.headers.message-id: required")
        }
        var error: String?
        if status.isFailure {
            let delivery = data["delivery-status"] as? [String: Any]
            let code = Self.text(delivery?["code"])
            let explanation = [delivery?["message"] as? String, delivery?["description"] as? String]
                .compactMap { $0?.isEmpty == false ? $0 : nil }.first
                ?? ((data["reject"] as? [String: Any])?["reason"] as? String)
            error = [code, explanation].compactMap { $0 }.joined(separator: " ")
            if let reason { error = (error?.isEmpty == false ? error! + " " : "") + "(\(reason))" }
            if error?.isEmpty == true { error = nil }
        }
        let providerStatus = [event, severity, reason].compactMap { $0 }.joined(separator: "/")
        return [ParsedReceipt(providerID: messageID, status: status, providerStatus: providerStatus, error: error)]
    }

    /// `<id@domain>` → `id@domain`.
    static func bare(_ id: String) -> String? {
        var text = Substring(id.trimmingCharacters(in: .whitespaces))
        if text.hasPrefix("<"), text.hasSuffix(">") { text = text.dropFirst().dropLast() }
        return text.isEmpty || text.count > 255 ? nil : String(text)
    }

    static func isDomain(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 253 && !text.hasPrefix(".") && !text.hasSuffix(".") && text.contains(".")
            && text.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) && $0.isASCII || $0 == "." || $0 == "-" }
    }

    /// A string or number as text (Mailgun sends `timestamp` as a string, `code` as a number).
    static func text(_ value: Any?) -> String? {
        switch value {
        case let string as String: string
        case let number as NSNumber: number.stringValue
        default: nil
        }
    }
}

/// A `multipart/form-data` body (RFC 7578) of text fields and files: each part is
/// `Content-Disposition: form-data; name="…"` (a file's with its `filename` and `Content-Type`) and
/// the value's bytes, parts separated by `--boundary` and CRLF. The boundary is random and checked
/// against every value and file.
struct MultipartForm {
    struct File {
        var name: String
        var filename: String
        var contentType: String
        var data: [UInt8]
    }

    let boundary: String
    let body: [UInt8]

    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    init(fields: [(String, String)], files: [File] = []) {
        var boundary: String
        repeat {
            boundary = "varsel-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        } while fields.contains(where: { $0.0.contains(boundary) || $0.1.contains(boundary) })
            || files.contains(where: { Self.contains($0.data, Array(boundary.utf8)) })
        func quoted(_ text: String) -> String {
            text.replacingOccurrences(of: "\"", with: "%22").replacingOccurrences(of: "\r", with: "%0D").replacingOccurrences(of: "\n", with: "%0A")
        }
        var body: [UInt8] = []
        for (name, value) in fields {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(quoted(name))\"\r\n\r\n".utf8)
            body += Array(value.utf8)
            body += Array("\r\n".utf8)
        }
        for file in files {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(quoted(file.name))\"; filename=\"\(quoted(file.filename))\"\r\n".utf8)
            body += Array("Content-Type: \(quoted(file.contentType))\r\n\r\n".utf8)
            body += file.data
            body += Array("\r\n".utf8)
        }
        body += Array("--\(boundary)--\r\n".utf8)
        self.boundary = boundary
        self.body = body
    }

    private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains { start in haystack[start..<(start + needle.count)].elementsEqual(needle) }
    }
}
