import Foundation
import VarselCore
import VarselHTTP

/// Postmark's Email API (email only): a JSON POST to `{url}/email` with `X-Postmark-Server-Token`,
/// answered `{"To", "SubmittedAt", "MessageID", "ErrorCode": 0, "Message": "OK"}`; a refused message is
/// a 422 whose `ErrorCode` says why (https://postmarkapp.com/developer/api/email-api,
/// https://postmarkapp.com/developer/api/overview#error-codes).
///
/// Our message id travels in `Metadata.varsel_message_id`; open and link tracking are off. The
/// HTML's `data:` images (payment QR codes) go as `Attachments` with a `ContentID` of `cid:…`, as
/// Postmark sends inline images (https://postmarkapp.com/developer/user-guide/send-email-with-api). Delivery
/// reports are Postmark's Delivery and Bounce webhooks (https://postmarkapp.com/developer/webhooks/delivery-webhook,
/// https://postmarkapp.com/developer/webhooks/bounce-webhook). Postmark does not sign them, so
/// `receipts.signature` must be given: `basic` (the user and password put in the webhook URL,
/// `https://user:pass@varsel.example/v1/receipts/<gateway>`) or `none`.
///
/// - Important: Postmark does not honour `Idempotency-Key`: a resend after a timeout can duplicate.
public struct PostmarkAdapter: GatewayAdapter {
    public static let preset = Preset(
        type: "postmark", channels: [.email], summary: "Postmark Email API (JSON), Delivery and Bounce webhooks (basic auth in the URL)",
        defaultURL: "https://api.postmarkapp.com",
        options: [
            .init("message_stream", "the transactional Message Stream to send through (default `outbound`)"),
            .init("reply_to", "the Reply-To address"),
        ],
        secrets: [.init("token", required: true, "the Server API token, sent as `X-Postmark-Server-Token`")],
        receiptSchemes: [])

    /// Postmark `ErrorCode`s worth retrying: 100 (maintenance) and 429 (rate limit).
    static let transientErrorCodes: Set<Int> = [100, 429]

    public let configuration: GatewayConfiguration

    public init(configuration: GatewayConfiguration) {
        self.configuration = configuration
    }

    public func request(for message: OutboundMessage) throws(GatewayRequestError) -> HTTPRequest {
        let to = try email(of: message)
        let token = try secret("token")
        guard let from = configuration.from, !from.isEmpty else {
            throw GatewayRequestError("gateway \(configuration.name) has no from address")
        }
        var body: [String: Any] = [
            "From": from, "To": to, "Subject": message.content.subject ?? "", "TextBody": message.content.text,
            "MessageStream": configuration.options["message_stream"] ?? "outbound",
            "Metadata": ["varsel_message_id": message.messageID],
            "TrackOpens": false, "TrackLinks": "None",
        ]
        if let html = message.content.html {
            // `data:` images (payment QR codes) as inline attachments the HTML refers to by cid:.
            let inline = InlineImages(html: html)
            body["HtmlBody"] = inline.html
            if !inline.images.isEmpty {
                body["Attachments"] = inline.images.map { image -> [String: Any] in
                    [
                        "Name": image.filename, "Content": Data(image.data).base64EncodedString(), "ContentType": image.contentType,
                        "ContentID": "cid:" + image.contentID,
                    ]
                }
            }
        }
        if let replyTo = configuration.options["reply_to"] { body["ReplyTo"] = replyTo }
        var request = configuration.baseRequest(
            url: endpoint("/email"), contentType: "application/json", body: try json(body), idempotencyKey: message.idempotencyKey)
        request.headers.append(HTTPHeader("X-Postmark-Server-Token", token))
        return request
    }

