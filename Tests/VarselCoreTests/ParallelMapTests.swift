import Foundation
import Synchronization
import Testing
import VarselCore

@Suite struct ParallelMapTests {
    @Test("the results are the transform of every element, in order, for sizes around the stripe boundaries")
    func inOrder() {
        for count in [0, 1, 63, 64, 127, 128, 129, 1_000, 4_097] {
            let items = Array(0..<count)
            #expect(items.parallelMap { $0 * 3 + 1 } == items.map { $0 * 3 + 1 }, "count \(count)")
            #expect(items.parallelMap(minimumPerStripe: 1) { "\($0)" } == items.map { "\($0)" }, "count \(count)")
        }
    }

    @Test("each element is transformed exactly once")
    func once() {
        let calls = Mutex([Int: Int]())
        _ = Array(0..<5_000).parallelMap(minimumPerStripe: 1) { value in calls.withLock { $0[value, default: 0] += 1 } }
        let seen = calls.withLock { $0 }
        #expect(seen.count == 5_000 && seen.values.allSatisfy { $0 == 1 })
    }
}
