import Logging

/// Pings the systemd watchdog only while the dispatch loop shows it is alive: the loop records a
/// heartbeat on every turn (at least every `dispatch.poll_interval_ms` when idle), and a loop stuck
/// inside one turn stops the pings, so systemd restarts the service after `WatchdogSec=`.
public enum Watchdog {
    /// Whether a heartbeat at `lastBeat` is recent enough to vouch for the loop.
    public static func isAlive(lastBeat: ContinuousClock.Instant, now: ContinuousClock.Instant, timeout: Duration) -> Bool {
        now - lastBeat < timeout / 2
    }

    /// Pings every `timeout / 4` while alive, until cancelled.
    public static func run(
        notifier: SystemdNotifier, timeout: Duration, lastBeat: @escaping @Sendable () -> ContinuousClock.Instant, logger: Logger
    ) async {
        var stalled = false
        while !Task.isCancelled {
            let now = ContinuousClock.now
            if isAlive(lastBeat: lastBeat(), now: now, timeout: timeout) {
                notifier.watchdog()
                if stalled { logger.notice("dispatch loop is making progress again; watchdog pings resumed") }
                stalled = false
            } else if !stalled {
                stalled = true
                logger.critical("dispatch loop has made no progress; watchdog pings stopped so systemd can restart the service", metadata: [
                    "stalled_for": "\(now - lastBeat())",
                ])
            }
            try? await Task.sleep(for: timeout / 4)
        }
    }
}
