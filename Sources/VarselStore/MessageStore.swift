import Foundation
import VarselCore

/// The durable queue behind Varsel. Every state change of a leased message is a compare-and-set on its
/// lease token, so a worker that lost its lease cannot overwrite what another worker recorded.
///
/// - Important: `enqueue` returns only after the transaction is committed to disk (docs/guarantees.md §1).
public protocol MessageStore: Sendable {
    /// What the store is, for logs and `config check`: `sqlite /path` or `postgres host:port/db` (no credentials).
    var location: String { get }
    /// The migrations this open applied (empty when the schema was already current), in order.
    var migrationsApplied: [String] { get }
    /// The schema's version: its last migration.
    var schemaVersion: String { get }
    /// Throws when the database cannot be reached now (`/readyz`).
    func checkReachable() async throws
    /// Releases connections; the store is not used afterwards.
    func close() async

    /// Stores validated messages in one transaction, all or none (SQLite's may carry other writes
    /// that waited for the writer with them: one commit and one sync for all). A message whose
    /// `idempotencyKey` is already known is not stored again: the result names the existing message. A message of a case that an event
    /// stopped (`paid`, `disputed`, `plan_agreed`) is refused when `caseStops` stops its kind; the
    /// check and the insert are atomic with `recordCaseEvent`. `rows` are the messages' stored forms
    /// (`StoredRequest.make`), made by the caller, e.g. while the batch before is being written.
    func enqueue(_ rows: [StoredRequest], now: Date, caseStops: CaseStopPolicy) async throws -> [EnqueueOutcome]

    /// Leases up to `limit` queued messages that are ready at `now`, marking them `sending`.
    func lease(owner: String, limit: Int, now: Date, leaseDuration: TimeInterval) async throws -> [LeasedMessage]

    /// The dispatcher's next batch: up to `limit` queued messages ready at `now`, in due order, for
    /// `owner` to plan. A store whose writes all go through one writer (SQLite) only reads them, each
    /// with a `LeaseClaim` that `prepare` takes in the commit of the plan, if the message is still
    /// queued as it was read: one commit a batch and one write of each row fewer than a `lease`. A
    /// store shared by several hosts (PostgreSQL) leases them now, so that two hosts never plan the
    /// same message. The default is `lease`.
    func takeDue(owner: String, limit: Int, now: Date, leaseDuration: TimeInterval) async throws -> [LeasedMessage]

    /// Whether `takeDue` leases what it returns (PostgreSQL), so that the dispatcher may take its next
    /// batch while the plan of the one before commits: none is taken twice. False for a store whose
    /// `takeDue` only reads (SQLite): its next batch is read by the commit of the plan before
    /// (`prepare`'s `next`). The default is true, as `takeDue` defaults to `lease`.
    var takeDueLeases: Bool { get }

    /// Puts messages leased and not planned back in the queue as they were before their lease (due
    /// time and reason unchanged, nothing added to their trail), each fenced by its lease: a batch the
    /// dispatcher leased ahead (`takeDueLeases`) and stopped before committing, so that a restart or
    /// another host sends it at once, not after the lease expires. A claim not yet taken
    /// (`LeaseRef.claim`) holds nothing and is skipped. Returns how many went back.
    func giveBack(_ leases: [LeaseRef], now: Date) async throws -> Int

    /// Returns to the queue every message leased by one of `owners` (runs known to have stopped) and
    /// every lease that expired. Attempts left `pending` (started, so possibly sent) become
    /// `ambiguous`; a message with no started attempt goes back without one. Returns how many were
    /// reclaimed.
    func reclaim(owners: [String], now: Date) async throws -> Int

    /// `reclaim(owners:now:)`, knowing for the runs in `handedOver` (by run id) which attempts' requests
    /// they handed to the HTTP client (their hand-over logs): a pending attempt of such a run's lease
    /// that is not among them never left; it is deleted rather than marked ambiguous, and counts as no
    /// attempt.
    func reclaim(owners: [String], handedOver: [String: Set<Int64>], now: Date) async throws -> Int

    /// Moves back to the queue, without their channel, the `sent` messages whose latest attempt one of
    /// `gateways` (those that report receipts) accepted before `acceptedBefore` and that have no final
    /// receipt (`MessageLifecycle.receiptTimeout`). Returns their ids and channels.
    func fallBackWithoutReceipt(gateways: [String], acceptedBefore: Date, timeout: TimeInterval, now: Date) async throws -> [(id: String, channel: Channel)]

