import Foundation
import VarselCore
import VarselHTTP

/// LINK Mobility's SMS REST API on its "Common" platform (all Nordic markets; the successor of
/// PSWinCom's gateway): one JSON `POST {url}/sms/send` per message with Basic auth, `refId` carrying
/// Varsel's message id. Delivery reports are posted to a *gate* that LINK Mobility Support sets up
/// for the receipt URL; they carry no signature, so receipts use `basic` (the user and password put
/// on the gate's destination) or `none`.
///
/// Docs: "LINK Mobility SMS REST API – MT and Delivery Reports" and "Common Platform API – Gate API",
/// https://www.linkmobility.com/developer/
public struct LinkMobilityAdapter: GatewayAdapter {
    public static let preset = Preset(
        type: "linkmobility", channels: [.sms],
        summary: "LINK Mobility SMS REST API (Common platform, all Nordics; PSWinCom's successor)",
        defaultURL: nil,
        options: [
            .init("platform_id", required: true, "`platformId`, given by LINK Mobility Support"),
            .init("platform_partner_id", required: true, "`platformPartnerId`, given by LINK Mobility Support"),
            .init(
                "delivery_report_gate",
                "the gate id LINK Mobility Support created for the receipt URL (several separated by commas); without it no delivery reports are asked for"),
            .init("source_ton", "`sourceTON` of `from`: ALPHANUMERIC, SHORTNUMBER or MSISDN (default: MSISDN for +digits, SHORTNUMBER for digits, else ALPHANUMERIC)"),
        ],
        secrets: [
            .init("username", required: true, "the API user (Basic auth)"),
            .init("password", required: true, "the API password (Basic auth)"),
        ],
        receiptSchemes: [])

    /// `resultCode`s of a send reply that mean the message was taken (the TEMP states of the result
    /// code table, and delivered).
    static let acceptedCodes: Set<Int> = [1000, 1001, 1005, 1007, 1008, 1011, 1012, 1013]
    static let sourceTONs: Set<String> = ["ALPHANUMERIC", "SHORTNUMBER", "MSISDN"]

    public let configuration: GatewayConfiguration

    public init(configuration: GatewayConfiguration) {
        self.configuration = configuration
    }

    /// The base URL as assigned (`https://n-eu.linkmobility.io`; the document also lists it with `/sms`).
    var sendURL: String {
        let base = configuration.url.hasSuffix("/") ? String(configuration.url.dropLast()) : configuration.url
        return base.hasSuffix("/sms") ? base + "/send" : base + "/sms/send"
    }

