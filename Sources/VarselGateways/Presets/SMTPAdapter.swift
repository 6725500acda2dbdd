import Foundation
import VarselCore
import VarselHTTP

/// SMTP through libcurl (`type: smtp`): `smtp://host:port` with STARTTLS (required by default) or
/// `smtps://host:port` (TLS from the first byte), AUTH from a credentials file, one MIME message per
/// email (``MIMEMessage``: text and HTML as `multipart/alternative`, RFC 2047 headers; the HTML's
/// `data:` images as `multipart/related` parts it refers to by `cid:`, ``InlineImages``).
///
/// - The `Message-ID` is built from the idempotency key (`<message id>.email@<domain of from>`), so a
///   retry carries the same `Message-ID` and a receiving system can drop the duplicate. The provider
///   id recorded on the attempt is the server's queue id from its `250` reply.
/// - Replies: a 4xx is transient, a 5xx permanent (the next channel may help); a connection lost
///   after the server said `354` (while or after the message data went out) is ambiguous.
/// - libcurl keeps the connection in its cache and sends the next message over it (RFC 5321 §3.3).
public struct SMTPAdapter: GatewayAdapter {
    public static let preset = Preset(
        type: "smtp", channels: [.email],
        summary: "any SMTP relay or submission server (Postfix, Exchange, Google Workspace, Microsoft 365, Amazon SES SMTP, …)",
        defaultURL: nil, urlSchemes: ["smtp", "smtps"],
        options: [
            .init("starttls", "`required` (default for smtp://: refuse to send without TLS), `optional` (TLS when offered), `never`; ignored for smtps://"),
            .init("reply_to", "the `Reply-To` address, e.g. `Kundeservice <kundeservice@fjordkraft.example>`"),
            .init("message_id_domain", "the domain of the `Message-ID` (default: the domain of `from`)"),
        ],
        secrets: [
            .init("username", "the AUTH user (with `password`); without both, no AUTH"),
            .init("password", "the AUTH password"),
        ])

    public let configuration: GatewayConfiguration
    /// Read once from the configuration, not per message.
    let sender: MailAddress?
    let replyTo: MailAddress?
    let tls: MailEnvelope.TLS?

    public init(configuration: GatewayConfiguration) {
        self.configuration = configuration
        sender = configuration.from.flatMap(MailAddress.init(parsing:))
        replyTo = configuration.options["reply_to"].flatMap(MailAddress.init(parsing:))
        tls = configuration.url.lowercased().hasPrefix("smtps://")
            ? .required : MailEnvelope.TLS(rawValue: configuration.options["starttls"] ?? "required")
    }

    public var configurationProblem: String? {
        if tls == nil { return "starttls: use required, optional or never" }
        guard let sender else { return "from: expected an address such as \"Fjordkraft <krav@fjordkraft.example>\"" }
        if !sender.isASCII { return "from: the address must be ASCII (SMTPUTF8 is not used)" }
        if configuration.options["reply_to"] != nil, replyTo == nil {
            return "reply_to: expected an address such as \"Kundeservice <kundeservice@fjordkraft.example>\""
        }
        if (configuration.secrets["username"] == nil) != (configuration.secrets["password"] == nil) {
            return "AUTH needs both username_file (or username_env) and password_file (or password_env)"
        }
        if configuration.receipts != nil {
            return "receipts: SMTP has no delivery callbacks; remove receipts (bounces arrive as mail to the from address)"
        }
        return nil
    }

    /// `<idempotency key>@<domain>`: the same for every retry of this message on email.
    func messageID(for message: OutboundMessage) -> String {
        let domain = configuration.options["message_id_domain"] ?? sender.map { String($0.addrSpec.split(separator: "@").last ?? "") } ?? "varsel.invalid"
        let local = message.idempotencyKey.unicodeScalars.map { scalar -> String in
            CharacterSet.alphanumerics.contains(scalar) && scalar.isASCII || "-._".unicodeScalars.contains(scalar) ? String(scalar) : "_"
        }.joined()
        return "\(local)@\(domain)"
    }

