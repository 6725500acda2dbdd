import Foundation
import VarselCore

/// Transactional intake (the outbox pattern): producers insert messages with SQL inside their own
/// transactions (`SELECT varsel.enqueue('{…}'::jsonb)`); a daemon takes the committed rows,
/// validates each like an API request, and queues it or keeps its error. Only stores a producer can
/// reach with SQL have it.
public protocol IntakeStore: Sendable {
    /// Takes up to `limit` intake rows no daemon is taking, in one transaction: a row `validate`
    /// accepts is stored as a message (with the idempotency of `enqueue`: a known key with the same
    /// request names the existing message, with a different one is a rejection); a row it rejects
    /// keeps its payload and the error.
    func takeIntake(limit: Int, now: Date, caseStops: CaseStopPolicy, validate: @escaping @Sendable (Data) async -> Result<MessageRequest, IntakeRejection>) async throws -> IntakeBatch

    /// Rejected intake rows, newest first, before `before` (an intake id) when given.
    func intakeErrors(limit: Int, before: Int64?) async throws -> [IntakeError]
}

/// Why an intake row was not queued: the same text the API would answer.
public struct IntakeRejection: Error, Sendable, Hashable {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }
}

/// What one `takeIntake` did.
public struct IntakeBatch: Sendable, Hashable {
    /// Intake id → message id, for the rows queued (or found to be a known message).
    public var accepted: [Int64: String] = [:]
    /// Intake id → error.
    public var rejected: [Int64: String] = [:]

    public init() {}

    public var isEmpty: Bool { accepted.isEmpty && rejected.isEmpty }
}

/// A rejected intake row, as `GET /v1/intake/errors` shows it.
public struct IntakeError: Sendable, Hashable {
    public let intakeID: Int64
    public let receivedAt: Date
    public let rejectedAt: Date
    public let error: String
    /// What the producer sent, as stored (JSON).
    public let payload: String?

    public init(intakeID: Int64, receivedAt: Date, rejectedAt: Date, error: String, payload: String?) {
        self.intakeID = intakeID
        self.receivedAt = receivedAt
        self.rejectedAt = rejectedAt
        self.error = error
        self.payload = payload
    }
}

/// A store that tells of new work at once (PostgreSQL's `LISTEN/NOTIFY`): a message stored by any
/// daemon or by SQL, a lease reclaimed, a message sent back to the queue.
public protocol WorkNotifying: Sendable {
    /// Calls `onWork` for each notice until the task is cancelled; throws when the connection is lost
    /// (the caller listens again after a pause).
    func listenForWork(_ onWork: @escaping @Sendable () -> Void) async throws
}