    /// Registers a run of a daemon; its `runID` owns the leases it takes.
    func register(_ run: DaemonRun) async throws
    /// Proves a run is alive (`heartbeatAt`).
    func heartbeat(runID: String, now: Date) async throws
    /// Marks runs as stopped (a clean stop, or found dead by a later run).
    func markStopped(runIDs: [String], now: Date) async throws
    /// The runs not marked stopped, of every worker.
    func activeRuns() async throws -> [DaemonRun]

    /// Records plans and rendered content, and ends or defers what is not sent (fenced); then opens
    /// the attempts of `starts`, as `start` does, in the same transaction: one commit for a batch's
    /// plan and the attempts of its sends that can be handed to the HTTP client at once (a send that
    /// must wait for a connection opens its attempt with `start` when it gets one). Returns the ids
    /// of the sends whose lease still held, and what `start` would return for `starts`. A lease still
    /// to be taken (`LeaseRef.claim`, from `takeDue`) is taken here: only if the message is still
    /// queued as it was read (a message cancelled or taken by another worker meanwhile is left as it
    /// is, and its send is not held).
    ///
    /// With `next`, the dispatcher's next batch as `takeDue` would return it at `now`, read in the same
    /// transaction after the plan (so none of this batch's messages is in it), is in
    /// `PreparedBatch.next`: a store whose `takeDue` only reads (SQLite) spares the dispatcher a trip
    /// to its one writer for each batch. One that leases in `takeDue` (PostgreSQL) leaves `next` nil,
    /// and the dispatcher takes the next batch itself.
    func prepare(_ preparations: [Preparation], starting starts: [AttemptStart], now: Date, takingNext next: DueQuery?) async throws -> PreparedBatch

    /// Opens a `pending` attempt for each send, just before its request is handed to the HTTP client
    /// (fenced). Returns, per send whose lease still held, the attempt id to complete later, or the
    /// deferral when its frequency cap (`AttemptStart.cap`), judged in this transaction over every
    /// daemon's sends, is reached. Only started attempts count towards `retry.max_attempts`, and only
    /// they can become ambiguous after a crash: an attempt is counted in its message's row with its
    /// outcome (`complete`) or when a reclaim finds it pending, not as it opens (the row would be
    /// written only for the count), so a lease sees every attempt made.
    func start(_ starts: [AttemptStart], now: Date) async throws -> [String: StartOutcome]

    /// Makes every attempt of `receiptGateways` (the gateways with `receipts` configured) findable by
    /// a receipt, before a daemon with this configuration serves: attempts that a gateway opened while
    /// it had no receipts configured (`AttemptStart.receiptLookup` false) are indexed now. Returns how
    /// many attempts were indexed. A store that indexes every attempt does nothing.
    func prepareReceiptLookups(receiptGateways: Set<String>) async throws -> Int

    /// Records attempt results and the resulting state (fenced). Returns the ids whose fence held.
    func complete(_ completions: [Completion], now: Date) async throws -> Set<String>


    /// Records a case event. One that stops the case cancels, in the same transaction, every message
    /// of the case whose kind `caseStops` stops and that was not handed to a gateway (fenced like
    /// `cancel`). A repeated `idempotencyKey` returns the event recorded first.
    func recordCaseEvent(_ request: CaseEventRequest, caseStops: CaseStopPolicy, now: Date) async throws -> CaseEventOutcome

    /// Creates a case from a plan: its record and one message per scheduled step (`messages`, in the
    /// order of `steps`), in one transaction. A `case_ref` already created with the same request
    /// hash is the existing case; with another, a conflict. A case an event stopped refuses it.
    func createCase(
        caseRef: String, plan: String, requestHash: String, steps: [(step: String, message: MessageRequest)], caseStops: CaseStopPolicy, now: Date
    ) async throws -> CaseCreation

    /// A case created from a plan, if there is one under `caseRef`.
    func caseRecord(caseRef: String) async throws -> CaseRecord?

    /// The messages a gateway first accepted between `from` and `to`, with what the outcome report
    /// groups by.
    func sentMessages(from: Date, to: Date) async throws -> [SentMessage]

    /// The recorded events of each case, oldest first.
    func caseEvents(caseRefs: Set<String>) async throws -> [String: [CaseEvent]]

