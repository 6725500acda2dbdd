import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals
import VarselCore
import VarselStore
import VarselTemplates

/// The daemon's parts as ServiceLifecycle services, run in one `ServiceGroup`. The group shuts
/// services down in the reverse of their order, each after the one before has returned: the
/// dispatcher first (it stops leasing and drains while the API still takes receipts for the sends in
/// flight), then the background services, then the API.
enum DaemonServices {
    /// The dispatcher: runs until graceful shutdown (or cancellation), then stops leasing and records
    /// or abandons the sends in flight within `dispatch.shutdown_grace_seconds`.
    struct Dispatch: Service {
        let dispatcher: Dispatcher
        let notifier: SystemdNotifier?
        let logger: Logger

        func run() async throws {
            await withTaskCancellationHandler {
                await withGracefulShutdownHandler {
                    await dispatcher.run()
                } onGracefulShutdown: {
                    logger.notice("stopping: no more leases; sends in flight are drained while the API still takes receipts")
                    notifier?.stopping()
                    dispatcher.requestStop()
                }
            } onCancel: {
                dispatcher.requestStop()
            }
        }
    }

    /// A loop that runs until graceful shutdown, which cancels it (template reloads, the systemd
    /// status line and watchdog, the retention sweep). One with nothing to do (no systemd, retention
    /// off, a store without intake) waits for the shutdown all the same: a service that returns
    /// while the group is shutting down, before its turn, fails the group.
    struct Background: Service {
        let name: String
        let body: @Sendable () async -> Void

        func run() async throws {
            await cancelWhenGracefulShutdown {
                await body()
            }
            try? await gracefulShutdown()
        }
    }

    /// What runs beside the API and the dispatcher: template reloads on SIGHUP (with `RELOADING=1` …
    /// `READY=1`) and on file changes, the systemd status line and watchdog, and the retention sweep.
    /// The watchdog and the sweep start once the API serves (`ready`).
    static func background(
        _ components: Daemon.Components, hangups: UnixSignalsSequence, notifier: SystemdNotifier?, ready: ReadySignal, logger: Logger
    ) -> [Background] {
        let store = components.store
        let config = components.config
        let intakeWakeup = Wakeup()
        return [
            Background(name: "template reloads on SIGHUP") {
                for await _ in hangups {
                    notifier?.reloading()
                    components.templates.reload(reason: "SIGHUP")
                    notifier?.ready(status: await ServiceStatus.text(components))
                }
            },
            Background(name: "template watch") { await components.templates.watch() },
            Background(name: "run heartbeat") {
                // Other daemons judge this run alive by its process (same host) or this heartbeat.
                // Its count of live daemons gives each its share of every gateway's rate limit.
                let interval = min(5, config.dispatch.leaseSeconds / 3)
                while !Task.isCancelled {
                    do {
                        let now = Date()
                        try await store.heartbeat(runID: components.run.runID, now: now)
                        let live = RunLiveness.liveCount(try await store.activeRuns(), now: now, within: interval * 3)
                        components.dispatcher.shareRateLimits(among: live)
                    } catch {
                        logger.warning("cannot record the run's heartbeat", metadata: ["error": "\(error)"])
                    }
                    try? await Task.sleep(for: .milliseconds(Int(interval * 1000)))
                }
            },
            Background(name: "wake-ups from the database") {
                // LISTEN/NOTIFY: work stored by any daemon or by SQL is picked up at once, not at the next poll.
                guard let notifying = store as? any WorkNotifying else { return }
                var failures = 0
                while !Task.isCancelled {
                    do {
                        try await notifying.listenForWork {
                            components.dispatcher.poke()
                            intakeWakeup.signal()
                        }
                        failures = 0
                    } catch {
                        failures += 1
                        logger.warning("not listening for new work (polling meanwhile); trying again", metadata: ["error": "\(error)"])
                    }
                    try? await Task.sleep(for: RetryDelay.after(failures: failures))
                }
            },
            Background(name: "transactional intake") {
                guard let intake = store as? any MessageStore & IntakeStore else { return }
                let processor = IntakeProcessor(
                    store: intake, validator: MessageValidator(kinds: config.planning.kinds, collectionRules: config.planning.collectionRules, dataChecking: components.templates.dataChecking), logger: logger)
                await processor.loop(wakeup: intakeWakeup, interval: .milliseconds(max(config.dispatch.pollIntervalMilliseconds, 1000)))
            },
            Background(name: "systemd status") {
                guard let notifier else { return }
                await ServiceStatus.report(components, to: notifier, every: .seconds(5))
            },
            Background(name: "retention sweep") {
                guard await ready.wait() else { return }
                await RetentionSweep.loop(store: store, retention: config.retention, metrics: components.metrics, logger: logger)
            },
            Background(name: "watchdog") {
                guard let notifier, let timeout = notifier.watchdogTimeout else { return }
                // systemd watches from READY=1 on; feeding starts then.
                guard await ready.wait() else { return }
                await Watchdog.run(notifier: notifier, timeout: timeout, lastBeat: { components.dispatcher.lastBeat }, logger: logger)
            },
        ]
    }
}

/// Set once `READY=1` went out; what waits for it resumes then (or when cancelled).
final class ReadySignal: Sendable {
    private struct State {
        var isSet = false
        var waiters: [UInt64: CheckedContinuation<Bool, Never>] = [:]
        var next: UInt64 = 0
    }

    private let state = Mutex(State())

    var isSet: Bool { state.withLock { $0.isSet } }

    func set() {
        let waiters = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            state.isSet = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: true) }
    }

    /// `true` once set; `false` when the waiting task was cancelled first.
    func wait() async -> Bool {
        let id = state.withLock { state -> UInt64 in
            state.next += 1
            return state.next
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool? in
                    if state.isSet { return true }
                    if Task.isCancelled { return false }
                    state.waiters[id] = continuation
                    return nil
                }
                if let resumeNow { continuation.resume(returning: resumeNow) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume(returning: false)
        }
    }
}
