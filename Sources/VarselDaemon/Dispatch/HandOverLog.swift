import Foundation
import Synchronization
import VarselHTTP

/// A run's record of the attempts whose requests were handed to the HTTP client: after a crash, the
/// proof of which open attempts may have left and which never did.
///
/// A send's attempt may open while its gateway's connections are busy (up to another
/// `max_connections` of them a gateway), and its request then waits in the HTTP client's queue.
/// The curl thread appends the attempt's id here and syncs it (`fdatasync`) before libcurl gets
/// the request; when the previous run's leases are taken back after a crash, a pending attempt
/// that is not here never left, and goes back to the queue without counting as an attempt.
///
/// Files: `<store.path>-handover/<run id>.<n>` on this host, with PostgreSQL too (each host keeps its
/// own runs' logs); the run id percent-encoded but for letters, digits, `-` and `_`; each id 8 bytes
/// little-endian. A file is started when the one before holds `segmentBytes`; a file that is not the
/// current one is deleted once every attempt in it has its outcome recorded (``settle(_:)``). The
/// directory and each new file are synced, so that the log exists (and is read) whatever crashed.
public final class HandOverLog: HandOverRecording {
    private struct State {
        var descriptor: Int32
        var segment: Int
        var written: Int
        /// Attempts recorded and not yet settled, with their segment; per segment how many.
        var open: [Int64: Int] = [:]
        var openBySegment: [Int: Int] = [:]
        /// A write or sync failed: what the file holds is no longer known, and nothing more is handed over.
        var broken = false
    }

    public let directory: String
    public let runID: String
    private let segmentBytes: Int
    private let state: Mutex<State>

    /// Starts the run's log (its first file, synced with the directory).
    public init(directory: String, runID: String, segmentBytes: Int = 1 << 20) throws {
        self.directory = directory
        self.runID = runID
        self.segmentBytes = max(8, segmentBytes)
        if mkdir(directory, 0o700) == 0 {
            try Self.syncDirectory((directory as NSString).deletingLastPathComponent)
        } else if errno != EEXIST {
            throw HandOverLogError.system("cannot create \(directory)", errno)
        }
        let descriptor = try Self.create(Self.path(directory, runID, 0), in: directory)
        state = Mutex(State(descriptor: descriptor, segment: 0, written: 0))
    }

    deinit {
        state.withLock { _ = close($0.descriptor) }
    }

    /// The log directory for `store.path` (the SQLite file, or with PostgreSQL where the daemon keeps
    /// its files).
    public static func directory(forStore storePath: String) -> String { storePath + "-handover" }

    /// Appends the ids and syncs them; on the curl thread, before their requests go to libcurl.
    public func record(_ marks: [Int64]) throws {
        guard !marks.isEmpty else { return }
        try state.withLock { state in
            guard !state.broken else { throw HandOverLogError(description: "the hand-over log failed before; restart the daemon") }
            if state.written >= segmentBytes {
                let next = state.segment + 1
                let descriptor = try Self.create(Self.path(directory, runID, next), in: directory)
                _ = close(state.descriptor)
                if state.openBySegment[state.segment, default: 0] == 0 { unlink(Self.path(directory, runID, state.segment)) }
                (state.descriptor, state.segment, state.written) = (descriptor, next, 0)
            }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(marks.count * 8)
            for mark in marks { withUnsafeBytes(of: mark.littleEndian) { bytes.append(contentsOf: $0) } }
            do {
                try Self.writeAll(bytes, to: state.descriptor)
                guard fdatasync(state.descriptor) == 0 else { throw HandOverLogError.system("cannot sync the hand-over log", errno) }
            } catch {
                // An id cut short would shift every later one: this run hands nothing more over.
                state.broken = true
                throw error
            }
            state.written += bytes.count
            for mark in marks { state.open[mark] = state.segment }
            state.openBySegment[state.segment, default: 0] += marks.count
        }
    }

