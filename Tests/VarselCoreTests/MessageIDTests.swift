import Foundation
import Testing
@testable import VarselCore

@Suite struct MessageIDTests {
    @Test("msg_ + 10 characters of milliseconds + 16 random ones, Crockford base 32; ids sort by creation time")
    func shape() {
        let alphabet = Set("0123456789abcdefghjkmnpqrstvwxyz")
        let early = MessageID.generate(now: Date(timeIntervalSince1970: 1_700_000_000))
        let late = MessageID.generate(now: Date(timeIntervalSince1970: 1_700_000_000.002))
        for id in [early, late] {
            #expect(id.hasPrefix("msg_") && id.count == 30)
            #expect(id.dropFirst(4).allSatisfy(alphabet.contains))
        }
        #expect(early < late)
        #expect(early.prefix(14) != late.prefix(14) && early.dropFirst(14) != late.dropFirst(14))
    }

    @Test("all 80 random bits are used: every character appears at every random position")
    func randomBits() {
        var seen = Array(repeating: Set<Character>(), count: 16)
        for _ in 0..<4_000 {
            let random = Array(MessageID.generate(now: Date(timeIntervalSince1970: 0)).dropFirst(14))
            for (position, character) in random.enumerated() { seen[position].insert(character) }
        }
        #expect(seen.allSatisfy { $0.count == 32 }, "\(seen.map(\.count))")
    }
}
