import Foundation
import Testing
@testable import VarselDaemon
import VarselStore

/// `ReadAhead`: the send loop plans the batch its last plan read only while that read is fresh, since
/// the leases it claims run from the read.
@Suite struct ReadAheadTests {
    static func batch(_ count: Int) -> [LeasedMessage] {
        (0..<count).map { index in
            LeasedMessage(
                lease: LeaseRef(messageID: "m\(index)", token: "t", claim: LeaseClaim(owner: "w", expiresAt: Date(), readVersion: 1)),
                request: StoreTests.request("r\(index)"), createdAt: Date(), previous: nil)
        }
    }

    @Test("a fresh batch is taken up to the limit, once; the rest is dropped (read again with the next plan)")
    func freshIsTakenOnce() {
        let read = ContinuousClock.now
        var ahead = ReadAhead()
        ahead.keep(Self.batch(5), readAt: read)
        #expect(ahead.take(limit: 3, now: read + .milliseconds(10)).map(\.lease.messageID) == ["m0", "m1", "m2"])
        #expect(ahead.take(limit: 3, now: read + .milliseconds(20)).isEmpty)
    }

    @Test("a batch held longer than a second (the loop waited for sends to end) is not used: its leases would have run part of their time")
    func staleIsReadAgain() {
        let read = ContinuousClock.now
        var ahead = ReadAhead()
        ahead.keep(Self.batch(2), readAt: read)
        #expect(ahead.take(limit: 10, now: read + ReadAhead.freshFor + .milliseconds(1)).isEmpty)
        ahead.keep(Self.batch(2), readAt: read)
        #expect(ahead.take(limit: 10, now: read + ReadAhead.freshFor).count == 2)
        // A freshness of its own.
        var patient = ReadAhead(freshFor: .seconds(60))
        patient.keep(Self.batch(2), readAt: read)
        #expect(patient.take(limit: 10, now: read + .seconds(59)).count == 2)
    }

    @Test("nothing kept, nothing taken")
    func emptyTakesNothing() {
        var ahead = ReadAhead()
        #expect(ahead.take(limit: 10, now: ContinuousClock.now).isEmpty)
    }
}
