import VarselStore

/// Messages the send loop read and has not claimed yet, and when the oldest of them was read: the
/// batches the commits of its plans read (SQLite), each planned while the plan before it commits.
///
/// A claim's lease runs from the read (`LeaseClaim.expiresAt`), so messages held while the loop waited
/// for sends to end are not used once older than `freshFor` (a second unless set otherwise): they are
/// read again, and every lease keeps nearly its whole `lease_seconds` (and the batch the queue's
/// order).
struct ReadAhead {
    static let freshFor: Duration = .seconds(1)

    let freshFor: Duration
    private var messages: [LeasedMessage] = []
    private var readAt = ContinuousClock.now

    init(freshFor: Duration = Self.freshFor) {
        self.freshFor = freshFor
    }

    /// How many messages are held.
    var count: Int { messages.count }

    /// The held messages' ids: a read made while they are held must not return them again.
    var ids: [String] { messages.map(\.lease.messageID) }

    /// Keeps `more` after those held, read at `now`.
    mutating func keep(_ more: [LeasedMessage], readAt now: ContinuousClock.Instant) {
        if messages.isEmpty { readAt = now }
        messages += more
    }

    /// Takes up to `limit` of the held messages, oldest first, and keeps the rest, if they are still
    /// fresh at `now`; if not, drops them all (they are read again) and takes nothing.
    mutating func take(limit: Int, now: ContinuousClock.Instant) -> (messages: [LeasedMessage], readAt: ContinuousClock.Instant) {
        guard isFresh(readAt, now: now) else {
            messages = []
            return ([], readAt)
        }
        let taken = Array(messages.prefix(limit))
        messages.removeFirst(taken.count)
        return (taken, readAt)
    }

    /// Drops every held message: a failed commit leaves what it read unknown.
    mutating func drop() { messages = [] }

    /// Whether messages read at `read` may still be claimed at `now`.
    func isFresh(_ read: ContinuousClock.Instant, now: ContinuousClock.Instant) -> Bool { now - read <= freshFor }
}
