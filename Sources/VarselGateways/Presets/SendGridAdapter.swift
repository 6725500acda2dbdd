import Crypto
import Foundation
import VarselCore
import VarselHTTP

/// Twilio SendGrid's v3 Mail Send API (email only): a JSON POST to `{url}/v3/mail/send` with
/// `Authorization: Bearer <token>`, answered `202 Accepted` with the message's id in the
/// `X-Message-Id` header (https://www.twilio.com/docs/sendgrid/api-reference/mail-send/mail-send).
///
/// Our message id travels in `personalizations[0].custom_args.varsel_message_id`; open and click
/// tracking are switched off for the message. The HTML's `data:` images (payment QR codes) go as
/// `attachments` with `disposition: inline` and a `content_id` the HTML refers to by `cid:`
/// (``InlineImages``). Delivery reports come from the Event Webhook
/// (https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/event), a JSON array of
/// events signed with ECDSA P-256 (`receipts.signature: sendgrid`, the verification key SendGrid shows
/// in `receipts.public_key`;
/// https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features).
///
/// - Important: SendGrid does not honour `Idempotency-Key`: a resend after a timeout can duplicate.
public struct SendGridAdapter: GatewayAdapter {
    public static let preset = Preset(
        type: "sendgrid", channels: [.email], summary: "Twilio SendGrid v3 Mail Send (JSON), Event Webhook receipts signed with ECDSA",
        defaultURL: "https://api.sendgrid.com",
        options: [.init("reply_to", "the Reply-To address, `Name <address>` or a bare address")],
        secrets: [.init("token", required: true, "the API key with Mail Send permission, sent as `Authorization: Bearer <token>`")],
        receiptSchemes: ["sendgrid"])

    /// The scheme name under `receipts.signature`.
    public static let scheme = "sendgrid"
    static let signatureHeader = "X-Twilio-Email-Event-Webhook-Signature"
    static let timestampHeader = "X-Twilio-Email-Event-Webhook-Timestamp"

    public let configuration: GatewayConfiguration
    /// The Event Webhook's verification key (its DER, as `P256.Signing.PublicKey` is not `Sendable`);
    /// nil when absent or not a P-256 key.
    let publicKeyDER: Data?

    public init(configuration: GatewayConfiguration) {
        self.configuration = configuration
        if case .preset(Self.scheme, let key, _)? = configuration.receipts?.signature {
            publicKeyDER = Self.parsePublicKey(String(decoding: key, as: UTF8.self))?.derRepresentation
        } else {
            publicKeyDER = nil
        }
    }

    public func request(for message: OutboundMessage) throws(GatewayRequestError) -> HTTPRequest {
        let to = try email(of: message)
        let token = try secret("token")
        guard let fromText = configuration.from, let from = MailAddress(parsing: fromText) else {
            throw GatewayRequestError("gateway \(configuration.name) has no usable from address")
        }
        var content: [[String: Any]] = [["type": "text/plain", "value": message.content.text]]
        // `data:` images (payment QR codes) as inline attachments the HTML refers to by cid:.
        let inline = message.content.html.map { InlineImages(html: $0) }
        if let html = inline?.html { content.append(["type": "text/html", "value": html]) }
        var body: [String: Any] = [
            "personalizations": [["to": [["email": to]], "custom_args": ["varsel_message_id": message.messageID]]],
            "from": from.sendGridObject,
            "subject": message.content.subject ?? "",
            "content": content,
            "tracking_settings": ["click_tracking": ["enable": false], "open_tracking": ["enable": false]],
        ]
        if let replyTo = configuration.options["reply_to"].flatMap(MailAddress.init(parsing:)) { body["reply_to"] = replyTo.sendGridObject }
        if let images = inline?.images, !images.isEmpty {
            body["attachments"] = images.map { image -> [String: Any] in
                [
                    "content": Data(image.data).base64EncodedString(), "type": image.contentType, "filename": image.filename,
                    "disposition": "inline", "content_id": image.contentID,
                ]
            }
        }
        var request = configuration.baseRequest(
            url: endpoint("/v3/mail/send"), contentType: "application/json", body: try json(body), idempotencyKey: message.idempotencyKey)
        request.headers.append(HTTPHeader("Authorization", "Bearer \(token)"))
        return request
    }

    /// 202 accepted (the id is `X-Message-Id`); 429 and 5xx transient; 400, 401, 403, 413 and the
    /// other statuses permanent, with SendGrid's `errors[0].message` (and its `field`).
    public func interpret(_ response: HTTPResponse) -> ProviderAnswer {
        let outcome = OutcomeClassifier.defaultClass(status: response.status)
        guard outcome == .accepted else {
            var error = ProviderReply.string(at: "errors.0.message", in: response.body).map { String($0.prefix(200)) }
            if let text = error, let field = ProviderReply.string(at: "errors.0.field", in: response.body) { error = "\(field): \(text)" }
            return ProviderAnswer(outcome: outcome, error: error ?? ProviderReply.message(response.body))
        }
        let id = response.header(named: "X-Message-Id")?.trimmingCharacters(in: .whitespaces)
        return ProviderAnswer(outcome: .accepted, providerID: id?.isEmpty == false ? id : nil)
    }

    public var configurationProblem: String? {
        if let from = configuration.from, MailAddress(parsing: from) == nil {
            return "from: '\(from.prefix(80))' is not an address (`Name <address>` or a bare address)"
        }
        if let replyTo = configuration.options["reply_to"], MailAddress(parsing: replyTo) == nil {
            return "reply_to: '\(replyTo.prefix(80))' is not an address (`Name <address>` or a bare address)"
        }
        // A key given by file under a command that reads no secrets was not read: nothing to check then.
        if case .preset(Self.scheme, let key, _)? = configuration.receipts?.signature, publicKeyDER == nil,
            String(decoding: key, as: UTF8.self) != GatewayConfiguration.unreadSecret
        {
            return "receipts.public_key: not an ECDSA P-256 public key; give the verification key SendGrid shows "
                + "under Settings > Mail Settings > Signed Event Webhook (base64 DER, or PEM)"
        }
        return nil
    }

