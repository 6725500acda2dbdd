import Synchronization

/// Waiting for a task to end, at most a given time: for shutdowns that must not hang on a
/// library whose own shutdown does not finish (a server connection that never closes, a database
/// pool that never drains).
public enum BoundedWait {
    /// Waits for `task` to end, at most `limit`; true when it ended in time. The task is not
    /// cancelled here: the caller decides what to do with one that did not end.
    public static func wait<Success: Sendable, Failure: Error>(for task: Task<Success, Failure>, atMost limit: Duration) async -> Bool {
        let pending = FirstResume()
        return await withCheckedContinuation { continuation in
            pending.set(continuation)
            Task {
                _ = await task.result
                pending.resume(true)
            }
            Task {
                try? await Task.sleep(for: limit)
                pending.resume(false)
            }
        }
    }

    /// A continuation resumed once, by whichever comes first.
    private final class FirstResume: Sendable {
        private let continuation = Mutex<CheckedContinuation<Bool, Never>?>(nil)

        func set(_ value: CheckedContinuation<Bool, Never>) { continuation.withLock { $0 = value } }

        func resume(_ ended: Bool) {
            let taken = continuation.withLock { value -> CheckedContinuation<Bool, Never>? in
                defer { value = nil }
                return value
            }
            taken?.resume(returning: ended)
        }
    }
}
