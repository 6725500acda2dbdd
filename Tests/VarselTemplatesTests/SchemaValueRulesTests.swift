import Foundation
import Synchronization
import Testing
import VarselCore
import VarselTemplates
import VarselTestSupport

/// What the kinds' schemas hold a message's data to beyond types: amounts above their declared
/// minimum, exact for their currency, text on one line unless declared multi-line (issue 11, item 4).
@Suite struct SchemaValueRulesTests {
    static let shipped: TemplateSet = {
        try! TemplateSetLoader.load(from: Paths.templates)
    }()

    static let reminder: [String: JSONValue] = [
        "creditor": .string("Fjordkraft AS"), "invoice_number": .string("10023"), "amount": .string("1250.00"),
        "currency": .string("NOK"), "due_date": .string("2026-11-01"), "deadline": .string("2030-01-15"),
        "payment_link": .string("https://pay.example/abc"),
    ]

    static func problems(_ kind: String = "reminder", _ change: (inout [String: JSONValue]) -> Void) -> [String: String] {
        var data = reminder
        change(&data)
        return Dictionary(shipped.dataProblems(kind: kind, data: data).map { ($0.field, $0.problem) }, uniquingKeysWith: { a, _ in a })
    }

    @Test("problems come in field order, required ones first, the same in every process: nine at once")
    func problemsInFieldOrder() {
        var data = Self.reminder
        for name in ["creditor", "invoice_number", "payment_link"] { data[name] = nil }
        data["amount"] = .string("-1")
        data["fee"] = .string("-2")
        data["due_date"] = .string("yesterday")
        data["deadline"] = .string("2030-13-01")
        data["creditor_phone"] = .bool(true)
        data["fee_agreed"] = .string("yes")
        let fields = Self.shipped.dataProblems(kind: "reminder", data: data).map(\.field)
        #expect(fields == ["data.creditor", "data.invoice_number", "data.payment_link", "data.amount", "data.creditor_phone", "data.deadline", "data.due_date", "data.fee", "data.fee_agreed"])
    }

    @Test("the shipped reminder data passes")
    func valid() {
        #expect(Self.problems { _ in }.isEmpty)
        #expect(Self.problems { $0["fee"] = .string("0") }.isEmpty, "a fee of 0 is allowed")
    }

    @Test("an amount to pay must be more than 0: negative, zero and -0 are refused", arguments: ["-1250.00", "0", "0.00", "-0"])
    func amountPositive(amount: String) {
        #expect(Self.problems { $0["amount"] = .string(amount) }["data.amount"]?.contains("must be more than 0") == true)
    }

    @Test("amounts against the bounds 0 (amount exclusive, fee inclusive): every sign, zero and fraction, as text and as JSON numbers, judged as Decimal compares")
    func zeroBoundsAsDecimalCompares() throws {
        for sign in ["", "-"] {
            for integer in ["0", "00", "1", "10", "007"] {
                for fraction in ["", ".0", ".00", ".01", ".5", ".50"] {
                    let text = sign + integer + fraction
                    let decimal = try #require(Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")))
                    for value in [JSONValue.string(text), .number(decimal)] {
                        let shown = value.scalarText ?? ""
                        let found = Self.problems {
                            $0["amount"] = value
                            $0["fee"] = value
                        }
                        #expect(found["data.amount"] == (decimal <= 0 ? "'\(shown)' must be more than 0" : nil), "amount \(value)")
                        #expect(found["data.fee"] == (decimal < 0 ? "'\(shown)' is below the minimum 0" : nil), "fee \(value)")
                    }
                }
            }
        }
    }

    @Test("a negative fee is refused, also as a JSON number")
    func negativeFee() {
        #expect(Self.problems { $0["fee"] = .string("-5.00") }["data.fee"]?.contains("below the minimum 0") == true)
        #expect(Self.problems { $0["fee"] = .number(-5) }["data.fee"] != nil)
    }

    @Test("every instalment of a plan is more than 0")
    func instalments() {
        let found = Self.problems("payment_plan") { data in
            data["installments"] = .array([
                .object(["number": .number(1), "due_date": .string("2030-01-01"), "amount": .string("625.00")]),
                .object(["number": .number(2), "due_date": .string("2030-02-01"), "amount": .string("-625.00")]),
            ])
        }
        #expect(found.keys.contains("data.installments[1].amount"), "\(found)")
        #expect(!found.keys.contains("data.installments[0].amount"))
    }

    @Test("amounts are exact for the message's currency; the currency is ISO 4217")
    func currency() {
        #expect(Self.problems { $0["amount"] = .string("1234.50"); $0["currency"] = .string("JPY") }["data.amount"] != nil)
        #expect(Self.problems { $0["amount"] = .string("1234"); $0["currency"] = .string("JPY") }.isEmpty)
        #expect(Self.problems { $0["currency"] = .string("XYZ") }["data.currency"] != nil)
    }

