import Foundation
import Testing
import VarselCore

/// The country rule table: each rule on both sides of its limit, per country.
@Suite struct CollectionRulesTests {
    /// 2026-11-23 10:00 UTC, a Monday.
    let now = RFC3339.parseTimestamp("2026-11-23T10:00:00Z")!
    let rules = CollectionRules.shipped

    func message(
        country: String, kind: String = "reminder", currency: String, fee: String? = nil, feeAgreed: Bool = false, due: String = "2026-11-01",
        deadline: String = "2027-01-15", creditor: String = "Fjordkraft AS"
    ) -> MessageRequest {
        var data: [String: JSONValue] = [
            "creditor": .string(creditor), "amount": .string("1000.00"), "currency": .string(currency), "due_date": .string(due),
            "deadline": .string(deadline),
        ]
        if let fee { data["fee"] = .string(fee) }
        if feeAgreed { data["fee_agreed"] = .bool(true) }
        return MessageRequest(kind: kind, caseRef: "inv-1", recipient: Recipient(country: country, email: "kari@example.no"), data: data)
    }

    func problems(_ request: MessageRequest, step: LegalStep = .reminder, rules: CollectionRules? = nil) -> [String] {
        let table = rules ?? self.rules
        guard let country = table.rules(country: request.recipient.country, creditor: request.data["creditor"]?.scalarText) else { return [] }
        return CollectionRuleCheck.enqueueProblems(request, step: step, rules: country, now: now).map(\.description)
    }

    @Test("reminder fee caps: NO 35 NOK, SE 60 SEK (agreed), DK 100 DKK, FI 5 EUR, each on both sides, with the source named")
    func feeCaps() {
        for (country, currency, cap, over, source) in [
            ("NO", "NOK", "35.00", "35.01", "inkassoforskriften § 1-2"), ("SE", "SEK", "60.00", "60.01", "förordningen (1981:1057)"),
            ("DK", "DKK", "100.00", "100.01", "renteloven § 9 b"), ("FI", "EUR", "5.00", "5.01", "laki saatavien perinnästä 10 e §"),
        ] {
            #expect(problems(message(country: country, currency: currency, fee: cap, feeAgreed: true)).isEmpty, "\(country) at the cap")
            let refused = problems(message(country: country, currency: currency, fee: over, feeAgreed: true))
            #expect(refused.count == 1, "\(country): \(refused)")
            #expect(refused.first?.hasPrefix("data.fee: \(over) \(currency) is above the reminder fee cap of \(cap) \(currency) in \(country)") == true)
            #expect(refused.first?.contains(source) == true, "\(refused)")
        }
        // A cap in another currency cannot be compared: not judged.
        #expect(problems(message(country: "NO", currency: "EUR", fee: "50.00")).isEmpty)
        // A notice's fee is the collection cost that may follow, not a reminder fee.
        #expect(problems(message(country: "NO", kind: "collection_notice", currency: "NOK", fee: "70.00"), step: .collectionNotice).isEmpty)
    }

    @Test("SE: a reminder fee only when agreed when the debt arose")
    func swedishFeeAgreement() {
        #expect(problems(message(country: "SE", currency: "SEK", fee: "60.00", feeAgreed: true)).isEmpty)
        let refused = problems(message(country: "SE", currency: "SEK", fee: "60.00"))
        #expect(refused.count == 1 && refused[0].contains("needs the debtor's agreement") && refused[0].contains("lagen (1981:739)"), "\(refused)")
        #expect(problems(message(country: "SE", currency: "SEK", fee: "0")).isEmpty, "no fee, nothing to agree")
        #expect(problems(message(country: "NO", currency: "NOK", fee: "35.00")).isEmpty, "Norway asks no agreement")
    }

