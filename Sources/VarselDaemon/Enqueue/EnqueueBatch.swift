import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOCore
import VarselCore
import VarselStore

/// `varsel enqueue FILE|-` and `POST /v1/messages:batch`: one JSON message, or NDJSON with one
/// message per line (LF or CRLF). Input is read as a stream of lines and handled in chunks of at
/// most `chunkLines` lines or `chunkBytes` bytes: every line of a chunk is validated, then the
/// chunk's valid lines are stored in one durable transaction, the invalid ones not at all. A batch
/// within one chunk is therefore one transaction; a longer one is several, in input order. While one
/// chunk is being written (and synced), the next is read and validated; it is written only after the
/// one before it committed, so memory stays bounded by two chunks, not by the batch.
public enum EnqueueBatch {
    /// The result for one input line, printed as one JSON object (docs/cli.md, varsel enqueue).
    public struct LineResult: Sendable, Encodable, Equatable {
        public let line: Int
        public let id: String?
        public let state: String?
        public let duplicate: Bool?
        public let error: String?

        public var accepted: Bool { error == nil }

        static func failure(_ line: Int, _ error: String) -> LineResult {
            LineResult(line: line, id: nil, state: nil, duplicate: nil, error: error)
        }
    }

    /// Most lines validated and stored together.
    public static let chunkLines = 1_000
    /// Most bytes of input lines validated and stored together.
    public static let chunkBytes = 4 << 20
    /// Input kept for the "one pretty-printed object" reading: at most this much.
    static let wholeDocumentLimit = 1 << 20

    /// Why a batch was stopped before its end; `results` holds the lines handled (and stored) before.
    public struct Stopped: Error, Sendable {
        public enum Reason: Sendable { case tooManyLines(limit: Int), tooManyBytes(limit: Int) }
        public let reason: Reason
        public let results: [LineResult]
    }

    /// Splits a byte stream into lines. A line ends at LF; a CR before the LF is not part of it.
    /// A line longer than `maxLineBytes` is not kept: it is reported as too long.
    struct LineSplitter {
        let maxLineBytes: Int
        private var carry: [UInt8] = []
        private var overlong = false
        private(set) var lineNumber = 0

        init(maxLineBytes: Int) { self.maxLineBytes = maxLineBytes }

        /// Feeds bytes; calls `emit` with each complete line (its number, its bytes or nil when too long).
        mutating func feed(_ bytes: UnsafeRawBufferPointer, emit: (Int, ArraySlice<UInt8>?) -> Void) {
            var start = 0
            let count = bytes.count
            while start < count {
                let end = memchr(bytes.baseAddress! + start, 0x0A, count - start).map { bytes.baseAddress!.distance(to: UnsafeRawPointer($0)) } ?? count
                let piece = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
                if !overlong {
                    if carry.count + piece.count > maxLineBytes {
                        overlong = true
                        carry = []
                    } else {
                        carry.append(contentsOf: piece)
                    }
                }
                guard end < count else { return }
                endLine(emit: emit)
                start = end + 1
            }
        }

        /// Ends the input: a last line without LF is a line too.
        mutating func finish(emit: (Int, ArraySlice<UInt8>?) -> Void) {
            if !carry.isEmpty || overlong { endLine(emit: emit) }
        }

        private mutating func endLine(emit: (Int, ArraySlice<UInt8>?) -> Void) {
            lineNumber += 1
            if overlong {
                emit(lineNumber, nil)
            } else {
                var line = carry[...]
                if line.last == 0x0D { line = line.dropLast() }
                if lineNumber == 1, line.starts(with: [0xEF, 0xBB, 0xBF]) { line = line.dropFirst(3) }
                emit(lineNumber, line)
            }
            carry.removeAll(keepingCapacity: carry.capacity <= 65_536)
            overlong = false
        }
    }

    /// Hands a chunk's results on as soon as the chunk is committed (`varsel enqueue` prints them),
    /// in line order; what it throws stops the batch (`OutputFailure`).
    public typealias ResultSink = @Sendable ([LineResult]) throws -> Void

    /// How many lines were handled, and how many of them stored, when the results went to a sink.
    public struct Tally: Sendable, Equatable {
        public var lines = 0
        public var accepted = 0
    }

