import Foundation
import Testing
import VarselCore

/// Collection plans held to the country rule table: each rule on both sides of its limit.
@Suite struct PlanCheckTests {
    let rules = CollectionRules.shipped
    let kinds = KindRule.shipped

    /// A reminder `due` days after the due date, or `after` days after the previous step.
    func reminder(_ name: String, due: Int? = nil, after: Int? = nil, fee: String? = nil, channels: [Channel]? = [.email]) -> PlanStep {
        PlanStep(name: name, kind: "reminder", anchor: due == nil ? .previous : .dueDate, days: due ?? after ?? 0, channels: channels, fee: fee)
    }

    func notice(after days: Int, channels: [Channel]? = [.letter], deadline: Int?, kind: String = "collection_notice") -> PlanStep {
        PlanStep(name: "notice", kind: kind, anchor: .previous, days: days, channels: channels, deadlineDays: deadline)
    }

    /// A plan of `steps`, the first on line 10, the next on 11 and so on.
    func plan(_ country: String, _ steps: [PlanStep]) -> CollectionPlan {
        var numbered = steps
        for index in numbered.indices { numbered[index].line = 10 + index }
        return CollectionPlan(name: "test", country: country, steps: numbered, file: "plans/test.yaml")
    }

    func problems(_ country: String, _ steps: [PlanStep], rules: CollectionRules? = nil, kinds: [String: KindRule]? = nil) -> [PlanProblem] {
        PlanCheck.problems(plan(country, steps), rules: rules ?? self.rules, kinds: kinds ?? self.kinds)
    }

    func errors(_ country: String, _ steps: [PlanStep], rules: CollectionRules? = nil, kinds: [String: KindRule]? = nil) -> [String] {
        problems(country, steps, rules: rules, kinds: kinds).filter { $0.severity == .error }.map(\.description)
    }

    @Test("the days of steps: due_date as written, previous added to the previous step's day")
    func stepDays() {
        let days = plan("NO", [reminder("a", due: 14), reminder("b", after: 14), reminder("c", due: 20), reminder("d", after: 5)]).stepDays
        #expect(days == [14, 28, 20, 25])
    }

    @Test("NO: a fee 13 days after the due date is refused, 14 is allowed (inkassoforskriften § 1-2)")
    func norwegianFeeTiming() {
        let early = errors("NO", [reminder("reminder-1", due: 13, fee: "35.00")])
        #expect(early == ["plans/test.yaml:10:1: error: step 'reminder-1': a fee may be charged in NO only on a reminder at least 14 days after the due date (inkassoforskriften § 1-2); this step is on day 13"])
        #expect(problems("NO", [reminder("reminder-1", due: 14, fee: "35.00")]).isEmpty)
        // The day is the anchor's: 7 after a step on day 7 is day 14.
        #expect(problems("NO", [reminder("reminder-1", due: 7), reminder("reminder-2", after: 7, fee: "35.00")]).isEmpty)
        #expect(errors("NO", [reminder("reminder-1", due: 7), reminder("reminder-2", after: 6, fee: "35.00")]).count == 1)
        // Without a fee a reminder may go before day 14.
        #expect(problems("NO", [reminder("reminder-1", due: 3)]).isEmpty)
    }

    @Test("NO: a fee of 35.00 is allowed, 35.01 is above the cap")
    func norwegianFeeCap() {
        #expect(problems("NO", [reminder("reminder-1", due: 14, fee: "35.00")]).isEmpty)
        let over = errors("NO", [reminder("reminder-1", due: 14, fee: "35.01")])
        #expect(over == ["plans/test.yaml:10:1: error: step 'reminder-1': fee 35.01 is above the reminder fee cap of 35.00 NOK in NO (inkassoforskriften § 1-2: 1/20 of the inkassosats)"])
        // Each country's cap on both sides.
        for (country, cap, above) in [("DK", "100.00", "100.01"), ("FI", "5.00", "5.01"), ("SE", "60.00", "60.01")] {
            #expect(errors(country, [reminder("r", due: 14, fee: cap)]).isEmpty, "\(country)")
            #expect(errors(country, [reminder("r", due: 14, fee: above)]).count == 1, "\(country)")
        }
    }

    @Test("SE: a fee needs the debtor's agreement, a warning (each case must carry data.fee_agreed), never an error")
    func swedishFeeAgreement() {
        let found = problems("SE", [reminder("reminder-1", due: 10, fee: "60.00")])
        #expect(found.map(\.severity) == [.warning])
        #expect(found.first?.message.contains("data.fee_agreed: true") == true)
        #expect(found.first?.message.contains("lagen (1981:739)") == true)
        #expect(problems("SE", [reminder("reminder-1", due: 10, fee: "0")]).isEmpty, "a zero fee charges nothing")
        #expect(problems("NO", [reminder("reminder-1", due: 14, fee: "35.00")]).isEmpty, "NO needs no agreement")
    }

