import Prometheus

/// The daemon's metrics, served at `GET /metrics` in the Prometheus text format. Each daemon owns
/// its registry, so tests that run several in one process do not share counts.
public final class VarselMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()

    let templateReloadsApplied: Counter
    let templateReloadsRejected: Counter
    let templateErrors: Gauge
    let templateWarnings: Gauge
    let templateVariants: Gauge

    public init() {
        let reloads = MetricNameDescriptor(
            namespace: "varsel", subsystem: "template", metricName: "reloads", unitName: "total",
            helpText: "Template set reloads (SIGHUP or a file change) by result: applied, or rejected with errors while the last good set stays.")
        templateReloadsApplied = registry.makeCounter(descriptor: reloads, labels: [("result", "applied")])
        templateReloadsRejected = registry.makeCounter(descriptor: reloads, labels: [("result", "rejected")])
        templateErrors = registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "varsel", subsystem: "template", metricName: "errors", unitName: "",
            helpText: "Errors found in the template directory at the last load; above 0, the last good set is still in force."))
        templateWarnings = registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "varsel", subsystem: "template", metricName: "warnings", unitName: "",
            helpText: "Warnings of the template set in force, e.g. an SMS above templates.sms_max_parts."))
        templateVariants = registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "varsel", subsystem: "template", metricName: "variants", unitName: "",
            helpText: "Template variants (kind, locale, tone, channel) in the set in force."))
    }

    /// The exposition text.
    public func exposition() -> String { registry.emitToString() }

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
}
