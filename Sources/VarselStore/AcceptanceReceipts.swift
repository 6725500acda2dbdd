import Foundation
import VarselCore

/// An accepted send's acceptance receipt (`accepted`, from `gateway:<name>`, with the provider id, at
/// the time its outcome was recorded) holds nothing its attempt does not: the stores read it from the
/// attempt rather than writing a row (with its index entries) for every sent message. A store written
/// by an earlier Varsel, or by a daemon of one still running beside a newer one on PostgreSQL, holds
/// such rows: each is shown once, in place of the one its attempt would give.
public enum AcceptanceReceipts {
    /// An attempt its gateway accepted.
    public struct Accepted: Sendable {
        public let at: Date
        public let gateway: String
        public let providerID: String?

        public init(at: Date, gateway: String, providerID: String?) {
            self.at = at
            self.gateway = gateway
            self.providerID = providerID
        }

        /// The acceptance an attempt row gives: only an accepted attempt whose outcome was recorded
        /// (at `finishedAt`) has one.
        public init?(outcome: AttemptOutcome, finishedAt: Date?, gateway: String, providerID: String?) {
            guard outcome == .accepted, let finishedAt else { return nil }
            self.init(at: finishedAt, gateway: gateway, providerID: providerID)
        }

        var receipt: MessageStatus.Receipt {
            MessageStatus.Receipt(at: at, status: AttemptOutcome.accepted.rawValue, source: "gateway:" + gateway, providerID: providerID)
        }
    }

    /// A message's receipts in the order they were recorded: `stored` (in the order stored) with the
    /// acceptance of each attempt of `accepted` (in attempt order) that no stored row already gives,
    /// each before the stored receipts recorded after it, as when it was stored with the outcome.
    public static func merged(_ accepted: [Accepted], into stored: [MessageStatus.Receipt]) -> [MessageStatus.Receipt] {
        guard !accepted.isEmpty else { return stored }
        // Stored acceptances, by gateway and provider id: each stands for one attempt's.
        struct Key: Hashable {
            let source: String
            let providerID: String?
        }
        var storedAcceptances: [Key: Int] = [:]
        for receipt in stored where receipt.status == AttemptOutcome.accepted.rawValue && receipt.source.hasPrefix("gateway:") {
            storedAcceptances[Key(source: receipt.source, providerID: receipt.providerID), default: 0] += 1
        }
        var next: ArraySlice<MessageStatus.Receipt> = accepted.compactMap { attempt in
            let receipt = attempt.receipt
            let key = Key(source: receipt.source, providerID: receipt.providerID)
            guard let count = storedAcceptances[key], count > 0 else { return receipt }
            storedAcceptances[key] = count - 1
            return nil
        }[...]
        guard !next.isEmpty else { return stored }
        var merged: [MessageStatus.Receipt] = []
        merged.reserveCapacity(next.count + stored.count)
        for receipt in stored {
            while let acceptance = next.first, acceptance.at <= receipt.at {
                merged.append(acceptance)
                next = next.dropFirst()
            }
            merged.append(receipt)
        }
        return merged + next
    }
}