    @Test("DK: three fee-bearing reminders are allowed, a fourth is refused")
    func danishFeeCount() {
        let three = [reminder("r1", due: 10, fee: "100.00"), reminder("r2", after: 10, fee: "100.00"), reminder("r3", after: 10, fee: "100.00")]
        #expect(problems("DK", three).isEmpty)
        let four = errors("DK", three + [reminder("r4", after: 10, fee: "100.00")])
        #expect(four == ["plans/test.yaml:13:1: error: step 'r4': fee-bearing reminder number 4; at most 3 per case in DK (renteloven § 9 b, stk. 1)"])
        // A fourth reminder without a fee is no fee-bearing reminder.
        #expect(problems("DK", three + [reminder("r4", after: 10)]).isEmpty)
        // NO allows two.
        #expect(errors("NO", [reminder("r1", due: 14, fee: "35.00"), reminder("r2", after: 14, fee: "35.00"), reminder("r3", after: 14, fee: "35.00")]).count == 1)
    }

    @Test("DK: fee-bearing reminders 10 days apart are allowed, 9 are refused; without fees 9 is fine")
    func danishFeeSpacing() {
        #expect(problems("DK", [reminder("r1", due: 10, fee: "100.00"), reminder("r2", after: 10, fee: "100.00")]).isEmpty)
        let close = errors("DK", [reminder("r1", due: 10, fee: "100.00"), reminder("r2", after: 9, fee: "100.00")])
        #expect(close == ["plans/test.yaml:11:1: error: step 'r2': a fee-bearing reminder 9 days after the fee-bearing step 'r1'; at least 10 days apart in DK (renteloven § 9 b, stk. 1)"])
        #expect(problems("DK", [reminder("r1", due: 10, fee: "100.00"), reminder("r2", after: 9)]).isEmpty)
        // The spacing is between fee-bearing reminders, with steps without a fee between them.
        #expect(errors("DK", [reminder("r1", due: 10, fee: "100.00"), reminder("r2", after: 4), reminder("r3", after: 5, fee: "100.00")]).count == 1)
        #expect(problems("DK", [reminder("r1", due: 10, fee: "100.00"), reminder("r2", after: 4), reminder("r3", after: 6, fee: "100.00")]).isEmpty)
    }

