/// Per-pool FIFO queues with two concurrency limits; confined to the curl thread.
///
/// At most `maxRunning` submissions are running overall and at most `maxPerPool` per pool key (or
/// the pool's own limit in `poolLimits`).
/// Within a pool, submissions start in arrival order. Pools with waiting work take turns
/// (round robin), so one busy pool cannot starve another.
struct PoolScheduler {
    private struct Pool {
        var waiting: [CurlSubmission] = []
        var head = 0
        var running = 0

        var waitingCount: Int { waiting.count - head }

        /// Appends, calling `becameBusy` first when nothing was waiting.
        mutating func append(_ submission: CurlSubmission, becameBusy: () -> Void) {
            if waitingCount == 0 { becameBusy() }
            waiting.append(submission)
        }

        /// Takes the first waiting submission as running, unless `limit` run already; returns it and how
        /// many still wait.
        mutating func start(limit: Int) -> (submission: CurlSubmission, waitingLeft: Int)? {
            guard running < limit else { return nil }
            running += 1
            let first = popFirst()
            return (first, waitingCount)
        }

        /// One running submission ended; returns whether the pool is now idle (nothing running or waiting).
        mutating func finish() -> Bool {
            running -= 1
            return running == 0 && waitingCount == 0
        }

        mutating func popFirst() -> CurlSubmission {
            let first = waiting[head]
            head += 1
            if head == waiting.count {
                waiting.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 64 && head * 2 >= waiting.count {
                waiting.removeFirst(head)
                head = 0
            }
            return first
        }
    }

    let maxRunning: Int
    let maxPerPool: Int
    let poolLimits: [String: Int]

    private var pools: [String: Pool] = [:]
    /// Keys of pools with waiting submissions, in the order they take turns.
    private var turns: [String] = []
    private var cursor = 0
    private(set) var running = 0

    init(maxRunning: Int, maxPerPool: Int, poolLimits: [String: Int] = [:]) {
        self.maxRunning = max(1, maxRunning)
        self.maxPerPool = max(1, maxPerPool)
        self.poolLimits = poolLimits.mapValues { max(1, $0) }
    }

    /// Queues a submission behind the others of its pool.
    mutating func enqueue(_ submission: CurlSubmission) {
        let key = submission.request.poolKey
        // Mutated in place: a pool copied out of the dictionary and stored back copied its queue.
        pools[key, default: Pool()].append(submission) { turns.append(key) }
    }

    /// The next submission allowed to run, counted as running; nil when every pool with work
    /// is at its limit or the overall limit is reached.
    mutating func next() -> CurlSubmission? {
        guard running < maxRunning, !turns.isEmpty else { return nil }
        for step in 0..<turns.count {
            let index = (cursor + step) % turns.count
            let key = turns[index]
            guard let (submission, waitingLeft) = pools[key]?.start(limit: poolLimits[key] ?? maxPerPool) else { continue }
            running += 1
            if waitingLeft == 0 {
                turns.remove(at: index)
                cursor = turns.isEmpty ? 0 : index % turns.count
            } else {
                cursor = (index + 1) % turns.count
            }
            return submission
        }
        return nil
    }

    /// Records that a submission returned by ``next()`` stopped running.
    mutating func finished(poolKey: String) {
        guard let runningInPool = pools[poolKey]?.running, runningInPool > 0 else {
            assertionFailure("finished() without a running submission in pool")
            return
        }
        running -= 1
        if pools[poolKey]?.finish() == true {
            pools[poolKey] = nil
        }
    }

    /// Takes a waiting (not running) submission out of its queue.
    mutating func removeWaiting(_ ticket: CurlTicket) -> CurlSubmission? {
        let poolKey = ticket.poolKey
        guard var pool = pools[poolKey],
              let index = pool.waiting[pool.head...].firstIndex(where: { $0.ticket === ticket })
        else { return nil }
        let submission = pool.waiting.remove(at: index)
        if pool.waitingCount == 0 {
            if let turn = turns.firstIndex(of: poolKey) {
                turns.remove(at: turn)
                if turn < cursor { cursor -= 1 }
                if cursor >= turns.count { cursor = 0 }
            }
        }
        if pool.running == 0 && pool.waitingCount == 0 {
            pools[poolKey] = nil
        } else {
            pools[poolKey] = pool
        }
        return submission
    }

    /// Takes every waiting submission out, in no particular order across pools.
    mutating func removeAllWaiting() -> [CurlSubmission] {
        var all: [CurlSubmission] = []
        for key in pools.keys {
            guard var pool = pools[key] else { continue }
            all.append(contentsOf: pool.waiting[pool.head...])
            pool.waiting.removeAll()
            pool.head = 0
            pools[key] = pool
        }
        turns.removeAll()
        cursor = 0
        return all
    }
}
