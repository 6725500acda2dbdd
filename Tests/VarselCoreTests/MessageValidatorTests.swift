import Foundation
import Testing
@testable import VarselCore

/// The message contract (docs/message.md): what is accepted, and that every refusal names its field (docs/guarantees.md §6).
@Suite("Message validation")
struct MessageValidatorTests {
    /// A message with every field of the contract given (docs/message.md).
    static let example = """
        {
          "idempotency_key": "inv-10023-reminder-1",
          "kind": "reminder",
          "case_ref": "inv-10023",
          "recipient": {
            "id": "debtor-42",
            "name": "Kari Nordmann",
            "locale": "nb-NO",
            "country": "NO",
            "timezone": "Europe/Oslo",
            "tone": "direct",
            "channels": ["sms", "email", "letter"],
            "opt_out": ["letter"],
            "phone": "+4791234567",
            "email": "kari@example.no",
            "address": { "lines": ["Storgata 1"], "postal_code": "0155", "city": "Oslo", "country": "NO" }
          },
          "data": {
            "creditor": "Fjordkraft AS", "invoice_number": "10023",
            "amount": "1250.00", "currency": "NOK", "due_date": "2026-11-01",
            "deadline": "2026-12-08", "payment_link": "https://pay.example/abc"
          },
          "send_after": "2026-11-23T08:00:00Z",
          "expires_at": "2026-12-01T00:00:00Z"
        }
        """

    typealias Object = [String: Any]
    typealias Change = @Sendable (inout Object) -> Void

    /// The clock of these tests: before the example's send_after, deadline and expires_at.
    static let now = RFC3339.parseTimestamp("2026-11-20T12:00:00Z")!
    let validator = MessageValidator(kinds: KindRule.shipped, now: { MessageValidatorTests.now })

    /// The example as a mutable tree (via JSONSerialization, so the fixture does not depend on the code under test).
    static func exampleObject() throws -> Object {
        let object = try JSONSerialization.jsonObject(with: Data(example.utf8))
        return try #require(object as? Object)
    }

    /// Validates the example after a change, through the same byte path a producer uses.
    func validate(_ change: Change) throws -> Result<MessageRequest, ValidationFailure> {
        var root = try Self.exampleObject()
        change(&root)
        let bytes = try JSONSerialization.data(withJSONObject: root)
        return validator.validate(json: Array(bytes))
    }

    func errors(_ result: Result<MessageRequest, ValidationFailure>) -> [ValidationError] {
        if case .failure(let failure) = result { return failure.errors }
        return []
    }

    /// Applies a change to one nested object, e.g. `recipient` or `data`.
    static func inside(_ key: String, _ change: @escaping Change) -> Change {
        { root in
            var nested = root[key] as? Object ?? [:]
            change(&nested)
            root[key] = nested
        }
    }

    static func recipient(_ change: @escaping Change) -> Change { inside("recipient", change) }
    static func data(_ change: @escaping Change) -> Change { inside("data", change) }

    // MARK: Acceptance

    @Test("the full example message is accepted and every field lands in the request")
    func exampleAccepted() throws {
        let request = try validator.validate(json: Array(Self.example.utf8)).get()
        #expect(request.idempotencyKey == "inv-10023-reminder-1")
        #expect(request.kind == "reminder")
        #expect(request.caseRef == "inv-10023")

        let recipient = request.recipient
        #expect(recipient.id == "debtor-42")
        #expect(recipient.name == "Kari Nordmann")
        #expect(recipient.locale == "nb-NO")
        #expect(recipient.country == "NO")
        #expect(recipient.timezone == "Europe/Oslo")
        #expect(recipient.tone == .direct)
        #expect(recipient.channels == [.sms, .email, .letter])
        #expect(recipient.optOut == [.letter])
        #expect(recipient.phone == "+4791234567")
        #expect(recipient.email == "kari@example.no")
        #expect(recipient.address == PostalAddress(lines: ["Storgata 1"], postalCode: "0155", city: "Oslo", country: "NO"))

        #expect(request.data["creditor"] == .string("Fjordkraft AS"))
        #expect(request.data["invoice_number"] == .string("10023"))
        #expect(request.data["amount"] == .string("1250.00"))
        #expect(request.data["currency"] == .string("NOK"))
        #expect(request.data["due_date"] == .string("2026-11-01"))
        #expect(request.data["deadline"] == .string("2026-12-08"))
        #expect(request.data["payment_link"] == .string("https://pay.example/abc"))
        #expect(request.data.count == 7)

        // 2026-11-23T08:00:00Z and 2026-12-01T00:00:00Z as Unix seconds.
        #expect(request.sendAfter == Date(timeIntervalSince1970: 1_795_420_800))
        #expect(request.expiresAt == Date(timeIntervalSince1970: 1_796_083_200))
    }