    /// The sink could not take a chunk's results (standard output failed): the batch stopped there.
    /// `stored` lines were stored, the chunk whose results were lost included.
    public struct OutputFailure: Error, Sendable {
        public let error: any Error
        public let stored: Int
    }

    /// Validates and stores lines in chunks, keeping only the chunk being handled and the results
    /// (or, with a sink, only those it may not hand on yet).
    final class Processor {
        let validator: MessageValidator
        /// The store, or its opening; awaited where a chunk first needs it.
        let storeSource: StoreSource
        let now: Date
        let maxLines: Int?
        let maxLineBytes: Int
        /// Called after a chunk stored messages, with the earliest time one of them is due.
        let onStored: @Sendable (_ earliestDue: Date) -> Void
        /// Where a chunk's write runs while the next chunk is validated (nil: the global executor).
        let writeExecutor: (any TaskExecutor)?
        /// Where results go once their chunk committed; nil: they are kept in `results`.
        let sink: ResultSink?
        /// The chunk being written, which gives its lines' results once committed (those not handed
        /// to the sink).
        private var writing: Task<ChunkOutcome, any Error>?
        /// Lines handled and stored so far, whether their results are kept or were handed on.
        private(set) var tally = Tally()
        private var splitter: LineSplitter
        /// Lines split off the input, not yet counted.
        private var ready: [(line: Int, bytes: [UInt8]?)] = []
        private var pending: [(line: Int, bytes: [UInt8]?)] = []
        private var pendingBytes = 0
        private(set) var results: [LineResult] = []
        private(set) var lines = 0
        /// Ids for the lines, ascending over the whole input, chunk after chunk.
        private var numbering: MessageID.Numbering
        /// The input so far while no line was JSON and it is small: a single pretty-printed object.
        private var retained: [UInt8]? = []
        private var anyJSON = false

        init(
            validator: MessageValidator, store: StoreSource, now: Date, maxLines: Int?, maxLineBytes: Int,
            writeExecutor: (any TaskExecutor)? = nil, sink: ResultSink? = nil, onStored: @escaping @Sendable (_ earliestDue: Date) -> Void
        ) {
            self.writeExecutor = writeExecutor
            self.sink = sink
            self.validator = validator
            self.storeSource = store
            self.now = now
            self.maxLines = maxLines
            self.maxLineBytes = maxLineBytes
            self.onStored = onStored
            self.splitter = LineSplitter(maxLineBytes: maxLineBytes)
            numbering = MessageID.Numbering(now: now)
        }

        /// Takes a piece of input; `afterTaking()` then stores a chunk if one is full.
        func take(_ bytes: UnsafeRawBufferPointer) {
            if retained != nil {
                if (retained?.count ?? 0) + bytes.count <= EnqueueBatch.wholeDocumentLimit {
                    retained?.append(contentsOf: bytes)
                } else {
                    retained = nil
                }
            }
            splitter.feed(bytes) { line, text in ready.append((line, text.map(Array.init))) }
        }

        /// Stops reading because the input is larger than allowed: what was stored stays stored.
        func tooLarge(limit: Int) async throws -> Stopped {
            try await settle()
            return Stopped(reason: .tooManyBytes(limit: limit), results: results)
        }

        /// Waits for the chunk being written and takes its results (those not handed to the sink).
        func settle() async throws {
            guard let writing else { return }
            self.writing = nil
            do {
                let outcome = try await writing.value
                results += outcome.kept
                tally.lines += outcome.tally.lines
                tally.accepted += outcome.tally.accepted
            } catch let failure as SinkFailure {
                tally.accepted += failure.accepted
                throw OutputFailure(error: failure.error, stored: tally.accepted)
            }
        }

        /// After a failure elsewhere: lets the chunk being written finish, so nothing is left being
        /// written once the batch has ended, and counts what it stored.
        func abandon() async {
            guard let writing else { return }
            self.writing = nil
            switch await writing.result {
            case .success(let outcome): tally.accepted += outcome.tally.accepted
            case .failure(let failure as SinkFailure): tally.accepted += failure.accepted
            case .failure: break
            }
        }

        /// Hands the results kept so far to the sink, if there is one.
        func handOn() throws {
            guard let sink, !results.isEmpty else { return }
            let kept = results
            results = []
            do {
                try sink(kept)
            } catch {
                throw OutputFailure(error: error, stored: tally.accepted)
            }
        }

