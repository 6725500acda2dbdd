import Foundation
import VarselCore
import VarselStore
import VarselTemplates

/// The one-line `STATUS=` systemd shows in `systemctl status varsel`: queue depth, sends in
/// flight, the send rate, and the template set in force.
enum ServiceStatus {
    static func text(_ components: Daemon.Components, rate: Double? = nil) async -> String {
        let counts = (try? await components.store.countByState()) ?? [:]
        var parts = ["\(counts[.queued] ?? 0) queued", "\(components.dispatcher.sendsInFlight) in flight"]
        if let rate { parts.append(String(format: "%.1f sends/s", rate)) }
        parts.append("\(components.templates.current.keys.count) template variants")
        if !components.templates.problems.isEmpty { parts.append("last template reload failed") }
        return parts.joined(separator: ", ")
    }

    /// Sends the status every `interval` with the send rate over that interval, until cancelled.
    static func report(_ components: Daemon.Components, to notifier: SystemdNotifier, every interval: Duration) async {
        var last = (sends: components.dispatcher.recordedSends, at: ContinuousClock.now)
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            let now = (sends: components.dispatcher.recordedSends, at: ContinuousClock.now)
            let seconds = Double((now.at - last.at).components.seconds) + Double((now.at - last.at).components.attoseconds) / 1e18
            notifier.status(await text(components, rate: seconds > 0 ? Double(now.sends - last.sends) / seconds : 0))
            last = now
        }
    }
}