    /// The messages of each case a gateway accepted, with when and whether they charged a fee: the
    /// history the country rules' spacing and fee limits are judged against at send.
    func caseSteps(caseRefs: Set<String>) async throws -> [String: [CaseStep]]

    /// What a batch's plan reads besides the batch: the stored records of `recipientIDs`, the events
    /// of `caseRefs` and the steps of `stepCaseRefs`, as `recipients`, `caseEvents` and `caseSteps`
    /// give them. A store may read them together (SQLite: one read, on one connection).
    func planningReads(recipientIDs: Set<String>, caseRefs: Set<String>, stepCaseRefs: Set<String>) async throws -> PlanningReads

    /// The status contract for one message.
    func status(id: String) async throws -> MessageStatus?

    /// How many messages are in each state.
    func countByState() async throws -> [MessageState: Int]

    /// The earliest time a queued message becomes ready, if any is queued.
    func nextReadyAt() async throws -> Date?

    /// Messages in id order (ids sort by creation time), after the cursor `after`, filtered.
    func list(caseRef: String?, state: MessageState?, limit: Int, after: String?) async throws -> [MessageSummary]

    /// Cancels the messages (by id, or all of a case) that were not handed to a gateway, in one
    /// transaction. A message leased at this moment loses its lease, so its worker cannot send it.
    func cancel(ids: [String]?, caseRef: String?, reason: String, now: Date) async throws -> CancelOutcome

    /// Records a delivery receipt on the attempt through `gateway` that got `providerID`. Statuses move
    /// forward only: a final status (delivered, failed, …) ends the message and is never replaced; a
    /// repeated receipt is recorded once. The message changes only when that attempt is its current
    /// one and it is `sent`; a late receipt for an attempt it has moved on from is only recorded.
    /// With `fallback`, a final failure (undelivered, failed, …) sends the message back to the queue
    /// to try its next usable channel instead of ending it.
    func recordReceipt(gateway: String, providerID: String, status: DeliveryStatus, error: String?, raw: String?, fallback: Bool, now: Date)
        async throws -> ReceiptOutcome

    /// When messages were accepted by a gateway for each recipient key (`RecipientKey`) since `since`.
    func acceptedSends(recipientKeys: Set<String>, since: Date) async throws -> [String: [Date]]

    /// Stored preferences and contact points of debtors, by recipient id.
    func recipients(ids: Set<String>) async throws -> [String: Recipient]
    /// Creates or replaces a record; returns true when it was created.
    func putRecipient(_ recipient: Recipient, now: Date) async throws -> Bool
    /// Erases a recipient's personal data (GDPR): the record, and the contact data and rendered
    /// bodies of their messages; unsent messages are cancelled. Ids, states, template versions and
    /// content hashes stay as proof. `nil` when nothing was known of the recipient.
    func eraseRecipient(id: String, now: Date) async throws -> ErasureOutcome?

    /// Retention: for messages whose terminal state is older than `contentBefore`, deletes rendered
    /// content, contact data and raw receipt payloads (ids, states, template versions and content
    /// hashes stay); deletes whole messages whose terminal state is older than `recordsBefore`. With
    /// `dryRun`, only counts what would go.
    func sweepRetention(contentBefore: Date, recordsBefore: Date, dryRun: Bool, now: Date) async throws -> RetentionOutcome

    /// API tokens: only a hash of each token is stored.
    func createToken(hash: String, scopes: [String], label: String?, now: Date) async throws -> StoredToken
    func token(hash: String) async throws -> StoredToken?
    func tokens() async throws -> [StoredToken]
    /// Returns false when no token has that id.
    func revokeToken(id: String, now: Date) async throws -> Bool
}

extension MessageStore {
    public func prepareReceiptLookups(receiptGateways: Set<String>) async throws -> Int { 0 }

    public func takeDue(owner: String, limit: Int, now: Date, leaseDuration: TimeInterval) async throws -> [LeasedMessage] {
        try await lease(owner: owner, limit: limit, now: now, leaseDuration: leaseDuration)
    }

    public var takeDueLeases: Bool { true }

    public func planningReads(recipientIDs: Set<String>, caseRefs: Set<String>, stepCaseRefs: Set<String>) async throws -> PlanningReads {
        PlanningReads(
            recipients: try await recipients(ids: recipientIDs), caseEvents: try await caseEvents(caseRefs: caseRefs),
            caseSteps: try await caseSteps(caseRefs: stepCaseRefs))
    }