    var gates: [String] {
        (configuration.options["delivery_report_gate"] ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    public var configurationProblem: String? {
        if configuration.from?.isEmpty ?? true {
            return "a linkmobility gateway needs from: the sender (2-11 letters and digits, a short number, or a +MSISDN)"
        }
        if let ton = configuration.options["source_ton"], !Self.sourceTONs.contains(ton) {
            return "source_ton: use ALPHANUMERIC, SHORTNUMBER or MSISDN"
        }
        if configuration.receipts != nil, gates.isEmpty {
            return "receipts need delivery_report_gate: LINK Mobility only sends delivery reports to a gate named in the request (ask Support to create one for https://<varsel>/v1/receipts/\(configuration.name))"
        }
        return nil
    }

    static func sourceTON(of from: String) -> String {
        func digits(_ text: Substring) -> Bool { !text.isEmpty && text.utf8.allSatisfy { (48...57).contains($0) } }
        if from.hasPrefix("+"), digits(from.dropFirst()) { return "MSISDN" }
        return digits(Substring(from)) ? "SHORTNUMBER" : "ALPHANUMERIC"
    }

    public func request(for message: OutboundMessage) throws(GatewayRequestError) -> HTTPRequest {
        let phone = try phone(of: message)
        let user = try secret("username")
        let password = try secret("password")
        guard let from = configuration.from, !from.isEmpty else { throw GatewayRequestError("gateway \(configuration.name) has no from (the sender)") }
        guard let platformID = configuration.options["platform_id"], let partnerID = configuration.options["platform_partner_id"] else {
            throw GatewayRequestError("gateway \(configuration.name) has no platform_id or platform_partner_id")
        }
        // "It can contain any character in the UTF-8 2-byte character set. (Unicode 4-byte
        // characters are not supported)."
        if let wide = message.content.text.unicodeScalars.first(where: { $0.value > 0xFFFF }) {
            throw GatewayRequestError(
                "LINK Mobility does not carry characters outside the Basic Multilingual Plane (U+\(String(wide.value, radix: 16, uppercase: true)), e.g. an emoji)")
        }
        var body: [String: Any] = [
            "source": from,
            "sourceTON": configuration.options["source_ton"] ?? Self.sourceTON(of: from),
            "destination": phone,
            "destinationTON": "MSISDN",
            "userData": message.content.text,
            // TEXT: the platform picks GSM-7 or UCS-2 and splits long texts (the documented default).
            "dcs": "TEXT",
            "platformId": platformID,
            "platformPartnerId": partnerID,
            "refId": message.messageID,
            // The reply then carries messageId (the documented default is no body, HTTP 204)…
            "ignoreResponse": false,
            // …and smsCount, the parts the text took: a long text gets a delivery report per part.
            "customParameters": ["replySmsCount": "true"],
        ]
        let gates = gates
        body["useDeliveryReport"] = !gates.isEmpty
        if !gates.isEmpty { body["deliveryReportGates"] = gates }
        var request = configuration.baseRequest(
            url: sendURL, contentType: "application/json", body: try json(body), idempotencyKey: message.idempotencyKey)
        request.basicAuth = HTTPBasicAuth(user: user, password: password)
        return request
    }

    /// 200 with `{messageId, resultCode: 1005, description: "Queued", smsCount}`; 400/401/403 with
    /// an ErrorResponse (its 106xxx code and description).
    public func interpret(_ response: HTTPResponse) -> ProviderAnswer {
        let object = response.body.isEmpty ? nil : (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        // An ErrorResponse holds its code, a description and a translation of it.
        let code = object.flatMap { Self.int($0["resultCode"]) ?? Self.int($0["code"]) ?? Self.int($0["status"]) }
        let description = object.flatMap { ($0["description"] as? String) ?? ($0["message"] as? String) }
        let text = [code.map(String.init), description].compactMap { $0 }.joined(separator: ": ")
        let error = text.isEmpty ? ProviderReply.message(response.body) : String(text.prefix(200))
        if (200...299).contains(response.status) {
            // A reply whose resultCode is not a queued/sent state is not an acceptance.
            if let result = object.flatMap({ Self.int($0["resultCode"]) }), !Self.acceptedCodes.contains(result) {
                return ProviderAnswer(outcome: .permanent, error: error)
            }
            guard let id = object.flatMap({ Self.string($0["messageId"]) }) else {
                // 204 No Content (ignoreResponse): taken, but without an id receipts cannot be matched.
                return ProviderAnswer(outcome: .accepted)
            }
            let count = object.flatMap { Self.int($0["smsCount"]) } ?? 1
            // Multi-part reports come as `{id}${n}`, n counting from 0.
            let parts = count > 1 ? (0..<count).map { "\(id)$\($0)" } : []
            return ProviderAnswer(outcome: .accepted, providerID: id, parts: parts)
        }
        switch code {
        case 106_100, 106_101, 106_200, 106_201, 106_202, 106_301:
            // Login, platformId/platformPartnerId, premium currency, the gate: configuration.
            return ProviderAnswer(outcome: .permanent, error: error)
        case 106_300:
            // "No gates available": the platform's own routing; worth trying again later.
            return ProviderAnswer(outcome: .transient, error: error)
        default:
            return ProviderAnswer(outcome: OutcomeClassifier.defaultClass(status: response.status), error: error)
        }
    }

    /// JSON (the documented example; an object, or a list of them) or key/value pairs (form body or
    /// a destination template's query) with `id`, `resultCode` and `refId`.
    public func receipts(from callback: ReceiptCallback) throws(ReceiptError) -> [ParsedReceipt] {
        let contentType = callback.headers["content-type"]?.lowercased() ?? ""
        if contentType.contains("xml") || callback.body.first == UInt8(ascii: "<") {
            throw ReceiptError(field: "", description: "XML delivery reports are not read: ask LINK Mobility Support for a gate with contentType application/json")
        }
        if let json = callback.json {
            if let object = json as? [String: Any] { return [try Self.receipt(object)] }
            if let list = json as? [Any] {
                var receipts: [ParsedReceipt] = []
                for item in list {
                    guard let object = item as? [String: Any] else { throw ReceiptError(field: "", description: "a list of delivery reports holds a non-object") }
                    receipts.append(try Self.receipt(object))
                }
                return receipts
            }
            throw ReceiptError(field: "", description: "the body is neither a delivery report object nor a list of them")
        }
        return [try Self.receipt(callback.formFields)]
    }

    static func receipt(_ fields: [String: Any]) throws(ReceiptError) -> ParsedReceipt {
        guard let id = string(fields["id"]) ?? string(fields["messageId"]), id.count <= 255 else {
            throw ReceiptError(field: "id", description: "id: required, LINK Mobility's message id")
        }
        guard let code = int(fields["resultCode"]) else {
            throw ReceiptError(field: "resultCode", description: "resultCode: required, a number")
        }
        guard let (status, meaning) = status(resultCode: code) else {
            throw ReceiptError(field: "resultCode", description: "resultCode: unknown code \(code)")
        }
        var error: String?
        if status.isFailure {
            error = "LINK Mobility resultCode \(code): \(meaning)"
            if let operatorCode = string(fields["operatorResultCode"]) { error! += " (operator code \(operatorCode))" }
        }
        return ParsedReceipt(providerID: id, status: status, providerStatus: String(code), error: error)
    }

    /// The document's result code table (Delivery Reports → Result Codes).
    static func status(resultCode code: Int) -> (DeliveryStatus, String)? {
        switch code {
        case 1001: (.delivered, "billed and delivered")
        case 1007: (.delivered, "delivered, billing delayed")
        case 1000: (.sent, "sent to the operator")
        case 1011: (.sent, "billed and sent to the operator")
        case 1013: (.sent, "sent to the operator, billing delayed")
        case 1005: (.accepted, "queued")
        case 1008: (.accepted, "billed before sending")
        case 1012: (.accepted, "delayed by a temporary billing error, will be resent")
        case 1002: (.expired, "expired")
        case 1010: (.expired, "expired without a delivery report from the operator")
        case 4: (.expired, "timeout, delivery unknown")
        case 1003: (.undelivered, "deleted")
        case 1004: (.undelivered, "mobile full")
        case 1006: (.undelivered, "not delivered")
        case 1009: (.undelivered, "billed but not delivered")
        case 2104: (.undelivered, "unknown subscriber")
        case 2105: (.undelivered, "destination permanently barred")
        case 2106: (.undelivered, "number error")
        case 2107: (.undelivered, "destination temporarily barred")
        case 0: (.failed, "unknown error")
        case 1: (.failed, "temporary routing error")
        case 2: (.failed, "permanent routing error")
        case 3: (.failed, "maximum throttling exceeded")
        case 5: (.failed, "operator unknown error")
        case 6: (.failed, "operator error")
        case 104: (.failed, "configuration error")
        case 105: (.failed, "internal LINK Mobility error")
        case 2000: (.rejected, "invalid source")
        case 2001: (.rejected, "source short number not supported")
        case 2002: (.rejected, "source alphanumeric not supported")
        case 2003: (.rejected, "source MSISDN not supported")
        case 2100: (.rejected, "destination short number not supported")
        case 2101: (.rejected, "destination alphanumeric not supported")
        case 2102: (.rejected, "destination MSISDN not supported")
        case 2103: (.rejected, "operation blocked for this destination")
        case 2200...2207: (.rejected, "charging refused for the subscriber")
        case 3000: (.rejected, "GSM encoding not supported")
        case 3001: (.rejected, "UCS2 encoding not supported")
        case 3002: (.rejected, "binary encoding not supported")
        case 4000: (.rejected, "delivery report not supported")
        case 4001: (.rejected, "invalid message content")
        case 4002: (.rejected, "invalid tariff")
        case 4003: (.rejected, "invalid user data")
        case 4004: (.rejected, "invalid user data header")
        case 4005: (.rejected, "invalid data coding")
        case 4006: (.rejected, "invalid VAT")
        case 4007: (.rejected, "unsupported content for destination")
        default: nil
        }
    }

    static func int(_ value: Any?) -> Int? {
        switch value {
        case let number as NSNumber: return Int(exactly: number.doubleValue)
        case let text as String: return Int(text.trimmingCharacters(in: .whitespaces))
        default: return nil
        }
    }

    static func string(_ value: Any?) -> String? {
        switch value {
        case let text as String: return text.isEmpty ? nil : text
        case let number as NSNumber: return number.stringValue
        default: return nil
        }
    }
}
