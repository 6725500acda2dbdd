import Foundation
import Synchronization
import Testing
import VarselCore

/// `LimitedConcurrency.forEach`: pieces taken one at a time, done up to the limit at once, never more.
@Suite struct LimitedConcurrencyTests {
    /// Pieces under way now and the most seen at once, and the pieces done.
    struct Seen {
        var underWay = 0
        var most = 0
        var done: [Int] = []
    }

    /// Runs `count` pieces with `limit`: each piece, once started, waits (at most 30 s) until `limit`
    /// pieces are under way or no more will start, so that pieces that can run together do.
    static func run(count: Int, limit: Int) async -> Seen {
        let seen = Mutex(Seen())
        let taken = Mutex(0)
        await LimitedConcurrency.forEach(limit: limit, next: {
            taken.withLock { taken -> Int? in
                guard taken < count else { return nil }
                defer { taken += 1 }
                return taken
            }
        }) { piece in
            seen.withLock { seen in
                seen.underWay += 1
                seen.most = max(seen.most, seen.underWay)
            }
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                let enough = seen.withLock { $0.underWay >= limit || $0.done.count + $0.underWay >= count }
                if enough { break }
                try? await Task.sleep(for: .milliseconds(1))
            }
            seen.withLock { seen in
                seen.underWay -= 1
                seen.done.append(piece)
            }
        }
        return seen.withLock { $0 }
    }

    @Test("every piece is done once, and up to the limit run at once, never more", arguments: [1, 2, 4])
    func limitHolds(_ limit: Int) async {
        let seen = await Self.run(count: 9, limit: limit)
        #expect(seen.done.sorted() == Array(0..<9))
        #expect(seen.most == limit, "at most \(limit) at once, and that many when there is work")
        #expect(seen.underWay == 0)
    }

    @Test("nothing to take: returns at once without running anything")
    func nothingTaken() async {
        let ran = Mutex(false)
        await LimitedConcurrency.forEach(limit: 3, next: { nil as Int? }) { _ in ran.withLock { $0 = true } }
        #expect(!ran.withLock { $0 })
    }
}
