import Foundation
import Testing
import VarselDaemon
import VarselTestSupport

/// A run's record of the requests it handed to the HTTP client: what it holds, which files it keeps.
@Suite struct HandOverLogTests {
    @Test("what a run recorded is read back as its set; a run that kept no log has none; run ids with a slash are file names")
    func recordAndRead() throws {
        let temporary = TemporaryDirectory()
        let directory = temporary.file("q.db-handover")
        let log = try HandOverLog(directory: directory, runID: "worker/a1")
        // The first file exists (synced) before anything is handed over: a run that crashed before
        // its first hand-over left a log that says nothing left.
        #expect(HandOverLog.handedOver(directory: directory, runID: "worker/a1") == [])
        try log.record([3, 1])
        try log.record([Int64.max, -5])
        #expect(HandOverLog.handedOver(directory: directory, runID: "worker/a1") == [3, 1, Int64.max, -5])
        #expect(HandOverLog.handedOver(directory: directory, runID: "worker/b2") == nil)
        let other = try HandOverLog(directory: directory, runID: "other.worker/b2")
        try other.record([9])
        #expect(HandOverLog.runs(directory: directory) == ["worker/a1", "other.worker/b2"])
        #expect(HandOverLog.handedOver(directory: directory, runID: "other.worker/b2") == [9])
        HandOverLog.remove(directory: directory, runID: "worker/a1")
        #expect(HandOverLog.handedOver(directory: directory, runID: "worker/a1") == nil)
        #expect(HandOverLog.runs(directory: directory) == ["other.worker/b2"])
    }

    @Test("a file is started when the one before is full; one that is not current goes once every attempt in it is settled")
    func filesAndSettling() throws {
        let temporary = TemporaryDirectory()
        let directory = temporary.file("q.db-handover")
        // Two ids a file.
        let log = try HandOverLog(directory: directory, runID: "w/1", segmentBytes: 16)
        try log.record([1, 2])
        try log.record([3])
        #expect(files(directory) == ["w%2F1.0", "w%2F1.1"])
        log.settle([1])
        #expect(files(directory).count == 2, "an id of the first file is still open")
        log.settle([2, 99])
        #expect(files(directory) == ["w%2F1.1"])
        #expect(HandOverLog.handedOver(directory: directory, runID: "w/1") == [3])
        // The current file stays, settled or not.
        log.settle([3])
        #expect(files(directory) == ["w%2F1.1"])
        // The current file takes ids until it is full, settled ones among them.
        try log.record([4, 5])
        try log.record([6])
        #expect(files(directory) == ["w%2F1.1", "w%2F1.2"])
        #expect(HandOverLog.handedOver(directory: directory, runID: "w/1") == [3, 4, 5, 6])
        #expect(log.openCount == 3)
        log.settle([5, 4])
        #expect(files(directory) == ["w%2F1.2"])
        // A full file with nothing open goes when the next one begins.
        try log.record([7])
        log.settle([6, 7])
        try log.record([8])
        #expect(files(directory) == ["w%2F1.3"])
        #expect(HandOverLog.handedOver(directory: directory, runID: "w/1") == [8])
    }

    @Test("a clean stop removes the log only when every attempt in it is settled")
    func finish() throws {
        let temporary = TemporaryDirectory()
        let directory = temporary.file("q.db-handover")
        let open = try HandOverLog(directory: directory, runID: "w/open")
        try open.record([1])
        open.finish()
        #expect(HandOverLog.handedOver(directory: directory, runID: "w/open") == [1])
        let settled = try HandOverLog(directory: directory, runID: "w/settled")
        try settled.record([2])
        settled.settle([2])
        settled.finish()
        #expect(HandOverLog.handedOver(directory: directory, runID: "w/settled") == nil)
    }

    @Test("an id cut short by a crash mid-write is not read: its request had not been handed over")
    func cutShort() throws {
        let temporary = TemporaryDirectory()
        let directory = temporary.file("q.db-handover")
        let log = try HandOverLog(directory: directory, runID: "w/1")
        try log.record([42])
        let handle = try #require(FileHandle(forWritingAtPath: directory + "/w%2F1.0"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([7, 0, 0]))
        try handle.close()
        #expect(HandOverLog.handedOver(directory: directory, runID: "w/1") == [42])
    }

    private func files(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }
}
