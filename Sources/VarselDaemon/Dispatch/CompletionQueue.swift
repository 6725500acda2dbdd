import Synchronization
import VarselStore

/// Hands finished sends to the recorder, which writes them in batches: one transaction (one fsync)
/// for everything that finished while the previous batch was being written.
final class CompletionQueue: Sendable {
    private struct State {
        var items: [Completion] = []
        var closed = false
        var waiter: CheckedContinuation<[Completion], Never>?
    }

    private let state = Mutex(State())

    func push(_ completion: Completion) {
        let delivery = state.withLock { state -> (CheckedContinuation<[Completion], Never>, [Completion])? in
            state.items.append(completion)
            guard let waiter = state.waiter else { return nil }
            state.waiter = nil
            defer { state.items = [] }
            return (waiter, state.items)
        }
        if let (waiter, items) = delivery { waiter.resume(returning: items) }
    }

    /// No more pushes will come; the recorder drains what is left and stops.
    func close() {
        let waiter = state.withLock { state -> CheckedContinuation<[Completion], Never>? in
            state.closed = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: [])
    }

    /// Everything queued, waiting until there is something. Empty only once closed and drained.
    func takeAll() async -> [Completion] {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> [Completion]? in
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
