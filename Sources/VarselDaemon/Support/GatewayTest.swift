import Foundation
import VarselCore
import VarselGateways
import VarselHTTP

/// `varsel gateway test NAME --to ADDRESS`: one clearly marked test message through one configured
/// gateway, with the request and the reply printed, secrets redacted. Nothing is stored: a test is
/// not a reminder and leaves no trace in the queue.
public enum GatewayTest {
    public struct Outcome: Sendable {
        /// What to print: the request, the reply and what Varsel makes of it.
        public let report: String
        public let accepted: Bool
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Sends the test message. Throws only for a bad name or address (nothing sent).
    public static func run(config: VarselConfig, gateway name: String, to address: String, now: Date = Date()) async throws -> Outcome {
        guard let gateway = config.gateways[name] else {
            let names = config.gateways.keys.sorted().joined(separator: ", ")
            throw Failure(description: "no gateway named '\(name)' in the configuration; configured: \(names.isEmpty ? "none" : names)")
        }
        let preset = gateway.kind.preset
        let channel: Channel
        var recipient = Recipient(name: "Varsel test")
        if address.hasPrefix("+") {
            guard case .success = PhoneNumber.parse(address) else {
                throw Failure(description: "--to: '\(address)' is not a phone number in E.164 form such as +4791234567")
            }
            channel = .sms
            recipient.phone = address
        } else if address.contains("@") {
            if let problem = EmailAddress.problem(address) { throw Failure(description: "--to: \(problem)") }
            channel = .email
            recipient.email = address
        } else {
            throw Failure(description: "--to: give a phone number in E.164 form (+4791234567) or an email address")
        }
        // The channels the configuration gives this gateway (else all its preset can send).
        let configured = Set(config.channels.filter { $0.value.contains(name) }.keys)
        let serves = configured.isEmpty ? preset.channels : configured
        guard serves.contains(channel) else {
            throw Failure(description: "gateway '\(name)' (\(preset.type)) does not send \(channel.rawValue) here; --to must be \(serves.contains(.sms) ? "a phone number" : "an email address")")
        }
        let id = "test-" + UUID().uuidString.lowercased()
        let stamp = RFC3339.format(now)
        let text = "TEST from Varsel: this is a test of gateway \(name), sent with varsel gateway test at \(stamp). It is not a payment reminder; please ignore it."
        let content = RenderedContent(
            templateID: "gateway-test", templateVersion: "sha256:-", channel: channel,
            subject: channel == .email ? "[TEST] Varsel gateway test (\(name))" : nil, text: text,
            html: channel == .email ? "<p><strong>TEST</strong> from Varsel: this is a test of gateway \(name), sent at \(stamp).</p><p>It is not a payment reminder; please ignore it.</p>" : nil,
            sms: channel == .sms ? SMSEncoding(text: text).info : nil, contentHash: "sha256:-")
        let message = OutboundMessage(messageID: id, idempotencyKey: "\(id).\(channel.rawValue)", recipient: recipient, content: content)

        let client = CurlHTTPClient(configuration: .init(maxInFlight: 1, maxConnectionsPerPool: 1))
        defer { client.shutdown() }
        let sender = GatewaySender(gateways: [gateway], client: client)
        let trace = SendTrace()
        let result = await sender.send(message, via: name, trace: trace)

        let redactor = SecretRedactor(gateway: gateway)
        var lines = ["gateway \(name) (\(preset.type)), test message \(id) to \(channel == .sms ? Masking.phone(address) : Masking.email(address))", ""]
        if let request = trace.request {
            lines += ["request:"] + redactor.describe(request).map { "  " + $0 }
        }
        lines.append("")
        if let response = trace.response {
            lines.append("reply: \(request(trace)?.mail == nil ? "HTTP" : "SMTP") \(response.status)")
            for header in response.headers { lines.append("  \(header.name): \(redactor.redactHeader(header))") }
            if !response.body.isEmpty { lines.append("  " + redactor.redact(String(decoding: response.body.prefix(4_096), as: UTF8.self))) }
        } else if let error = trace.error {
            lines.append("no reply: \(redactor.redact(error.description))")
        } else {
            lines.append("not sent")
        }
        lines.append("")
        lines.append("outcome: \(result.outcome.rawValue)" + (result.providerID.map { ", provider id \(redactor.redact($0))" } ?? ""))
        if let error = result.error { lines.append("error: \(redactor.redact(Masking.scrub(error, knownContact: recipient)))") }
        lines.append("nothing was stored: a test message is not a reminder")
        return Outcome(report: lines.joined(separator: "\n"), accepted: result.outcome == .accepted)
    }

