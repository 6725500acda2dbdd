import Foundation

/// A band of a case's amount that a plan's conditions (`skip_if`, `only_if`) tell apart, with the
/// steps a case in it takes. The spacing and fee-count rules must hold in every band: a skipped
/// step can open a long pause, and two steps that exclude each other never come close.
public struct PlanAmountBand: Sendable, Hashable {
    /// The band starts above this amount (nil: from nothing).
    public var above: String?
    /// The band ends at this amount, inclusive (nil: no end).
    public var upTo: String?
    /// The indexes, in the plan's steps, of the steps a case in this band takes.
    public var steps: [Int]

    public init(above: String?, upTo: String?, steps: [Int]) {
        self.above = above
        self.upTo = upTo
        self.steps = steps
    }

    /// "any amount", "an amount up to 50000", "an amount above 1000 up to 50000".
    public var description: String {
        switch (above, upTo) {
        case (nil, nil): "any amount"
        case (nil, let upTo?): "an amount up to \(upTo)"
        case (let above?, nil): "an amount above \(above)"
        case (let above?, let upTo?): "an amount above \(above) up to \(upTo)"
        }
    }
}

extension CollectionPlan {
    /// The bands of amount the plan's conditions tell apart, adjacent bands with the same steps
    /// merged; one band of any amount for a plan without conditions.
    public var amountBands: [PlanAmountBand] {
        let posix = Locale(identifier: "en_US_POSIX")
        var thresholds: [Decimal: String] = [:]
        for step in steps {
            for text in [step.skipIfAmountAbove, step.onlyIfAmountAbove].compactMap({ $0 }) {
                if let value = Decimal(string: text, locale: posix), thresholds[value] == nil { thresholds[value] = text }
            }
        }
        let sorted = thresholds.keys.sorted()
        // The conditions compare "above": each threshold stands for the band that ends at it, and one
        // more above the last stands for the band without an end.
        var bands: [PlanAmountBand] = []
        for (index, amount) in (sorted + [(sorted.last ?? 0) + 1]).enumerated() {
            let taken = steps.indices.filter { steps[$0].applies(toAmount: amount) }
            let above = index == 0 ? nil : thresholds[sorted[index - 1]]
            let upTo = index < sorted.count ? thresholds[amount] : nil
            if let last = bands.last, last.steps == taken {
                bands[bands.count - 1].upTo = upTo
            } else {
                bands.append(PlanAmountBand(above: above, upTo: upTo, steps: taken))
            }
        }
        return bands
    }
}