    /// `prepare` without reading the next batch.
    public func prepare(_ preparations: [Preparation], starting starts: [AttemptStart], now: Date) async throws -> PreparedBatch {
        try await prepare(preparations, starting: starts, now: now, takingNext: nil)
    }

    /// Records plans and rendered content, and ends or defers what is not sent (fenced), opening no
    /// attempt. Returns the ids of the sends whose lease still held.
    public func prepare(_ preparations: [Preparation], now: Date) async throws -> Set<String> {
        try await prepare(preparations, starting: [], now: now).held
    }

    /// Enqueues with the shipped kinds' case stops (`payment_received` and `payment_plan` go on).
    public func enqueue(_ requests: [MessageRequest], now: Date) async throws -> [EnqueueOutcome] {
        try await enqueue(requests, now: now, caseStops: .shipped)
    }

    /// Stores validated messages in one transaction (see `enqueue(_:now:caseStops:)` for stored forms).
    public func enqueue(_ requests: [MessageRequest], now: Date, caseStops: CaseStopPolicy) async throws -> [EnqueueOutcome] {
        try await enqueue(StoredRequest.make(requests, now: now), now: now, caseStops: caseStops)
    }

    /// The stored records that may stand in for contact points the messages (parsed, not yet
    /// validated) leave out: read only for those whose recipient names a record and gives no contact
    /// point of its own; none read when no message needs one.
    public func recordsStandingIn(for messages: [JSONValue]) async throws -> [String: Recipient] {
        try await recipients(ids: Set(messages.compactMap(MessageValidator.recipientIDNeedingStoredRecord(of:))))
    }
}

/// What creating a case did.
public enum CaseCreation: Sendable, Hashable {
    case created(CaseRecord)
    /// Created before with the same request: that case.
    case duplicate(CaseRecord)
    /// Created before with a different request: nothing changed.
    case conflict(CaseRecord)
    /// An event stopped the case (`CaseStanding.refusal`): nothing stored.
    case refused(reason: String)
}

/// What recording a case event did.
public enum CaseEventOutcome: Sendable, Hashable {
    /// Recorded; `cancel` says which messages it stopped (none unless the event stops the case).
    case recorded(CaseEvent, standing: CaseStanding, cancel: CancelOutcome)
    /// The idempotency key was known for the same event: the event recorded then; nothing changed.
    case duplicate(CaseEvent, standing: CaseStanding)
    /// The idempotency key was known for a different event: nothing recorded.
    case conflict(existingID: String)
}

/// What happened to one message of an enqueue.
public enum EnqueueOutcome: Sendable, Hashable {
    case created(id: String)
    /// The idempotency key was known and the request was the same: the original message.
    case duplicate(id: String)
    /// The idempotency key was known for a different request: nothing stored.
    case conflict(existingID: String)
    /// Its case is stopped for its kind (`CaseStanding.refusal`): nothing stored.
    case refused(reason: String)
}

/// A lease held on a message: the fence for every write about it.
public struct LeaseRef: Sendable, Hashable {
    public let messageID: String
    public let token: String
    /// Set while the lease is still to be taken (`MessageStore.takeDue`): the commit that records the
    /// message's plan takes it, and only if the message is still queued as it was read.
    public let claim: LeaseClaim?

    public init(messageID: String, token: String, claim: LeaseClaim? = nil) {
        self.messageID = messageID
        self.token = token
        self.claim = claim
    }

    /// Whether the lease is held already (taken by `lease`, or by a commit), rather than a claim still
    /// to be taken by the commit of a plan.
    public var isHeld: Bool { claim == nil }
}

/// A lease to take together with a message's plan: by whom, until when, and the version of the
/// message it was planned from (its `updated_at` when read; every write of a message changes it).
public struct LeaseClaim: Sendable, Hashable {
    public let owner: String
    public let expiresAt: Date
    public let readVersion: Double

    public init(owner: String, expiresAt: Date, readVersion: Double) {
        self.owner = owner
        self.expiresAt = expiresAt
        self.readVersion = readVersion
    }
}