    @Test("optional fields may be left out: one contact point and the kind's data are enough")
    func minimalMessageAccepted() throws {
        let json = """
            {"kind": "payment_received",
             "recipient": {"email": "kari@example.no"},
             "data": {"creditor": "Fjordkraft AS", "invoice_number": "10023", "amount": "1250.00", "currency": "NOK"}}
            """
        let request = try validator.validate(json: Array(json.utf8)).get()
        #expect(request.kind == "payment_received")
        #expect(request.recipient.email == "kari@example.no")
        #expect(request.recipient.phone == nil)
        #expect(request.recipient.channels == nil)
        #expect(request.recipient.optOut == [])
        #expect(request.recipient.tone == nil)
        #expect(request.idempotencyKey == nil)
        #expect(request.sendAfter == nil)
        #expect(request.expiresAt == nil)
    }

    @Test("a postal address alone is a contact point")
    func addressAloneIsAContactPoint() throws {
        let result = try validate(Self.recipient { recipient in
            recipient["phone"] = nil
            recipient["email"] = nil
        })
        #expect(errors(result).isEmpty)
        #expect(try result.get().recipient.address?.city == "Oslo")
    }

    @Test("locale and country spellings are normalised")
    func normalisesLocaleAndCountry() throws {
        let request = try validate(Self.recipient { recipient in
            recipient["locale"] = "nb_no"
            recipient["country"] = "no"
        }).get()
        #expect(request.recipient.locale == "nb-NO")
        #expect(request.recipient.country == "NO")
    }

    @Test("an amount may be a JSON number")
    func amountAsNumber() throws {
        let request = try validate(Self.data { $0["amount"] = 1250.5 }).get()
        guard case .number(let amount)? = request.data["amount"] else {
            Issue.record("amount should stay a number, got \(String(describing: request.data["amount"]))")
            return
        }
        #expect(amount == Decimal(string: "1250.5"))
    }

    @Test(
        "an amount given as a JSON number keeps its exact decimal value",
        arguments: ["0", "1", "1250", "19.99", "0.1", "1250.05", "999999999999999.99"])
    func amountNumberIsExact(number: String) throws {
        let json = """
            {"kind": "payment_received", "recipient": {"email": "kari@example.no"},
             "data": {"creditor": "Fjordkraft AS", "invoice_number": "10023", "amount": \(number), "currency": "NOK"}}
            """
        let request = try validator.validate(json: Array(json.utf8)).get()
        #expect(request.data["amount"] == .number(try #require(Decimal(string: number))))
    }

