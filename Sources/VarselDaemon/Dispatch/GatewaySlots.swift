import Synchronization

/// At most `max_connections` sends of each gateway handed to the HTTP client at once. The others
/// wait here, in arrival order, before their attempt is opened: a send that waits has not left, so a
/// crash finds only the started ones ambiguous, and a request's timeout never runs while it queues.
final class GatewaySlots: Sendable {
    private struct Gate {
        var free: Int
        var waiters: [CheckedContinuation<Bool, Never>] = []
    }

    private struct State {
        var gates: [String: Gate]
        var closed = false
    }

    private let state: Mutex<State>

    init(limits: [String: Int]) {
        state = Mutex(State(gates: limits.mapValues { Gate(free: max(1, $0)) }))
    }

    /// Waits for a free slot of `gateway`. False once `close()` was called: the send must not start.
    func acquire(_ gateway: String) async -> Bool {
        await withCheckedContinuation { continuation in
            let answer = state.withLock { state -> Bool? in
                if state.closed { return false }
                var gate = state.gates[gateway] ?? Gate(free: 1)
                defer { state.gates[gateway] = gate }
                if gate.free > 0 {
                    gate.free -= 1
                    return true
                }
                gate.waiters.append(continuation)
                return nil
            }
            if let answer { continuation.resume(returning: answer) }
        }
    }

    /// Takes a free slot of `gateway` if there is one now, without waiting. A slot is free only
    /// when no send waits for one, so this never overtakes a waiter.
    func tryAcquire(_ gateway: String) -> Bool {
        state.withLock { state in
            guard !state.closed else { return false }
            var gate = state.gates[gateway] ?? Gate(free: 1)
            guard gate.free > 0 else { return false }
            gate.free -= 1
            state.gates[gateway] = gate
            return true
        }
    }

    /// Gives a slot back: to the longest waiter, if any.
    func release(_ gateway: String) {
        let next = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard var gate = state.gates[gateway] else { return nil }
            defer { state.gates[gateway] = gate }
            if !gate.waiters.isEmpty { return gate.waiters.removeFirst() }
            gate.free += 1
            return nil
        }
        next?.resume(returning: true)
    }

    /// Refuses every waiting and later `acquire` (shutdown): those sends stay unstarted.
    func close() {
        let waiting = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            state.closed = true
            var all: [CheckedContinuation<Bool, Never>] = []
            for key in state.gates.keys {
                all += state.gates[key]!.waiters
                state.gates[key]!.waiters = []
            }
            return all
        }
        for waiter in waiting { waiter.resume(returning: false) }
    }
}
