import Foundation

/// At most `maxMessages` messages to one recipient within `window`, counted across all channels
/// (`policy.frequency_cap`). An excess message is deferred until a slot frees, never dropped.
public struct FrequencyCap: Sendable, Hashable {
    public var enabled: Bool
    public var maxMessages: Int
    public var window: TimeInterval
    /// Per-kind limits that replace `maxMessages` for that kind.
    public var perKind: [String: Int]

    public init(enabled: Bool = true, maxMessages: Int = 3, window: TimeInterval = 7 * 86_400, perKind: [String: Int] = [:]) {
        self.enabled = enabled
        self.maxMessages = maxMessages
        self.window = window
        self.perKind = perKind
    }

    public func limit(for kind: String) -> Int { perKind[kind] ?? maxMessages }

    /// When the next message of `kind` may go, given the send times to this recipient; nil when it
    /// may go now.
    public func deferredUntil(kind: String, sentAt times: [Date], now: Date) -> Date? {
        guard enabled else { return nil }
        let limit = limit(for: kind)
        let recent = times.filter { now.timeIntervalSince($0) < window }.sorted()
        guard recent.count >= limit else { return nil }
        // The slot frees when the (count - limit + 1)-th oldest send leaves the window.
        return recent[recent.count - limit].addingTimeInterval(window)
    }

    /// The trail's line for a message of `kind` deferred until `until`.
    public func deferralReason(kind: String, until: Date) -> String {
        let limit = limit(for: kind)
        return "deferred by the frequency cap: \(limit) message\(limit == 1 ? "" : "s") to this recipient within \(DurationText.describe(window)); next slot \(RFC3339.format(until))"
    }
}

/// A pseudonymous key per recipient for counting: their id, else a hash of their contact points.
public enum RecipientKey {
    public static func of(_ recipient: Recipient) -> String {
        if let id = recipient.id { return "id:" + id }
        let contact = [recipient.phone ?? "", recipient.email?.lowercased() ?? "", recipient.address.map { $0.lines.joined(separator: "|") + "|" + ($0.postalCode ?? "") } ?? ""]
        return "h:" + String(Digest.sha256(contact).dropFirst("sha256:".count).prefix(32))
    }
}