    @Test("NO: a fee-bearing reminder at the earliest 14 days after the due date")
    func norwegianFeeTiming() {
        // Sent on 2026-11-23: due 2026-11-09 is 14 days before, due 2026-11-10 only 13.
        #expect(problems(message(country: "NO", currency: "NOK", fee: "35.00", due: "2026-11-09")).isEmpty)
        let early = problems(message(country: "NO", currency: "NOK", fee: "35.00", due: "2026-11-10"))
        #expect(early.count == 1 && early[0].hasPrefix("data.fee: a fee may be charged in NO only on a reminder sent at least 14 days after the due date 2026-11-10"), "\(early)")
        #expect(problems(message(country: "NO", currency: "NOK", due: "2026-11-22")).isEmpty, "without a fee a reminder may go at once")
    }

    @Test("notice deadlines: NO 14, SE 8, DK 10 from sending; FI 10 from presumed receipt (a letter on the 7th day, an email at once)")
    func noticeDeadlines() throws {
        for (country, currency, enough, short) in [
            ("NO", "NOK", "2026-12-07", "2026-12-06"), ("SE", "SEK", "2026-12-01", "2026-11-30"), ("DK", "DKK", "2026-12-03", "2026-12-02"),
            ("FI", "EUR", "2026-12-03", "2026-12-02"),
        ] {
            #expect(problems(message(country: country, kind: "collection_notice", currency: currency, deadline: enough), step: .collectionNotice).isEmpty)
            let refused = problems(message(country: country, kind: "collection_notice", currency: currency, deadline: short), step: .collectionNotice)
            #expect(refused.count == 1 && refused[0].hasPrefix("data.deadline: a collection notice in \(country) needs at least"), "\(refused)")
        }
        let finland = try #require(rules.countries["FI"])
        #expect(finland.noticeDays(channel: .letter) == 17)
        #expect(finland.noticeDays(channel: .email) == 10)
        #expect(finland.noticeDays(channel: nil) == 10, "at enqueue the quickest written channel")
        #expect(rules.countries["NO"]?.noticeDays(channel: .letter) == 14)
    }

    func step(_ id: String, daysBefore days: Double, fee: Bool, kind: String = "reminder") -> CaseStep {
        CaseStep(messageID: id, kind: kind, at: now.addingTimeInterval(-days * 86_400), feeBearing: fee)
    }

    let steps: [String: LegalStep] = ["reminder": .reminder, "collection_notice": .collectionNotice, "payment_received": .none]

    func atSend(_ request: MessageRequest, history: [CaseStep], country: String) -> CollectionRuleCheck.SendVerdict? {
        CollectionRuleCheck.atSend(request, messageID: "this", step: steps[request.kind] ?? .none, rules: rules.countries[country]!, history: history, steps: steps, sendAt: now).verdict
    }

    @Test("DK: at most 3 fee-bearing reminders per case, at least 10 days apart")
    func danishFeeReminders() {
        let fee = message(country: "DK", currency: "DKK", fee: "100.00")
        #expect(atSend(fee, history: [step("a", daysBefore: 30, fee: true), step("b", daysBefore: 10, fee: true)], country: "DK") == nil)
        guard case .wait(let until, let reason)? = atSend(fee, history: [step("a", daysBefore: 9, fee: true)], country: "DK") else {
            Issue.record("a fee reminder 9 days after the last must wait")
            return
        }
        #expect(until == now.addingTimeInterval(86_400))
        #expect(reason.contains("at least 10 days apart in DK (renteloven § 9 b"))
        let three = [step("a", daysBefore: 40, fee: true), step("b", daysBefore: 30, fee: true), step("c", daysBefore: 20, fee: true)]
        guard case .fail(let limit)? = atSend(fee, history: three, country: "DK") else {
            Issue.record("a fourth fee reminder must fail")
            return
        }
        #expect(limit.hasPrefix("at most 3 fee-bearing reminders per case in DK"))
        #expect(atSend(message(country: "DK", currency: "DKK"), history: three, country: "DK") == nil, "a reminder without a fee still goes")
        #expect(atSend(fee, history: three + [step("d", daysBefore: 1, fee: true, kind: "payment_received")], country: "DK") != nil)
    }

