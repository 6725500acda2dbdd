import Foundation
import Logging
import VarselStore

/// The daily retention sweep inside the daemon, and `varsel purge`: deletes personal data, then whole
/// records, of messages whose terminal state is older than the configured periods.
public enum RetentionSweep {
    /// One sweep at `now`.
    public static func run(store: any MessageStore, retention: VarselConfig.Retention, dryRun: Bool, now: Date) async throws -> RetentionOutcome {
        let cutoffs = retention.cutoffs(now: now)
        return try await store.sweepRetention(contentBefore: cutoffs.personalData, recordsBefore: cutoffs.records, dryRun: dryRun, now: now)
    }

    /// Sweeps now and then every `retention.sweepInterval` until cancelled; a failed sweep is logged
    /// and tried again at the next interval.
    static func loop(store: any MessageStore, retention: VarselConfig.Retention, metrics: VarselMetrics, logger: Logger) async {
        guard retention.enabled else { return }
        while !Task.isCancelled {
            do {
                let outcome = try await run(store: store, retention: retention, dryRun: false, now: Date())
                metrics.retentionSwept(outcome)
                if outcome.contentPurged > 0 || outcome.recordsDeleted > 0 {
                    logger.notice("retention sweep", metadata: [
                        "personal_data_deleted": "\(outcome.contentPurged)", "records_deleted": "\(outcome.recordsDeleted)",
                        "personal_data_days": "\(retention.personalDataDays)", "record_days": "\(retention.recordDays)",
                    ])
                }
            } catch {
                logger.error("retention sweep failed; trying again at the next interval", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(retention.sweepInterval))
        }
    }
}
