import Foundation
import Logging
import Synchronization
import VarselCore
import VarselGateways
import VarselStore
import VarselTemplates

/// The send loop: leases due messages in batches, plans and renders them, records the attempt, sends
/// through the gateways with many requests in flight, and records results in batches.
///
/// - Important: Every write about a leased message is fenced by its lease token. A send is recorded
///   as a `pending` attempt before the request leaves, so a crash mid-send is visible afterwards as an
///   ambiguous attempt and never as silence.
public final class Dispatcher: Sendable {
    public struct Settings: Sendable {
        public var workerID: String
        /// The owner of the leases this dispatcher takes: its run's id (`DaemonRun.runID`).
        public var owner: String
        public var batchSize: Int
        public var maxInFlight: Int
        public var leaseSeconds: Double
        public var pollInterval: Duration
        public var shutdownGrace: Duration
        /// How long messages read ahead with a plan (SQLite) may wait to be planned, and a batch planned
        /// ahead to be committed (`ReadAhead`).
        public var readAheadFreshFor: Duration = ReadAhead.freshFor

        public init(config: VarselConfig) {
            workerID = config.dispatch.workerID
            owner = config.dispatch.workerID
            batchSize = config.dispatch.batchSize
            maxInFlight = config.dispatch.maxInFlight
            leaseSeconds = config.dispatch.leaseSeconds
            pollInterval = .milliseconds(config.dispatch.pollIntervalMilliseconds)
            shutdownGrace = .milliseconds(Int(config.dispatch.shutdownGraceSeconds * 1000))
        }
    }

    let settings: Settings
    /// Gateways that report receipts (a send's attempt is indexed for them: `AttemptStart.receiptLookup`),
    /// and how long to wait for a final one (0: forever).
    let receiptGateways: Set<String>
    let receiptTimeout: TimeInterval
    let store: any MessageStore
    let sender: GatewaySender
    let preparer: SendPreparer
    /// What learned send hours learn from (plans with `timing: learned`).
    let sendHours: SendHourLearning
    let templates: @Sendable () -> TemplateSet
    let now: @Sendable () -> Date
    let logger: Logger
    let metrics: VarselMetrics?
    let gatewayNames: [String]
    /// This run's record of the requests handed to the HTTP client, if it keeps one (`serve`): then a
    /// gateway's sends may open their attempts while its connections are busy (``SendLanes``).
    let handOverLog: HandOverLog?

    /// Each gateway's `max_connections` (``SendLanes``).
    private let connections: [String: Int]
    private let wakeup = Wakeup()
    private let stopRequested = Mutex(false)
    private let inFlight = Mutex(0)
    private let heartbeat = Mutex(ContinuousClock.now)
    private let recorded = Mutex(0)
    private let sharingDaemons = Mutex(1)

    public init(
        config: VarselConfig, store: any MessageStore, sender: GatewaySender, templates: @escaping @Sendable () -> TemplateSet,
        logger: Logger, metrics: VarselMetrics? = nil, now: @escaping @Sendable () -> Date = { Date() }, owner: String? = nil,
        readAheadFreshFor: Duration? = nil, handOverLog: HandOverLog? = nil
    ) {
        var settings = Settings(config: config)
        if let owner { settings.owner = owner }
        if let readAheadFreshFor { settings.readAheadFreshFor = readAheadFreshFor }
        self.settings = settings
        self.metrics = metrics
        gatewayNames = config.gateways.keys.sorted()
        self.store = store
        self.sender = sender
        self.templates = templates
        self.now = now
        self.logger = logger
        self.handOverLog = handOverLog
        // With a hand-over record, sends open their attempts while a gateway's connections are busy
        // and wait in the HTTP client's queue (which keeps the gateway at its `max_connections`), as
        // many as the gateway answers in a short while (``SendLanes``): a connection that frees takes
        // the next request at once instead of waiting for the commit that opens its attempt. Without
        // one, an attempt opens only when its request can be handed over at once, so a crash finds
        // only requests that may have left.
        connections = config.gateways.mapValues(\.maxConnections)
        receiptGateways = config.receiptGateways
        receiptTimeout = config.fallback.onFailedReceipt ? config.fallback.receiptTimeout : 0
        sendHours = SendHourLearning(store: store, plans: config.plans)
        preparer = SendPreparer(
            planner: Planner(policy: config.planning), gateways: GatewaySelector(channels: config.channels, gateways: config.gateways),
            retry: config.retry,
            fallbackOnPermanentFailure: config.fallback.onPermanentFailure, frequencyCap: config.frequencyCap,
            contactWindows: config.contactWindows, windowSpread: config.windowSpread, smsMaxParts: config.templates.smsMaxParts,
            caseStops: CaseStopPolicy(kinds: config.planning.kinds))
    }

