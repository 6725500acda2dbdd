/// What a kind of message demands, from configuration (`kinds.<name>`).
public struct KindRule: Sendable, Hashable {
    public var name: String
    /// Channels this kind may use; `nil` allows all.
    public var allowedChannels: Set<Channel>?
    /// Why other channels are not allowed, for the decision trail.
    public var channelRuleReason: String?
    /// Data fields every message of this kind must carry.
    public var requiredData: [String]
    /// Country → the fewest days allowed between sending and the stated `deadline`; a message that
    /// would state less is held as failed, never sent.
    public var minimumDeadlineDays: [String: Int]
    /// Whether messages of this kind ask for payment: a case stopped by `paid`, `disputed` or
    /// `plan_agreed` cancels and refuses them. False for a receipt or a plan's confirmation.
    public var demandsPayment: Bool
    /// What step of collection the kind is, for the country rules (reminders, notices, or neither).
    public var legalStep: LegalStep

    public init(
        name: String, allowedChannels: Set<Channel>? = nil, channelRuleReason: String? = nil, requiredData: [String] = [],
        minimumDeadlineDays: [String: Int] = [:], demandsPayment: Bool = true, legalStep: LegalStep = .none
    ) {
        self.demandsPayment = demandsPayment
        self.legalStep = legalStep
        self.name = name
        self.allowedChannels = allowedChannels
        self.channelRuleReason = channelRuleReason
        self.requiredData = requiredData
        self.minimumDeadlineDays = minimumDeadlineDays
    }

    static let reminderData = ["creditor", "invoice_number", "amount", "currency", "due_date", "deadline", "payment_link"]

    /// The kinds Varsel ships, as configured when the configuration says nothing else.
    public static let shipped: [String: KindRule] = [
        "reminder": KindRule(name: "reminder", requiredData: reminderData, legalStep: .reminder),
        "collection_notice": KindRule(
            name: "collection_notice", allowedChannels: [.email, .letter],
            channelRuleReason: "a collection notice must be written (letter or email); SMS alone never counts",
            requiredData: reminderData, minimumDeadlineDays: ["NO": 14, "SE": 8, "DK": 10, "FI": 10], legalStep: .collectionNotice),
        "payment_plan": KindRule(
            name: "payment_plan", requiredData: ["creditor", "invoice_number", "amount", "currency", "payment_link", "installments"], demandsPayment: false),
        "payment_received": KindRule(name: "payment_received", requiredData: ["creditor", "invoice_number", "amount", "currency"], demandsPayment: false),
    ]
}
