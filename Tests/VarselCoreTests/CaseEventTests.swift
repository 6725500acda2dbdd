import Foundation
import Testing
import VarselCore

@Suite struct CaseEventTests {
    let now = Date(timeIntervalSince1970: 1_797_000_000)  // 2026-12-11

    func parse(_ json: String, caseRef: String = "inv-1") -> Result<CaseEventRequest, ValidationFailure> {
        MessageValidator.parse(json: Array(json.utf8)).flatMap { CaseEventRequest.parse($0, caseRef: caseRef, now: now) }
    }

    func fields(_ result: Result<CaseEventRequest, ValidationFailure>) -> [String] {
        if case .failure(let failure) = result { return failure.errors.map(\.field) }
        return []
    }

    @Test("a valid event parses with its amount, currency, time and key")
    func validEvent() throws {
        let request = try parse(#"{"type": "partially_paid", "amount": "400.00", "currency": "NOK", "at": "2026-11-30T10:00:00Z", "note": "bank", "idempotency_key": "p1"}"#).get()
        #expect(request.type == .partiallyPaid && request.amount == "400.00" && request.currency == "NOK" && request.note == "bank")
        #expect(request.at == RFC3339.parseTimestamp("2026-11-30T10:00:00Z"))
        #expect(request.idempotencyKey == "p1")
        #expect(try parse(#"{"type": "paid"}"#).get().amount == nil)
    }

    @Test("bad events are refused naming the field")
    func badEvents() {
        #expect(fields(parse(#"{}"#)) == ["type"])
        #expect(fields(parse(#"{"type": "settled"}"#)) == ["type"])
        #expect(fields(parse(#"{"type": "partially_paid"}"#)) == ["amount"])
        #expect(fields(parse(#"{"type": "paid", "amount": "0.00"}"#)) == ["amount"])
        #expect(fields(parse(#"{"type": "paid", "amount": "-5"}"#)) == ["amount"])
        #expect(fields(parse(#"{"type": "paid", "amount": 400}"#)) == ["amount"], "amounts travel as strings")
        #expect(fields(parse(#"{"type": "paid", "amount": "1234567890123456"}"#)) == ["amount"])
        #expect(fields(parse(#"{"type": "paid", "currency": "NOK"}"#)) == ["currency"], "a currency without an amount")
        #expect(fields(parse(#"{"type": "paid", "amount": "1", "currency": "nok"}"#)) == ["currency"])
        #expect(fields(parse(#"{"type": "paid", "at": "yesterday"}"#)) == ["at"])
        #expect(fields(parse(#"{"type": "paid", "at": "2030-01-01T00:00:00Z"}"#)) == ["at"], "an event in the future")
        #expect(fields(parse(#"{"type": "paid", "amount": null}"#)) == ["amount"])
        #expect(fields(parse(#"{"type": "paid", "note": "a\nb"}"#)) == ["note"])
        #expect(fields(parse(#"{"type": "paid", "colour": "red"}"#)) == ["colour"])
        #expect(fields(parse(#"{"type": "paid"}"#, caseRef: "inv\u{0007}")) == ["case_ref"])
        #expect(fields(parse(#"[1]"#)) == [""])
    }

    func event(_ type: CaseEventType, at offset: TimeInterval = 0, amount: String? = nil, currency: String? = nil) -> CaseEvent {
        CaseEvent(id: "evt_\(type.rawValue)_\(offset)", caseRef: "inv-1", type: type, amount: amount, currency: currency, at: now, recordedAt: now.addingTimeInterval(offset))
    }

    @Test("the standing folds events in order: stops, dispute resolution, reopening")
    func standing() {
        #expect(CaseStanding(events: []).isOpen)
        #expect(CaseStanding(events: [event(.partiallyPaid, amount: "1")]).isOpen)
        for type in [CaseEventType.paid, .disputed, .planAgreed] { #expect(CaseStanding(events: [event(type)]).name == type.rawValue) }
        #expect(CaseStanding(events: [event(.disputed), event(.disputeResolved, at: 1)]).isOpen)
        #expect(CaseStanding(events: [event(.paid), event(.disputeResolved, at: 1)]).name == "paid", "a resolved dispute does not undo a payment")
        #expect(CaseStanding(events: [event(.planAgreed), event(.reopened, at: 1)]).isOpen)
        #expect(CaseStanding(events: [event(.reopened), event(.paid, at: 1)]).name == "paid")
        let policy = CaseStopPolicy.shipped
        let paid = CaseStanding(events: [event(.paid)])
        #expect(paid.refusal(kind: "reminder", policy: policy)?.contains("case inv-1 is stopped: paid") == true)
        #expect(paid.refusal(kind: "collection_notice", policy: policy) != nil)
        #expect(paid.refusal(kind: "payment_received", policy: policy) == nil)
        #expect(paid.refusal(kind: "payment_plan", policy: policy) == nil)
        #expect(CaseStanding(events: []).refusal(kind: "reminder", policy: policy) == nil)
    }

    @Test("partial payments recorded after a message was accepted lower its amount, in its currency, to the currency's decimals")
    func partialPayments() throws {
        let accepted = now.addingTimeInterval(10)
        let events = [
            event(.partiallyPaid, at: 5, amount: "100.00"),   // before the message: already in its amount
            event(.partiallyPaid, at: 20, amount: "400"),
            event(.partiallyPaid, at: 30, amount: "50.5", currency: "NOK"),
            event(.partiallyPaid, at: 40, amount: "70", currency: "EUR"),  // another currency
        ]
        let adjustment = try #require(PartialPayments.adjust(amount: "1250.00", currency: "NOK", acceptedAt: accepted, events: events))
        #expect(adjustment.amount == "799.50")
        #expect(!adjustment.settled)
        #expect(adjustment.deducted.count == 2)
        #expect(PartialPayments.adjust(amount: "1250.00", currency: "NOK", acceptedAt: now.addingTimeInterval(50), events: events) == nil)
        let settled = try #require(PartialPayments.adjust(amount: "300", currency: "NOK", acceptedAt: accepted, events: events))
        #expect(settled.settled && settled.amount == "0.00")
        #expect(PartialPayments.adjust(amount: "1000", currency: "JPY", acceptedAt: accepted, events: [event(.partiallyPaid, at: 20, amount: "333.4")])?.amount == "667")
    }
}
