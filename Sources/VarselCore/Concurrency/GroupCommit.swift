import Synchronization

/// Group commit: items submitted while a write is under way are written together by the next one,
/// and each submitter is answered once the write that carried its item is done. Under load an item
/// waits for at most the write in progress and its own; alone, it is written at once. One write
/// runs at a time, in arrival order.
public final class GroupCommit<Item: Sendable, Outcome: Sendable>: Sendable {
    private struct Waiting {
        let item: Item
        let continuation: CheckedContinuation<Outcome, any Error>
    }

    private struct State {
        var waiting: [Waiting] = []
        var writing = false
        /// Items of the write under way.
        var writingCount = 0
    }

    private let state = Mutex(State())
    private let maxGroup: Int
    /// Writes a group; one result per item, in order.
    private let write: @Sendable ([Item]) async -> [Result<Outcome, any Error>]

    public init(maxGroup: Int, write: @escaping @Sendable ([Item]) async -> [Result<Outcome, any Error>]) {
        self.maxGroup = maxGroup
        self.write = write
    }

    /// Items not answered yet: waiting, or in the write under way.
    public var unansweredCount: Int { state.withLock { $0.waiting.count + $0.writingCount } }

    /// Writes `item` with the others waiting and returns its result once that write is done.
    public func submit(_ item: Item) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            let writeNow = state.withLock { state -> Bool in
                state.waiting.append(Waiting(item: item, continuation: continuation))
                guard !state.writing else { return false }
                state.writing = true
                return true
            }
            if writeNow { Task { await self.writeAll() } }
        }
    }

    private func writeAll() async {
        while true {
            let group = state.withLock { state -> [Waiting] in
                let taken = Array(state.waiting.prefix(maxGroup))
                state.waiting.removeFirst(taken.count)
                state.writingCount = taken.count
                if taken.isEmpty { state.writing = false }
                return taken
            }
            guard !group.isEmpty else { return }
            let results = await write(group.map(\.item))
            for (index, waiting) in group.enumerated() {
                waiting.continuation.resume(
                    with: index < results.count ? results[index] : .failure(GroupCommitError(description: "the write returned no result for this item")))
            }
        }
    }
}

public struct GroupCommitError: Error, CustomStringConvertible {
    public let description: String
}

extension Result where Failure == any Error {
    /// The result of an async throwing body.
    public init(catching body: () async throws -> Success) async {
        do {
            self = .success(try await body())
        } catch {
            self = .failure(error)
        }
    }
}