    @Test("FI: steps of a case more than 14 days apart; NO: two fee reminders at most")
    func stepSpacing() {
        let reminder = message(country: "FI", currency: "EUR")
        #expect(atSend(reminder, history: [step("a", daysBefore: 15, fee: false)], country: "FI") == nil)
        guard case .wait(_, let reason)? = atSend(reminder, history: [step("a", daysBefore: 14, fee: false)], country: "FI") else {
            Issue.record("a step 14 days after the last must wait in Finland")
            return
        }
        #expect(reason.contains("at least 15 days apart in FI"))
        #expect(atSend(reminder, history: [step("a", daysBefore: 1, fee: false, kind: "payment_received")], country: "FI") == nil, "a receipt is no step")
        #expect(atSend(message(country: "NO", currency: "NOK"), history: [step("a", daysBefore: 1, fee: false)], country: "NO") == nil, "Norway sets no step spacing")
        let norwegianFee = message(country: "NO", currency: "NOK", fee: "35.00")
        #expect(atSend(norwegianFee, history: [step("a", daysBefore: 30, fee: true)], country: "NO") == nil)
        if case .fail? = atSend(norwegianFee, history: [step("a", daysBefore: 40, fee: true), step("b", daysBefore: 20, fee: true)], country: "NO") {} else {
            Issue.record("a third fee reminder must fail in Norway")
        }
        let notes = CollectionRuleCheck.atSend(
            reminder, messageID: "this", step: .reminder, rules: rules.countries["FI"]!, history: [step("a", daysBefore: 61, fee: false)], steps: steps, sendAt: now).notes
        #expect(notes.first?.contains("more than the 60 our guidance allows") == true, "\(notes)")
    }

    @Test("which channels count as written notice: FI email only with a separate consent in force; NO email only to an address the debtor has used")
    func writtenNoticeChannels() {
        let finland = rules.countries["FI"]!
        let norway = rules.countries["NO"]!
        var debtor = Recipient(country: "FI", email: "kari@example.fi")
        #expect(CollectionRuleCheck.noticeChannelProblem(.letter, recipient: debtor, rules: finland, at: now) == nil)
        #expect(CollectionRuleCheck.noticeChannelProblem(.sms, recipient: debtor, rules: finland, at: now)?.contains("does not count") == true)
        #expect(CollectionRuleCheck.noticeChannelProblem(.email, recipient: debtor, rules: finland, at: now)?.contains("separate consent") == true)
        let given = now.addingTimeInterval(-86_400 * 30)
        debtor.consents = [Consent(type: .electronicNotice, channel: .email, givenAt: given, expiresAt: now.addingTimeInterval(3600))]
        #expect(CollectionRuleCheck.noticeChannelProblem(.email, recipient: debtor, rules: finland, at: now) == nil)
        #expect(CollectionRuleCheck.noticeChannelProblem(.email, recipient: debtor, rules: finland, at: now.addingTimeInterval(7200)) != nil, "expired")
        #expect(CollectionRuleCheck.noticeChannelProblem(.email, recipient: debtor, rules: finland, at: given.addingTimeInterval(-1)) != nil, "not yet given")
        #expect(CollectionRuleCheck.noticeChannelProblem(.email, recipient: debtor, rules: norway, at: now) != nil, "another kind of consent")
        debtor.consents = [Consent(type: .usedAddress, channel: .email, address: "Kari@Example.fi", givenAt: given)]
        #expect(CollectionRuleCheck.noticeChannelProblem(.email, recipient: debtor, rules: norway, at: now) == nil)
        debtor.email = "other@example.fi"
        #expect(CollectionRuleCheck.noticeChannelProblem(.email, recipient: debtor, rules: norway, at: now) != nil, "a used address is that address only")
    }

