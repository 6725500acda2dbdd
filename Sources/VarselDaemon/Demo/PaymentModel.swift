import Foundation
import VarselCore

/// The synthetic debtors of `varsel demo --plans`: after each message they receive, a debtor pays with
/// a probability that depends on the channel, the local hour the message arrived and its template
/// variant, some hours to days later. Stated in full in the demo's output, so the report it prints can
/// be read against what it should find.
struct PaymentModel: Sendable {
    /// The chance a debtor pays after a message by this channel, at an ordinary hour, variant a.
    let base: [Channel: Double]
    /// Local hour → factor on the chance.
    let hourFactor: [Int: Double]
    /// Variant → factor on the chance (only where the variant applies).
    let variantFactor: [String: Double]
    /// Mean days from the message to the payment (exponential, at least 0.1 day, at most 6 days).
    let meanDaysToPay: Double

    static let standard = PaymentModel(
        base: [.sms: 0.20, .email: 0.12, .letter: 0.15],
        hourFactor: [8: 0.7, 9: 0.7, 10: 0.9, 11: 0.9, 12: 1.1, 13: 0.9, 14: 0.9, 15: 0.9, 16: 1.1, 17: 1.1, 18: 1.6, 19: 1.6, 20: 1.2],
        variantFactor: ["a": 1.0, "b": 1.3], meanDaysToPay: 1.5)

    /// The hours the model makes best.
    var bestHours: [Int] {
        let top = hourFactor.values.max() ?? 1
        return hourFactor.filter { $0.value == top }.keys.sorted()
    }

    func chance(channel: Channel, hour: Int, variant: String?) -> Double {
        min(0.95, (base[channel] ?? 0) * (hourFactor[hour] ?? 1) * (variant.flatMap { variantFactor[$0] } ?? 1))
    }

    /// When the debtor pays after a message sent at `sentAt`, or nil when they do not.
    func payment(channel: Channel, hour: Int, variant: String?, sentAt: Date, using rng: inout SeededRandom) -> Date? {
        guard Double.random(in: 0..<1, using: &rng) < chance(channel: channel, hour: hour, variant: variant) else { return nil }
        let days = min(6, max(0.1, -meanDaysToPay * log(1 - Double.random(in: 0..<1, using: &rng))))
        return sentAt.addingTimeInterval(days * 86_400)
    }

    /// The model in words, for the output.
    var description: [String] {
        func percent(_ value: Double) -> String { String(format: "%.0f %%", value * 100) }
        let hours = hourFactor.keys.sorted().map { String(format: "%02d ×%.1f", $0, hourFactor[$0]!) }.joined(separator: ", ")
        return [
            "after each message a debtor pays with a chance of: base by channel (sms \(percent(base[.sms]!)), email \(percent(base[.email]!)), letter \(percent(base[.letter]!))),",
            "  times the local hour it arrived (\(hours); best \(bestHours.map { String(format: "%02d:00", $0) }.joined(separator: " and "))),",
            "  times the SMS variant (a ×\(variantFactor["a"]!), b ×\(variantFactor["b"]!)); the payment comes 0.1–6 days later (exponential, mean \(meanDaysToPay) days);",
            "  a debtor pays once, and the payment stops the case's remaining steps.",
        ]
    }
}
