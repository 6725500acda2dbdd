/// What a message's payment codes ask the debtor to pay, and by when (docs/payments.md, "Payment
/// codes"). A code fills in the bank app's amount, so it must carry what the letter asks for, which
/// depends on the kind:
///
/// - `reminder`: `amount` + `fee` when a fee is charged (the shipped reminders ask for the total),
///   else `amount`; by `deadline`, else `due_date`.
/// - `collection_notice`: `amount` only. Its `fee` is the collection cost that *may* be added if the
///   claim goes to collection, not something owed now; by `deadline`, else `due_date`.
/// - Any other kind: nothing. A payment plan is paid instalment by instalment (a code with the plan's
///   total would ask for too much), a thank-you asks for nothing, and an operator's own kind says
///   nothing Varsel can read about what its `amount` means.
public struct PaymentDue: Sendable, Hashable {
    /// ISO 4217, upper case.
    public let currency: String
    /// The amount in cents (hundredths of the currency unit); nil when the message has no usable
    /// amount (missing, negative, or more than 12 integer digits).
    public let cents: Int?
    /// The date the code asks for: the reminder's own deadline rather than the original due date,
    /// which has passed (a bank app would otherwise schedule the payment late or warn about it).
    public let date: CalendarDate?

    public init(currency: String, cents: Int?, date: CalendarDate?) {
        self.currency = currency.uppercased()
        self.cents = cents
        self.date = date
    }

    /// The kinds that carry codes, and whether the fee is paid now.
    static let feePaidNow: [String: Bool] = ["reminder": true, "collection_notice": false]

    /// What the codes of a message of `kind` with `data` ask for; nil when the kind carries none.
    public static func of(kind: String, data: [String: JSONValue]) -> PaymentDue? {
        guard let feeIncluded = feePaidNow[kind], let currency = data["currency"]?.scalarText else { return nil }
        var cents = data["amount"].flatMap(Self.cents(of:))
        if feeIncluded, let amount = cents, let feeValue = data["fee"] {
            // A fee that is not an amount leaves the total unknown: better no amount than a wrong one.
            cents = Self.cents(of: feeValue).map { amount + $0 }
        }
        let date = [data["deadline"], data["due_date"]].lazy.compactMap { $0?.scalarText.flatMap(RFC3339.parseDate) }.first
        return PaymentDue(currency: currency, cents: cents, date: date)
    }

    /// `1250.5` → 125050: rounded half up to cents, as the amount is printed (`Money.formatted`).
    static func cents(of value: JSONValue) -> Int? {
        guard let text = value.scalarText, let money = Money(text, currency: "EUR"), !money.negative,
              money.integerDigits.count <= 12, let units = Int(money.integerDigits)
        else { return nil }
        let fraction = Array(money.fractionDigits.utf8).map { Int($0 - 0x30) } + [0, 0, 0]
        return units * 100 + fraction[0] * 10 + fraction[1] + (fraction[2] >= 5 ? 1 : 0)
    }
}
