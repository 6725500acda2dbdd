import Foundation

/// Which messages a payment is credited to.
public enum Attribution: String, Sendable, Hashable, CaseIterable {
    /// The last message of the case sent before the payment.
    case last
    /// Every message of the case sent before the payment (each within the window).
    case all
}

/// One group of the outcome report.
public struct OutcomeRow: Sendable, Hashable {
    /// Dimension name → the group's value.
    public let keys: [String: String]
    /// Messages sent in the group.
    public let messages: Int
    /// Cases those messages belong to.
    public let cases: Int
    /// Of those cases, the ones paid within the window after a message of the group that the payment
    /// is credited to.
    public let paid: Int
    /// `paid / cases`, with its 95 % Wilson score interval.
    public let rate: Double
    public let rateLow: Double
    public let rateHigh: Double
    /// Median days from the credited send to the payment, over the paid cases; nil when none paid.
    public let medianDaysToPay: Double?

    public init(keys: [String: String], messages: Int, cases: Int, paid: Int, rate: Double, rateLow: Double, rateHigh: Double, medianDaysToPay: Double?) {
        self.keys = keys
        self.messages = messages
        self.cases = cases
        self.paid = paid
        self.rate = rate
        self.rateLow = rateLow
        self.rateHigh = rateHigh
        self.medianDaysToPay = medianDaysToPay
    }
}

/// Outcomes: which message, channel and hour get paid. Pure: the store brings the sends and the
/// payments (`paid` events), this counts them.
public enum OutcomeReport {
    /// Rows per group of `by`, in the groups' sort order. A payment counts when it comes within
    /// `paidWithinDays` days after the send it is credited to.
    public static func rows(
        messages: [SentMessage], payments: [String: Date], by dimensions: [OutcomeDimension], paidWithinDays: Int, attribution: Attribution
    ) -> [OutcomeRow] {
        let window = Double(paidWithinDays) * 86_400
        // Credited sends: message id → days to pay.
        var credited: [String: Double] = [:]
        for (caseKey, sends) in Dictionary(grouping: messages, by: \.caseKey) {
            guard let paidAt = payments[caseKey] else { continue }
            let before = sends.filter { $0.sentAt <= paidAt }.sorted { ($0.sentAt, $0.id) < ($1.sentAt, $1.id) }
            let candidates = attribution == .last ? Array(before.suffix(1)) : before
            for send in candidates where paidAt.timeIntervalSince(send.sentAt) <= window {
                credited[send.id] = paidAt.timeIntervalSince(send.sentAt) / 86_400
            }
        }
        let groups = Dictionary(grouping: messages) { message in dimensions.map { $0.value(of: message) } }
        return groups.keys.sorted { $0.lexicographicallyPrecedes($1) }.map { key in
            let group = groups[key]!
            let cases = Set(group.map(\.caseKey))
            // Per paid case, the quickest credited send of this group.
            var days: [String: Double] = [:]
            for message in group { if let d = credited[message.id] { days[message.caseKey] = min(days[message.caseKey] ?? .infinity, d) } }
            let (low, high) = wilson(successes: days.count, trials: cases.count)
            return OutcomeRow(
                keys: Dictionary(uniqueKeysWithValues: zip(dimensions.map(\.rawValue), key)), messages: group.count, cases: cases.count, paid: days.count,
                rate: cases.isEmpty ? 0 : Double(days.count) / Double(cases.count), rateLow: low, rateHigh: high, medianDaysToPay: median(Array(days.values)))
        }
    }

    /// The Wilson score interval of a proportion (95 % by default): sound for small groups and rates
    /// near 0 or 1, where the normal approximation is not.
    public static func wilson(successes: Int, trials: Int, z: Double = 1.959963984540054) -> (low: Double, high: Double) {
        guard trials > 0 else { return (0, 1) }
        let n = Double(trials)
        let p = Double(successes) / n
        let denominator = 1 + z * z / n
        let centre = (p + z * z / (2 * n)) / denominator
        let margin = z * ((p * (1 - p) / n + z * z / (4 * n * n)).squareRoot()) / denominator
        return (max(0, centre - margin), min(1, centre + margin))
    }

    public static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// The earliest `paid` event of each case, by when it happened.
    public static func payments(_ events: [String: [CaseEvent]]) -> [String: Date] {
        events.compactMapValues { events in events.filter { $0.type == .paid }.map(\.at).min() }
    }
}
