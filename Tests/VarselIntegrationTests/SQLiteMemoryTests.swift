import CSQLiteMemory
import Foundation
import GRDB
import GRDBSQLite
import Synchronization
import Testing
@testable import VarselStore
import VarselTestSupport

/// SQLite's allocator (`CSQLiteMemory`): installed before the first database is opened, blocks of
/// the size asked for or more, kept by the freeing thread within a bound, and every store test runs
/// on it.
@Suite struct SQLiteMemoryTests {
    /// What a thread of the test found, read by the test once it is there.
    final class Found<Value: Sendable>: Sendable {
        private let value = Mutex<Value?>(nil)
        func set(_ found: Value) { value.withLock { $0 = found } }
        var current: Value? { value.withLock { $0 } }
    }

    @Test("the allocator is installed as the program loads, so SQLite (every store in this test process too) allocates through it")
    func installedAtLoad() async throws {
        #expect(SQLiteMemory.isInstalled)
        // Too late once SQLite is in use: the call is refused and nothing changes.
        let directory = TemporaryDirectory()
        let store = try SQLiteMessageStore(path: directory.file("m.db"))
        #expect(varsel_sqlite_memory_install() == SQLITE_MISUSE)
        #expect(SQLiteMemory.isInstalled)
        // SQLite's memory statistics are off: what it has allocated is not counted.
        #expect(sqlite3_memory_used() == 0)
        _ = store
    }

    @Test("a block holds at least what was asked, rounded to its size class (16 to 4,096 bytes) or to 8 above, 8-byte aligned")
    func sizes() {
        let cases: [(asked: Int32, usable: Int32)] = [
            (1, 16), (16, 16), (17, 32), (100, 128), (129, 256), (1_000, 1_024), (1_025, 2_048), (4_095, 4_096), (4_096, 4_096),
            (4_097, 4_104), (10_000, 10_000), (10_001, 10_008),
        ]
        for (asked, usable) in cases {
            #expect(varsel_sqlite_memory_roundup(asked) == usable, "roundup(\(asked))")
            let block = varsel_sqlite_memory_malloc(asked)!
            #expect(varsel_sqlite_memory_size(block) == usable, "size of \(asked)")
            #expect(Int(bitPattern: block) % 8 == 0)
            // The whole usable size is the caller's.
            memset(block, 0xA5, Int(usable))
            varsel_sqlite_memory_free(block)
        }
        #expect(varsel_sqlite_memory_size(nil) == 0)
        varsel_sqlite_memory_free(nil)
    }

    @Test("realloc keeps the content: in place while it fits its block, moved to a larger one when not")
    func reallocKeepsContent() {
        let block = varsel_sqlite_memory_malloc(20)!
        let bytes = (0..<20).map { UInt8($0 + 1) }
        bytes.withUnsafeBytes { memcpy(block, $0.baseAddress!, 20) }
        // 20 bytes live in a 32-byte block: 30 still fits.
        #expect(varsel_sqlite_memory_realloc(block, 30) == block)
        let grown = varsel_sqlite_memory_realloc(block, 5_000)!
        #expect(varsel_sqlite_memory_size(grown) >= 5_000)
        #expect(Array(UnsafeRawBufferPointer(start: grown, count: 20)) == bytes)
        let fresh = varsel_sqlite_memory_realloc(nil, 10)!
        #expect(varsel_sqlite_memory_size(fresh) == 16)
        varsel_sqlite_memory_free(fresh)
        varsel_sqlite_memory_free(grown)
    }

    @Test("a freed small block is kept by its thread and given to that thread's next allocation of its class, and a thread keeps only a bounded number")
    func keptAndBounded() {
        // On a thread of its own, so that the cache starts empty and no other test shares it.
        let result = Found<(reused: Bool, kept: Int32, afterReuse: Int32, bounded: Int32)>()
        let thread = Thread {
            let first = varsel_sqlite_memory_malloc(40)!
            varsel_sqlite_memory_free(first)
            let kept = varsel_sqlite_memory_cached()
            let second = varsel_sqlite_memory_malloc(60)!
            let reused = first == second
            let afterReuse = varsel_sqlite_memory_cached()
            varsel_sqlite_memory_free(second)
            // A thousand blocks of one class freed: at most its limit (64) is kept, the rest go to malloc.
            let many = (0..<1_000).map { _ in varsel_sqlite_memory_malloc(24)! }
            for block in many { varsel_sqlite_memory_free(block) }
            result.set((reused, kept, afterReuse, varsel_sqlite_memory_cached()))
        }
        thread.start()
        let deadline = Date().addingTimeInterval(60)
        while result.current == nil, Date() < deadline { usleep(1_000) }
        guard let outcome = result.current else {
            Issue.record("the thread did not finish")
            return
        }
        #expect(outcome.reused)
        #expect(outcome.kept == 1)
        #expect(outcome.afterReuse == 0)
        #expect(outcome.bounded >= 1 && outcome.bounded <= 64 + 1, "\(outcome.bounded) kept")
    }

    @Test("a block freed by another thread than the one that allocated it is kept by the freeing thread, and its content was intact until then")
    func freedOnAnotherThread() async {
        let blocks = (0..<200).map { index -> UnsafeMutableRawPointer in
            let block = varsel_sqlite_memory_malloc(Int32(8 + index * 20))!
            block.storeBytes(of: UInt64(index), as: UInt64.self)
            return block
        }
        let addresses = blocks.map { Int(bitPattern: $0) }
        let intact = await Task.detached {
            var intact = true
            for address in addresses {
                let block = UnsafeMutableRawPointer(bitPattern: address)!
                if block.load(as: UInt64.self) != UInt64(addresses.firstIndex(of: address)!) { intact = false }
                varsel_sqlite_memory_free(block)
            }
            return intact
        }.value
        #expect(intact)
    }
}
