import Foundation

/// What is left to pay after `partially_paid` events: a message shows its amount less every partial
/// payment recorded after it was accepted (in its currency). Payments recorded before are assumed
/// to be in the amount the producer gave.
public enum PartialPayments {
    public struct Adjustment: Sendable, Hashable {
        /// What is left, as a decimal string with the currency's minor units.
        public let amount: String
        public let deducted: [CaseEvent]
        /// Nothing left to pay.
        public var settled: Bool { (Decimal(string: amount, locale: posix) ?? 0) <= 0 }
        /// For the decision trail.
        public let decision: String
    }

    /// The adjustment for a message of `amount` in `currency` accepted at `acceptedAt`, or nil when no
    /// partial payment applies.
    public static func adjust(amount: String, currency: String, acceptedAt: Date, events: [CaseEvent]) -> Adjustment? {
        let currency = currency.uppercased()
        let payments = events.filter {
            $0.type == .partiallyPaid && $0.recordedAt > acceptedAt && ($0.currency == nil || $0.currency == currency) && $0.amount != nil
        }
        guard !payments.isEmpty, let original = Decimal(string: amount, locale: posix) else { return nil }
        var left = original
        for payment in payments { left -= Decimal(string: payment.amount ?? "0", locale: posix) ?? 0 }
        let shown = format(max(left, 0), minorUnits: Money.minorUnits(of: currency))
        let paid = payments.map { "\($0.amount ?? "") (\($0.id))" }.joined(separator: ", ")
        return Adjustment(amount: shown, deducted: payments, decision: "amount \(shown) \(currency): \(amount) less partial payments \(paid)")
    }

    static let posix = Locale(identifier: "en_US_POSIX")

    /// A non-negative decimal with exactly `minorUnits` fraction digits (rounded half up).
    static func format(_ value: Decimal, minorUnits: Int) -> String {
        var input = value
        var rounded = Decimal()
        NSDecimalRound(&rounded, &input, minorUnits, .plain)
        let text = NSDecimalNumber(decimal: rounded).stringValue
        guard minorUnits > 0 else { return text }
        let parts = text.split(separator: ".", maxSplits: 1)
        let fraction = parts.count == 2 ? String(parts[1]) : ""
        return "\(parts[0]).\(fraction.padding(toLength: minorUnits, withPad: "0", startingAt: 0))"
    }
}