    /// `sendgrid`: `X-Twilio-Email-Event-Webhook-Signature` is base64 DER of an ECDSA P-256 signature
    /// over SHA-256(`X-Twilio-Email-Event-Webhook-Timestamp` + the raw body); a timestamp outside
    /// `max_age_seconds` is a replay. `basic` and `none` as for every gateway.
    public func verify(_ callback: ReceiptCallback, now: Date) -> ReceiptSignature.Failure? {
        switch configuration.receipts?.signature {
        case .preset(Self.scheme, _, let maxAge)?:
            guard let signature = callback.headers[Self.signatureHeader.lowercased()] else { return .missing(Self.signatureHeader) }
            guard let timestamp = callback.headers[Self.timestampHeader.lowercased()] else { return .missing(Self.timestampHeader) }
            guard let seconds = Double(timestamp), abs(now.timeIntervalSince1970 - seconds) <= maxAge else { return .expired }
            guard let publicKeyDER, let publicKey = try? P256.Signing.PublicKey(derRepresentation: publicKeyDER),
                let der = Data(base64Encoded: signature.trimmingCharacters(in: .whitespaces)),
                let ecdsa = try? P256.Signing.ECDSASignature(derRepresentation: der)
            else { return .invalid }
            let signed = Array(timestamp.utf8) + callback.body
            return publicKey.isValidSignature(ecdsa, for: SHA256.hash(data: signed)) ? nil : .invalid
        case .preset?, nil:
            return .invalid
        case let signature?:
            return signature.verify(headers: callback.headers, body: callback.body, now: now)
        }
    }

    /// The Event Webhook's batch: `processed` → accepted, `deferred` → sent (SendGrid retries for up
    /// to 72 hours), `delivered` → delivered, `bounce` → undelivered (`type: blocked` → rejected),
    /// `dropped` → rejected. Engagement events (open, click, spamreport, unsubscribe, group_*) and
    /// any other event carry no delivery status and are skipped.
    public func receipts(from callback: ReceiptCallback) throws(ReceiptError) -> [ParsedReceipt] {
        guard let events = callback.json as? [Any] else {
            throw ReceiptError(field: "", description: "the body is not a JSON array of SendGrid events")
        }
        var receipts: [ParsedReceipt] = []
        for (index, item) in events.enumerated() {
            guard let event = item as? [String: Any] else {
                throw ReceiptError(field: "[\(index)]", description: "[\(index)]: an event must be a JSON object")
            }
            guard let name = event["event"] as? String else {
                throw ReceiptError(field: "[\(index)].event", description: "[\(index)].event: required, a string")
            }
            let type = event["type"] as? String
            let status: DeliveryStatus
            switch name {
            case "processed": status = .accepted
            case "deferred": status = .sent
            case "delivered": status = .delivered
            case "bounce": status = type == "blocked" ? .rejected : .undelivered
            case "dropped": status = .rejected
            default: continue
            }
            guard let messageID = event["sg_message_id"] as? String, let providerID = Self.providerID(sgMessageID: messageID) else {
                throw ReceiptError(field: "[\(index)].sg_message_id", description: "[\(index)].sg_message_id: required for a \(name) event")
            }
            var error: String?
            if status.isFailure {
                let reason = (event["reason"] as? String) ?? (event["response"] as? String)
                let code = (event["status"] as? String).map { " (\($0))" } ?? ""
                error = reason.map { $0 + code }
            }
            receipts.append(ParsedReceipt(
                providerID: providerID, status: status, providerStatus: type.map { "\(name)/\($0)" } ?? name, error: error))
        }
        return receipts
    }

    /// The `X-Message-Id` an event's `sg_message_id` begins with: the part before `.filter`
    /// (`14c5d75ce93.dfd.64b469.filter0001.16648…`), otherwise before the first `.`
    /// (`LRzXl_NHStOGhQ4kofSm_A.recvd-…`), otherwise all of it.
    public static func providerID(sgMessageID: String) -> String? {
        let text = sgMessageID.trimmingCharacters(in: .whitespaces)
        let id: Substring
        if let filter = text.range(of: ".filter") {
            id = text[..<filter.lowerBound]
        } else {
            id = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        }
        return id.isEmpty || id.count > 255 ? nil : String(id)
    }

    /// A P-256 public key from SendGrid's verification key: base64 of the DER SubjectPublicKeyInfo
    /// (as the console shows it), or the same in PEM.
    static func parsePublicKey(_ text: String) -> P256.Signing.PublicKey? {
        // PEM is the same base64 between `-----BEGIN PUBLIC KEY-----` and `-----END PUBLIC KEY-----`.
        let lines = text.split(whereSeparator: \.isNewline).filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("-----") }
        var base64 = lines.joined().filter { !$0.isWhitespace }
        if base64.count % 4 != 0 { base64 += String(repeating: "=", count: 4 - base64.count % 4) }
        guard let der = Data(base64Encoded: base64) else { return nil }
        return try? P256.Signing.PublicKey(derRepresentation: der)
    }
}

extension MailAddress {
    /// SendGrid's email object: `{"email": …, "name": …}`.
    var sendGridObject: [String: Any] {
        var object: [String: Any] = ["email": addrSpec]
        if let name { object["name"] = name }
        return object
    }
}
