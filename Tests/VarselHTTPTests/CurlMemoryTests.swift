import CCurl
import CSQLiteMemory
import Foundation
import Synchronization
import Testing
@testable import VarselHTTP

/// libcurl allocates through Varsel's small-block allocator, whose threads keep the blocks they free.
@Suite struct CurlMemoryTests {
    @Test("a list libcurl builds and frees goes through the allocator: the freeing thread keeps its blocks")
    func libcurlAllocatesThroughTheAllocator() {
        // On a thread of its own, so that its kept blocks are only this test's.
        let kept = Mutex<(before: Int32, after: Int32)?>(nil)
        let thread = Thread {
            CurlGlobal.ensureInitialized()
            let before = varsel_sqlite_memory_cached()
            // Two blocks: the list's node and libcurl's copy of the text.
            let list = curl_slist_append(nil, "Content-Type: application/json")
            curl_slist_free_all(list)
            let after = varsel_sqlite_memory_cached()
            kept.withLock { $0 = (before, after) }
        }
        thread.start()
        let deadline = Date().addingTimeInterval(60)
        while kept.withLock({ $0 }) == nil, Date() < deadline { usleep(1_000) }
        guard let found = kept.withLock({ $0 }) else {
            Issue.record("the thread did not finish")
            return
        }
        #expect(found.after == found.before + 2, "kept \(found.before) before, \(found.after) after")
    }
}