    @Test("data.payment is checked by its scheme: a good one is kept as sent, a bad check digit names the field and the scheme")
    func paymentChecked() throws {
        let good = try validate(Self.data { $0["payment"] = ["scheme": "kid", "reference": "1234567890128", "account": "86011117947"] }).get()
        #expect(good.data["payment"] == .object(["scheme": .string("kid"), "reference": .string("1234567890128"), "account": .string("86011117947")]))
        let bad = errors(try validate(Self.data { $0["payment"] = ["scheme": "ocr", "reference": "2041700", "bankgiro": "5050-1055"] }))
        #expect(bad == [ValidationError(
            field: "data.payment.reference", problem: "check digit wrong: the last digit is not the Luhn (MOD10) check of the others (scheme ocr)")])
        #expect(errors(try validate(Self.data { $0["payment"] = "1234567890128" })).map(\.field) == ["data.payment"])
    }

    @Test("an http payment link is accepted as well as https")
    func httpLinkAccepted() throws {
        #expect(errors(try validate(Self.data { $0["payment_link"] = "http://pay.example/abc" })).isEmpty)
    }

    @Test("extra template data beyond the kind's requirements is kept")
    func extraDataKept() throws {
        let request = try validate(Self.data { $0["customer_number"] = "K-77" }).get()
        #expect(request.data["customer_number"] == .string("K-77"))
    }

    @Test("data field names are ASCII letters, digits and _, not starting with a digit, at most 64")
    func templateNames() {
        let accepted = ["a", "_", "_x", "Z9", "due_date", String(repeating: "a", count: 64), "aZ_09"]
        let refused = [
            "", "9a", "a-b", "a b", "beløp", "Ærend", "ﬁle", "a\u{301}", "ａ", "a.b", "@", "[", "`", "{", "a\r\n",
            String(repeating: "a", count: 65), "٣", "a٣",
        ]
        for name in accepted { #expect(MessageValidator.isTemplateName(name), "\(name)") }
        for name in refused { #expect(!MessageValidator.isTemplateName(name), "\(name.unicodeScalars.map { String($0.value, radix: 16) })") }
    }

    // MARK: Refusals, one field each

    struct Refusal: Sendable, CustomTestStringConvertible {
        let name: String
        let field: String
        let change: Change
        var testDescription: String { "\(name) → \(field)" }
    }

    static let refusals: [Refusal] = [
        Refusal(name: "missing kind", field: "kind") { $0["kind"] = nil },
        Refusal(name: "null kind", field: "kind") { $0["kind"] = NSNull() },
        Refusal(name: "unknown kind", field: "kind") { $0["kind"] = "dunning" },
        Refusal(name: "kind not a string", field: "kind") { $0["kind"] = 7 },
        Refusal(name: "recipient missing", field: "recipient") { $0["recipient"] = nil },
        Refusal(name: "recipient not an object", field: "recipient") { $0["recipient"] = "Kari" },
        Refusal(name: "no contact point", field: "recipient", change: recipient { recipient in
            recipient["phone"] = nil
            recipient["email"] = nil
            recipient["address"] = nil
        }),
        Refusal(name: "phone not E.164", field: "recipient.phone", change: recipient { $0["phone"] = "91234567" }),
        Refusal(name: "phone with spaces", field: "recipient.phone", change: recipient { $0["phone"] = "+47 912 34 567" }),
        Refusal(name: "phone empty", field: "recipient.phone", change: recipient { $0["phone"] = "" }),
        Refusal(name: "invalid email", field: "recipient.email", change: recipient { $0["email"] = "kari@example" }),
        Refusal(name: "email without @", field: "recipient.email", change: recipient { $0["email"] = "kari.example.no" }),
        Refusal(name: "unknown channel", field: "recipient.channels[1]", change: recipient { $0["channels"] = ["sms", "fax"] }),
        Refusal(name: "duplicate channel", field: "recipient.channels[2]", change: recipient { $0["channels"] = ["sms", "email", "sms"] }),
        Refusal(name: "no channels", field: "recipient.channels", change: recipient { $0["channels"] = [String]() }),
        Refusal(name: "channels not an array", field: "recipient.channels", change: recipient { $0["channels"] = "sms" }),
        Refusal(name: "unknown opt-out channel", field: "recipient.opt_out[0]", change: recipient { $0["opt_out"] = ["fax"] }),
        Refusal(name: "bad locale", field: "recipient.locale", change: recipient { $0["locale"] = "norsk" }),
        Refusal(name: "bad timezone", field: "recipient.timezone", change: recipient { $0["timezone"] = "Mars/Olympus" }),
        Refusal(name: "unknown country", field: "recipient.country", change: recipient { $0["country"] = "XX" }),
        Refusal(name: "three-letter country", field: "recipient.country", change: recipient { $0["country"] = "NOR" }),
        Refusal(name: "bad tone", field: "recipient.tone", change: recipient { $0["tone"] = "harsh" }),
        Refusal(name: "unknown recipient field", field: "recipient.mobile", change: recipient { $0["mobile"] = "+4791234567" }),
        Refusal(name: "bad address country", field: "recipient.address.country", change: recipient { recipient in
            recipient["address"] = ["lines": ["Storgata 1"], "postal_code": "0155", "city": "Oslo", "country": "ZZ"]
        }),
        Refusal(name: "send_after without zone", field: "send_after") { $0["send_after"] = "2026-11-23T08:00:00" },
        Refusal(name: "send_after not RFC 3339", field: "send_after") { $0["send_after"] = "23.11.2026 08:00" },
        Refusal(name: "expires_at not RFC 3339", field: "expires_at") { $0["expires_at"] = "2026-12-01" },
        Refusal(name: "expires_at before send_after", field: "expires_at") { $0["expires_at"] = "2026-11-22T00:00:00Z" },
        Refusal(name: "amount with separators", field: "data.amount", change: data { $0["amount"] = "1 250,00" }),
        Refusal(name: "amount not a number", field: "data.amount", change: data { $0["amount"] = "a lot" }),
        Refusal(name: "amount a boolean", field: "data.amount", change: data { $0["amount"] = true }),
        Refusal(name: "currency lower case", field: "data.currency", change: data { $0["currency"] = "nok" }),
        Refusal(name: "due_date not YYYY-MM-DD", field: "data.due_date", change: data { $0["due_date"] = "01.11.2026" }),
        Refusal(name: "due_date impossible", field: "data.due_date", change: data { $0["due_date"] = "2026-02-30" }),
        Refusal(name: "deadline unpadded", field: "data.deadline", change: data { $0["deadline"] = "2026-12-8" }),
        Refusal(name: "payment_link ftp", field: "data.payment_link", change: data { $0["payment_link"] = "ftp://pay.example/abc" }),
        Refusal(name: "payment_link without scheme", field: "data.payment_link", change: data { $0["payment_link"] = "pay.example/abc" }),
        Refusal(name: "payment_link javascript", field: "data.payment_link", change: data { $0["payment_link"] = "javascript:alert(1)" }),
        Refusal(name: "missing deadline for reminder", field: "data.deadline", change: data { $0["deadline"] = nil }),
        Refusal(name: "missing creditor for reminder", field: "data.creditor", change: data { $0["creditor"] = nil }),
        Refusal(name: "data field name with a dash", field: "data.invoice-number", change: data { $0["invoice-number"] = "10023" }),
        Refusal(name: "data missing", field: "data") { $0["data"] = nil },
        Refusal(name: "data not an object", field: "data") { $0["data"] = ["amount"] },
        Refusal(name: "unknown top-level field", field: "sendAfter") { $0["sendAfter"] = "2026-11-23T08:00:00Z" },
        Refusal(name: "empty idempotency key", field: "idempotency_key") { $0["idempotency_key"] = "" },
        Refusal(name: "idempotency key not a string", field: "idempotency_key") { $0["idempotency_key"] = 42 },
        // Data means what it says (issue 11 item 4).
        Refusal(name: "unknown currency", field: "data.currency", change: data { $0["currency"] = "XYZ" }),
        Refusal(name: "fund code, not a currency", field: "data.currency", change: data { $0["currency"] = "XDR" }),
        Refusal(name: "more decimals than NOK has", field: "data.amount", change: data { $0["amount"] = "0.001" }),
        Refusal(name: "trailing decimal beyond NOK", field: "data.amount", change: data { $0["amount"] = "1250.000" }),
        Refusal(name: "decimals in JPY", field: "data.amount", change: data { $0["amount"] = "1234.50"; $0["currency"] = "JPY" }),
        Refusal(name: "JSON number with decimals in ISK", field: "data.amount", change: data { $0["amount"] = 1234.5; $0["currency"] = "ISK" }),
        Refusal(name: "more decimals than KWD has", field: "data.fee", change: data { $0["fee"] = "1.0001"; $0["currency"] = "KWD" }),
        Refusal(name: "implausibly large amount", field: "data.amount", change: data { $0["amount"] = "1234567890123456" }),
        Refusal(name: "deadline in the past", field: "data.deadline", change: data { $0["deadline"] = "2000-01-01" }),
        Refusal(name: "deadline yesterday in Oslo", field: "data.deadline", change: data { $0["deadline"] = "2026-11-19" }),
        Refusal(name: "due date in year 0", field: "data.due_date", change: data { $0["due_date"] = "0000-01-01" }),
        Refusal(name: "due date in year 9999", field: "data.due_date", change: data { $0["due_date"] = "9999-12-31" }),
        Refusal(name: "NUL in creditor", field: "data.creditor", change: data { $0["creditor"] = "Fjordkraft\u{0}AS" }),
        Refusal(name: "ESC in invoice number", field: "data.invoice_number", change: data { $0["invoice_number"] = "10023\u{1B}[31m" }),
        Refusal(name: "BEL in a nested text", field: "data.lines[0].text", change: data { $0["lines"] = [["text": "a\u{7}"]] }),
        Refusal(name: "C1 control in creditor", field: "data.creditor", change: data { $0["creditor"] = "Fjord\u{85}kraft" }),
        Refusal(name: "line break in the name", field: "recipient.name", change: recipient { $0["name"] = "Kari\nNordmann" }),
        Refusal(name: "carriage return in the name", field: "recipient.name", change: recipient { $0["name"] = "Kari\rNordmann" }),
        Refusal(name: "line separator in the case ref", field: "case_ref") { $0["case_ref"] = "inv\u{2028}10023" },
        Refusal(name: "CR/LF in an address line", field: "recipient.address.lines[0]", change: recipient { recipient in
            recipient["address"] = ["lines": ["Storgata 1\r\nX-Injected: 1"], "postal_code": "0155", "city": "Oslo", "country": "NO"]
        }),
        Refusal(name: "NUL in the city", field: "recipient.address.city", change: recipient { recipient in
            recipient["address"] = ["lines": ["Storgata 1"], "postal_code": "0155", "city": "Os\u{0}lo", "country": "NO"]
        }),
        Refusal(name: "a name of 2,000 combining marks", field: "recipient.name", change: recipient { recipient in
            recipient["name"] = "K" + String(repeating: "\u{301}", count: 2_000)
        }),
        Refusal(name: "a creditor of 2,000 clusters made of combining marks", field: "data.creditor", change: data { data in
            data["creditor"] = String(repeating: "a\u{301}\u{302}", count: 1_000)
        }),
        Refusal(name: "expires_at in the past", field: "expires_at") { $0["expires_at"] = "2026-11-01T00:00:00Z"; $0["send_after"] = nil },
        Refusal(name: "send_after in year 1", field: "send_after") { $0["send_after"] = "0001-01-01T00:00:00Z" },
    ]

    @Test("a faulty message is refused and the field at fault is named", arguments: refusals)
    func refusalNamesField(refusal: Refusal) throws {
        let result = try validate(refusal.change)
        let found = errors(result)
        #expect(!found.isEmpty, "must be refused")
        #expect(found.map(\.field).contains(refusal.field), "fields reported: \(found.map(\.field))")
        #expect(found.allSatisfy { !$0.problem.isEmpty })
    }

    @Test("an amount without a currency is refused at data.currency")
    func amountNeedsCurrency() throws {
        let json = """
            {"kind": "payment_plan", "recipient": {"email": "kari@example.no"},
             "data": {"creditor": "Fjordkraft AS", "invoice_number": "10023", "amount": "10", "payment_link": "https://pay.example/abc"}}
            """
        let found = errors(validator.validate(json: Array(json.utf8)))
        #expect(found.map(\.field).contains("data.currency"))
    }

    @Test("a reminder with empty data names every required field")
    func everyRequiredFieldNamed() throws {
        let found = errors(try validate { $0["data"] = Object() })
        let expected: Set = [
            "data.creditor", "data.invoice_number", "data.amount", "data.currency", "data.due_date", "data.deadline",
            "data.payment_link",
        ]
        #expect(Set(found.map(\.field)) == expected)
    }

    @Test("the problem text explains an unknown kind by listing the configured kinds")
    func unknownKindListsKinds() throws {
        let problem = try #require(errors(try validate { $0["kind"] = "dunning" }).first { $0.field == "kind" }?.problem)
        #expect(problem.contains("dunning"))
        for kind in ["collection_notice", "payment_plan", "payment_received", "reminder"] {
            #expect(problem.contains(kind))
        }
    }

    @Test("lengths count Unicode scalars, not bytes nor characters: names, address lines, keys and data text at their limits")
    func lengthsCountScalars() throws {
        let fields: [(path: String, limit: Int, change: @Sendable (String) -> Change)] = [
            ("recipient.name", 200, { text in Self.recipient { $0["name"] = text } }),
            ("case_ref", MessageValidator.maxKeyLength, { text in { $0["case_ref"] = text } }),
            ("data.creditor", MessageValidator.maxTextLength, { text in Self.data { $0["creditor"] = text } }),
            ("recipient.address.lines[0]", 200, { text in Self.recipient { $0["address"] = ["lines": [text], "postal_code": "0155", "city": "Oslo", "country": "NO"] } }),
        ]
        for (path, limit, change) in fields {
            // Two bytes a scalar: as long as allowed in scalars, twice as long in bytes.
            #expect(errors(try validate(change(String(repeating: "ø", count: limit)))).isEmpty, "\(path)")
            let over = errors(try validate(change(String(repeating: "ø", count: limit + 1))))
            #expect(over.map(\.field) == [path], "\(path): \(over)")
            // A character of two scalars counts two.
            let combined = errors(try validate(change(String(repeating: "e\u{301}", count: limit / 2 + 1))))
            #expect(combined.map(\.field) == [path], "\(path): \(combined)")
        }
    }

    @Test("an invalid phone number is not echoed back in full")
    func phoneErrorDoesNotEchoTheNumber() throws {
        let found = errors(try validate(Self.recipient { $0["phone"] = "98765432" }))
        let phoneError = try #require(found.first { $0.field == "recipient.phone" })
        #expect(!phoneError.description.contains("98765432"))
    }

    // MARK: Input that is not an object

    @Test("bytes that are not JSON are refused with one error on the whole input")
    func notJSON() throws {
        let found = errors(validator.validate(json: Array("{\"kind\": \"reminder\",".utf8)))
        #expect(found.count == 1)
        #expect(found.first?.field == "")
        #expect(found.first?.problem.contains("JSON") == true)
    }

    @Test("a JSON array is refused: the message must be an object")
    func arrayRefused() throws {
        let found = errors(validator.validate(json: Array("[{\"kind\": \"reminder\"}]".utf8)))
        #expect(found.count == 1)
        #expect(found.first?.field == "")
        #expect(found.first?.problem.contains("object") == true)
    }

    @Test("a JSON string or number is refused as well", arguments: ["\"reminder\"", "42", "null"])
    func scalarRefused(json: String) throws {
        let found = errors(validator.validate(json: Array(json.utf8)))
        #expect(found.map(\.field) == [""])
    }

    // MARK: Several errors at once

    @Test("every problem in one message is reported, not just the first")
    func severalErrorsReported() throws {
        let result = try validate { root in
            root["kind"] = nil
            root["send_after"] = "soon"
            root["surprise"] = true
            var recipient = root["recipient"] as! Object
            recipient["phone"] = "91234567"
            recipient["tone"] = "harsh"
            root["recipient"] = recipient
            var data = root["data"] as! Object
            data["due_date"] = "tomorrow"
            root["data"] = data
        }
        let fields = Set(errors(result).map(\.field))
        let expected: Set = ["kind", "send_after", "surprise", "recipient.phone", "recipient.tone", "data.due_date"]
        #expect(expected.isSubset(of: fields), "reported: \(fields.sorted())")
        guard case .failure(let failure) = result else { return }
        #expect(failure.description.contains("recipient.phone: "))
    }

    @Test("problems in the data come in field order, nested ones too, the same in every process")
    func dataProblemsInFieldOrder() throws {
        let result = try validate(Self.data { data in
            data["amount"] = "12,5"
            data["due_date"] = "tomorrow"
            data["deadline"] = "2030-02-30"
            data["payment_link"] = "ftp://pay.example"
            data["currency"] = "NOKK"
            data["bad-name"] = "x"
            data["installments"] = [["due_date": "later", "amount": "x", "fee": "y"], ["invoice_date": "z"]]
        })
        #expect(errors(result).map(\.field) == [
            "data.amount", "data.bad-name", "data.currency", "data.deadline", "data.due_date", "data.installments[0].amount",
            "data.installments[0].due_date", "data.installments[0].fee", "data.installments[1].invoice_date", "data.payment_link",
        ])
    }

    @Test("a recipient whose only contact fields are null has no contact point")
    func nullContactFieldsAreNoContactPoint() throws {
        let result = try validate(Self.recipient { recipient in
            recipient["phone"] = NSNull()
            recipient["email"] = NSNull()
            recipient["address"] = NSNull()
        })
        #expect(errors(result).map(\.field).contains("recipient"))
    }
}

