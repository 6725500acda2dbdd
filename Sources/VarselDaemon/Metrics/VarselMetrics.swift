import Foundation
import Prometheus
import VarselCore
import VarselStore

/// The daemon's metrics, served at `GET /metrics` in the Prometheus text format. Each daemon owns
/// its registry, so tests that run several in one process do not share counts. No label ever holds
/// personal data: channels, gateway names, outcomes and states only.
///
/// Metrics are made on the swift-prometheus registry directly, with help text for each, because
/// the swift-metrics factory registers names without help and `promtool check metrics` requires it.
public final class VarselMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()

    private static func name(_ subsystem: String, _ metric: String, unit: String = "", help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "varsel", subsystem: subsystem, metricName: metric, unitName: unit, helpText: help)
    }

    static var sends: MetricNameDescriptor { name("", "sends", unit: "total", help: "Send attempts finished, by channel, gateway and outcome (accepted, transient, permanent, ambiguous).") }
    static var sendDuration: MetricNameDescriptor { name("", "send_duration", unit: "seconds", help: "Time from handing a request to libcurl to its answer, by channel and gateway.") }
    static var connectionWait: MetricNameDescriptor {
        name(
            "send", "connection_wait", unit: "seconds",
            help: "Time a send held one of its gateway's slots (its max_connections, and the sends its pace lets wait in the HTTP client's queue) before its request was handed to the HTTP client (the commit that records its attempt), by gateway.")
    }
    static var retries: MetricNameDescriptor { name("", "retries", unit: "total", help: "Failed attempts that put the message back in the queue for another try, by channel.") }
    static var fallbacks: MetricNameDescriptor { name("", "fallbacks", unit: "total", help: "Messages planned again on another channel, by the channel given up and the cause (permanent_failure or receipt).") }
    static var receipts: MetricNameDescriptor { name("", "receipts", unit: "total", help: "Delivery receipts recorded, by gateway and status.") }
    static var retention: MetricNameDescriptor { name("retention", "deleted", unit: "total", help: "Messages whose personal data (what=personal_data) or whole record (what=records) the retention sweep deleted.") }
    static var messages: MetricNameDescriptor { name("", "messages", help: "Messages in the store by state.") }
    static var oldestReady: MetricNameDescriptor { name("queue", "oldest_ready_age", unit: "seconds", help: "How long the oldest message that is due has been waiting; 0 when none is due.") }
    static var liveDaemons: MetricNameDescriptor {
        name("", "live_daemons", help: "Daemons sharing the queue as this one last counted them (at its heartbeat), itself included; each takes that share of every gateway's rate_limit.")
    }
    static var circuitOpen: MetricNameDescriptor { name("gateway", "circuit_open", help: "1 while a gateway's circuit breaker is open (sends go to the channel's next gateway or wait), else 0.") }
    static let connectionWaitBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1),
    ]
    static let latencyBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30),
    ]

    let templateReloadsApplied: Counter
    let templateReloadsRejected: Counter
    let templateErrors: Gauge
    let templateWarnings: Gauge
    let templateVariants: Gauge
    let oldestReady: Gauge

    /// The per-send series, made once per label set: the registry's lookup (label checks, a lock, a
    /// key built from strings) is not redone for every message.
    private struct SendSeries {
        let count: Counter
        let duration: DurationHistogram
    }
    private let sendSeries = SeriesCache<SendSeries>()
    /// `connectionWait` by gateway.
    private let connectionWaitSeries = SeriesCache<DurationHistogram>()

    public init() {
        let reloads = Self.name(
            "template", "reloads", unit: "total",
            help: "Template set reloads (SIGHUP or a file change) by result: applied, or rejected with errors while the last good set stays.")
        templateReloadsApplied = registry.makeCounter(descriptor: reloads, labels: [("result", "applied")])
        templateReloadsRejected = registry.makeCounter(descriptor: reloads, labels: [("result", "rejected")])
        templateErrors = registry.makeGauge(descriptor: Self.name(
            "template", "errors", help: "Errors found in the template directory at the last load; above 0, the last good set is still in force."))
        templateWarnings = registry.makeGauge(descriptor: Self.name(
            "template", "warnings", help: "Warnings of the template set in force, e.g. an SMS above templates.sms_max_parts."))
        templateVariants = registry.makeGauge(descriptor: Self.name(
            "template", "variants", help: "Template variants (kind, locale, tone, channel) in the set in force."))
        oldestReady = registry.makeGauge(descriptor: Self.oldestReady)
        for state in MessageState.allCases { _ = registry.makeGauge(descriptor: Self.messages, labels: [("state", state.rawValue)]) }
    }

    /// The exposition text.
    public func exposition() -> String { registry.emitToString() }

    // MARK: Templates

    func templatesLoaded(variants: Int, warnings: Int, initial: Bool) {
        if !initial { templateReloadsApplied.increment() }
        templateErrors.set(to: 0)
        templateWarnings.set(to: Double(warnings))
        templateVariants.set(to: Double(variants))
    }

    func templatesRejected(errors: Int) {
        templateReloadsRejected.increment()
        templateErrors.set(to: Double(errors))
    }

    // MARK: Sending

    func sendFinished(channel: Channel, gateway: String, outcome: AttemptOutcome, latencyMs: Int) {
        let key = "\(channel.rawValue)\u{0}\(gateway)\u{0}\(outcome.rawValue)"
        let series = sendSeries.series(key) {
            SendSeries(
                count: registry.makeCounter(
                    descriptor: Self.sends, labels: [("channel", channel.rawValue), ("gateway", gateway), ("outcome", outcome.rawValue)]),
                duration: registry.makeDurationHistogram(
                    descriptor: Self.sendDuration, labels: [("channel", channel.rawValue), ("gateway", gateway)], buckets: Self.latencyBuckets))
        }
        series.count.increment()
        series.duration.record(.milliseconds(latencyMs))
    }

    func connectionHeld(gateway: String, beforeSending held: Duration) {
        let histogram = connectionWaitSeries.series(gateway) {
            registry.makeDurationHistogram(descriptor: Self.connectionWait, labels: [("gateway", gateway)], buckets: Self.connectionWaitBuckets)
        }
        histogram.record(held)
    }

    func retried(channel: Channel) {
        registry.makeCounter(descriptor: Self.retries, labels: [("channel", channel.rawValue)]).increment()
    }

    func fellBack(from channel: Channel, cause: String) {
        registry.makeCounter(descriptor: Self.fallbacks, labels: [("channel", channel.rawValue), ("cause", cause)]).increment()
    }

    func receiptRecorded(gateway: String, status: DeliveryStatus) {
        registry.makeCounter(descriptor: Self.receipts, labels: [("gateway", gateway), ("status", status.rawValue)]).increment()
    }

    func retentionSwept(_ outcome: RetentionOutcome) {
        registry.makeCounter(descriptor: Self.retention, labels: [("what", "personal_data")]).increment(by: Int64(outcome.contentPurged))
        registry.makeCounter(descriptor: Self.retention, labels: [("what", "records")]).increment(by: Int64(outcome.recordsDeleted))
    }

    // MARK: Sampled at scrape time

    func sample(counts: [MessageState: Int], oldestReadySince: Date?, now: Date, circuits: [String: Bool], liveDaemons: Int) {
        registry.makeGauge(descriptor: Self.liveDaemons).set(to: Double(liveDaemons))
        for state in MessageState.allCases {
            registry.makeGauge(descriptor: Self.messages, labels: [("state", state.rawValue)]).set(to: Double(counts[state] ?? 0))
        }
        oldestReady.set(to: oldestReadySince.map { max(0, now.timeIntervalSince($0)) } ?? 0)
        for (gateway, open) in circuits {
            registry.makeGauge(descriptor: Self.circuitOpen, labels: [("gateway", gateway)]).set(to: open ? 1 : 0)
        }
    }
}