        /// Ends the input and returns one result per non-blank line, in line order.
        func finish() async throws -> [LineResult] {
            // A store that cannot be opened fails the batch, also one no line of which got to it.
            _ = try await storeSource.store
            splitter.finish { line, text in ready.append((line, text.map(Array.init))) }
            try await afterTaking()
            if !anyJSON, let whole = retained, let single = EnqueueBatch.wholeDocument(whole) {
                // Nothing was JSON, so nothing was stored: read the input as one pretty-printed object,
                // and drop what the chunks handled so far said (a long object fills a chunk or more).
                try await settle()
                results = []
                tally = Tally()
                lines = 1
                pending = [(single.line, single.bytes)]
                pendingBytes = single.bytes.count
            }
            try await flush()
            try await settle()
            try handOn()
            return results
        }

        /// Counts the lines taken so far, line by line, and stores each chunk as it fills: the
        /// chunks are the same however the input arrived. Throws `Stopped` past `maxLines`.
        func afterTaking() async throws {
            let lines = ready
            ready = []
            for (line, text) in lines {
                if let text, text.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                self.lines += 1
                if let maxLines, self.lines > maxLines {
                    pending = []
                    try await settle()
                    throw Stopped(reason: .tooManyLines(limit: maxLines), results: results)
                }
                pending.append((line, text))
                pendingBytes += text?.count ?? 0
                if pending.count >= EnqueueBatch.chunkLines || pendingBytes >= EnqueueBatch.chunkBytes { try await flush() }
            }
        }

        /// Validates the pending lines and starts storing the valid ones in one transaction, once the
        /// chunk before has committed.
        private func flush() async throws {
            guard !pending.isEmpty else { return }
            let chunk = pending
            pending = []
            pendingBytes = 0
            // Each line is parsed, validated and given its stored form (JSON, digest, an id ascending
            // in input order) in one pass on every core, beside the write of the chunk before, so
            // that the writer does nothing but insert and each line's parsed form is freed on the core
            // that made it. An invalid line leaves its id unused. A message that leaves its contact
            // points to its recipient's stored record waits for the records, read once for the chunk.
            // The chunk's lines are checked against one template set, looked up once.
            let validator = validator.pinned()
            let now = now
            let tooLong = "longer than \(maxLineBytes) bytes (server.max_body_bytes)"
            let numbered = zip(chunk, numbering.next(chunk.count)).map { (line: $0.line, bytes: $0.bytes, id: $1) }
            var checked = numbered.parallelMap { entry -> LineCheck in
                guard let bytes = entry.bytes else { return .refused(tooLong) }
                switch MessageValidator.parse(json: bytes) {
                case .failure(let failure): return .refused(failure.description)
                case .success(let value):
                    if MessageValidator.recipientIDNeedingStoredRecord(of: value) != nil { return .waiting(value) }
                    return .validated(validator.validate(value).map { StoredRequest($0, now: now, id: entry.id) })
                }
            }
            let waiting = checked.indices.filter { checked[$0].waitingValue != nil }
            if !waiting.isEmpty {
                let records = try await storeSource.store.recordsStandingIn(for: waiting.compactMap { checked[$0].waitingValue })
                for index in waiting {
                    guard let value = checked[index].waitingValue else { continue }
                    checked[index] = .validated(validator.validate(value, stored: records).map { StoredRequest($0, now: now, id: numbered[index].id) })
                }
            }
            var chunkResults: [Int: LineResult] = [:]
            var rows: [(line: Int, row: StoredRequest)] = []
            rows.reserveCapacity(chunk.count)
            for (entry, check) in zip(numbered, checked) {
                switch check {
                case .refused(let problem): chunkResults[entry.line] = .failure(entry.line, problem)
                case .validated(.success(let row)):
                    anyJSON = true
                    rows.append((entry.line, row))
                case .validated(.failure(let failure)):
                    anyJSON = true
                    chunkResults[entry.line] = .failure(entry.line, failure.description)
                case .waiting: preconditionFailure("every message waiting for its recipient's record was validated")
                }
            }
            checked = []
            if anyJSON { retained = nil }
            // In input order: this chunk is written once the one before it committed.
            try await settle()
            let store = try await storeSource.store
            // The results go to the sink once the chunk committed, those kept before them first;
            // not while the input may still be one pretty-printed object, read whole at the end.
            var sink: ResultSink?
            var before: [LineResult] = []
            if let processorSink = self.sink, retained == nil {
                sink = processorSink
                before = results
                results = []
            }
            writing = Self.startWriting(
                rows, lines: chunk.map(\.line), refused: chunkResults, store: store, now: now, caseStops: CaseStopPolicy(kinds: validator.kinds),
                on: writeExecutor, onStored: onStored, sink: sink.map { sink in (before, sink) })
        }

