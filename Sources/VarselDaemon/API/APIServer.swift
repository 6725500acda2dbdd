import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization
import VarselCore
import VarselGateways
import VarselStore
import VarselTemplates

/// The HTTP API for producers and operators (served by `varsel serve` on `server.host`/`server.port`).
public struct APIServer: Sendable {
    let store: any MessageStore
    let validator: MessageValidator
    /// The collection plans in force, by name (`plans.dir`).
    let plans: @Sendable () -> [String: CollectionPlan]
    /// Plan timing settings (`plans.timing`), and the contact windows a learned step's day opens in.
    let planSettings: VarselConfig.Plans
    let contactWindows: ContactWindows
    let limits: VarselConfig.Server
    /// The gateways' adapters, which verify and read their delivery callbacks.
    let adapters: [String: any GatewayAdapter]
    let fallbackOnFailedReceipt: Bool
    let verifier: TokenVerifier
    let readiness: @Sendable () async -> [String: String]?
    let onEnqueue: @Sendable (_ earliestDue: Date) -> Void
    let notes: @Sendable () -> [String: String]
    let metrics: VarselMetrics?
    /// Brings sampled metrics (messages by state, queue age, circuits) up to date before a scrape.
    let beforeScrape: @Sendable () async -> Void
    let channelOfGateway: [String: VarselCore.Channel]
    let logger: Logger
    let inProgress = InProgressKeys()
    /// Single enqueues, stored in groups: one transaction and one sync for those that arrive together.
    let enqueues: EnqueueGroup
    /// Batches being handled now, at most `server.max_concurrent_batches`.
    let batchSlots: BatchSlots
    /// `GET /openapi.yaml`, made from the configuration and the kinds' schemas.
    let document: OpenAPIDocument

    /// - Parameters:
    ///   - readiness: `nil` when ready; otherwise the failing checks by name.
    ///   - onEnqueue: called after messages were stored, with the earliest time one of them is due
    ///     (wakes the dispatcher when that is now).
    ///   - kindSchemas: the kinds' data schemas of the template set in force, for the OpenAPI
    ///     document; when `nil`, those of `templates.dir` as it is read once now.
    public init(
        config: VarselConfig, store: any MessageStore, logger: Logger, readiness: @escaping @Sendable () async -> [String: String]?,
        onEnqueue: @escaping @Sendable (_ earliestDue: Date) -> Void, notes: @escaping @Sendable () -> [String: String] = { [:] },
        dataChecking: MessageValidator.DataChecking? = nil, metrics: VarselMetrics? = nil,
        beforeScrape: @escaping @Sendable () async -> Void = {}, kindSchemas: (@Sendable () -> [String: KindSchema])? = nil,
        plans: @escaping @Sendable () -> [String: CollectionPlan] = { [:] }
    ) {
        self.plans = plans
        self.planSettings = config.plans
        self.contactWindows = config.contactWindows
        self.batchSlots = BatchSlots(limit: config.server.maxConcurrentBatches)
        if let kindSchemas {
            self.document = OpenAPIDocument(config: config, schemas: kindSchemas)
        } else {
            let directory = config.templates.directory
            let schemas = (try? TemplateSet(directory: directory, files: TemplateSetLoader.readFiles(directory)))?.schemas ?? [:]
            self.document = OpenAPIDocument(config: config, schemas: { schemas })
        }
        self.metrics = metrics
        self.beforeScrape = beforeScrape
        var channels: [String: VarselCore.Channel] = [:]
        for (channel, gateways) in config.channels { for gateway in gateways { channels[gateway] = channel } }
        self.channelOfGateway = channels
        self.notes = notes
        self.store = store
        self.validator = MessageValidator(kinds: config.planning.kinds, collectionRules: config.planning.collectionRules, dataChecking: dataChecking)
        self.enqueues = EnqueueGroup(store: store, caseStops: CaseStopPolicy(kinds: config.planning.kinds))
        self.limits = config.server
        self.adapters = config.gateways.mapValues { $0.makeAdapter() }
        self.fallbackOnFailedReceipt = config.fallback.onFailedReceipt
        self.verifier = TokenVerifier(store: store, staticTokens: config.server.staticTokens)
        self.readiness = readiness
        self.onEnqueue = onEnqueue
        self.logger = logger
    }

