/// The types Varsel knows for well-known template data fields, so they can be checked on enqueue
/// and formatted for the locale at render time.
public enum DataFieldType: Sendable, Hashable {
    /// A decimal amount in the message's `currency`: `"1250.00"` or `1250`.
    case money
    /// An ISO 4217 code such as `NOK`.
    case currency
    /// A calendar date `YYYY-MM-DD`.
    case date
    /// An `https://` or `http://` URL.
    case url
    /// Anything printable.
    case text

    /// Field name → type; fields not listed are text.
    public static let known: [String: DataFieldType] = [
        "amount": .money, "fee": .money, "original_amount": .money, "interest": .money,
        "currency": .currency,
        "due_date": .date, "deadline": .date, "invoice_date": .date, "paid_date": .date, "first_due_date": .date,
        "payment_link": .url,
    ]

    public static func of(_ field: String) -> DataFieldType { known[field] ?? .text }
}
