import CCurl
import Dispatch
import Foundation
import Synchronization

/// An asynchronous HTTP/HTTPS client on one libcurl multi handle, driven by one dedicated thread.
///
/// Contract:
/// - ``execute(_:)`` suspends the calling task until the final response arrives or the
///   transfer fails; it never blocks a thread of the cooperative pool. Any status code is a
///   response; only transport failures throw ``HTTPClientError``. ``start(_:onFinish:)`` is the
///   same without a task: its handler gets the result on the curl thread.
/// - Requests wait in a FIFO queue per ``HTTPRequest/poolKey`` inside the client. At most
///   ``Configuration/maxConnectionsPerPool`` requests of one pool (or the pool's own limit in
///   ``Configuration/poolLimits``) and at most
///   ``Configuration/maxInFlight`` overall are handed to libcurl at once; a request's
///   timeouts start only when it is handed over. Connections are kept alive and reused.
/// - Cancelling the calling task abandons the request (removing it from libcurl if it was
///   running) and throws `CancellationError`; whether bytes reached the server is then unknown.
/// - ``shutdown()`` (also run by `deinit`) stops the thread; requests still queued or running
///   fail with ``HTTPClientError/Code/shutDown``, and later calls fail with it at once.
/// - Redirects are never followed; only `http` and `https` are allowed. Proxy settings from
///   the environment (`http_proxy`, `https_proxy`, `no_proxy`) apply, as libcurl does by default.
public final class CurlHTTPClient: Sendable {
    /// Limits and settings of a client, fixed at creation.
    public struct Configuration: Sendable {
        /// Transfers handed to libcurl at once, over all pools. Default 256.
        public var maxInFlight: Int
        /// Transfers of one pool handed to libcurl at once. Default 64.
        public var maxConnectionsPerPool: Int
        /// Pools with a limit of their own instead of `maxConnectionsPerPool`, by pool key.
        public var poolLimits: [String: Int]
        /// Given the ``HTTPRequest/handOverMark`` of each request before libcurl gets it; nil: none.
        public var handOver: (any HandOverRecording)?
        /// Open connections kept by libcurl, busy or idle (`CURLMOPT_MAX_TOTAL_CONNECTIONS`,
        /// also the size of the keep-alive cache). Transfers handed to libcurl never exceed it,
        /// so libcurl never queues a transfer itself. Default 256.
        public var maxTotalConnections: Int
        /// Verify the server's certificate and host name. Default true; only tests may turn it off.
        public var verifyTLS: Bool
        /// The `User-Agent` sent unless a request sets its own; nil sends none.
        public var userAgent: String?
        /// A longer response body fails with ``HTTPClientError/Code/responseTooLarge``. Default 16 MiB.
        public var maxResponseBodyBytes: Int

        /// Creates a configuration; every parameter has the documented default.
        public init(
            maxInFlight: Int = 256,
            maxConnectionsPerPool: Int = 64,
            maxTotalConnections: Int = 256,
            verifyTLS: Bool = true,
            userAgent: String? = "VarselHTTP",
            maxResponseBodyBytes: Int = 16 << 20,
            poolLimits: [String: Int] = [:],
            handOver: (any HandOverRecording)? = nil
        ) {
            self.maxInFlight = maxInFlight
            self.maxConnectionsPerPool = maxConnectionsPerPool
            self.poolLimits = poolLimits
            self.handOver = handOver
            self.maxTotalConnections = maxTotalConnections
            self.verifyTLS = verifyTLS
            self.userAgent = userAgent
            self.maxResponseBodyBytes = maxResponseBodyBytes
        }
    }

    /// The configuration this client was created with.
    public let configuration: Configuration

    private let inbox: CurlInbox
    /// The curl thread's easy handles (kept here for ``easyHandlesCreated``).
    private let handles: CurlEasyHandles
    /// Entered before the curl thread starts, left when it has finished; waited on to join it.
    private let threadExited = DispatchGroup()

