/// Work taken one piece at a time and done several pieces at once, at most `limit` under way: a piece
/// taken while `limit` are under way waits for one of them to end before it starts.
public enum LimitedConcurrency {
    /// Takes pieces from `next` until it yields nil, runs `body` on each as a child task, at most
    /// `limit` at once, and returns once every piece has been done.
    public static func forEach<Piece: Sendable>(
        limit: Int, next: () async -> Piece?, _ body: @escaping @Sendable (Piece) async -> Void
    ) async {
        precondition(limit > 0, "at least one piece at a time")
        await withTaskGroup(of: Void.self) { running in
            var underWay = 0
            while let piece = await next() {
                if underWay == limit {
                    await running.next()
                    underWay -= 1
                }
                running.addTask { await body(piece) }
                underWay += 1
            }
        }
    }
}
