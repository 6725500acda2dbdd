/// A provider's delivery status, mapped onto one forward-only scale (docs/gateway.md, delivery receipts):
/// accepted → sent → delivered | undelivered | expired | rejected | failed. A final status never
/// moves back.
public enum DeliveryStatus: String, Sendable, Hashable, CaseIterable, Codable {
    case accepted, sent, delivered, undelivered, expired, rejected, failed

    public var rank: Int {
        switch self {
        case .accepted: 0
        case .sent: 1
        case .delivered, .undelivered, .expired, .rejected, .failed: 2
        }
    }

    public var isFinal: Bool { rank == 2 }
    /// Final and not delivered.
    public var isFailure: Bool { isFinal && self != .delivered }

    /// Reads the generic names and the common provider words (Twilio `queued`/`sending`, Vonage
    /// `buffered`, …). `nil` for a status Varsel does not know.
    public init?(providerStatus: String) {
        switch providerStatus.lowercased() {
        case "accepted", "queued", "scheduled", "buffered", "enroute": self = .accepted
        case "sent", "sending": self = .sent
        case "delivered", "read", "received": self = .delivered
        case "undelivered", "not_delivered", "bounced": self = .undelivered
        case "expired": self = .expired
        case "rejected", "canceled", "cancelled": self = .rejected
        case "failed", "error": self = .failed
        default: return nil
        }
    }
}
