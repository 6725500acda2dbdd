import Foundation

/// The two-sided z-test for the difference of two proportions with the pooled standard error (the
/// same as Pearson's chi-squared test of a 2×2 table without continuity correction: z² = χ²).
public struct TwoProportionTest: Sendable, Hashable {
    public let rate1: Double
    public let rate2: Double
    /// `rate1 − rate2`.
    public let difference: Double
    public let z: Double
    /// Two-sided.
    public let pValue: Double

    /// Nil when there is nothing to test: an empty group, or both groups all successes or all failures.
    public init?(successes1: Int, trials1: Int, successes2: Int, trials2: Int) {
        guard trials1 > 0, trials2 > 0, (0...trials1).contains(successes1), (0...trials2).contains(successes2) else { return nil }
        let n1 = Double(trials1), n2 = Double(trials2)
        let p1 = Double(successes1) / n1, p2 = Double(successes2) / n2
        let pooled = Double(successes1 + successes2) / (n1 + n2)
        let standardError = (pooled * (1 - pooled) * (1 / n1 + 1 / n2)).squareRoot()
        guard standardError > 0 else { return nil }
        rate1 = p1
        rate2 = p2
        difference = p1 - p2
        z = difference / standardError
        pValue = erfc(abs(z) / 2.0.squareRoot())
    }

    /// Cases per group a test at `alpha` (two-sided) needs to find a true difference between `rate1`
    /// and `rate2` with `power` (Fleiss' formula without continuity correction); nil for equal rates.
    public static func casesPerGroup(rate1: Double, rate2: Double, alpha: Double = 0.05, power: Double = 0.8) -> Int? {
        guard rate1 != rate2, (0...1).contains(rate1), (0...1).contains(rate2) else { return nil }
        let zAlpha = normalQuantile(1 - alpha / 2), zBeta = normalQuantile(power)
        let mean = (rate1 + rate2) / 2
        let top = zAlpha * (2 * mean * (1 - mean)).squareRoot() + zBeta * (rate1 * (1 - rate1) + rate2 * (1 - rate2)).squareRoot()
        return Int((top * top / ((rate1 - rate2) * (rate1 - rate2))).rounded(.up))
    }

    /// The standard normal quantile, by bisection on `erfc` (exact to 1e-12; only used for a few fixed levels).
    static func normalQuantile(_ probability: Double) -> Double {
        var low = -10.0, high = 10.0
        for _ in 0..<100 {
            let middle = (low + high) / 2
            if 0.5 * erfc(-middle / 2.0.squareRoot()) < probability { low = middle } else { high = middle }
        }
        return (low + high) / 2
    }
}

/// A variant against the base variant in one group of the outcome report.
public struct VariantComparison: Sendable, Hashable {
    /// The group's other keys (`channel: sms` when the report is by channel and variant).
    public let keys: [String: String]
    public let variant: String
    /// What it is compared with: `a` where it is in the group, else the first variant by name.
    public let against: String
    public let test: TwoProportionTest?
    /// The level a difference must reach to be called significant.
    public static let alpha = 0.05

    public var significant: Bool { (test?.pValue ?? 1) < Self.alpha }

    /// One sentence a person acts on.
    public let verdict: String
}

extension OutcomeReport {
    /// Each variant compared with the base in every group of the other dimensions: rows from a report
    /// whose dimensions include `variant`. Messages outside an experiment (`-`) are left out.
    public static func variantComparisons(_ rows: [OutcomeRow]) -> [VariantComparison] {
        let key = OutcomeDimension.variant.rawValue
        let groups = Dictionary(grouping: rows.filter { ($0.keys[key] ?? "-") != "-" }) { row in row.keys.filter { $0.key != key } }
        var comparisons: [VariantComparison] = []
        for others in groups.keys.sorted(by: { $0.sorted(by: <).map(\.value).lexicographicallyPrecedes($1.sorted(by: <).map(\.value)) }) {
            let variants = groups[others]!.sorted { $0.keys[key]! < $1.keys[key]! }
            guard variants.count > 1 else { continue }
            let base = variants.first { $0.keys[key] == TemplateExperiment.baseVariant } ?? variants[0]
            for row in variants where row.keys[key] != base.keys[key] {
                let name = row.keys[key]!, baseName = base.keys[key]!
                let test = TwoProportionTest(successes1: row.paid, trials1: row.cases, successes2: base.paid, trials2: base.cases)
                comparisons.append(VariantComparison(keys: others, variant: name, against: baseName, test: test, verdict: verdict(name, row, baseName, base, test)))
            }
        }
        return comparisons
    }

    static func verdict(_ name: String, _ row: OutcomeRow, _ baseName: String, _ base: OutcomeRow, _ test: TwoProportionTest?) -> String {
        func percent(_ value: Double) -> String { String(format: "%.1f %%", value * 100) }
        let rates = "\(percent(row.rate)) of \(row.cases) cases against \(percent(base.rate)) of \(base.cases)"
        guard let test else { return "\(name) vs \(baseName): \(rates); nothing to test yet (a group is empty or all alike)" }
        let points = String(format: "%.1f", abs(test.difference) * 100)
        let direction = test.difference >= 0 ? "more" : "fewer"
        let p = test.pValue < 0.001 ? "p < 0.001" : String(format: "p = %.3f", test.pValue)
        if test.pValue < VariantComparison.alpha {
            return "\(name) gets \(points) points \(direction) paid than \(baseName) (\(rates)): significant at 5 % (\(p))"
        }
        var text = "\(name) vs \(baseName): \(rates), a difference of \(points) points, not yet significant (\(p))"
        if let needed = TwoProportionTest.casesPerGroup(rate1: row.rate, rate2: base.rate) {
            text += "; about \(needed) cases per variant would show a difference this size"
        }
        return text
    }
}
