import Foundation
import VarselCore

/// One delivery report, as parsed from a callback.
public struct ParsedReceipt: Sendable, Hashable {
    /// The provider's id of the message, as read from its reply to the send (`ProviderAnswer.providerID`).
    public let providerID: String
    public let status: DeliveryStatus
    /// The provider's status word as received.
    public let providerStatus: String
    public let error: String?

    /// `providerID` is the message's provider id, or one part's id for providers that report per
    /// part (`ProviderAnswer.parts`).
    public init(providerID: String, status: DeliveryStatus, providerStatus: String, error: String?) {
        self.providerID = providerID
        self.status = status
        self.providerStatus = providerStatus
        self.error = error.map { String($0.prefix(500)) }
    }
}

/// Why a callback could not be read; answered with 400 and nothing recorded.
public struct ReceiptError: Error, Sendable, CustomStringConvertible {
    public let field: String
    public let description: String

    public init(field: String, description: String) {
        self.field = field
        self.description = description
    }
}

/// The callback formats Varsel reads.
public enum ReceiptFormat: String, Sendable, CaseIterable {
    /// `{"provider_id": "…", "status": "delivered", "error": "…"}`
    case generic
    /// Twilio StatusCallback: form-encoded `MessageSid`, `MessageStatus`, `ErrorCode`.
    case twilio

    public func parse(body: [UInt8]) throws(ReceiptError) -> ParsedReceipt {
        switch self {
        case .generic:
            guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
                throw ReceiptError(field: "", description: "the body is not a JSON object")
            }
            guard let id = object["provider_id"] as? String, !id.isEmpty, id.count <= 255 else {
                throw ReceiptError(field: "provider_id", description: "provider_id: required, a string of at most 255 characters")
            }
            guard let word = object["status"] as? String else { throw ReceiptError(field: "status", description: "status: required") }
            guard let status = DeliveryStatus(providerStatus: word) else {
                throw ReceiptError(field: "status", description: "status: unknown status '\(word.prefix(40))'")
            }
            let error = object["error"].flatMap { $0 is NSNull ? nil : "\($0)" }
            return ParsedReceipt(providerID: id, status: status, providerStatus: word, error: error.map { String($0.prefix(500)) })
        case .twilio:
            let fields = Dictionary(FormEncoding.decode(String(decoding: body, as: UTF8.self)), uniquingKeysWith: { first, _ in first })
            guard let id = fields["MessageSid"] ?? fields["SmsSid"], !id.isEmpty else {
                throw ReceiptError(field: "MessageSid", description: "MessageSid: required")
            }
            guard let word = fields["MessageStatus"] ?? fields["SmsStatus"] else {
                throw ReceiptError(field: "MessageStatus", description: "MessageStatus: required")
            }
            guard let status = DeliveryStatus(providerStatus: word) else {
                throw ReceiptError(field: "MessageStatus", description: "MessageStatus: unknown status '\(word.prefix(40))'")
            }
            let error = fields["ErrorCode"].flatMap { $0.isEmpty ? nil : "Twilio error \($0)" }
            return ParsedReceipt(providerID: id, status: status, providerStatus: word, error: error)
        }
    }
}