/// A message handed to a worker.
public struct LeasedMessage: Sendable {
    public let lease: LeaseRef
    public let request: MessageRequest
    public let createdAt: Date
    /// Content rendered by an earlier lease whose send was interrupted or failed transiently: resent as it was.
    public let previous: PreviousSend?
    /// Channels that failed permanently before: the planner skips them.
    public var excludedChannels: Set<Channel> = []
    /// Attempts made before this lease.
    public var attempts: Int = 0
    /// Why the message was last put back in the queue (the last failure), if it was.
    public var lastReason: String?

    public struct PreviousSend: Sendable {
        public let locale: String
        public let tone: Tone
        public let gateway: String?
        public let content: RenderedContent
    }

    public init(lease: LeaseRef, request: MessageRequest, createdAt: Date, previous: PreviousSend?) {
        self.lease = lease
        self.request = request
        self.createdAt = createdAt
        self.previous = previous
    }
}

/// What a worker decided for a leased message before sending.
public enum Preparation: Sendable {
    /// Record the plan and content and open an attempt.
    case send(PlannedSend)
    /// End the message without sending (no usable channel, render failure, expired).
    case finish(lease: LeaseRef, state: MessageState, reason: String, decisions: [String])
    /// Put the message back in the queue until `until` without an attempt (a contact window, a
    /// frequency cap): waiting never uses up attempts.
    case deferral(lease: LeaseRef, until: Date, reason: String, decisions: [String])
}

public struct PlannedSend: Sendable {
    public let lease: LeaseRef
    public let locale: String
    public let tone: Tone
    public let content: RenderedContent
    public let decisions: [String]
    public let gateway: String
    public let idempotencyKey: String

    public init(lease: LeaseRef, locale: String, tone: Tone, content: RenderedContent, decisions: [String], gateway: String, idempotencyKey: String) {
        self.lease = lease
        self.locale = locale
        self.tone = tone
        self.content = content
        self.decisions = decisions
        self.gateway = gateway
        self.idempotencyKey = idempotencyKey
    }
}

/// A send about to be handed to the HTTP client.
public struct AttemptStart: Sendable {
    /// The frequency cap to hold when the attempt opens, in the same transaction, so that two
    /// daemons cannot both send the message that goes over it.
    public struct CapCheck: Sendable {
        public let policy: FrequencyCap
        public let kind: String
        public let recipientKey: String

        public init(policy: FrequencyCap, kind: String, recipientKey: String) {
            self.policy = policy
            self.kind = kind
            self.recipientKey = recipientKey
        }
    }

    public let lease: LeaseRef
    public let channel: Channel
    public let gateway: String
    public let idempotencyKey: String
    public let cap: CapCheck?
    /// Whether a receipt may look the attempt up by its provider id: its gateway has `receipts`
    /// configured (`prepareReceiptLookups`). A store may index every attempt regardless.
    public let receiptLookup: Bool

    public init(lease: LeaseRef, channel: Channel, gateway: String, idempotencyKey: String, cap: CapCheck? = nil, receiptLookup: Bool = true) {
        self.lease = lease
        self.channel = channel
        self.gateway = gateway
        self.idempotencyKey = idempotencyKey
        self.cap = cap
        self.receiptLookup = receiptLookup
    }
}

/// What `prepare(_:starting:now:)` recorded.
public struct PreparedBatch: Sendable {
    /// The sends whose lease still held: their plan and content are recorded.
    public var held: Set<String>
    /// Per start whose lease still held: its attempt, or its deferral by the frequency cap.
    public var started: [String: StartOutcome]
    /// The next batch, read after the plan (`prepare(_:starting:now:takingNext:)`); nil where none was
    /// asked for or the store does not read it.
    public var next: [LeasedMessage]?

    public init(held: Set<String>, started: [String: StartOutcome], next: [LeasedMessage]? = nil) {
        self.held = held
        self.started = started
        self.next = next
    }
}

/// Which batch `takeDue` is to return, but its time: the owner that will plan it, how many messages
/// at most, and how long its leases last once taken.
public struct DueQuery: Sendable {
    public var owner: String
    public var limit: Int
    public var leaseDuration: TimeInterval
    /// Messages read before and still in the caller's hands, not claimed yet: not read again.
    public var excluding: [String]

    public init(owner: String, limit: Int, leaseDuration: TimeInterval, excluding: [String] = []) {
        self.owner = owner
        self.limit = limit
        self.leaseDuration = leaseDuration
        self.excluding = excluding
    }
}

