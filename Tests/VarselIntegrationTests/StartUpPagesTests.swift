import Foundation
import Testing
@testable import VarselDaemon

/// The executable's start-up pages released from the resident set once a daemon is ready.
@Suite struct StartUpPagesTests {
    struct Mapping: Equatable {
        let permissions: String
        var rss = 0
        var anonymous = 0
    }

    /// This process's mappings of its executable, by address range: resident and anonymous kB.
    static func mappings() throws -> [String: Mapping] {
        let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        var result: [String: Mapping] = [:]
        var current: String?
        for line in try String(contentsOfFile: "/proc/self/smaps", encoding: .utf8).split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 5, fields[0].contains("-"), !fields[0].hasSuffix(":") {
                current = nil
                if fields.count >= 6, fields[5...].joined(separator: " ") == exe {
                    current = String(fields[0])
                    result[String(fields[0])] = Mapping(permissions: String(fields[1]))
                }
            } else if let range = current, fields.count >= 2, let kB = Int(fields[1]) {
                if fields[0] == "Rss:" { result[range]?.rss = kB }
                if fields[0] == "Anonymous:" { result[range]?.anonymous = kB }
            }
        }
        return result
    }

    @Test("the executable's code leaves the resident set and runs on (its pages fault back in); mappings with pages of the process's own (relocated, written) keep them")
    func codeReleased() throws {
        let before = try Self.mappings()
        let code = before.filter { $0.value.permissions == "r-xp" }
        try #require(code.values.contains { $0.rss > 0 }, "the test runner maps its code: \(before)")
        let owned = before.filter { $0.value.anonymous > 0 }
        try #require(!owned.isEmpty, "the runner has relocated or written pages of its executable: \(before)")
        let advised = StartUpPages.release()
        let after = try Self.mappings()
        #expect(advised > 0)
        for (range, mapping) in code {
            #expect((after[range]?.rss ?? 0) < mapping.rss, "code \(range): \(mapping) → \(String(describing: after[range]))")
        }
        for (range, mapping) in owned {
            #expect((after[range]?.anonymous ?? 0) >= mapping.anonymous, "\(range) kept its own pages: \(mapping) → \(String(describing: after[range]))")
        }
        // Code released is code still there: this process goes on running it.
        let squares = (1...1_000).map { (value: Int) -> Int in value * value }
        #expect(squares.reduce(0, +) == 333_833_500)
        #expect(try JSONSerialization.jsonObject(with: Data(#"{"a":[1,2]}"#.utf8)) is [String: Any])
    }
}