    /// Creates the client and starts its curl thread.
    public init(configuration: Configuration = .init()) {
        CurlGlobal.ensureInitialized()
        self.configuration = configuration

        guard let multi = curl_multi_init() else {
            preconditionFailure("curl_multi_init failed")
        }
        let maxConnections = max(1, configuration.maxTotalConnections)
        let maxRunning = min(max(1, configuration.maxInFlight), maxConnections)
        // Swift-side limits keep busy connections per host at or below maxRunning, so this cap
        // never makes libcurl queue a transfer (which would eat into its timeout).
        _ = varsel_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, maxRunning)
        _ = varsel_multi_setopt_long(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, maxConnections)
        _ = varsel_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, maxConnections)

        let inbox = CurlInbox(multi: CurlMultiHandle(raw: multi))
        self.inbox = inbox
        let handles = CurlEasyHandles(limit: maxRunning)
        self.handles = handles

        let exited = threadExited
        exited.enter()
        NamedThread.start("VarselHTTP.curl") {
            CurlMultiLoop(inbox: inbox, configuration: configuration, maxRunning: maxRunning, handles: handles).run()
            exited.leave()
        }
    }

    deinit {
        shutdown()
    }

    /// How many libcurl easy handles this client has created: a transfer reuses the handle of one that ended.
    var easyHandlesCreated: Int { handles.created.load(ordering: .relaxed) }
    /// How many transfers found an easy handle still set up for their gateway (``CurlHandleSetup``).
    var easyHandlesReusedSetUp: Int { handles.reusedSetUp.load(ordering: .relaxed) }

    /// Sends `request` and returns the final response.
    ///
    /// - Throws: ``HTTPClientError`` for transport failures (see its `requestMayHaveReachedServer`),
    ///   or `CancellationError` if the calling task is cancelled first.
    public func execute(_ request: HTTPRequest) async throws -> HTTPResponse {
        if let invalid = Self.invalid(request) { throw invalid }
        try Task.checkCancellation()
        let ticket = CurlTicket(poolKey: request.poolKey)
        let inbox = self.inbox
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                Self.submit(CurlSubmission(ticket: ticket, request: request, continuation: continuation), to: inbox)
            }
        } onCancel: {
            ticket.cancelled.store(true, ordering: .sequentiallyConsistent)
            inbox.cancel(ticket)
        }
    }

    /// Hands `request` to the curl thread without waiting for it: `onFinish` gets the final response,
    /// or the transport failure as an ``HTTPClientError``, exactly once. It runs on the curl thread
    /// (at once on the caller's thread when the request is invalid or the client shut down) and must
    /// not block: hand the result on and return. For callers that keep many requests as data rather
    /// than one suspended task each (the dispatcher); ``execute(_:)`` is the same path, awaited.
    public func start(_ request: HTTPRequest, onFinish: @escaping @Sendable (Result<HTTPResponse, any Error>) -> Void) {
        if let invalid = Self.invalid(request) { return onFinish(.failure(invalid)) }
        Self.submit(CurlSubmission(ticket: CurlTicket(poolKey: request.poolKey), request: request, onFinish: onFinish), to: inbox)
    }

    /// Why `request` cannot be sent, as the error both entry points give before handing it over.
    private static func invalid(_ request: HTTPRequest) -> HTTPClientError? {
        request.validationFailure().map { HTTPClientError(code: .invalidRequest, curlMessage: $0, requestMayHaveReachedServer: false) }
    }

    /// Queues a submission for the curl thread, or fails it at once when the client is shutting down.
    private static func submit(_ submission: CurlSubmission, to inbox: CurlInbox) {
        if !inbox.submit(submission) {
            submission.fail(CurlMultiLoop.shutDownError(requestMayHaveReachedServer: false))
        }
    }

    /// Stops the client and waits for its thread to finish.
    ///
    /// Requests still queued or running fail with ``HTTPClientError/Code/shutDown``
    /// (running ones report whether bytes may have reached the server). Idempotent and safe to
    /// call from any thread; it blocks the caller only until the curl thread has exited, which
    /// takes one loop iteration.
    public func shutdown() {
        _ = inbox.requestStop()
        threadExited.wait()
    }

    /// Like ``shutdown()``, but waits for the curl thread to exit without blocking a thread of the
    /// caller's pool (for async code on the shared concurrency threads).
    public func shutdownAndWait() async {
        _ = inbox.requestStop()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            threadExited.notify(queue: .global()) { continuation.resume() }
        }
    }
}