    /// Asks the loop to stop leasing; `run` returns once sends in flight are recorded (or the grace
    /// period ends, leaving them to be reclaimed as ambiguous on the next start).
    public func requestStop() {
        stopRequested.withLock { $0 = true }
        wakeup.signal()
    }

    /// How many live daemons share the queue (this one included): each takes that share of every
    /// gateway's `rate_limit`.
    public func shareRateLimits(among daemons: Int) {
        sharingDaemons.withLock { $0 = daemons }
        preparer.gateways.shareRateLimits(among: daemons)
    }

    /// How many daemons the rate limits are shared among, as last counted (`shareRateLimits(among:)`).
    public var liveDaemons: Int { sharingDaemons.withLock { $0 } }

    /// Wakes the loop now (e.g. after an enqueue in this process).
    public func poke() { wakeup.signal() }

    /// After an enqueue in this process whose earliest message is due at `due`: wakes the loop if
    /// that is now or before, and returns whether it did. A message due later is not taken by a read
    /// now, only by the loop's first read after it is due, as without a wake-up; so an import of
    /// messages due next month does not have the loop read the queue after every commit of it: that
    /// read runs on the writer's connection and ends the joining of the transaction it lands in
    /// (`SharedWrites`; batches of 1,000 lines due in 2030 from four clients: two fifths of the
    /// writer's jobs, and 1.3 chunks a transaction with them against 3.5 without).
    @discardableResult
    public func poke(dueAt due: Date) -> Bool {
        guard due <= now() else { return false }
        wakeup.signal()
        return true
    }

    public var isStopping: Bool { stopRequested.withLock { $0 } }
    public var sendsInFlight: Int { inFlight.withLock { $0 } }
    /// When the loop last went round (or, while stopping, waited for sends in flight): the
    /// watchdog's proof of life.
    public var lastBeat: ContinuousClock.Instant { heartbeat.withLock { $0 } }
    /// Sends whose results were recorded since start, for the send rate.
    public var recordedSends: Int { recorded.withLock { $0 } }

    /// Gateway → whether its circuit breaker is open now.
    public var circuitStates: [String: Bool] {
        Dictionary(uniqueKeysWithValues: gatewayNames.map { ($0, preparer.gateways.isOpen($0)) })
    }

    private func beat() { heartbeat.withLock { $0 = ContinuousClock.now } }

    /// Runs until `requestStop()`. With `untilIdle`, also returns once nothing is due or in flight.
    ///
    /// Three tasks, and the sends between them as data: this loop leases, plans and renders batches
    /// and hands their sends to the HTTP client, or to the lanes where sends wait for a connection;
    /// the starter opens the attempts of waiting sends as connections free up (a few groups at once,
    /// each a child task of its own) and hands them over;
    /// the recorder classifies what came back and writes it. A send is never a task of its own: its
    /// result comes back on the curl thread, which only queues it for the recorder.
    public func run(untilIdle: Bool = false) async {
        let finished = FinishedSends()
        let lanes = SendLanes(connections: connections, queuesAhead: handOverLog != nil)
        let recorder = Task { await record(finished) }
        let starter = Task { await startWaiting(lanes, finished) }
        var lastSweep = ContinuousClock.now
        // Messages the store read with the plans before (SQLite), and the batch planned from them
        // while the one before it was committed.
        var readAhead = ReadAhead(freshFor: settings.readAheadFreshFor)
        var planned: PlannedBatch?
        while !isStopping {
            beat()
            if ContinuousClock.now - lastSweep > .seconds(settings.leaseSeconds / 2) {
                lastSweep = ContinuousClock.now
                await sweepExpiredLeases()
            }
            let capacity = settings.maxInFlight - sendsInFlight
            var leasedAny = false
            if capacity > 0 {
                do {
                    leasedAny = try await dispatchBatch(
                        limit: min(settings.batchSize, capacity), readAhead: &readAhead, planned: &planned, lanes: lanes, finished: finished)
                } catch {
                    logger.error("dispatch round failed; retrying shortly", metadata: ["error": "\(error)"])
                    await wakeup.wait(upTo: .seconds(1))
                    continue
                }
            }
            if leasedAny { continue }
            if untilIdle, sendsInFlight == 0, await nothingDue() { break }
            await wakeup.wait(upTo: settings.pollInterval)
        }
        // A batch leased ahead (PostgreSQL) and never committed goes back to the queue now.
        if let planned { await giveBack(planned.leasedMessages) }
        await drainInFlight()
        // Sends still waiting for a connection never start. Sends still running after the grace
        // period are abandoned unrecorded: their attempts stay pending and are reclaimed as
        // ambiguous on the next start.
        let unstarted = lanes.close()
        if !unstarted.isEmpty { inFlight.withLock { $0 -= unstarted.count } }
        await starter.value
        finished.close()
        await recorder.value
    }