        /// Writes a chunk in a task of its own; the task gives the results of all the chunk's lines,
        /// in order, or hands them to `sink` after the results to hand on before them.
        private static func startWriting(
            _ valid: [(line: Int, row: StoredRequest)], lines: [Int], refused: [Int: LineResult], store: any MessageStore, now: Date,
            caseStops: CaseStopPolicy, on executor: (any TaskExecutor)?, onStored: @escaping @Sendable (_ earliestDue: Date) -> Void,
            sink: (before: [LineResult], sink: ResultSink)?
        ) -> Task<ChunkOutcome, any Error> {
            Task(executorPreference: executor) {
                var chunkResults = refused
                try await write(valid, into: &chunkResults, store: store, now: now, caseStops: caseStops, onStored: onStored)
                let results = lines.compactMap { chunkResults[$0] }
                let tally = Tally(lines: results.count, accepted: results.count { $0.accepted })
                guard let sink else { return ChunkOutcome(kept: results, tally: tally) }
                do {
                    try sink.sink(sink.before + results)
                } catch {
                    throw SinkFailure(error: error, accepted: tally.accepted)
                }
                return ChunkOutcome(kept: [], tally: tally)
            }
        }

        /// Stores a chunk's valid lines in one transaction and gives each line its result.
        private static func write(
            _ valid: [(line: Int, row: StoredRequest)], into chunkResults: inout [Int: LineResult], store: any MessageStore, now: Date,
            caseStops: CaseStopPolicy, onStored: @Sendable (_ earliestDue: Date) -> Void
        ) async throws {
            guard !valid.isEmpty else { return }
            let outcomes = try await store.enqueue(valid.map(\.row), now: now, caseStops: caseStops)
            var earliestDue: Date?
            for ((line, row), outcome) in zip(valid, outcomes) {
                switch outcome {
                case .created(let id):
                    earliestDue = min(earliestDue ?? row.readyAt, row.readyAt)
                    chunkResults[line] = LineResult(line: line, id: id, state: MessageState.queued.rawValue, duplicate: nil, error: nil)
                case .duplicate(let id):
                    let state = try await store.status(id: id)?.state.rawValue
                    chunkResults[line] = LineResult(line: line, id: id, state: state, duplicate: true, error: nil)
                case .conflict(let existing):
                    chunkResults[line] = .failure(
                        line, "idempotency_key: '\(row.request.idempotencyKey ?? "")' was already used for a different message (\(existing)); nothing stored")
                case .refused(let reason):
                    chunkResults[line] = .failure(line, "case_ref: \(reason); nothing stored")
                }
            }
            if let earliestDue { onStored(earliestDue) }
        }
    }

    /// The store a batch goes to: open, or being opened (`varsel enqueue` reads the kinds' schemas and
    /// reads and validates its first chunk meanwhile: making a new store's schema was a tenth of
    /// enqueueing 30,000 messages).
    public enum StoreSource: Sendable {
        case open(any MessageStore)
        case opening(Task<any MessageStore, any Error>)

        var store: any MessageStore {
            get async throws {
                switch self {
                case .open(let store): store
                case .opening(let task): try await task.value
                }
            }
        }
    }

    /// What a chunk's write gives: the results not handed to a sink, and the chunk's counts.
    struct ChunkOutcome: Sendable {
        let kept: [LineResult]
        let tally: Tally
    }

    /// A sink that threw, and how many of the chunk's lines were stored.
    struct SinkFailure: Error {
        let error: any Error
        let accepted: Int
    }

