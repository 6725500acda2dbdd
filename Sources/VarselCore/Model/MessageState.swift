/// The life cycle of a message, as shown in the status contract.
///
/// `queued` → `sending` (leased by a worker) → `sent` (a gateway accepted it) → `delivered` or `failed`
/// (from a receipt). `failed`, `expired` and `cancelled` can also end a message before it is sent.
public enum MessageState: String, Sendable, Codable, CaseIterable, Hashable {
    case queued
    case sending
    case sent
    case delivered
    case failed
    case expired
    case cancelled

    /// States a message never leaves. `sent` is terminal when no receipt is expected, but a receipt may
    /// still move it to `delivered` or `failed`; it is never sent again.
    public var isTerminal: Bool {
        switch self {
        case .queued, .sending: false
        case .sent, .delivered, .failed, .expired, .cancelled: true
        }
    }
}
