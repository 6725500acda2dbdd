import Foundation
import Testing
@testable import VarselDaemon

/// The executable's start-up pages released from the resident set once a daemon is ready.
@Suite struct StartUpPagesTests {
    @Test("the executable's code leaves the resident set and runs on (its pages fault back in); mappings with pages of the process's own (relocated, written) keep them")
    func codeReleased() throws {
        let before = StartUpPages.executableMappings()
        let code = before.filter { $0.permissions == "r-xp" }
        try #require(code.contains { $0.residentKB > 0 }, "the test runner maps its code: \(before)")
        let owned = before.filter { $0.anonymousKB > 0 }
        try #require(!owned.isEmpty, "the runner has relocated or written pages of its executable: \(before)")
        let advised = StartUpPages.release()
        let after = Dictionary(StartUpPages.executableMappings().map { ($0.start, $0) }, uniquingKeysWith: { first, _ in first })
        #expect(advised > 0)
        for mapping in code {
            #expect((after[mapping.start]?.residentKB ?? 0) < mapping.residentKB, "code: \(mapping) → \(String(describing: after[mapping.start]))")
        }
        for mapping in owned {
            #expect((after[mapping.start]?.anonymousKB ?? 0) >= mapping.anonymousKB, "kept its own pages: \(mapping) → \(String(describing: after[mapping.start]))")
        }
        // Code released is code still there: this process goes on running it.
        let squares = (1...1_000).map { (value: Int) -> Int in value * value }
        #expect(squares.reduce(0, +) == 333_833_500)
        #expect(try JSONSerialization.jsonObject(with: Data(#"{"a":[1,2]}"#.utf8)) is [String: Any])
    }

    @Test("the executable's mappings are read from smaps: its code, with what is resident of it")
    func mappingsRead() {
        let mappings = StartUpPages.executableMappings()
        #expect(mappings.contains { $0.permissions == "r-xp" && $0.residentKB > 0 }, "\(mappings)")
        #expect(mappings.allSatisfy { $0.end > $0.start && $0.anonymousKB <= $0.residentKB })
    }
}
