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

    @Test("all 80 random bits are used: every character appears at every random position of a millisecond's first id")
    func randomBits() {
        var seen = Array(repeating: Set<Character>(), count: 16)
        for millisecond in 0..<4_000 {
            let random = Array(MessageID.generate(now: Date(timeIntervalSince1970: Double(millisecond) / 1000)).dropFirst(14))
            for (position, character) in random.enumerated() { seen[position].insert(character) }
        }
        #expect(seen.allSatisfy { $0.count == 32 }, "\(seen.map(\.count))")
    }

    @Test("the ids of a batch share its millisecond and ascend in order by random steps from 1 to 2^24; two batches of one millisecond start at random places")
    func batchAscends() {
        let now = Date(timeIntervalSince1970: 1_800_000_000.123)
        let ids = MessageID.generate(count: 10_000, now: now)
        #expect(ids.count == 10_000 && Set(ids).count == ids.count)
        #expect(ids == ids.sorted())
        #expect(Set(ids.map { $0.prefix(14) }) == [MessageID.generate(now: now).prefix(14)])
        // Read as numbers, the random parts step by 1 to 2^24, by random amounts (not a counter that gives the next id away).
        let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz")
        let randomParts = ids.map { id in id.dropFirst(14).reduce(UInt128(0)) { $0 << 5 | UInt128(alphabet.firstIndex(of: $1)!) } }
        let steps = zip(randomParts.dropFirst(), randomParts).map { $0 > $1 ? $0 - $1 : 0 }
        #expect(steps.allSatisfy { $0 >= 1 && $0 <= 1 << 24 })
        #expect(Set(steps).count > 9_000)
        let other = MessageID.generate(count: 2, now: now)
        #expect(other[0] != ids[0] && other[0].dropFirst(14).prefix(6) != ids[0].dropFirst(14).prefix(6))
        #expect(MessageID.generate(count: 0, now: now).isEmpty)
    }

    @Test("a numbering over several calls (the chunks of one enqueue) ascends across all of them, by the same steps, in the same millisecond")
    func numberingAcrossCalls() {
        let now = Date(timeIntervalSince1970: 1_800_000_000.123)
        var numbering = MessageID.Numbering(now: now)
        let calls = [1_000, 1, 0, 999, 2_500].map { numbering.next($0) }
        #expect(calls.map(\.count) == [1_000, 1, 0, 999, 2_500])
        let ids = calls.flatMap { $0 }
        #expect(ids == ids.sorted() && Set(ids).count == ids.count)
        #expect(Set(ids.map { $0.prefix(14) }) == [MessageID.generate(now: now).prefix(14)])
        let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz")
        let randomParts = ids.map { id in id.dropFirst(14).reduce(UInt128(0)) { $0 << 5 | UInt128(alphabet.firstIndex(of: $1)!) } }
        #expect(zip(randomParts.dropFirst(), randomParts).allSatisfy { $0 > $1 && $0 - $1 <= 1 << 24 })
    }

    @Test("a batch's steps come from its own 256 fresh bits: as many as asked, every bit set about half the time, other bits other steps")
    func stepsFromFreshBits() {
        var first = SeededRandom(seed: 1)
        var second = SeededRandom(seed: 2)
        let steps = MessageID.randomSteps(10_000, using: &first)
        #expect(steps.count == 10_000 && MessageID.randomSteps(13, using: &first).count == 13 && MessageID.randomSteps(0, using: &first).isEmpty)
        for bit in 0..<32 {
            let set = steps.filter { $0 & (1 << bit) != 0 }.count
            #expect((4_700...5_300).contains(set), "bit \(bit) set in \(set) of 10,000")
        }
        let other = MessageID.randomSteps(10_000, using: &second)
        #expect(zip(steps, other).filter { $0 == $1 }.count < 5)
        var again = SeededRandom(seed: 1)
        #expect(MessageID.randomSteps(10_000, using: &again) == steps)
    }
}