    @Test("a declared text field is one line: line breaks and control characters are refused")
    func singleLine() {
        #expect(Self.problems { $0["creditor"] = .string("Fjordkraft\nAS") }["data.creditor"]?.contains("line break") == true)
        #expect(Self.problems { $0["invoice_number"] = .string("100\u{1B}23") }["data.invoice_number"]?.contains("control character") == true)
    }

    @Test("minimum and exclusive_minimum only on money and number fields; multiline only on text")
    func parser() {
        let files = [
            "reminder/en/direct/sms.mustache": "{{creditor}}",
            "_schema/reminder.yaml": """
                fields:
                  creditor: { type: text, required: true, minimum: 1 }
                  amount: { type: money, exclusive_minimum: zero }
                  note: { type: text, multiline: true }
                  count: { type: number, minimum: 2 }
                """,
        ]
        do {
            _ = try TemplateSet(directory: "mem", files: files)
            Issue.record("a schema with misplaced bounds was accepted")
        } catch {
            let text = error.problems.map(\.message).joined(separator: "\n")
            #expect(text.contains("field creditor: only money and number fields have minimum"), "\(text)")
            #expect(text.contains("field amount: exclusive_minimum must be a number"), "\(text)")
            #expect(!text.contains("field note"), "\(text)")
            #expect(!text.contains("field count"), "\(text)")
        }
    }

    @Test("after MessageValidator's own rules by name, the schema check leaves the fields they judged and keeps the rest")
    func builtInRulesNotJudgedTwice() {
        var data = Self.reminder
        data["due_date"] = .string("yesterday")
        data["payment_link"] = .string("ftp://pay.example/abc")
        data["amount"] = .string("-1")
        data["creditor"] = .string("Fjordkraft\nAS")
        let judgedAgain = Self.shipped.dataProblems(kind: "reminder", data: data).map(\.field)
        #expect(judgedAgain == ["data.amount", "data.creditor", "data.due_date", "data.payment_link"])
        // The amount's declared minimum and the single-line text are the schema's own rules.
        let after = Self.shipped.dataProblems(kind: "reminder", data: data, builtInRulesPassed: true).map(\.field)
        #expect(after == ["data.amount", "data.creditor"])
    }

    @Test("for data that passed MessageValidator's rules, the schema check finds the same with and without judging them again",
          arguments: ["reminder", "collection_notice", "payment_plan", "payment_received"])
    func builtInRulesPassedSameVerdict(kind: String) {
        let reached = Mutex<[[String: JSONValue]]>([])
        let validator = MessageValidator(kinds: KindRule.shipped, dataCheck: { _, data in
            reached.withLock { $0.append(data) }
            return []
        })
        let values: [JSONValue] = [
            .string("1250.00"), .string("-1"), .string("0"), .string("0.001"), .number(5), .number(-5), .string("NOK"), .string("XYZ"),
            .string("2026-11-01"), .string("2026-13-01"), .string("https://pay.example/x"), .string("ftp://pay.example"), .string("two\nlines"),
            .bool(true), .null, .array([.string("2030-01-01")]), .array([.object(["due_date": .string("2030-01-01"), "amount": .string("-1")])]),
            .object(["amount": .string("1")]),
        ]
        // The reminder's data with a plan's instalments, which a payment plan requires.
        var base = Self.reminder
        base["installments"] = .array([.object(["number": .number(1), "due_date": .string("2030-01-01"), "amount": .string("625.00")])])
        var variants: [[String: JSONValue]] = [base]
        let fields = Set(base.keys).union(["fee", "interest", "original_amount", "paid_date", "invoice_date", "creditor_phone"])
        for field in fields.sorted() {
            for value in values {
                var data = base
                data[field] = value
                variants.append(data)
            }
        }
        let recipient: JSONValue = .object(["id": .string("debtor-1"), "country": .string("NO"), "locale": .string("nb-NO"), "phone": .string("+4791234567")])
        for data in variants {
            _ = validator.validate(.object(["kind": .string(kind), "recipient": recipient, "data": .object(data)]))
        }
        let passed = reached.withLock { $0 }
        #expect(passed.count >= 20, "\(passed.count) variants passed the validator's own rules")
        for data in passed {
            let judgedAgain = Self.shipped.dataProblems(kind: kind, data: data)
            let after = Self.shipped.dataProblems(kind: kind, data: data, builtInRulesPassed: true)
            #expect(judgedAgain == after, "\(data)")
        }
    }
}