    /// Plans (unless planned already), commits and starts sending one batch, and plans the next one
    /// while the writer commits it. The batch is the one planned meanwhile before, if its messages
    /// were read recently enough (`ReadAhead`); else messages read with an earlier plan, or what is due
    /// now. Each commit of a plan claims its messages, each only if still as read, and reads the
    /// messages to plan next (SQLite), none of those still held; a store that leases as it takes
    /// (PostgreSQL) is asked for the next batch while the commit runs, and a batch it leased that
    /// waited too long is planned again. Returns whether anything was leased.
    private func dispatchBatch(
        limit: Int, readAhead: inout ReadAhead, planned: inout PlannedBatch?, lanes: SendLanes, finished: FinishedSends
    ) async throws -> Bool {
        let batch: PlannedBatch
        if let ready = planned, readAhead.isFresh(ready.readAt, now: ContinuousClock.now) {
            batch = ready
        } else if let stale = planned, stale.leased {
            // Leased when planned ahead (PostgreSQL): the leases hold, the plan is made again at this time.
            batch = try await plan(stale.leasedMessages, readAt: stale.readAt)
        } else {
            // Leased now, or (SQLite) in the commit below that records the plan.
            var (leased, readAt) = readAhead.take(limit: limit, now: ContinuousClock.now)
            if leased.isEmpty {
                readAt = ContinuousClock.now
                leased = try await store.takeDue(owner: settings.owner, limit: limit, now: now(), leaseDuration: settings.leaseSeconds)
            }
            guard !leased.isEmpty else { return false }
            do {
                batch = try await plan(leased, readAt: readAt)
            } catch {
                await giveBack(leased)
                throw error
            }
        }
        planned = nil
        // A send whose gateway has a free connection now opens its attempt with the batch's plan, in
        // one commit; the others wait in the lanes and open theirs when they get one.
        var connected: [QueuedSend] = []
        var waiting: [QueuedSend] = []
        let connectedAt = ContinuousClock.now
        for queued in batch.outbound {
            if lanes.tryAcquire(queued.gateway) { connected.append(queued) } else { waiting.append(queued) }
        }
        // Whether the batch after this one can be planned while this one commits: only a whole batch,
        // within the sends in flight allowed once this batch's are counted. (When sends in flight
        // bound the loop, planning ahead only splits its batches, and their commits, in two.)
        let aheadRoom = settings.maxInFlight - sendsInFlight - batch.outbound.count
        let planAhead = aheadRoom >= settings.batchSize
        // The commit reads enough that, with the messages still held, a batch is in hand for the next
        // commit, and when planning ahead, one more to plan while that commit runs.
        let toRead = (planAhead ? 2 : 1) * settings.batchSize - readAhead.count
        let next = toRead > 0
            ? DueQuery(owner: settings.owner, limit: toRead, leaseDuration: settings.leaseSeconds, excluding: readAhead.ids) : nil
        // The time the attempts open: after the batch was planned and rendered, as close to the
        // hand-over as the commit allows.
        let (preparations, starts, openAt) = (batch.preparations, connected.map(attemptStart), now())
        async let committing = store.prepare(preparations, starting: starts, now: openAt, takingNext: next)
        // Meanwhile the batch after this one is planned and rendered, from messages read before.
        var planningFailure: (any Error)?
        if planAhead {
            var (rows, readAt) = readAhead.take(limit: settings.batchSize, now: ContinuousClock.now)
            do {
                // A store that leases as it takes (PostgreSQL) is asked for the next batch now.
                if rows.isEmpty, store.takeDueLeases {
                    readAt = ContinuousClock.now
                    rows = try await store.takeDue(owner: settings.owner, limit: settings.batchSize, now: now(), leaseDuration: settings.leaseSeconds)
                }
                if !rows.isEmpty { planned = try await plan(rows, readAt: readAt) }
            } catch {
                planningFailure = error
                await giveBack(rows)
            }
        }
        let prepared: PreparedBatch
        do {
            prepared = try await committing
        } catch {
            for queued in connected { lanes.release(queued.gateway) }
            // What the failed commit read is unknown: everything not claimed is read again. A batch
            // leased ahead stays leased, and is sent next.
            readAhead.drop()
            if planned?.leased != true { planned = nil }
            throw error
        }
        readAhead.keep(prepared.next ?? [], readAt: ContinuousClock.now)
        for queued in connected {
            guard prepared.held.contains(queued.messageID) else {
                lanes.release(queued.gateway)
                leaseLost(queued.messageID)
                continue
            }
            guard let attemptID = opened(prepared.started[queued.messageID], messageID: queued.messageID) else {
                lanes.release(queued.gateway)
                continue
            }
            inFlight.withLock { $0 += 1 }
            launch(queued, attemptID: attemptID, connectedAt: connectedAt, lanes: lanes, finished: finished)
        }
        // The attempt of a send waiting for a connection opens only once its request can be handed
        // over at once: a send still waiting has not left, and a crash must not call it ambiguous.
        let held = waiting.filter { queued in
            if prepared.held.contains(queued.messageID) { return true }
            leaseLost(queued.messageID)
            return false
        }
        inFlight.withLock { $0 += held.count }
        if !lanes.wait(held) { inFlight.withLock { $0 -= held.count } }
        // The next batch failed to plan (a read failed): its messages were not claimed and are due.
        if let planningFailure { throw planningFailure }
        return true
    }

