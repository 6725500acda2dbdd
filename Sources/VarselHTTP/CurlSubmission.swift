import Synchronization

/// The caller's side of one ``CurlHTTPClient/execute(_:)`` call, shared with the curl thread.
///
/// Its identity (`ObjectIdentifier`) names the request in cancel commands. `cancelled` is set
/// by the task's cancellation handler before it enqueues a cancel command, so the curl thread
/// sees a cancellation that overtakes the submission itself.
final class CurlTicket: Sendable {
    /// The request's pool, to find it in the scheduler's queues.
    let poolKey: String
    /// Set once the calling task was cancelled.
    let cancelled = Atomic<Bool>(false)

    init(poolKey: String) {
        self.poolKey = poolKey
    }

    var id: ObjectIdentifier { ObjectIdentifier(self) }

    var isCancelled: Bool { cancelled.load(ordering: .sequentiallyConsistent) }
}

/// A request on its way to the curl thread, with what receives its result: the awaiting caller's
/// continuation (``CurlHTTPClient/execute(_:)``) or a handler (``CurlHTTPClient/start(_:onFinish:)``).
///
/// Ownership rule: a submission lives in exactly one place at a time — the inbox, the pool
/// scheduler, or a ``CurlTransfer`` — and whoever takes it out for good finishes it, so its
/// handler runs exactly once.
///
/// A class: it passes through the inbox, the scheduler's queue and the transfer, and a reference
/// moves as one count where a copy of the request retained and released each of its fields.
final class CurlSubmission: Sendable {
    let ticket: CurlTicket
    let request: HTTPRequest
    private let finish: @Sendable (Result<HTTPResponse, any Error>) -> Void

    init(ticket: CurlTicket, request: HTTPRequest, onFinish: @escaping @Sendable (Result<HTTPResponse, any Error>) -> Void) {
        self.ticket = ticket
        self.request = request
        finish = onFinish
    }

    convenience init(ticket: CurlTicket, request: HTTPRequest, continuation: CheckedContinuation<HTTPResponse, any Error>) {
        self.init(ticket: ticket, request: request) { continuation.resume(with: $0) }
    }

    func succeed(_ response: HTTPResponse) {
        finish(.success(response))
    }

    func fail(_ error: any Error) {
        finish(.failure(error))
    }
}
