import Synchronization
import Testing
@testable import VarselHTTP

/// The queue between callers and the curl thread wakes the thread once per batch of commands it has
/// not taken yet, not once per command (each wake is a system call, and a batch of sends queues
/// hundreds).
struct CurlInboxTests {
    @Test("commands queued before the curl thread takes them wake it once; the first after a take wakes it again")
    func wakesOncePerTake() {
        let wakes = Mutex(0)
        // Never dereferenced: the counting wake stands in for curl_multi_wakeup.
        let placeholder = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
        defer { placeholder.deallocate() }
        let inbox = CurlInbox(multi: CurlMultiHandle(raw: placeholder)) { wakes.withLock { $0 += 1 } }

        for index in 0..<100 { inbox.cancel(CurlTicket(poolKey: "pool-\(index)")) }
        #expect(wakes.withLock { $0 } == 1)
        #expect(inbox.take().commands.count == 100)

        inbox.cancel(CurlTicket(poolKey: "after"))
        inbox.cancel(CurlTicket(poolKey: "after-2"))
        #expect(wakes.withLock { $0 } == 2)
        #expect(inbox.take().commands.count == 2)
        // Nothing queued: a stop request still wakes the thread.
        #expect(inbox.requestStop())
        #expect(wakes.withLock { $0 } == 3)
    }
}
