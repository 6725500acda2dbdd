#if canImport(Glibc)
import Glibc
#endif
import Foundation
import VarselCore
import VarselStore

/// `varsel enqueue FILE|-`: the input read from a descriptor as it comes, the results handed on as
/// each chunk commits.
extension EnqueueBatch {
    /// Enqueues what is read from `descriptor` (the CLI's file or standard input) as it is read, a
    /// piece at a time: validating and storing start with the first lines, and a file of a million
    /// messages is never held in memory whole, nor are its results. Each chunk's results go to
    /// `sink` once the chunk is committed, in line order (while nothing read is JSON and the input is
    /// small, it may still be one pretty-printed object: those results wait for the end). An input
    /// with no message gives one failed result for line 1.
    ///
    /// A read that fails throws `ReadFailure` once the results of the lines before it were handed
    /// on; a sink that throws stops the batch with `OutputFailure`. Either says how many lines were
    /// stored.
    public static func run(
        reading descriptor: Int32, validator: MessageValidator, store: any MessageStore, now: Date = Date(), sink: @escaping ResultSink
    ) async throws -> Tally {
        try await run(reading: descriptor, validator: validator, store: .open(store), now: now, sink: sink)
    }

    /// `run(reading:…)` into a store that may still be opening: the first chunk is read and validated
    /// meanwhile, and written once the store is open. A store that cannot be opened fails the batch
    /// before any result is handed on.
    public static func run(
        reading descriptor: Int32, validator: MessageValidator, store: StoreSource, now: Date = Date(), sink: @escaping ResultSink
    ) async throws -> Tally {
        try await run(validator: validator, store: store, now: now, sink: sink) { processor in
            var buffer = [UInt8](repeating: 0, count: readSize)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count == 0 { return }
                if count < 0 {
                    if errno == EINTR { continue }
                    let reason = String(cString: strerror(errno))
                    try await processor.settle()
                    try processor.handOn()
                    throw ReadFailure(reason: reason, stored: processor.tally.accepted)
                }
                buffer.withUnsafeBytes { processor.take(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
                try await processor.afterTaking()
            }
        }.tally
    }

    /// The input could not be read to its end: why (`strerror`'s words), and how many of the lines
    /// before it were stored (their results were handed on).
    public struct ReadFailure: Error, Sendable {
        public let reason: String
        public let stored: Int
    }

    /// Bytes taken from the input at a time.
    static let readSize = 65_536
}