    /// The MIME message for one email (also what `varsel gateway test` shows).
    public func mime(for message: OutboundMessage, date: Date = Date()) throws(GatewayRequestError) -> MIMEMessage {
        let address = try email(of: message)
        guard let sender else { throw GatewayRequestError("gateway \(configuration.name) has no usable from address") }
        guard let recipient = MailAddress(parsing: address), recipient.isASCII else {
            throw GatewayRequestError("the email address cannot be sent over SMTP without SMTPUTF8 (non-ASCII local part)")
        }
        let id = messageID(for: message)
        // `data:` images (payment QR codes) as multipart/related parts the HTML refers to by cid:.
        let inline = message.content.html.map { InlineImages(html: $0, domain: String(id.split(separator: "@").last ?? "varsel.invalid")) }
        return MIMEMessage(
            from: sender, to: [MailAddress(name: message.recipient.name, address: recipient.address)],
            replyTo: replyTo,
            subject: message.content.subject ?? "", date: date, messageID: id,
            text: message.content.text, html: inline?.html,
            attachments: (inline?.images ?? []).map {
                MIMEMessage.Attachment(filename: $0.filename, contentType: $0.contentType, data: $0.data, contentID: $0.contentID)
            },
            extraHeaders: [(name: "X-Varsel-Message-Id", value: message.messageID)])
    }

    public func request(for message: OutboundMessage) throws(GatewayRequestError) -> HTTPRequest {
        let mime = try mime(for: message)
        guard let sender, let tls else { throw GatewayRequestError("gateway \(configuration.name): \(configurationProblem ?? "misconfigured")") }
        var request = HTTPRequest(
            method: "POST", url: configuration.url, body: mime.render(),
            connectTimeoutMilliseconds: configuration.connectTimeoutMilliseconds, timeoutMilliseconds: configuration.timeoutMilliseconds,
            poolKey: configuration.name, caFile: configuration.caFile,
            mail: MailEnvelope(from: sender.addrSpec, recipients: mime.to.map(\.addrSpec), tls: tls))
        if let user = configuration.secrets["username"], let password = configuration.secrets["password"] {
            request.basicAuth = HTTPBasicAuth(user: user, password: password)
        }
        return request
    }

    /// The server's final `250`: accepted; the provider id is the server's queue id (`queued as
    /// 4XyZ…`, what its log shows), else its whole reply text.
    public func interpret(_ response: HTTPResponse) -> ProviderAnswer {
        switch response.status {
        case 200..<300: ProviderAnswer(outcome: .accepted, providerID: Self.queueID(in: response.bodyText))
        case 400..<500: ProviderAnswer(outcome: .transient, error: response.bodyText)
        default: ProviderAnswer(outcome: .permanent, error: response.bodyText)
        }
    }

    static func queueID(in reply: String) -> String? {
        var text = Substring(reply)
        if let code = text.firstIndex(of: " "), text[..<code].allSatisfy(\.isNumber) { text = text[text.index(after: code)...] }
        if let marker = text.range(of: "queued as ", options: .caseInsensitive) {
            let id = text[marker.upperBound...].prefix { !$0.isWhitespace }
            if !id.isEmpty { return String(id) }
        }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty ? nil : String(trimmed.prefix(200))
    }

    public func interpret(_ error: HTTPClientError) -> ProviderAnswer? {
        let text = "SMTP: \(error.curlMessage)"
        switch error.responseCode {
        case let code? where (400..<500).contains(code):
            return ProviderAnswer(outcome: .transient, error: text)
        case let code? where (500..<600).contains(code):
            return ProviderAnswer(outcome: .permanent, error: text)
        case 354?:
            return ProviderAnswer(
                outcome: .ambiguous,
                error: "outcome unknown: the connection failed after the server took DATA (\(error.code): \(error.curlMessage))")
        default:
            break
        }
        if error.curlCode == 64 {  // CURLE_USE_SSL_FAILED
            return ProviderAnswer(outcome: .permanent, error: "SMTP: the server does not offer STARTTLS, which starttls: required asks for")
        }
        if error.curlCode == 67 {  // CURLE_LOGIN_DENIED
            return ProviderAnswer(outcome: .permanent, error: "SMTP: the server refused the AUTH credentials")
        }
        // Before the server said 354 no message can have been taken: whatever failed, retrying is safe.
        guard error.requestMayHaveReachedServer, error.code != .shutDown else { return nil }
        return ProviderAnswer(outcome: .transient, error: "SMTP: the session failed before the message was sent (\(error.code): \(error.curlMessage))")
    }
}
