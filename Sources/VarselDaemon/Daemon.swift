import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals
import VarselCore
import VarselGateways
import VarselHTTP
import VarselStore
import VarselTemplates

/// `varsel serve`: opens the store, reclaims leases of a previous run, loads templates, then runs the
/// dispatcher until SIGTERM or SIGINT and drains what is in flight.
public enum Daemon {
    /// Everything `serve` needs, opened and checked. Nothing is leased until this succeeds.
    public struct Components: Sendable {
        public let config: VarselConfig
        public let store: any MessageStore
        public let templates: TemplateReloader
        public let client: CurlHTTPClient
        public let dispatcher: Dispatcher
        public let metrics: VarselMetrics
        /// This run, registered in the store; its run id owns the leases the dispatcher takes.
        public let run: DaemonRun
    }

    /// Opens store and templates and reclaims stale leases. Throws one clear error on bad setup.
    public static func open(config: VarselConfig, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) async throws -> Components {
        let metrics = VarselMetrics()
        // Reading and checking the whole set is CPU work of a fraction of a second: done on its own
        // thread rather than one of the few the concurrency runtime shares with the API.
        let snapshotFile = URL(fileURLWithPath: config.store.path).deletingLastPathComponent().appendingPathComponent("templates-last-good.json").path
        let templates = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<TemplateReloader, any Error>) in
            Thread {
                continuation.resume(with: Result {
                    try TemplateReloader(
                        directory: config.templates.directory, options: config.templateCheckOptions, metrics: metrics,
                        snapshotFile: snapshotFile, logger: logger)
                })
            }.start()
        }
        let store = try await StoreOpener.open(config, logger: logger)
        // A receipt finds the attempts of a gateway that reports receipts, also those it opened before
        // receipts were configured for it.
        let indexed = try await store.prepareReceiptLookups(receiptGateways: config.receiptGateways)
        if indexed > 0 {
            logger.notice("indexed the earlier attempts of gateways whose receipts were turned on", metadata: ["count": "\(indexed)"])
        }
        // Leases of this daemon's previous run (its process is gone) come back at once; those of
        // live daemons, whatever their worker_id, only when they expire. A lease owned by the bare
        // worker_id dates from before runs were registered.
        let run = DaemonRun.current(workerID: config.dispatch.workerID, now: now())
        let stopped = RunLiveness.stopped(
            try await store.activeRuns(), workerID: run.workerID, host: run.host, now: run.startedAt, staleAfter: config.dispatch.leaseSeconds)
        let owners = stopped.map(\.runID) + [config.dispatch.workerID]
        // Runs on this host whose process is gone left their hand-over logs complete: their pending
        // attempts that are not in them never left. (A run judged stopped only by its heartbeat
        // might still hand one over.)
        let handOverDirectory = HandOverLog.directory(forStore: config.store.path)
        var handedOver: [String: Set<Int64>] = [:]
        for crashed in stopped where crashed.host == run.host && !RunLiveness.processExists(crashed.pid) {
            handedOver[crashed.runID] = HandOverLog.handedOver(directory: handOverDirectory, runID: crashed.runID)
        }
        let reclaimed = try await store.reclaim(owners: owners, handedOver: handedOver, now: now())
        // The logs of runs that are not alive are of no more use.
        let alive = Set(try await store.activeRuns().map(\.runID)).subtracting(stopped.map(\.runID))
        for other in HandOverLog.runs(directory: handOverDirectory).subtracting(alive) {
            HandOverLog.remove(directory: handOverDirectory, runID: other)
        }
        let handOverLog = try HandOverLog(directory: handOverDirectory, runID: run.runID)
        try await store.markStopped(runIDs: stopped.map(\.runID), now: now())
        try await store.register(run)
        if reclaimed > 0 {
            logger.notice("reclaimed leases of a previous run", metadata: [
                "count": "\(reclaimed)", "worker": "\(config.dispatch.workerID)", "runs": "\(stopped.map(\.runID).joined(separator: ","))",
            ])
        }
        // Each gateway's requests at most `max_connections` at once: the client keeps to it, also
        // when more of its sends wait for a connection with their attempts open (`handOverLog`).
        let client = CurlHTTPClient(configuration: .init(
            maxInFlight: config.dispatch.maxInFlight, maxConnectionsPerPool: config.gateways.values.map(\.maxConnections).max() ?? 64,
            poolLimits: config.gateways.mapValues(\.maxConnections), handOver: handOverLog))
        let sender = GatewaySender(gateways: Array(config.gateways.values), client: client)
        let dispatcher = Dispatcher(
            config: config, store: store, sender: sender, templates: { templates.current }, logger: logger, metrics: metrics, now: now,
            owner: run.runID, handOverLog: handOverLog)
        // The rate limits are shared with the daemons alive now; the heartbeat keeps the share current.
        let heartbeatWindow = 3 * min(5, config.dispatch.leaseSeconds / 3)
        dispatcher.shareRateLimits(among: RunLiveness.liveCount(try await store.activeRuns(), now: now(), within: heartbeatWindow))
        return Components(config: config, store: store, templates: templates, client: client, dispatcher: dispatcher, metrics: metrics, run: run)
    }

    /// Runs the HTTP API and the dispatcher until SIGTERM/SIGINT, then stops leasing, records or
    /// abandons sends in flight, stops the API gracefully, and returns.
    public static func serve(config: VarselConfig, logger: Logger) async throws {
        // Trap the signals first, so a SIGTERM during start-up also ends in an orderly stop.
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        let notifier = SystemdNotifier.fromEnvironment()
        let announced = ReadySignal()
        let components = try await open(config: config, logger: logger)
        let counts = try await components.store.countByState()
        let store = components.store
        let plans = PlanLoading.load(config: config, logger: logger)
        let api = APIServer(
            config: config, store: store, logger: logger,
            // Serving starts only after the store is open, leases are reclaimed and templates are
            // loaded; what can still fail afterwards is the store.
            readiness: {
                do {
                    try await store.checkReachable()
                    return nil
                } catch {
                    return ["store": "\(store.location): \(error)"]
                }
            },
            onEnqueue: { components.dispatcher.poke(dueAt: $0) },
            notes: {
                var notes: [String: String] = [:]
                let problems = components.templates.problems
                if let first = problems.first {
                    notes["templates"] = "the last reload failed with \(problems.count) error(s), the last good set is in force; first: \(first)"
                }
                if let failure = plans.failure { notes["plans"] = failure }
                return notes
            },
            dataChecking: components.templates.dataChecking, metrics: components.metrics,
            beforeScrape: {
                let counts = (try? await store.countByState()) ?? [:]
                let oldest = try? await store.nextReadyAt()
                components.metrics.sample(
                    counts: counts, oldestReadySince: oldest ?? nil, now: Date(), circuits: components.dispatcher.circuitStates,
                    liveDaemons: components.dispatcher.liveDaemons)
            },
            // The OpenAPI document follows the kinds' schemas of the template set in force.
            kindSchemas: { components.templates.current.schemas }, plans: { plans.plans })
        var apiLogger = logger
        apiLogger.logLevel = max(logger.logLevel, .notice)
        let app = Application(
            router: api.router(),
            configuration: .init(address: .hostname(config.server.host, port: config.server.port), serverName: "varsel"),
            onServerRunning: { channel in
                logger.notice("ready", metadata: [
                    "host": "\(config.server.host)", "port": "\(channel.localAddress?.port ?? config.server.port)",
                    "store": "\(components.store.location)",
                    "templates": "\(components.templates.current.keys.count) variants", "queued": "\(counts[.queued] ?? 0)",
                    "worker": "\(config.dispatch.workerID)", "run": "\(components.run.runID)",
                ])
                // Only now: the store is open, leases are reclaimed, templates are loaded, the API listens.
                notifier?.ready(status: "ready: \(counts[.queued] ?? 0) queued, \(components.templates.current.keys.count) template variants")
                announced.set()
                // What starting ran (configuration, migrations, template compilation) is not run
                // again: its pages of code leave the resident set, and those sending runs fault back in.
                let released = StartUpPages.release()
                logger.debug("start-up pages released", metadata: ["bytes_advised": "\(released)"])
            },
            logger: apiLogger)
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        // Shut down in reverse order: the dispatcher drains first while the API still takes
        // receipts for the sends in flight, then the background loops, then the API.
        let background = DaemonServices.background(components, hangups: hangups, notifier: notifier, ready: announced, logger: logger)
        let services = ServiceGroup(configuration: .init(
            services: [.init(service: app)]
                + background.map { .init(service: $0, successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore) }
                + [.init(service: DaemonServices.Dispatch(dispatcher: components.dispatcher, notifier: notifier, logger: logger),
                         successTerminationBehavior: .gracefullyShutdownGroup)],
            logger: apiLogger))
        let watcher = Task {
            for await signal in signals {
                logger.notice("stopping on signal", metadata: ["signal": "\(signal)"])
                await services.triggerGracefulShutdown()
                break
            }
        }
        defer { watcher.cancel() }
        do {
            try await services.run()
        } catch {
            await components.client.shutdownAndWait()
            try? await store.markStopped(runIDs: [components.run.runID], now: Date())
            throw error
        }
        await components.client.shutdownAndWait()
        components.dispatcher.handOverLog?.finish()
        try? await store.markStopped(runIDs: [components.run.runID], now: Date())
        logger.notice("stopped")
    }
}
