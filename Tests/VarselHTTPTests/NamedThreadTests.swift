import Foundation
import Synchronization
import Testing
@testable import VarselHTTP

/// Threads that must be found by name (`top -H`, `perf`): the curl thread and the bench's.
@Suite struct NamedThreadTests {
    @Test("a thread carries its name in the kernel from its first instruction, however its start races its creator; names are cut to the kernel's 15 bytes")
    func namedBeforeItRuns() async throws {
        let seen = Mutex<[String]>([])
        let done = DispatchGroup()
        // Started from several dispatch workers at once: Foundation's own naming lost the race to
        // the new thread under such load, which then kept its creator's name (`oot.default-qos`).
        DispatchQueue.concurrentPerform(iterations: 64) { index in
            done.enter()
            NamedThread.start(index % 2 == 0 ? "VarselHTTP.curl" : "varsel-bench-curl") {
                let comm = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
                seen.withLock { $0.append(comm.trimmingCharacters(in: .newlines)) }
                done.leave()
            }
        }
        #expect(done.wait(timeout: .now() + 120) == .success, "every thread ran")
        let names = seen.withLock { $0 }
        #expect(names.count == 64)
        #expect(names.filter { $0 == "VarselHTTP.curl" }.count == 32, "\(names)")
        #expect(names.filter { $0 == "varsel-bench-cu" }.count == 32, "\(names)")
    }
}
