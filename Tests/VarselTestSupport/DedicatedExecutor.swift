import Dispatch

/// Runs a task (and its children) on one serial dispatch queue instead of the shared cooperative
/// pool, so a test can block that task's thread on purpose without starving every other test.
public final class DedicatedExecutor: TaskExecutor, @unchecked Sendable {
    private let queue: DispatchQueue

    public init(label: String) { queue = DispatchQueue(label: label) }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