    /// 2xx with `ErrorCode` 0 accepted (the id is `MessageID`); 429, 5xx and `ErrorCode` 100
    /// (maintenance) or 429 transient; everything else permanent (422 with `ErrorCode` 300 invalid
    /// request, 406 inactive recipient, 10 bad token, 401 unauthorized, …).
    public func interpret(_ response: HTTPResponse) -> ProviderAnswer {
        let code = ProviderReply.string(at: "ErrorCode", in: response.body).flatMap { Int($0) }
        let text = ProviderReply.string(at: "Message", in: response.body).map { String($0.prefix(200)) }
        let error = code.map { "Postmark error \($0)" + (text.map { ": " + $0 } ?? "") } ?? text
        var outcome = OutcomeClassifier.defaultClass(status: response.status)
        if let code, code != 0 {
            outcome = Self.transientErrorCodes.contains(code) || outcome == .transient ? .transient : .permanent
        }
        guard outcome == .accepted else { return ProviderAnswer(outcome: outcome, error: error) }
        return ProviderAnswer(outcome: .accepted, providerID: ProviderReply.string(at: "MessageID", in: response.body))
    }

    public var configurationProblem: String? {
        if let stream = configuration.options["message_stream"], stream.isEmpty || stream.contains(where: \.isWhitespace) {
            return "message_stream: '\(stream.prefix(80))' is not a Message Stream id"
        }
        if let replyTo = configuration.options["reply_to"], MailAddress(parsing: replyTo) == nil {
            return "reply_to: '\(replyTo.prefix(80))' is not an address (`Name <address>` or a bare address)"
        }
        return nil
    }

    /// One webhook post is one record. `Delivery` → delivered. `Bounce` by its `Type`:
    /// HardBounce, SoftBounce (Postmark has stopped trying), BadEmailAddress, Unknown → undelivered;
    /// Transient and DnsError (temporary, "message delayed") → sent; SpamNotification, Blocked,
    /// DMARCPolicy, VirusNotification (the receiving side refused it), ManuallyDeactivated,
    /// Unconfirmed (an inactive address) → rejected; SMTPApiError, TemplateRenderingFailed,
    /// InboundError → failed. Bounce types that answer a delivered message (AutoResponder,
    /// AddressChange, Unsubscribe, Subscribe, ChallengeVerification, OpenRelayTest, SpamComplaint),
    /// unknown types, and the SpamComplaint, Open, Click and SubscriptionChange records (the message
    /// was delivered; they are about the reader) are skipped.
    public func receipts(from callback: ReceiptCallback) throws(ReceiptError) -> [ParsedReceipt] {
        guard let record = callback.json as? [String: Any] else {
            throw ReceiptError(field: "", description: "the body is not a JSON object (a Postmark webhook record)")
        }
        guard let recordType = record["RecordType"] as? String else {
            throw ReceiptError(field: "RecordType", description: "RecordType: required, a string")
        }
        let status: DeliveryStatus
        var providerStatus = recordType
        var error: String?
        switch recordType {
        case "Delivery":
            status = .delivered
        case "Bounce":
            guard let type = record["Type"] as? String else {
                throw ReceiptError(field: "Type", description: "Type: required for a Bounce")
            }
            guard let mapped = Self.bounceStatus[type] else { return [] }
            status = mapped
            providerStatus = "Bounce/\(type)"
            let description = (record["Description"] as? String) ?? (record["Name"] as? String)
            let details = (record["Details"] as? String).flatMap { $0.isEmpty ? nil : $0 }
            error = [description, details].compactMap { $0 }.joined(separator: ": ")
            if error?.isEmpty == true { error = type }
        default:
            return []
        }
        guard let id = record["MessageID"] as? String, !id.isEmpty, id.count <= 255 else {
            throw ReceiptError(field: "MessageID", description: "MessageID: required for a \(recordType) record")
        }
        return [ParsedReceipt(providerID: id, status: status, providerStatus: providerStatus, error: status.isFailure ? error : nil)]
    }

    /// Postmark's bounce types (https://postmarkapp.com/developer/api/bounce-api#bounce-types) that say
    /// something about delivery; the others are skipped.
    static let bounceStatus: [String: DeliveryStatus] = [
        "HardBounce": .undelivered, "SoftBounce": .undelivered, "BadEmailAddress": .undelivered, "Unknown": .undelivered,
        "Transient": .sent, "DnsError": .sent,
        "SpamNotification": .rejected, "Blocked": .rejected, "DMARCPolicy": .rejected, "VirusNotification": .rejected,
        "ManuallyDeactivated": .rejected, "Unconfirmed": .rejected,
        "SMTPApiError": .failed, "TemplateRenderingFailed": .failed, "InboundError": .failed,
    ]
}