    /// The attempts whose outcomes are recorded in the store: a file no longer current whose
    /// attempts all are is deleted. Ids never recorded here are ignored.
    public func settle(_ marks: some Sequence<Int64>) {
        state.withLock { state in
            for mark in marks {
                guard let segment = state.open.removeValue(forKey: mark) else { continue }
                state.openBySegment[segment, default: 0] -= 1
                if state.openBySegment[segment] == 0 {
                    state.openBySegment[segment] = nil
                    if segment != state.segment { unlink(Self.path(directory, runID, segment)) }
                }
            }
        }
    }

    /// Attempts recorded and not yet settled.
    public var openCount: Int { state.withLock { $0.open.count } }

    /// A clean stop: with every attempt settled the log goes; otherwise it stays for the run's
    /// leases to be taken back with it.
    public func finish() {
        state.withLock { state in
            guard state.open.isEmpty else { return }
            _ = close(state.descriptor)
            state.descriptor = -1
            Self.remove(directory: directory, runID: runID)
        }
    }

    /// The ids in a run's log, or nil when the run left none (it kept no log, or it was removed).
    /// A last id cut short by a crash mid-write is left out: its request had not been handed over.
    public static func handedOver(directory: String, runID: String) -> Set<Int64>? {
        let files = segments(directory: directory, runID: runID)
        guard !files.isEmpty else { return nil }
        var ids: Set<Int64> = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: (directory as NSString).appendingPathComponent(file)) else { return nil }
            data.withUnsafeBytes { raw in
                var offset = 0
                while offset + 8 <= raw.count {
                    ids.insert(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int64.self)))
                    offset += 8
                }
            }
        }
        return ids
    }

    /// Deletes a run's log.
    public static func remove(directory: String, runID: String) {
        for file in segments(directory: directory, runID: runID) { unlink((directory as NSString).appendingPathComponent(file)) }
    }

    /// The runs that have a log in `directory`.
    public static func runs(directory: String) -> Set<String> { Set(logFiles(in: directory).map(\.runID)) }

    private static func segments(directory: String, runID: String) -> [String] {
        logFiles(in: directory).filter { $0.runID == runID }.map(\.file)
    }

    /// Every log file in `directory` (`<run id>.<n>`) with the run it is of.
    private static func logFiles(in directory: String) -> [(runID: String, file: String)] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return files.compactMap { file in
            guard let dot = file.lastIndex(of: "."), Int(file[file.index(after: dot)...]) != nil,
                  let runID = String(file[..<dot]).removingPercentEncoding
            else { return nil }
            return (runID, file)
        }
    }

    private static func path(_ directory: String, _ runID: String, _ segment: Int) -> String {
        (directory as NSString).appendingPathComponent("\(fileName(runID)).\(segment)")
    }

    /// A run id (`<worker_id>/<hex>`) as a file name.
    private static func fileName(_ runID: String) -> String {
        runID.addingPercentEncoding(withAllowedCharacters: fileNameCharacters) ?? runID
    }

    private static let fileNameCharacters = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")

    /// A new empty file, synced, with the directory that names it.
    private static func create(_ path: String, in directory: String) throws -> Int32 {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw HandOverLogError.system("cannot create \(path)", errno) }
        guard fsync(descriptor) == 0 else {
            let code = errno
            _ = close(descriptor)
            throw HandOverLogError.system("cannot sync \(path)", code)
        }
        try syncDirectory(directory)
        return descriptor
    }

    private static func syncDirectory(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw HandOverLogError.system("cannot open \(path)", errno) }
        defer { _ = close(descriptor) }
        guard fsync(descriptor) == 0 else { throw HandOverLogError.system("cannot sync \(path)", errno) }
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32) throws {
        try bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let count = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw HandOverLogError.system("cannot write the hand-over log", errno)
                }
                offset += count
            }
        }
    }
}

/// A hand-over log that cannot be written: the send it was for does not go out.
public struct HandOverLogError: Error, CustomStringConvertible {
    public let description: String

    static func system(_ what: String, _ code: Int32) -> HandOverLogError {
        HandOverLogError(description: "\(what): \(String(cString: strerror(code)))")
    }
}