/// Typed fields inside lists and objects are checked too, and named by their full path.
@Suite struct NestedDataValidationTests {
    @Test("a bad date or amount inside installments is named with its index")
    func nestedErrors() throws {
        let json = #"{"kind":"payment_plan","recipient":{"phone":"+4791234567"},"data":{"creditor":"A","invoice_number":"1","amount":"10","currency":"NOK","payment_link":"https://pay.example/x","installments":[{"due_date":"2026-12-01","amount":"5"},{"due_date":"1 Jan","amount":"five"}]}}"#
        guard case .failure(let failure) = MessageValidator(kinds: KindRule.shipped).validate(json: Array(json.utf8)) else {
            Issue.record("accepted a bad instalment")
            return
        }
        #expect(Set(failure.errors.map(\.field)) == ["data.installments[1].due_date", "data.installments[1].amount"])
    }
}

/// Numbers no decimal can hold are refused at their own field, not with a decoder dump.
@Suite struct OutOfRangeNumberTests {
    @Test("1e-300 and 1e400 in data are refused naming the field", arguments: ["1e-300", "1e400", "-1e400", "1E+400"])
    func outOfRange(number: String) {
        let json = #"{"kind":"payment_received","recipient":{"email":"kari@example.no"},"data":{"creditor":"A","invoice_number":"1","amount":\#(number),"currency":"NOK"}}"#
        guard case .failure(let failure) = MessageValidator(kinds: KindRule.shipped).validate(json: Array(json.utf8)) else {
            Issue.record("accepted \(number)")
            return
        }
        #expect(failure.errors.map(\.field) == ["data.amount"])
        #expect(!failure.description.contains("DecodingError") && !failure.description.contains("codingPath"), "\(failure.description)")
    }

    @Test("deep inside a list the path names the element")
    func nested() {
        let json = #"{"kind":"payment_plan","recipient":{"phone":"+4791234567"},"data":{"installments":[{"amount":"5"},{"amount":1e999}]}}"#
        guard case .failure(let failure) = MessageValidator(kinds: KindRule.shipped).validate(json: Array(json.utf8)) else {
            Issue.record("accepted 1e999")
            return
        }
        #expect(failure.errors.map(\.field) == ["data.installments[1].amount"])
    }
}

