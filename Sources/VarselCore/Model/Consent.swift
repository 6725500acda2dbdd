import Foundation

/// A debtor's consent that a rule asks for, dated (docs/collection-rules.md): that an email address is
/// one they have used with the creditor (Norway), or that collection letters may come electronically
/// (Finland, separate and possibly time-limited).
public struct Consent: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case usedAddress = "used_address"
        case electronicNotice = "electronic_notice"
    }

    public var type: Kind
    public var channel: Channel
    /// The address it concerns (an email address); nil: the recipient's address on that channel.
    public var address: String?
    public var givenAt: Date
    public var expiresAt: Date?

    public init(type: Kind, channel: Channel, address: String? = nil, givenAt: Date, expiresAt: Date? = nil) {
        self.type = type
        self.channel = channel
        self.address = address
        self.givenAt = givenAt
        self.expiresAt = expiresAt
    }

    enum CodingKeys: String, CodingKey {
        case type, channel, address
        case givenAt = "given_at"
        case expiresAt = "expires_at"
    }

    /// Whether this consent is of `type` for `channel`, in force at `at`, and for the address the
    /// message goes to.
    public func holds(_ type: Kind, channel: Channel, recipient: Recipient, at: Date) -> Bool {
        guard self.type == type, self.channel == channel, givenAt <= at, expiresAt.map({ at < $0 }) ?? true else { return false }
        guard let address else { return true }
        let target = channel == .email ? recipient.email : channel == .sms ? recipient.phone : nil
        return target?.lowercased() == address.lowercased()
    }
}