    /// Gives leased messages that will not be sent now back to the queue (a batch that failed to plan,
    /// or one leased ahead and not committed when the loop stops), rather than leaving them until
    /// their leases expire. Messages to be claimed by a commit (SQLite) hold nothing to give back.
    private func giveBack(_ messages: [LeasedMessage]) async {
        let leases = messages.map(\.lease).filter(\.isHeld)
        guard !leases.isEmpty else { return }
        do {
            let given = try await store.giveBack(leases, now: now())
            logger.notice("leased messages not sent went back to the queue", metadata: ["count": "\(given)"])
        } catch {
            logger.error("cannot give back leased messages; they are sent when their leases expire", metadata: [
                "error": "\(error)", "count": "\(leases.count)",
            ])
        }
    }

    private func leaseLost(_ id: String) {
        logger.warning("lease lost before sending (the message was cancelled or taken by another worker); not sent", metadata: ["message_id": "\(id)"])
    }

    /// Opens the attempts of waiting sends as connections free up, every send a freed connection lets
    /// go meanwhile in one transaction (one fsync), and hands their requests to the HTTP client;
    /// until the lanes close. Up to `startGroupsAtOnce` groups wait for the writer at once, so the
    /// sends that connections free while one group commits go to the writer at once, to share its next
    /// transaction, instead of after that commit, behind whatever (a batch's plan) came meanwhile.
    private func startWaiting(_ lanes: SendLanes, _ finished: FinishedSends) async {
        await LimitedConcurrency.forEach(limit: Self.startGroupsAtOnce, next: {
            let ready = await lanes.next()
            return ready.sends.isEmpty ? nil : ready
        }) { ready in
            await self.start(ready, lanes, finished)
        }
    }

    /// How many groups of starts may wait for the writer at once. 30,000 SMS to nginx at 64
    /// connections, interleaved pairs: two against one +10.7 % (four pairs), four against two +6.4 %
    /// (three), sixteen against four +2 % (three, within the noise).
    static let startGroupsAtOnce = 4

