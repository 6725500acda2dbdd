import VarselStore

/// The send loop's next batch, as the commit of the plan before it read it (SQLite), and when.
///
/// A claim's lease runs from the read (`LeaseClaim.expiresAt`), so a batch held while the loop waited
/// for sends to end is not used once it is older than `freshFor` (a second unless set otherwise): it
/// is read again, and every lease keeps nearly its whole `lease_seconds` (and the batch the queue's
/// order).
struct ReadAhead {
    static let freshFor: Duration = .seconds(1)

    let freshFor: Duration
    private var messages: [LeasedMessage] = []
    private var readAt = ContinuousClock.now

    init(freshFor: Duration = Self.freshFor) {
        self.freshFor = freshFor
    }

    /// Keeps `messages`, read at `now`.
    mutating func keep(_ messages: [LeasedMessage], readAt now: ContinuousClock.Instant) {
        self.messages = messages
        readAt = now
    }

    /// Takes up to `limit` of the batch if it is still fresh at `now`; empty otherwise. Either way the
    /// batch is gone: what is not taken is read again with the next plan.
    mutating func take(limit: Int, now: ContinuousClock.Instant) -> [LeasedMessage] {
        defer { messages = [] }
        guard now - readAt <= freshFor else { return [] }
        return Array(messages.prefix(limit))
    }
}
