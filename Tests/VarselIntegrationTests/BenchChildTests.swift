import Foundation
import Testing
@testable import VarselDaemon
import VarselTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// `varsel bench --gateway`'s children: waited for without polling, reaped once, stopped when late,
/// and started with no signal blocked.
@Suite struct BenchChildTests {
    @Test("a child's end is seen and it is reaped with its exit status; past its timeout the wait says it still runs; a child spawned from any thread starts with no signal blocked, and stop ends it with SIGTERM")
    func waitForExit() async throws {
        let directory = TemporaryDirectory()
        let quick = try await BenchChild.run(
            name: "quick", executable: "/bin/sh", arguments: ["-c", "echo out; sleep 0.2; exit 3"], in: directory.url, timeout: .seconds(120))
        #expect(!quick.isRunning)
        #expect(quick.exitStatus == 3)
        #expect(quick.output == "out\n")
        // Waiting again for a child already reaped answers at once.
        #expect(await quick.waitForExit(timeout: .seconds(120)))

        // Spawned from a libdispatch thread, which blocks SIGTERM and SIGINT: the child still starts
        // with nothing blocked.
        let slow = try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result {
                    try BenchChild(
                        name: "slow", executable: "/bin/sleep", arguments: ["300"], output: directory.file("slow.out"), log: directory.file("slow.log"))
                })
            }
        }
        let status = try String(contentsOfFile: "/proc/\(slow.pid)/status", encoding: .utf8)
        #expect(status.contains("SigBlk:\t0000000000000000"), "\(status)")
        let exited = await slow.waitForExit(timeout: .milliseconds(100))
        #expect(!exited)
        #expect(slow.isRunning)
        await slow.stop(grace: .seconds(60))
        #expect(!slow.isRunning)
        #expect(slow.exitStatus == 128 + SIGTERM)
    }
}