    /// The router with every route of the API.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("healthz") { _, _ in Self.json(.ok, ["status": "ok"]) }
        router.get("readyz") { _, _ in
            if let failing = await readiness() {
                return Self.json(.serviceUnavailable, ["status": "not ready", "checks": failing])
            }
            let notes = notes()
            return Self.json(.ok, notes.isEmpty ? ["status": "ready"] : ["status": "ready", "checks": notes])
        }
        router.get("metrics") { _, _ in
            guard let metrics else { return Response(status: .notFound) }
            await beforeScrape()
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.exposition())))
        }
        router.get("openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml"], body: ResponseBody(byteBuffer: ByteBuffer(string: document.yaml())))
        }
        router.post("v1/messages") { request, _ in try await enqueueOne(request) }
        router.post("v1/messages:batch") { request, _ in try await enqueueBatch(request) }
        router.get("v1/messages") { request, _ in try await listMessages(request) }
        router.get("v1/messages/{id}") { request, context in try await messageStatus(request, id: context.parameters.require("id")) }
        router.post("v1/messages/{id}/cancel") { request, context in
            try await cancel(request, ids: [context.parameters.require("id")], caseRef: nil)
        }
        router.post("v1/cases/{case_ref}/cancel") { request, context in
            try await cancel(request, ids: nil, caseRef: Self.pathValue(context.parameters.require("case_ref")))
        }
        router.post("v1/cases") { request, _ in try await createCase(request) }
        router.get("v1/reports/outcomes") { request, _ in try await outcomes(request) }
        router.get("v1/cases/{case_ref}") { request, context in try await showCase(request, caseRef: Self.pathValue(context.parameters.require("case_ref"))) }
        router.post("v1/cases/{case_ref}/events") { request, context in
            try await recordCaseEvent(request, caseRef: Self.pathValue(context.parameters.require("case_ref")))
        }
        router.get("v1/cases/{case_ref}/events") { request, context in
            try await caseEvents(request, caseRef: Self.pathValue(context.parameters.require("case_ref")))
        }
        router.get("v1/intake/errors") { request, _ in try await intakeErrors(request) }
        router.put("v1/recipients/{id}") { request, context in try await putRecipient(request, id: context.parameters.require("id")) }
        router.get("v1/recipients/{id}") { request, context in try await getRecipient(request, id: context.parameters.require("id")) }
        router.delete("v1/recipients/{id}") { request, context in try await eraseRecipient(request, id: context.parameters.require("id")) }
        router.post("v1/receipts/{gateway}") { request, context in try await receipt(request, gateway: context.parameters.require("gateway")) }
        // Some providers (Sveve, Vonage by default) deliver reports as GET with query parameters.
        router.get("v1/receipts/{gateway}") { request, context in try await receipt(request, gateway: context.parameters.require("gateway")) }
        // Added last, so it wraps only the router's "no route" answer.
        router.add(middleware: NoRouteMiddleware(routes: router.routes.map { ($0.path, $0.method) }))
        return router
    }

    // MARK: Helpers

    /// Reads the body, refusing with 413 as soon as it is known to exceed `limit` (by Content-Length
    /// before reading, else while reading).
    func read(_ request: Request, limit: Int) async throws -> [UInt8] {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit { throw Problem.tooLarge(limit: limit) }
        do {
            let buffer = try await request.body.collect(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw Problem.tooLarge(limit: limit)
        }
    }

    /// A path parameter as the client meant it: percent-decoded (`inv%2F1` is the case `inv/1`); a
    /// malformed escape is kept as it came.
    static func pathValue(_ raw: String) -> String { raw.removingPercentEncoding ?? raw }

    static func json(_ status: HTTPResponse.Status, _ object: [String: Any], location: String? = nil) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return jsonResponse(status, ByteBuffer(bytes: data), location: location)
    }

    /// An object of strings (the answer to every enqueue) written directly, in sorted key order:
    /// `JSONSerialization` was a twentieth of a single-message POST.
    static func json(_ status: HTTPResponse.Status, _ object: [String: String], location: String? = nil) -> Response {
        jsonResponse(status, ByteBuffer(bytes: jsonBytes(object)), location: location)
    }

    static func jsonBytes(_ object: [String: String]) -> [UInt8] {
        var writer = CompactJSONWriter(capacity: 128)
        var members = CompactJSONWriter.ObjectState()
        for (key, value) in object.sorted(by: { $0.key < $1.key }) {
            writer.key(key, &members)
            writer.string(value)
        }
        writer.end(members)
        return writer.bytes
    }

    private static func jsonResponse(_ status: HTTPResponse.Status, _ body: ByteBuffer, location: String?) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let location { headers[.location] = location }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: body))
    }
}

/// Answers a request no route takes as problem+json: 404 when no route has its path, 405 with
/// `Allow` when routes have the path but not the method.
struct NoRouteMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: [(path: RouterPath, method: HTTPRequest.Method)]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let segments = request.uri.path.split(separator: "/")
            var allowed: [String] = []
            for route in routes where Self.matches(route.path, segments) && !allowed.contains(route.method.rawValue) {
                allowed.append(route.method.rawValue)
            }
            throw Problem.noRoute(path: request.uri.path, method: request.method.rawValue, allowed: allowed.sorted())
        }
    }

    static func matches(_ path: RouterPath, _ segments: [Substring]) -> Bool {
        guard path.components.count == segments.count else { return false }
        return zip(path.components, segments).allSatisfy { $0 ~= $1 }
    }
}

/// Counts batches in progress against `server.max_concurrent_batches`.
final class BatchSlots: Sendable {
    let limit: Int
    private let used = Mutex(0)

    init(limit: Int) { self.limit = limit }

    /// Takes a slot, or returns false when all are taken.
    func acquire() -> Bool {
        used.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    func release() { used.withLock { $0 -= 1 } }

    var inUse: Int { used.withLock { $0 } }
}

/// Idempotency keys whose first request is still being processed (IETF idempotency-key draft: a
/// concurrent repeat gets 409).
final class InProgressKeys: Sendable {
    private let keys = Mutex<Set<String>>([])

    func begin(_ key: String) -> Bool { keys.withLock { $0.insert(key).inserted } }
    func end(_ key: String) { _ = keys.withLock { $0.remove(key) } }
}

extension HTTPField.Name {
    static let idempotencyKey = Self("Idempotency-Key")!
}