    private static func request(_ trace: SendTrace) -> HTTPRequest? { trace.request }
}

extension SMSEncoding {
    var info: RenderedContent.SMSInfo { RenderedContent.SMSInfo(encoding: scheme, segments: segments) }
}

/// Hides a gateway's secrets in what is shown: every configured secret value wherever it appears,
/// credentials in headers, secret-looking fields of form and JSON bodies, and URL secrets.
struct SecretRedactor {
    let secrets: [String]

    init(gateway: GatewayConfiguration) {
        var values = Array(gateway.secrets.values)
        values += [gateway.bearerToken, gateway.authToken].compactMap { $0 }
        switch gateway.receipts?.signature {
        case .hmacSHA256(let secret, _)?: values.append(String(decoding: secret, as: UTF8.self))
        case .twilio(let token, _)?: values.append(String(decoding: token, as: UTF8.self))
        case .basic(let user, let password)?: values += [user, password]
        case .preset(_, let key, _)?: values.append(String(decoding: key, as: UTF8.self))
        default: break
        }
        // Longest first, so a secret containing another is hidden whole.
        secrets = values.filter { $0.count >= 4 }.sorted { $0.count > $1.count }
    }

    func redact(_ text: String) -> String {
        var result = text
        for secret in secrets {
            result = result.replacingOccurrences(of: secret, with: "***")
            // As it appears percent-encoded in a form body, or base64-encoded in Basic auth.
            result = result.replacingOccurrences(of: FormEncoding.encode(secret), with: "***")
        }
        return result
    }

    func redactHeader(_ header: HTTPHeader) -> String {
        let name = header.name.lowercased()
        if name == "authorization" || name == "proxy-authorization" || URLRedaction.isSecretName(name) {
            let scheme = header.value.split(separator: " ").first.map(String.init) ?? ""
            return scheme.isEmpty || scheme == header.value ? "<redacted>" : "\(scheme) <redacted>"
        }
        return redact(header.value)
    }

    func describe(_ request: HTTPRequest) -> [String] {
        var lines: [String] = []
        let url = URLRedaction.redact(request.url).text
        if let mail = request.mail {
            lines.append("SMTP \(url) (TLS: \(request.url.lowercased().hasPrefix("smtps://") ? "implicit" : mail.tls.rawValue))")
            lines.append("MAIL FROM:<\(mail.from)>")
            for recipient in mail.recipients { lines.append("RCPT TO:<\(Masking.email(recipient))>") }
            if request.basicAuth != nil { lines.append("AUTH: <redacted>") }
            lines.append("DATA:")
            var data = redact(String(decoding: request.body, as: UTF8.self))
            for recipient in mail.recipients { data = data.replacingOccurrences(of: recipient, with: Masking.email(recipient)) }
            lines += data.components(separatedBy: "\r\n")
            return lines
        }
        lines.append("\(request.method) \(url)")
        for header in request.headers { lines.append("\(header.name): \(redactHeader(header))") }
        if request.basicAuth != nil { lines.append("Authorization: Basic <redacted>") }
        lines.append("")
        let body = String(decoding: request.body, as: UTF8.self)
        let contentType = request.headers.first { $0.name.lowercased() == "content-type" }?.value.lowercased() ?? ""
        if contentType.hasPrefix("application/x-www-form-urlencoded") {
            let fields = FormEncoding.decode(body).map { name, value in
                (name, URLRedaction.isSecretName(name) || name == "passwd" ? "***" : value)
            }
            lines.append(redact(FormEncoding.encode(fields)))
        } else if contentType.hasPrefix("application/json"), let object = try? JSONSerialization.jsonObject(with: Data(request.body)) {
            let cleaned = Self.redactJSON(object)
            let data = (try? JSONSerialization.data(withJSONObject: cleaned, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])) ?? Data()
            lines += redact(String(decoding: data, as: UTF8.self)).components(separatedBy: "\n")
        } else {
            lines += redact(body).components(separatedBy: "\n")
        }
        return lines
    }

    static func redactJSON(_ value: Any) -> Any {
        if let object = value as? [String: Any] {
            var result: [String: Any] = [:]
            for (key, item) in object {
                result[key] = URLRedaction.isSecretName(key) || key == "passwd" ? "***" : redactJSON(item)
            }
            return result
        }
        if let array = value as? [Any] { return array.map(redactJSON) }
        return value
    }
}