/// The starts of a batch's `prepare`, split by how each attempt opens: one without a frequency cap, of
/// a send planned in the same batch under the same lease, is fenced by the plan's own write of its
/// message and its attempt opened right after; the others are fenced and opened on their own, each
/// capped one judged first.
public struct PlannedStarts: Sendable {
    /// Fenced by the plan's write of their message (one start a message).
    public let withPlan: [AttemptStart]
    public let others: [AttemptStart]

    public init(_ starts: [AttemptStart], preparations: [Preparation]) {
        let sends = Set(preparations.compactMap { preparation -> LeaseRef? in
            if case .send(let send) = preparation { return send.lease }
            return nil
        })
        var withPlan: [AttemptStart] = []
        var counted: Set<String> = []
        var others: [AttemptStart] = []
        for start in starts {
            if start.cap?.policy.enabled != true, sends.contains(start.lease), counted.insert(start.lease.messageID).inserted {
                withPlan.append(start)
            } else {
                others.append(start)
            }
        }
        self.withPlan = withPlan
        self.others = others
    }
}

/// What became of one `AttemptStart`.
public enum StartOutcome: Sendable, Equatable {
    /// The attempt is open (its id): send the request.
    case started(Int64)
    /// The frequency cap was reached meanwhile (by another daemon's send): the message went back to
    /// the queue until `until`, with the reason in its trail. Do not send.
    case deferred(until: Date)

    /// The attempt's id when it started.
    public var attemptID: Int64? {
        if case .started(let id) = self { return id }
        return nil
    }
}

/// The result of one attempt and the state it leads to.
public struct Completion: Sendable {
    public let lease: LeaseRef
    public let attemptID: Int64
    /// The gateway the attempt went through (the attempt's own, named in its acceptance receipt).
    public let gateway: String
    public let outcome: AttemptOutcome
    public let httpStatus: Int?
    public let providerID: String?
    public let latencyMs: Int
    public let error: String?
    public let state: MessageState
    public let reason: String?
    /// For `queued`: when to try again.
    public var readyAt: Date?
    /// A channel to skip from now on (fallback after a permanent failure); the rendered content is
    /// dropped so the message is planned again.
    public var excludeChannel: Channel?
    /// Lines for the decision trail.
    public var decisions: [String] = []
    /// The ids of the parts the provider reports on separately (Vonage segments), when more than one.
    public var parts: [String] = []

    public init(
        lease: LeaseRef, attemptID: Int64, gateway: String, outcome: AttemptOutcome, httpStatus: Int?, providerID: String?, latencyMs: Int,
        error: String?, state: MessageState, reason: String?, readyAt: Date? = nil, excludeChannel: Channel? = nil, decisions: [String] = []
    ) {
        self.lease = lease
        self.attemptID = attemptID
        self.gateway = gateway
        self.outcome = outcome
        self.httpStatus = httpStatus
        self.providerID = providerID
        self.latencyMs = latencyMs
        self.error = error
        self.state = state
        self.reason = reason
        self.readyAt = readyAt
        self.excludeChannel = excludeChannel
        self.decisions = decisions
    }
}

/// A store failure that is not the caller's input.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// What a delivery receipt did.
public enum ReceiptOutcome: Sendable, Hashable {
    /// No attempt through that gateway got this provider id.
    case unknownProvider
    /// The same status for the same provider id was recorded before; nothing changed.
    case duplicate(messageID: String, state: MessageState)
    /// Recorded; `state` is the message's state afterwards.
    case recorded(messageID: String, state: MessageState)
}

/// What erasing a recipient did.
/// What a retention sweep deleted (or, in a dry run, would delete).
public struct RetentionOutcome: Sendable, Hashable {
    /// Messages whose personal data (content, contact data, raw receipts) went.
    public var contentPurged: Int
    /// Messages deleted with their decisions, attempts and receipts.
    public var recordsDeleted: Int

    public init(contentPurged: Int, recordsDeleted: Int) {
        self.contentPurged = contentPurged
        self.recordsDeleted = recordsDeleted
    }
}

public struct ErasureOutcome: Sendable, Hashable {
    public var recordDeleted: Bool
    public var messagesScrubbed: Int
    public var messagesCancelled: Int

    public init(recordDeleted: Bool, messagesScrubbed: Int, messagesCancelled: Int) {
        self.recordDeleted = recordDeleted
        self.messagesScrubbed = messagesScrubbed
        self.messagesCancelled = messagesCancelled
    }
}
