import Foundation

/// What a country's collection law asks of reminders and collection notices, as numbers Varsel can
/// check (docs/collection-rules.md gives each number with its source). Defaults ship in
/// `CollectionRules.shipped`; the configuration may change them (`collection_rules.countries`), and
/// a creditor's overrides may only make them stricter.
public struct CountryRules: Sendable, Hashable {
    /// When a collection notice's deadline starts to run.
    public enum NoticeStart: String, Sendable, Hashable, CaseIterable {
        /// On the day it is sent.
        case sending
        /// On the day the debtor is presumed to have received it (`presumedReceiptDays` per channel).
        case presumedReceipt = "presumed_receipt"
    }

    /// On what condition a channel counts as a written collection notice.
    public enum WrittenNotice: String, Sendable, Hashable, CaseIterable {
        case always
        case never
        /// Only to an address the debtor has used with the creditor (a dated `used_address` consent).
        case usedAddress = "used_address"
        /// Only with the debtor's separate consent, dated and possibly time-limited (`electronic_notice`).
        case consent
    }

    public var country: String
    /// The fewest days between the notice's start (`noticeCountsFrom`) and its stated deadline.
    public var noticeMinimumDays: Int
    public var noticeCountsFrom: NoticeStart
    /// Days after sending a notice is presumed received, per channel (only with `presumedReceipt`).
    public var presumedReceiptDays: [Channel: Int]
    /// The fewest days after the due date a reminder may go.
    public var reminderEarliestDaysAfterDue: Int
    /// The fewest days after the due date a reminder may carry a fee.
    public var feeEarliestDaysAfterDue: Int
    /// The largest reminder fee, in `feeCurrency`; nil: no cap.
    public var feeCap: String?
    public var feeCurrency: String?
    /// A fee only when the debtor agreed to it when the debt arose (`data.fee_agreed: true`).
    public var feeRequiresAgreement: Bool
    /// How many reminders of one case may carry a fee; nil: no limit.
    public var feeRemindersMax: Int?
    /// The fewest days between two fee-bearing reminders of one case.
    public var feeRemindersMinDaysApart: Int
    /// The fewest days between two steps (reminders, notices) of one case.
    public var stepsMinDaysApart: Int
    /// The most days between two steps of one case that our guidance allows without a note; nil: none.
    public var stepsMaxDaysApart: Int?
    /// Which channels count as a written collection notice, and on what condition. A channel not
    /// listed never counts.
    public var noticeChannels: [Channel: WrittenNotice]
    /// Where each rule comes from, by configuration key (`notice_minimum_days`: "inkassoloven § 9").
    public var sources: [String: String]

    public init(
        country: String, noticeMinimumDays: Int = 0, noticeCountsFrom: NoticeStart = .sending, presumedReceiptDays: [Channel: Int] = [:],
        reminderEarliestDaysAfterDue: Int = 0, feeEarliestDaysAfterDue: Int = 0, feeCap: String? = nil, feeCurrency: String? = nil,
        feeRequiresAgreement: Bool = false, feeRemindersMax: Int? = nil, feeRemindersMinDaysApart: Int = 0, stepsMinDaysApart: Int = 0,
        stepsMaxDaysApart: Int? = nil, noticeChannels: [Channel: WrittenNotice] = [.letter: .always, .email: .always], sources: [String: String] = [:]
    ) {
        self.country = country
        self.noticeMinimumDays = noticeMinimumDays
        self.noticeCountsFrom = noticeCountsFrom
        self.presumedReceiptDays = presumedReceiptDays
        self.reminderEarliestDaysAfterDue = reminderEarliestDaysAfterDue
        self.feeEarliestDaysAfterDue = feeEarliestDaysAfterDue
        self.feeCap = feeCap
        self.feeCurrency = feeCurrency
        self.feeRequiresAgreement = feeRequiresAgreement
        self.feeRemindersMax = feeRemindersMax
        self.feeRemindersMinDaysApart = feeRemindersMinDaysApart
        self.stepsMinDaysApart = stepsMinDaysApart
        self.stepsMaxDaysApart = stepsMaxDaysApart
        self.noticeChannels = noticeChannels
        self.sources = sources
    }

    /// "(source)" for a rule's key, or "" when none is recorded.
    public func source(_ key: String) -> String { sources[key].map { " (\($0))" } ?? "" }

    /// The days a notice sent by `channel` needs between sending and its deadline.
    public func noticeDays(channel: Channel?) -> Int {
        guard noticeCountsFrom == .presumedReceipt else { return noticeMinimumDays }
        // Without a channel yet (at enqueue), the quickest written channel: a later check per channel follows.
        let receipt = channel.map { presumedReceiptDays[$0] ?? 0 }
            ?? noticeChannels.filter { $0.value != .never }.keys.map { presumedReceiptDays[$0] ?? 0 }.min() ?? 0
        return noticeMinimumDays + receipt
    }
}
