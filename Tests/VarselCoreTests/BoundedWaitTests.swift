import Testing
import VarselCore

/// Shutdowns wait for a task at most a bound: a task that ends is seen to end, one that never
/// does is given up on (and left running) instead of holding the shutdown for ever.
@Suite struct BoundedWaitTests {
    @Test("a task that ends within the bound: true, and its result is not disturbed")
    func endedInTime() async {
        let task = Task { 42 }
        #expect(await BoundedWait.wait(for: task, atMost: .seconds(120)))
        #expect(await task.value == 42)
    }

    @Test("a task that never ends: false once the bound has passed, and the task is not cancelled by the wait")
    func neverEnds() async {
        let stream = AsyncStream<Int>.makeStream()
        // Waits for an element that never comes (like a pool whose shutdown never finishes).
        let task = Task { () -> Bool in
            for await _ in stream.stream {}
            return Task.isCancelled
        }
        #expect(await BoundedWait.wait(for: task, atMost: .milliseconds(200)) == false)
        stream.continuation.finish()
        #expect(await task.value == false, "the wait did not cancel the task")
    }

    @Test("a task that fails counts as ended")
    func failedTask() async {
        struct Failure: Error {}
        let task = Task<Int, any Error> { throw Failure() }
        #expect(await BoundedWait.wait(for: task, atMost: .seconds(120)))
    }
}
