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

/// A request on its way to the curl thread, with the continuation of the awaiting caller.
///
/// Ownership rule: a submission lives in exactly one place at a time — the inbox, the pool
/// scheduler, or a ``CurlTransfer`` — and whoever takes it out for good resumes the
/// continuation, so it is resumed exactly once.
struct CurlSubmission: Sendable {
    let ticket: CurlTicket
    let request: HTTPRequest
    let continuation: CheckedContinuation<HTTPResponse, any Error>

    func fail(_ error: any Error) {
        continuation.resume(throwing: error)
    }
}
