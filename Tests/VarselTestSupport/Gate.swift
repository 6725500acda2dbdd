import Foundation

/// Holds a thread at `passThrough()` while closed (the dispatcher's own, see `DedicatedExecutor`).
public final class Gate: @unchecked Sendable {
    private let condition = NSCondition()
    private var closed = false
    private var waiters = 0

    public init() {}

    public func close() { condition.withLock { closed = true } }

    public func open() {
        condition.withLock {
            closed = false
            condition.broadcast()
        }
    }

    public var waiting: Bool { condition.withLock { waiters > 0 } }

    public func passThrough() {
        condition.withLock {
            waiters += 1
            while closed { condition.wait() }
            waiters -= 1
        }
    }
}
