import Synchronization
import VarselGateways

/// A send whose attempt is open and whose request came back (or could not be built).
struct FinishedSend: Sendable {
    enum Answer: Sendable {
        /// What the HTTP client returned, still to be classified (`GatewaySender.result(of:)`).
        case transfer(GatewayTransfer)
        /// A send that never reached the client (its request could not be built).
        case decided(SendResult)
    }

    let queued: QueuedSend
    let attemptID: Int64
    let answer: Answer
}

/// Hands finished sends to the recorder, which classifies and writes them in batches: one
/// transaction (one fsync) for everything that finished while the previous batch was being written.
/// Pushed from the HTTP client's curl thread, so a push only appends (and wakes the recorder when
/// it waits).
final class FinishedSends: Sendable {
    private struct State {
        var items: [FinishedSend] = []
        var closed = false
        var waiter: CheckedContinuation<[FinishedSend], Never>?
    }

    private let state = Mutex(State())

    /// Queues a finished send; dropped once closed (a send still running at the end of the shutdown
    /// grace: its attempt stays pending and is reclaimed as ambiguous on the next start).
    func push(_ finished: FinishedSend) {
        let delivery = state.withLock { state -> (CheckedContinuation<[FinishedSend], Never>, [FinishedSend])? in
            guard !state.closed else { return nil }
            state.items.append(finished)
            guard let waiter = state.waiter else { return nil }
            state.waiter = nil
            defer { state.items = [] }
            return (waiter, state.items)
        }
        if let (waiter, items) = delivery { waiter.resume(returning: items) }
    }

    /// No more pushes are taken; the recorder drains what is left and stops.
    func close() {
        let waiter = state.withLock { state -> CheckedContinuation<[FinishedSend], Never>? in
            state.closed = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: [])
    }

    /// Everything queued, waiting until there is something. Empty only once closed and drained.
    func takeAll() async -> [FinishedSend] {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> [FinishedSend]? in
                if !state.items.isEmpty || state.closed {
                    defer { state.items = [] }
                    return state.items
                }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