    @Test("FI: steps 15 days apart are allowed, 14 are refused, with the source named")
    func finnishStepSpacing() {
        #expect(problems("FI", [reminder("r1", due: 14), reminder("r2", after: 15)]).isEmpty)
        let close = errors("FI", [reminder("r1", due: 14), reminder("r2", after: 14)])
        #expect(close == ["plans/test.yaml:11:1: error: step 'r2': 14 days after step 'r1'; steps of a case at least 15 days apart in FI (Finnish regulator's guidance on good collection practice: more than 14 days between steps)"])
        // With fees, the fee spacing (10 b §) is broken too.
        let withFees = errors("FI", [reminder("r1", due: 14, fee: "5.00"), reminder("r2", after: 14, fee: "5.00")])
        #expect(withFees.count == 2 && withFees.contains { $0.contains("10 b §") })
        // A step of a kind outside the rules (legal_step none) is no step between them.
        #expect(problems("FI", [
            reminder("r1", due: 14), PlanStep(name: "offer", kind: "payment_plan", anchor: .previous, days: 1), reminder("r2", after: 14),
        ]).isEmpty)
    }

    @Test("every country: 60 days between steps are allowed, 61 are refused")
    func longestGap() {
        for country in ["NO", "SE", "DK", "FI"] {
            #expect(problems(country, [reminder("r1", due: 14), reminder("r2", after: 60)]).isEmpty, "\(country)")
            let long = errors(country, [reminder("r1", due: 14), reminder("r2", after: 61)])
            #expect(long == ["plans/test.yaml:11:1: error: step 'r2': 61 days after step 'r1'; at most 60 days between steps in \(country) (Varsel guidance: a fixed plan without long pauses)"])
        }
        // The first step's distance from the due date is no gap between steps.
        #expect(problems("NO", [reminder("r1", due: 90)]).isEmpty)
    }

    @Test("the earliest reminder: a day before it is refused, on it allowed")
    func earliestReminder() {
        var stricter = rules
        stricter.countries["NO"]?.reminderEarliestDaysAfterDue = 7
        stricter.countries["NO"]?.sources["reminder_earliest_days_after_due"] = "a test's rule"
        let early = errors("NO", [reminder("r1", due: 6)], rules: stricter)
        #expect(early == ["plans/test.yaml:10:1: error: step 'r1': a reminder may go at the earliest 7 days after the due date in NO (a test's rule); this step is on day 6"])
        #expect(problems("NO", [reminder("r1", due: 7)], rules: stricter).isEmpty)
        #expect(problems("NO", [reminder("r1", due: 0)]).isEmpty, "the shipped table has no earliest day")
    }

    @Test("FI: a notice by letter needs 17 days (10 from presumed receipt on the 7th day), by email 10")
    func finnishNoticeDeadline() {
        let steps = [reminder("r1", due: 14)]
        #expect(problems("FI", steps + [notice(after: 15, deadline: 17)]).isEmpty)
        let short = errors("FI", steps + [notice(after: 15, deadline: 16)])
        #expect(short == ["plans/test.yaml:11:1: error: step 'notice': deadline_days 16 is shorter than the 17 days a collection notice by letter needs in FI (10 days from presumed receipt, which by letter is 7 days after sending) (laki saatavien perinnästä (513/1999) 5 §: time to pay from presumed receipt)"])
        // Letter and email: the strictest channel decides.
        #expect(errors("FI", steps + [notice(after: 15, channels: [.email, .letter], deadline: 16)]).count == 1)
        // Email alone: 10 days, with a warning that it counts only with the debtor's consent.
        let email = problems("FI", steps + [notice(after: 15, channels: [.email], deadline: 10)])
        #expect(email.map(\.severity) == [.warning])
        #expect(email.first?.message.contains("email only with an electronic_notice consent") == true, "\(email)")
        #expect(errors("FI", steps + [notice(after: 15, channels: [.email], deadline: 9)]).count == 1)
        // No channels named: those the kind allows that can count, the letter the strictest.
        #expect(errors("FI", steps + [notice(after: 15, channels: nil, deadline: 16)]).count == 1)
        #expect(problems("FI", steps + [notice(after: 15, channels: nil, deadline: 17)]).isEmpty)
    }

    @Test("the notice deadline counted from sending: NO 13 refused, 14 allowed; SE 7 and 8; DK 9 and 10")
    func noticeDeadlines() {
        for (country, minimum) in [("NO", 14), ("SE", 8), ("DK", 10)] {
            let steps = [reminder("r1", due: 14)]
            #expect(problems(country, steps + [notice(after: 14, deadline: minimum)]).isEmpty, "\(country)")
            let short = errors(country, steps + [notice(after: 14, deadline: minimum - 1)])
            #expect(short.count == 1 && short[0].contains("the \(minimum) days a collection notice by letter needs in \(country) (counted from sending)"), "\(short)")
        }
    }

    @Test("a kind's own minimum deadline holds where it is longer than the country's")
    func kindMinimumDeadline() {
        var stricter = kinds
        stricter["collection_notice"]?.minimumDeadlineDays["DK"] = 14
        let steps = [reminder("r1", due: 14), notice(after: 14, deadline: 13)]
        #expect(errors("DK", steps, kinds: stricter) == ["plans/test.yaml:11:1: error: step 'notice': deadline_days 13 is shorter than kinds.collection_notice.minimum_deadline_days.DK: 14"])
        #expect(problems("DK", steps, kinds: kinds).isEmpty)
    }

    @Test("kinds and channels: an unknown kind, a channel the kind refuses, one that never counts as written notice, one only on a condition")
    func kindsAndChannels() {
        let unknown = errors("NO", [PlanStep(name: "r1", kind: "remnder", anchor: .dueDate, days: 14)])
        #expect(unknown == ["plans/test.yaml:10:1: error: step 'r1': unknown kind 'remnder'; the configured kinds are collection_notice, payment_plan, payment_received, reminder"])
        let sms = errors("NO", [reminder("r1", due: 14), notice(after: 14, channels: [.sms, .letter], deadline: 14)])
        #expect(sms == ["plans/test.yaml:11:1: error: step 'notice': a collection_notice may not go by sms: a collection notice must be written (letter or email); SMS alone never counts (kinds.collection_notice.channels)"])
        // A notice kind that allows SMS: the country's table still says SMS never counts.
        var loose = kinds
        loose["sms_notice"] = KindRule(name: "sms_notice", legalStep: .collectionNotice)
        let never = errors("NO", [reminder("r1", due: 14), notice(after: 14, channels: [.sms, .letter], deadline: 14, kind: "sms_notice")], kinds: loose)
        #expect(never.count == 1 && never[0].contains("sms does not count as a written collection notice in NO"), "\(never)")
        // NO by email only: counts only to a used address, a warning to add the letter.
        let email = problems("NO", [reminder("r1", due: 14), notice(after: 14, channels: [.email], deadline: 14)])
        #expect(email.map(\.severity) == [.warning])
        #expect(email.first?.message.contains("email only with a used_address consent") == true, "\(email)")
        #expect(email.first?.message.contains("add letter to fall back on") == true)
    }

    @Test("a fee only on a reminder; a notice needs deadline_days")
    func stepFields() {
        let fee = errors("NO", [reminder("r1", due: 14), PlanStep(name: "notice", kind: "collection_notice", anchor: .previous, days: 14, channels: [.letter], fee: "70.00", deadlineDays: 14)])
        #expect(fee == ["plans/test.yaml:11:1: error: step 'notice': only a reminder step charges a fee (kinds.collection_notice.legal_step is collection_notice)"])
        let noDeadline = errors("NO", [reminder("r1", due: 14), notice(after: 14, deadline: nil)])
        #expect(noDeadline == ["plans/test.yaml:11:1: error: step 'notice': a collection notice states a deadline: give deadline_days"])
    }

    @Test("a country without rules is refused at the top of the file")
    func unknownCountry() {
        let found = errors("XX", [reminder("r1", due: 14)])
        #expect(found == ["plans/test.yaml:1:1: error: no collection rules for country 'XX' (DK, FI, NO, SE have them); a new country's are configured under collection_rules.countries"])
    }

    @Test("conditions: the rules hold for every band of amount; a skipped step can open a long pause; steps for different amounts never meet")
    func conditions() {
        var skipped = reminder("r2", after: 40)
        skipped.skipIfAmountAbove = "1000"
        let steps = [reminder("r1", due: 14), skipped, notice(after: 30, deadline: 14)]
        #expect(plan("NO", steps).amountBands.map(\.description) == ["an amount up to 1000", "an amount above 1000"])
        let long = errors("NO", steps)
        #expect(long == ["plans/test.yaml:12:1: error: step 'notice': 70 days after step 'r1'; at most 60 days between steps in NO (Varsel guidance: a fixed plan without long pauses) (for an amount above 1000)"])
        // Two alternatives on the same day, one up to 1000 and one above: never 0 days apart in FI.
        var small = reminder("r2-small", after: 15)
        small.skipIfAmountAbove = "1000"
        var large = reminder("r2-large", after: 0, channels: [.letter])
        large.onlyIfAmountAbove = "1000"
        let alternatives = [reminder("r1", due: 14), small, large, notice(after: 15, deadline: 17)]
        #expect(problems("FI", alternatives).isEmpty)
        // The same steps without conditions put r2-large 0 days after r2-small.
        large.onlyIfAmountAbove = nil
        small.skipIfAmountAbove = nil
        let both = errors("FI", [reminder("r1", due: 14), small, large, notice(after: 15, deadline: 17)])
        #expect(both == ["plans/test.yaml:12:1: error: step 'r2-large': 0 days after step 'r2-small'; steps of a case at least 15 days apart in FI (Finnish regulator's guidance on good collection practice: more than 14 days between steps)"])
    }

    @Test("amount bands: adjacent bands with the same steps merge; no conditions, one band")
    func amountBands() {
        #expect(plan("NO", [reminder("r1", due: 14)]).amountBands == [PlanAmountBand(above: nil, upTo: nil, steps: [0])])
        var a = reminder("a", due: 14)
        a.onlyIfAmountAbove = "100"
        var b = reminder("b", after: 14)
        b.skipIfAmountAbove = "5000"
        var c = reminder("c", after: 14)
        c.skipIfAmountAbove = "5000"
        let bands = plan("NO", [a, b, c]).amountBands
        #expect(bands == [
            PlanAmountBand(above: nil, upTo: "100", steps: [1, 2]), PlanAmountBand(above: "100", upTo: "5000", steps: [0, 1, 2]),
            PlanAmountBand(above: "5000", upTo: nil, steps: [0]),
        ])
        #expect(bands.map(\.description) == ["an amount up to 100", "an amount above 100 up to 5000", "an amount above 5000"])
    }

    @Test("problems print as file:line:column: severity: message")
    func problemText() {
        #expect(PlanProblem(file: "plans/x.yaml", line: 3, column: 5, severity: .warning, message: "m").description == "plans/x.yaml:3:5: warning: m")
    }
}
