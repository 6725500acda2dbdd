import Foundation
import Logging
import UnixSignals
import VarselTemplates

extension Daemon {
    /// What runs beside the API and the dispatcher while serving: template reloads on SIGHUP (with
    /// `RELOADING=1` … `READY=1`) and on file changes, the systemd status line and watchdog, and the
    /// retention sweep. Cancel them all when serving ends.
    static func backgroundTasks(
        _ components: Components, hangups: UnixSignalsSequence, notifier: SystemdNotifier?, announced: ReadyFlag, logger: Logger
    ) -> [Task<Void, Never>] {
        let store = components.store
        let config = components.config
        let reloader = Task {
            for await _ in hangups {
                notifier?.reloading()
                components.templates.reload(reason: "SIGHUP")
                notifier?.ready(status: await ServiceStatus.text(components))
            }
        }
        let statusReporter = Task {
            guard let notifier else { return }
            await ServiceStatus.report(components, to: notifier, every: .seconds(5))
        }
        let retention = Task {
            while !announced.isSet, !Task.isCancelled { try? await Task.sleep(for: .milliseconds(50)) }
            await RetentionSweep.loop(store: store, retention: config.retention, metrics: components.metrics, logger: logger)
        }
        let watchdog = Task {
            guard let notifier, let timeout = notifier.watchdogTimeout else { return }
            // systemd watches from READY=1 on; feeding starts then.
            while !announced.isSet, !Task.isCancelled { try? await Task.sleep(for: .milliseconds(20)) }
            await Watchdog.run(notifier: notifier, timeout: timeout, lastBeat: { components.dispatcher.lastBeat }, logger: logger)
        }
        let templateWatch = Task { await components.templates.watch() }
        return [reloader, statusReporter, retention, watchdog, templateWatch]
    }
}
