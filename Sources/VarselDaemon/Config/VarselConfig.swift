import Foundation
import VarselCore
import VarselGateways
import VarselPostgres
import VarselStore

/// The effective configuration (docs/configuration.md): YAML file over built-in defaults, environment over both.
public struct VarselConfig: Sendable {
    public struct Server: Sendable {
        public var host: String
        public var port: Int
        /// Largest request body accepted, except batches.
        public var maxBodyBytes: Int
        /// Largest NDJSON batch body accepted.
        public var maxBatchBytes: Int
        /// Most lines in one batch.
        public var maxBatchLines: Int
        /// Most batches handled at once; more get 503 with `Retry-After`.
        public var maxConcurrentBatches: Int = 2
        /// Tokens for automated deployments, one per line: `<scopes> <token>` (e.g. `enqueue,read s3cr3t`).
        public var staticTokens: [(scopes: [String], token: String)]
    }

    public struct Store: Sendable {
        public enum Backend: String, Sendable, CaseIterable {
            case sqlite
            case postgres
        }

        public var backend: Backend
        /// The SQLite file; with PostgreSQL its directory still holds the daemon's own state (the
        /// last good template set).
        public var path: String
        public var synchronous: SQLiteMessageStore.Synchronous
        /// With `backend: postgres`: where and how to connect (the password read, never printed).
        public var postgres: PostgresSettings?
        /// Where the PostgreSQL password comes from (`password_file <path>`, `password_env <NAME>`), for `config check`.
        public var passwordSource: String?
    }

    public struct Templates: Sendable {
        public var directory: String
        public var defaultLocale: String
        /// `templates check` and reloads warn about an SMS that takes more parts with the sample data.
        public var smsMaxParts: Int
    }

    /// Operator-edited collection plans (docs/plans.md).
    public struct Plans: Sendable {
        /// Where the plans are, one `<name>.yaml` each.
        public var directory: String
        /// `directory`, by its key's name (`plans.dir`).
        public var dir: String { directory }
        /// Country → timing, for plans that do not set `timing:` (`plans.timing`).
        public var timingByCountry: [String: PlanTiming] = [:]
        /// A learned send hour counts a send as paid when paid within this many days (`plans.learn_paid_within_days`).
        public var learnPaidWithinDays = 14
        /// … and learns from the sends of this many days before (`plans.learn_lookback_days`).
        public var learnLookbackDays = 180
        /// How long the counts a learned hour reads are reused before the store is read again (not a
        /// key: ten minutes; the simulated demo, whose clock runs fast, sets hours).
        public var learnRefresh: TimeInterval = 600

        /// The timing of `plan`: its own, else its country's, else fixed.
        public func timing(of plan: CollectionPlan) -> PlanTiming { plan.timing ?? timingByCountry[plan.country] ?? .fixed }
    }

    public struct Dispatch: Sendable {
        public var channelOrder: [Channel]
        /// Messages leased per round.
        public var batchSize: Int
        /// Sends in flight across all gateways.
        public var maxInFlight: Int
        public var leaseSeconds: Double
        /// How often to look for due messages when the queue seemed empty.
        public var pollIntervalMilliseconds: Int
        /// This worker's name on its leases; a restart reclaims leases held under the same name.
        public var workerID: String
        /// How long a stopping daemon waits for sends in flight before giving up on them.
        public var shutdownGraceSeconds: Double
    }

    /// What a failed send leads to (`fallback.*`).
    /// GDPR retention, counted from a message's terminal state (sent, delivered, failed, expired, cancelled).
    public struct Retention: Sendable {
        public var enabled: Bool
        /// Rendered content, contact data and raw receipts are deleted after this many days.
        public var personalDataDays: Int
        /// The whole record (ids, states, template versions, content hashes, trail) after this many.
        public var recordDays: Int
        /// How often the daemon sweeps.
        public var sweepInterval: TimeInterval

        /// The cut-offs for a sweep at `now`.
        public func cutoffs(now: Date) -> (personalData: Date, records: Date) {
            (now.addingTimeInterval(-Double(personalDataDays) * 86_400), now.addingTimeInterval(-Double(recordDays) * 86_400))
        }
    }

    public struct Fallback: Sendable {
        /// A permanent failure moves the message to its next usable channel.
        public var onPermanentFailure: Bool
        /// A receipt saying undelivered/failed/expired/rejected does too.
        public var onFailedReceipt: Bool
        /// A message sent through a gateway that reports receipts, with no final receipt this long
        /// after the gateway accepted it, does too; 0 never.
        public var receiptTimeout: TimeInterval = 72 * 3600
    }

    public var file: String?
    public var server: Server
    public var store: Store
    public var templates: Templates
    public var plans: Plans
    public var dispatch: Dispatch
    /// Channel → gateway names, in failover order.
    public var channels: [Channel: [String]]
    public var gateways: [String: GatewayConfiguration]
    /// The gateways with `receipts` configured: the only ones a receipt can be sent for.
    public var receiptGateways: Set<String> { Set(gateways.values.filter { $0.receipts != nil }.map(\.name)) }
    public var planning: PlanningPolicy
    public var retry: RetryPolicy
    public var fallback: Fallback
    public var retention: Retention
    public var frequencyCap: FrequencyCap
    public var contactWindows: ContactWindows
    /// Deferred messages are spread over this long after a window opens, so 08:00 is not a thundering herd.
    public var windowSpread: TimeInterval

    /// The gateway a channel sends through now: its first configured gateway.
    public func gateway(for channel: Channel) -> String? { channels[channel]?.first }
}