    /// Where one line of a chunk stands after the parallel pass: not JSON (or too long), validated
    /// (its stored form or its problems), or waiting for its recipient's stored record.
    enum LineCheck {
        case refused(String)
        case validated(Result<StoredRequest, ValidationFailure>)
        case waiting(JSONValue)

        var waitingValue: JSONValue? {
            if case .waiting(let value) = self { value } else { nil }
        }
    }

    /// The input as one pretty-printed JSON object (line number of its first line and its bytes), if it is one.
    static func wholeDocument(_ bytes: [UInt8]) -> (line: Int, bytes: [UInt8])? {
        let text = String(decoding: bytes, as: UTF8.self)
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix("{"), trimmed.utf8.contains(0x0A) || trimmed.utf8.contains(0x0D),
              (try? JSONSerialization.jsonObject(with: Data(trimmed.utf8))) is [String: Any]
        else { return nil }
        let leading = text.prefix { $0.isWhitespace }
        let first = leading.filter(\.isNewline).count + 1
        return (first, Array(trimmed.utf8))
    }

    /// Enqueues `data` whole. An input with no message gives one failed result for line 1.
    public static func run(_ data: Data, validator: MessageValidator, store: any MessageStore, now: Date = Date()) async throws -> [LineResult] {
        try await run(validator: validator, store: .open(store), now: now) { processor in
            var offset = 0
            while offset < data.count {
                let end = min(offset + readSize, data.count)
                data[data.startIndex + offset..<data.startIndex + end].withUnsafeBytes { processor.take($0) }
                try await processor.afterTaking()
                offset = end
            }
        }.results
    }

    static func run(
        validator: MessageValidator, store: StoreSource, now: Date, sink: ResultSink? = nil, feed: (Processor) async throws -> Void
    ) async throws -> (results: [LineResult], tally: Tally) {
        let processor = Processor(validator: validator, store: store, now: now, maxLines: nil, maxLineBytes: Int.max, sink: sink, onStored: { _ in })
        do {
            try await feed(processor)
            var results = try await processor.finish()
            var tally = processor.tally
            if tally.lines == 0 {
                let empty = LineResult.failure(1, "no message: the input is empty")
                tally.lines = 1
                if let sink {
                    do { try sink([empty]) } catch { throw OutputFailure(error: error, stored: 0) }
                } else {
                    results = [empty]
                }
            }
            return (results, tally)
        } catch {
            await processor.abandon()
            throw error
        }
    }

    /// Enqueues a request body as it arrives, with the limits of `server`: at most `maxLines`
    /// non-blank lines, `maxBytes` bytes and `maxLineBytes` bytes a line. The work runs on a thread
    /// of its own, not on the few threads the concurrency runtime shares with every request. Throws
    /// `Stopped` when a limit is passed; an empty result means the body held no line.
    public static func stream(
        _ body: some AsyncSequence<ByteBuffer, any Error>, validator: MessageValidator, store: any MessageStore, maxLines: Int, maxBytes: Int,
        maxLineBytes: Int, now: Date = Date(), onStored: @escaping @Sendable (_ earliestDue: Date) -> Void = { _ in }
    ) async throws -> [LineResult] {
        try await withTaskExecutorPreference(BatchExecutor()) {
            let processor = Processor(
                validator: validator, store: .open(store), now: now, maxLines: maxLines, maxLineBytes: maxLineBytes, writeExecutor: BatchExecutor(),
                onStored: onStored)
            do {
                var total = 0
                for try await buffer in body {
                    total += buffer.readableBytes
                    if total > maxBytes { throw try await processor.tooLarge(limit: maxBytes) }
                    buffer.withUnsafeReadableBytes { processor.take($0) }
                    try await processor.afterTaking()
                }
                return try await processor.finish()
            } catch {
                await processor.abandon()
                throw error
            }
        }
    }
}

/// Runs a batch on its own serial dispatch queue: parsing and validating megabytes of NDJSON is CPU
/// work that would otherwise hold one of the cooperative pool's threads (two on a 2-core machine)
/// and stall every other request, `/healthz` included. A batch's chunk writes (encoding and storing)
/// run on a second one, beside the validation of the next chunk.
final class BatchExecutor: TaskExecutor, @unchecked Sendable {
    private let queue = DispatchQueue(label: "varsel.batch", qos: .utility)

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
