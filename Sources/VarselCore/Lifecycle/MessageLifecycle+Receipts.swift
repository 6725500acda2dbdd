import Foundation

/// Delivery receipts: what a provider's report on an attempt does to its message.
extension MessageLifecycle {
    /// What a recorded delivery receipt does to its message.
    public enum ReceiptVerdict: Sendable, Equatable {
        /// Nothing beyond the receipt and its attempt; `decision`, when set, goes into the trail.
        case recordOnly(decision: String?)
        /// The message ends in `state` (`delivered` or `failed`).
        case finish(state: MessageState, reason: String, decision: String)
        /// The message goes back to the queue without the failed channel, to be planned again.
        case fallBack(reason: String, decision: String)
    }

    /// The facts a receipt is judged on.
    public struct ReceiptFacts: Sendable {
        /// The attempt's status after this report (aggregated over parts).
        public var status: DeliveryStatus
        /// Whether the attempt is the message's latest.
        public var isLatestAttempt: Bool
        public var messageState: MessageState
        public var attemptChannel: Channel
        public var gateway: String
        /// `: <provider's error>`, scrubbed of contact data, or empty.
        public var detail: String
        /// `fallback.on_failed_receipt`.
        public var fallBackOnFailure: Bool

        public init(
            status: DeliveryStatus, isLatestAttempt: Bool, messageState: MessageState, attemptChannel: Channel, gateway: String, detail: String,
            fallBackOnFailure: Bool
        ) {
            self.status = status
            self.isLatestAttempt = isLatestAttempt
            self.messageState = messageState
            self.attemptChannel = attemptChannel
            self.gateway = gateway
            self.detail = detail
            self.fallBackOnFailure = fallBackOnFailure
        }
    }

    /// A receipt changes the message only when its attempt is the message's latest and the message
    /// is `sent`, waiting for it; only a final status changes it, and only once. A late receipt for an
    /// attempt the message has moved on from (a fallback, a resend in flight) changes nothing else.
    public static func receipt(_ facts: ReceiptFacts) -> ReceiptVerdict {
        let status = facts.status
        let source = "webhook:\(facts.gateway)"
        guard facts.isLatestAttempt else {
            return .recordOnly(decision:
                "receipt \(status.rawValue) from \(source) for an earlier \(facts.attemptChannel.rawValue) attempt recorded\(facts.detail); "
                    + "the message has moved on (now \(facts.messageState.rawValue)) and is not changed by it")
        }
        guard facts.messageState == .sent else {
            if status.isFinal, facts.messageState == .delivered || facts.messageState == .failed {
                return .recordOnly(decision: "receipt \(status.rawValue) from \(source) ignored: the message is already \(facts.messageState.rawValue)")
            }
            return .recordOnly(decision: nil)
        }
        guard status.isFinal else { return .recordOnly(decision: nil) }
        let reason = status == .delivered ? "delivered (receipt from \(facts.gateway))" : "\(status.rawValue) according to \(facts.gateway)\(facts.detail)"
        if status.isFailure, facts.fallBackOnFailure {
            return .fallBack(
                reason: reason,
                decision: "receipt \(status.rawValue) from \(source): \(reason); falling back from \(facts.attemptChannel.rawValue) to the next usable channel")
        }
        return .finish(state: status == .delivered ? .delivered : .failed, reason: reason, decision: "receipt \(status.rawValue) from \(source): \(reason)")
    }

    /// A message a gateway accepted, whose gateway reports receipts, that got no final receipt within
    /// `fallback.receipt_timeout`: it falls back to its next usable channel (a sweep decides when).
    public static func receiptTimeout(channel: Channel, gateway: String, timeout: TimeInterval) -> ReceiptVerdict {
        let reason = "no final receipt from \(gateway) within \(DurationText.describe(timeout)) of its acceptance (fallback.receipt_timeout)"
        return .fallBack(reason: reason, decision: "\(reason); falling back from \(channel.rawValue) to the next usable channel")
    }

    /// The attempt's stored status after a report: it moves forward only, and a final one stays.
    /// `nil` when it does not change.
    public static func advance(_ previous: DeliveryStatus?, to status: DeliveryStatus) -> DeliveryStatus? {
        guard let previous else { return status }
        return !previous.isFinal && status.rank >= previous.rank ? status : nil
    }

    /// The status of an attempt whose provider reports per part (`parts`, more than one), from every
    /// report recorded for it so far (`reports`, in order, this one last): the first failed part fails
    /// it; it is delivered when every part is; until then a delivered part counts as `sent`. Each
    /// part's first final status stands. With one part or none, the report stands as it is.
    public static func aggregate(parts: [String], reports: [(part: String, status: DeliveryStatus)], reported: DeliveryStatus) -> DeliveryStatus {
        guard parts.count > 1 else { return reported }
        var best: [String: DeliveryStatus] = [:]
        for (part, status) in reports {
            if let known = best[part], known.isFinal || known.rank > status.rank { continue }
            best[part] = status
        }
        if let failure = parts.compactMap({ best[$0] }).first(where: \.isFailure) { return failure }
        if parts.allSatisfy({ best[$0] == .delivered }) { return .delivered }
        return reported.isFinal ? .sent : reported
    }
}
