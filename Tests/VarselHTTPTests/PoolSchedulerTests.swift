import Synchronization
import Testing
@testable import VarselHTTP

/// The curl thread's queues: arrival order within a pool, both limits, pools taking turns.
@Suite struct PoolSchedulerTests {
    @Test func arrivalOrderWithinAPoolAndBothLimits() async throws {
        try await withSubmissions(["a", "a", "a", "a", "b", "b"]) { submissions in
            var scheduler = PoolScheduler(maxRunning: 3, maxPerPool: 2)
            for submission in submissions { scheduler.enqueue(submission) }
            // Turns: a, b, a; then a is at its limit and the overall limit is reached.
            let started = [scheduler.next(), scheduler.next(), scheduler.next()].map { $0.map(label) }
            #expect(started == ["a0", "b4", "a1"])
            #expect(scheduler.next() == nil)
            #expect(scheduler.running == 3)
            // b frees a slot overall, but a stays at its own limit: the next is b's.
            scheduler.finished(poolKey: "b")
            #expect(scheduler.next().map(label) == "b5")
            #expect(scheduler.next() == nil)
            scheduler.finished(poolKey: "a")
            #expect(scheduler.next().map(label) == "a2")
            scheduler.finished(poolKey: "a")
            scheduler.finished(poolKey: "b")
            #expect(scheduler.next().map(label) == "a3")
            #expect(scheduler.next() == nil)
            #expect(scheduler.running == 2)
        }
    }

    @Test func aPoolWithALimitOfItsOwnKeepsToIt() async throws {
        try await withSubmissions(["small", "small", "small", "big", "big", "big"]) { submissions in
            var scheduler = PoolScheduler(maxRunning: 10, maxPerPool: 3, poolLimits: ["small": 1])
            for submission in submissions { scheduler.enqueue(submission) }
            var started: [String] = []
            while let next = scheduler.next() { started.append(label(next)) }
            #expect(started == ["small0", "big3", "big4", "big5"])
            scheduler.finished(poolKey: "small")
            #expect(scheduler.next().map(label) == "small1")
            #expect(scheduler.next() == nil)
        }
    }

    @Test func aLongQueueKeepsItsOrderAndAWaitingOneCanBeTakenOut() async throws {
        let keys = Array(repeating: "busy", count: 300)
        try await withSubmissions(keys) { submissions in
            var scheduler = PoolScheduler(maxRunning: 1, maxPerPool: 1)
            for submission in submissions { scheduler.enqueue(submission) }
            #expect(scheduler.removeWaiting(submissions[150].ticket) === submissions[150])
            #expect(scheduler.removeWaiting(submissions[150].ticket) == nil)
            var order: [Int] = []
            while let next = scheduler.next() {
                order.append(Int(label(next).dropFirst(4))!)
                scheduler.finished(poolKey: "busy")
            }
            #expect(order == Array(0..<150) + Array(151..<300))
            #expect(scheduler.running == 0)
        }
    }

    private func label(_ submission: CurlSubmission) -> String { submission.request.url }

    /// Submissions for `keys` (the URL of each is its key and index, e.g. `a0`), handed to `body`;
    /// each caller is answered afterwards so that no continuation leaks.
    private func withSubmissions(_ keys: [String], _ body: ([CurlSubmission]) throws -> Void) async throws {
        let made = Made()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, key) in keys.enumerated() {
                group.addTask {
                    _ = try? await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPResponse, any Error>) in
                        let request = HTTPRequest(method: "POST", url: "\(key)\(index)", poolKey: key)
                        made.items.withLock { $0.append(CurlSubmission(ticket: CurlTicket(poolKey: key), request: request, continuation: continuation)) }
                    }
                }
            }
            while made.items.withLock({ $0.count }) < keys.count { await Task.yield() }
            let submissions = made.items.withLock { $0 }.sorted { Int($0.request.url.drop { !$0.isNumber })! < Int($1.request.url.drop { !$0.isNumber })! }
            let outcome = Result { try body(submissions) }
            for submission in submissions { submission.fail(CancellationError()) }
            try await group.waitForAll()
            try outcome.get()
        }
    }
}

private final class Made: Sendable {
    let items = Mutex<[CurlSubmission]>([])
}