    @Test("a creditor's override may be stricter, never looser")
    func stricterOnly() throws {
        let norway = try #require(rules.countries["NO"])
        var stricter = norway
        stricter.feeCap = "20.00"
        stricter.noticeMinimumDays = 21
        stricter.noticeChannels[.email] = .consent
        #expect(CollectionRules.looser(stricter, than: norway).isEmpty)
        var looser = norway
        looser.feeCap = "50.00"
        looser.noticeMinimumDays = 10
        looser.feeRemindersMax = nil
        looser.noticeChannels[.email] = .always
        #expect(Set(CollectionRules.looser(looser, than: norway)) == ["fee_cap", "notice_minimum_days", "fee_reminders_max", "notice_channels.email"])
        let table = CollectionRules(countries: rules.countries, creditors: ["Strict AS": ["NO": stricter]])
        #expect(problems(message(country: "NO", currency: "NOK", fee: "30.00", creditor: "Strict AS"), rules: table).count == 1)
        #expect(problems(message(country: "NO", currency: "NOK", fee: "30.00", creditor: "Fjordkraft AS"), rules: table).isEmpty)
    }
}

/// `recipient.consents`: dated, typed, each field checked and named.
@Suite struct ConsentValidationTests {
    func validate(_ consents: String) -> Result<Recipient, ValidationFailure> {
        let json = #"{"email": "kari@example.no", "consents": \#(consents)}"#
        return MessageValidator.parse(json: Array(json.utf8)).flatMap { MessageValidator(kinds: KindRule.shipped).validateRecipientRecord($0, id: "debtor-1") }
    }

    @Test("a consent is kept with its dates; a wrong one is refused naming its field")
    func consents() throws {
        let recipient = try validate(#"[{"type": "electronic_notice", "channel": "email", "given_at": "2026-10-01T00:00:00Z", "expires_at": "2027-10-01T00:00:00Z"}]"#).get()
        #expect(recipient.consents?.first?.type == .electronicNotice)
        #expect(recipient.consents?.first?.expiresAt == RFC3339.parseTimestamp("2027-10-01T00:00:00Z"))
        for (consents, field) in [
            (#"[{"type": "forever", "channel": "email", "given_at": "2026-10-01T00:00:00Z"}]"#, "consents[0].type"),
            (#"[{"type": "used_address", "channel": "fax", "given_at": "2026-10-01T00:00:00Z"}]"#, "consents[0].channel"),
            (#"[{"type": "used_address", "channel": "email"}]"#, "consents[0].given_at"),
            (#"[{"type": "used_address", "channel": "email", "given_at": "2026-10-01T00:00:00Z", "expires_at": "2026-09-01T00:00:00Z"}]"#, "consents[0].expires_at"),
            (#"[{"type": "used_address", "channel": "email", "given_at": "2026-10-01T00:00:00Z", "address": "not-an-address"}]"#, "consents[0].address"),
            (#"[{"type": "used_address", "channel": "email", "given_at": "2026-10-01T00:00:00Z", "why": "x"}]"#, "consents[0].why"),
            (#""yes""#, "consents"),
        ] {
            guard case .failure(let failure) = validate(consents) else {
                Issue.record("accepted: \(consents)")
                continue
            }
            #expect(failure.errors.map(\.field) == [field], "\(consents): \(failure)")
        }
    }

    @Test("consents of the message and of the stored record add up")
    func merge() {
        let given = Date(timeIntervalSince1970: 1_790_000_000)
        var stored = Recipient(id: "d")
        stored.consents = [Consent(type: .usedAddress, channel: .email, givenAt: given)]
        var message = Recipient(id: "d")
        message.consents = [Consent(type: .electronicNotice, channel: .email, givenAt: given)]
        #expect(message.merged(over: stored).consents?.map(\.type) == [.usedAddress, .electronicNotice])
        #expect(Recipient(id: "d").merged(over: stored).consents?.count == 1)
    }
}