    /// Opens the attempts of sends that got a connection, in one transaction, and hands them over.
    private func start(_ connected: SendLanes.Connected, _ lanes: SendLanes, _ finished: FinishedSends) async {
        let ready = connected.sends
        var outcomes: [String: StartOutcome] = [:]
        do {
            outcomes = try await store.start(ready.map(attemptStart), now: now())
        } catch {
            logger.error("cannot record the start of sends; they are not sent and will be retried", metadata: [
                "error": "\(error)", "count": "\(ready.count)",
            ])
        }
        var notSent = 0
        for queued in ready {
            // Stopping: what the grace period did not wait for stays unsent (its attempt, if it
            // opened, is reclaimed as ambiguous on the next start).
            guard !lanes.isClosed, let attemptID = opened(outcomes[queued.messageID], messageID: queued.messageID) else {
                lanes.release(queued.gateway)
                notSent += 1
                continue
            }
            launch(queued, attemptID: attemptID, connectedAt: connected.at, lanes: lanes, finished: finished)
        }
        if notSent > 0 {
            inFlight.withLock { $0 -= notSent }
            wakeup.signal()
        }
    }

    /// Writes finished sends in batches until the queue is closed and drained.
    private func record(_ finished: FinishedSends) async {
        while true {
            let batch = await finished.takeAll()
            if batch.isEmpty { return }
            let completions = batch.map(completion)
            do {
                let held = try await store.complete(completions, now: now())
                // Recorded (or found taken by another worker, whose record it then is): no longer
                // needed to tell, after a crash, whether these left.
                handOverLog?.settle(batch.map(\.attemptID))
                for completion in completions where !held.contains(completion.lease.messageID) {
                    logger.warning("result not recorded: the lease was lost (another worker took the message)", metadata: [
                        "message_id": "\(completion.lease.messageID)", "outcome": "\(completion.outcome.rawValue)",
                    ])
                }
            } catch {
                logger.error("cannot record send results; the leases will be reclaimed and the sends marked ambiguous", metadata: [
                    "error": "\(error)", "count": "\(batch.count)",
                ])
            }
            inFlight.withLock { $0 -= batch.count }
            recorded.withLock { $0 += batch.count }
            wakeup.signal()
        }
    }

    private func drainInFlight() async {
        let deadline = ContinuousClock.now + settings.shutdownGrace
        while sendsInFlight > 0, ContinuousClock.now < deadline {
            beat()
            await wakeup.wait(upTo: .milliseconds(50))
        }
        if sendsInFlight > 0 {
            logger.warning("stopping with sends still in flight; they will be reclaimed as ambiguous on the next start", metadata: [
                "count": "\(sendsInFlight)",
            ])
        }
    }

    private func nothingDue() async -> Bool {
        guard let next = try? await store.nextReadyAt() else { return true }
        return next > now()
    }

    private func sweepExpiredLeases() async {
        do {
            let reclaimed = try await store.reclaim(owners: [], now: now())
            if reclaimed > 0 { logger.notice("reclaimed expired leases", metadata: ["count": "\(reclaimed)"]) }
        } catch {
            logger.error("lease sweep failed", metadata: ["error": "\(error)"])
        }
        await sweepReceiptTimeouts()
    }

    /// Messages whose receipt never came (`fallback.receipt_timeout`) fall back to their next channel.
    func sweepReceiptTimeouts() async {
        guard receiptTimeout > 0, !receiptGateways.isEmpty else { return }
        do {
            let at = now()
            let moved = try await store.fallBackWithoutReceipt(
                gateways: receiptGateways.sorted(), acceptedBefore: at.addingTimeInterval(-receiptTimeout), timeout: receiptTimeout, now: at)
            for (id, channel) in moved {
                metrics?.fellBack(from: channel, cause: "receipt_timeout")
                logger.notice("no final receipt in time: falling back", metadata: ["message_id": "\(id)", "channel": "\(channel.rawValue)"])
            }
            if !moved.isEmpty { wakeup.signal() }
        } catch {
            logger.error("receipt-timeout sweep failed", metadata: ["error": "\(error)"])
        }
    }
}
