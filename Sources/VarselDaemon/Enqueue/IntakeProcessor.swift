import Foundation
import Logging
import VarselCore
import VarselStore

/// Transactional intake: queues the messages producers inserted with `varsel.enqueue(…)` in their
/// own transactions, validated with the API's rules (the kinds' schemas of the template set in
/// force, stored recipient records) and its idempotency. A rejected row keeps its error for
/// `GET /v1/intake/errors` and `varsel intake errors`; nothing is lost either way.
struct IntakeProcessor: Sendable {
    let store: any MessageStore & IntakeStore
    let validator: MessageValidator
    let logger: Logger
    /// Rows taken per transaction.
    var batchSize = 200

    /// Takes intake rows until none is left; returns how many were queued and rejected.
    func drain(now: @Sendable () -> Date = { Date() }) async throws -> (accepted: Int, rejected: Int) {
        var totals = (accepted: 0, rejected: 0)
        while true {
            // One template set for the batch's rows, looked up once.
            let validator = validator.pinned()
            let store = store
            let batch = try await store.takeIntake(limit: batchSize, now: now(), caseStops: CaseStopPolicy(kinds: validator.kinds)) { payload in
                await Self.validate(payload, validator: validator, store: store)
            }
            totals.accepted += batch.accepted.count
            totals.rejected += batch.rejected.count
            for intakeID in batch.rejected.keys.sorted() {
                // The error may quote what was sent (personal data): it is kept in the store, not logged.
                logger.warning("intake row rejected; its error is kept for GET /v1/intake/errors", metadata: ["intake_id": "\(intakeID)"])
            }
            if batch.accepted.count + batch.rejected.count < batchSize { return totals }
        }
    }

    static func validate(_ payload: Data, validator: MessageValidator, store: any MessageStore) async -> Result<MessageRequest, IntakeRejection> {
        let value: JSONValue
        switch MessageValidator.parse(json: payload) {
        case .success(let parsed): value = parsed
        case .failure(let failure): return .failure(IntakeRejection(failure.description))
        }
        let stored: [String: Recipient]
        do {
            stored = try await store.recordsStandingIn(for: [value])
        } catch {
            return .failure(IntakeRejection("the stored recipient record could not be read: \(error)"))
        }
        return validator.validate(value, stored: stored).mapError { IntakeRejection($0.description) }
    }

    /// Drains on every wake-up, and every `interval` in case a notice was missed.
    func loop(wakeup: Wakeup, interval: Duration) async {
        var failures = 0
        while !Task.isCancelled {
            do {
                let (accepted, rejected) = try await drain()
                if accepted + rejected > 0 {
                    logger.info("intake taken", metadata: ["queued": "\(accepted)", "rejected": "\(rejected)"])
                }
                failures = 0
            } catch {
                failures += 1
                logger.warning("cannot take intake rows; trying again", metadata: ["error": "\(error)"])
            }
            await wakeup.wait(upTo: failures > 0 ? RetryDelay.after(failures: failures) : interval)
        }
    }
}
