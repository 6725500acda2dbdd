import Foundation
import Testing
import VarselCore

/// Template experiments: stable assignment by case, and the two-proportion test the report compares
/// variants with, against values computed independently (R's prop.test without continuity correction).
@Suite struct ExperimentTests {
    static let halves = TemplateExperiment(name: "sms-wording", kind: "reminder", channel: .sms, weights: [.init(variant: "b", weight: 50), .init(variant: "a", weight: 50)])

    @Test("a case's bucket is the first 8 bytes of SHA-256 of name, 0x1F, case_ref, modulo the weights' sum (Python hashlib gives 64, 64, 74)")
    func bucketsAreStable() {
        #expect(Self.halves.assign(unit: "ACME-1", isCase: true).bucket == 64)
        #expect(Self.halves.assign(unit: "ACME-2", isCase: true).bucket == 64)
        #expect(Self.halves.assign(unit: "ACME-3", isCase: true).bucket == 74)
        // Variants take ranges in name order: a is 0–49, b is 50–99.
        #expect(Self.halves.assign(unit: "ACME-1", isCase: true).variant == "b")
        let note = Self.halves.assign(unit: "ACME-3", isCase: true).note
        #expect(note == "experiment sms-wording: variant b (case ACME-3 in bucket 74 of 0–99; weights a 50, b 50)")
    }

    @Test("weights split cases in proportion, a zero weight never gets a case, and two experiments split independently")
    func weightsSplit() {
        let refs = (0..<20_000).map { "case-\($0)" }
        let counts = Dictionary(grouping: refs) { Self.halves.assign(unit: $0, isCase: true).variant }.mapValues(\.count)
        #expect(abs((counts["a"] ?? 0) - 10_000) < 400, "\(counts)")
        let thirds = TemplateExperiment(name: "x", kind: "reminder", channel: .email, weights: [.init(variant: "a", weight: 1), .init(variant: "b", weight: 2)])
        let b = refs.filter { thirds.assign(unit: $0, isCase: true).variant == "b" }.count
        #expect(abs(b - 13_333) < 400)
        let off = TemplateExperiment(name: "x", kind: "reminder", channel: .email, weights: [.init(variant: "a", weight: 0), .init(variant: "b", weight: 5)])
        #expect(refs.prefix(2000).allSatisfy { off.assign(unit: $0, isCase: true).variant == "b" })
        // Another experiment's name reshuffles: about half of those in b here are in b there.
        let other = TemplateExperiment(name: "email-subject", kind: "reminder", channel: .email, weights: Self.halves.weights)
        let inB = refs.filter { Self.halves.assign(unit: $0, isCase: true).variant == "b" }
        let bothB = inB.filter { other.assign(unit: $0, isCase: true).variant == "b" }.count
        #expect(abs(Double(bothB) / Double(inB.count) - 0.5) < 0.03)
    }

    @Test("variant names: a letter first, lower-case letters, digits and _, never a part word")
    func variantNames() {
        #expect(TemplateExperiment.variantNameProblem("b") == nil)
        #expect(TemplateExperiment.variantNameProblem("short_2") == nil)
        for bad in ["", "B", "2b", "b-c", "subject", "html", "text", String(repeating: "b", count: 17)] {
            #expect(TemplateExperiment.variantNameProblem(bad) != nil, "\(bad)")
        }
    }

    @Test("45 of 100 against 30 of 100: z = 2.1909, p = 0.02846 (prop.test: X-squared = 4.8)")
    func knownSignificant() throws {
        let test = try #require(TwoProportionTest(successes1: 45, trials1: 100, successes2: 30, trials2: 100))
        #expect(abs(test.z - 2.190890) < 1e-5)
        #expect(abs(test.z * test.z - 4.8) < 1e-9)
        #expect(abs(test.pValue - 0.028459) < 1e-5)
        #expect(abs(test.difference - 0.15) < 1e-12)
    }

    @Test("15 of 50 against 25 of 50: z = −2.0412, p = 0.04123; 10 of 50 against 10 of 50: z = 0, p = 1")
    func knownOthers() throws {
        let test = try #require(TwoProportionTest(successes1: 15, trials1: 50, successes2: 25, trials2: 50))
        #expect(abs(test.z + 2.041241) < 1e-5)
        #expect(abs(test.pValue - 0.041227) < 1e-5)
        let equal = try #require(TwoProportionTest(successes1: 10, trials1: 50, successes2: 10, trials2: 50))
        #expect(equal.z == 0 && abs(equal.pValue - 1) < 1e-12)
        // 120 of 1000 against 100 of 1000: prop.test gives X-squared = 2.0429, p = 0.1529.
        let small = try #require(TwoProportionTest(successes1: 120, trials1: 1000, successes2: 100, trials2: 1000))
        #expect(abs(small.z * small.z - 2.042901) < 1e-5)
        #expect(abs(small.pValue - 0.152918) < 1e-5)
    }

    @Test("nothing to test: an empty group, or every case alike in both")
    func nothingToTest() {
        #expect(TwoProportionTest(successes1: 0, trials1: 0, successes2: 3, trials2: 10) == nil)
        #expect(TwoProportionTest(successes1: 10, trials1: 10, successes2: 7, trials2: 7) == nil)
        #expect(TwoProportionTest(successes1: 0, trials1: 10, successes2: 0, trials2: 7) == nil)
        #expect(TwoProportionTest(successes1: 11, trials1: 10, successes2: 0, trials2: 7) == nil)
    }

    @Test("cases per group to find 30 % against 45 % at 5 % with 80 % power: 163 by Fleiss' formula (162.3 before rounding up)")
    func sampleSize() {
        #expect(TwoProportionTest.casesPerGroup(rate1: 0.30, rate2: 0.45) == 163)
        #expect(TwoProportionTest.casesPerGroup(rate1: 0.2, rate2: 0.2) == nil)
    }

    static func row(_ variant: String, channel: String = "sms", cases: Int, paid: Int) -> OutcomeRow {
        OutcomeRow(
            keys: ["variant": variant, "channel": channel], messages: cases, cases: cases, paid: paid, rate: Double(paid) / Double(cases), rateLow: 0,
            rateHigh: 1, medianDaysToPay: nil)
    }

    @Test("the report compares each variant with a within each group of the other dimensions, and says when a difference is not yet significant")
    func comparisons() throws {
        let rows = [
            Self.row("a", cases: 100, paid: 30), Self.row("b", cases: 100, paid: 45), Self.row("-", cases: 500, paid: 10),
            Self.row("a", channel: "email", cases: 1000, paid: 100), Self.row("b", channel: "email", cases: 1000, paid: 120),
            Self.row("c", channel: "email", cases: 1000, paid: 100),
        ]
        let found = OutcomeReport.variantComparisons(rows)
        #expect(found.map { "\($0.keys["channel"]!) \($0.variant)-\($0.against)" } == ["email b-a", "email c-a", "sms b-a"])
        let sms = try #require(found.last)
        #expect(sms.significant)
        #expect(sms.verdict == "b gets 15.0 points more paid than a (45.0 % of 100 cases against 30.0 % of 100): significant at 5 % (p = 0.028)")
        let email = found[0]
        #expect(!email.significant)
        #expect(email.verdict.contains("not yet significant (p = 0.153)"), "\(email.verdict)")
        #expect(email.verdict.contains("about 3841 cases per variant"), "\(email.verdict)")
        #expect(found[1].test?.z == 0)
    }
}
