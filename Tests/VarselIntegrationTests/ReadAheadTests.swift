import Foundation
import Testing
@testable import VarselDaemon
import VarselStore

/// `ReadAhead`: the send loop plans messages its plans' commits read only while that read is fresh,
/// since the leases it claims run from the read.
@Suite struct ReadAheadTests {
    static func batch(_ count: Int) -> [LeasedMessage] {
        (0..<count).map { index in
            LeasedMessage(
                lease: LeaseRef(messageID: "m\(index)", token: "t", claim: LeaseClaim(owner: "w", expiresAt: Date(), readVersion: 1)),
                request: StoreTests.request("r\(index)"), createdAt: Date(), previous: nil)
        }
    }

    @Test("fresh messages are taken up to the limit, oldest first; the rest stay held, and their ids are what a read must skip")
    func freshAreTakenInOrder() {
        let read = ContinuousClock.now
        var ahead = ReadAhead()
        ahead.keep(Self.batch(5), readAt: read)
        let first = ahead.take(limit: 3, now: read + .milliseconds(10))
        #expect(first.messages.map(\.lease.messageID) == ["m0", "m1", "m2"])
        #expect(first.readAt == read)
        #expect(ahead.count == 2 && ahead.ids == ["m3", "m4"])
        #expect(ahead.take(limit: 3, now: read + .milliseconds(20)).messages.map(\.lease.messageID) == ["m3", "m4"])
        #expect(ahead.take(limit: 3, now: read + .milliseconds(30)).messages.isEmpty)
    }

    @Test("messages kept behind others count as read when the oldest were: a take judges freshness by the oldest held")
    func keptBehindOthers() {
        let read = ContinuousClock.now
        var ahead = ReadAhead()
        ahead.keep(Array(Self.batch(2)), readAt: read)
        ahead.keep(Array(Self.batch(4).suffix(2)), readAt: read + .milliseconds(500))
        #expect(ahead.ids == ["m0", "m1", "m2", "m3"])
        #expect(ahead.take(limit: 1, now: read + .milliseconds(600)).readAt == read)
        // Once all were taken, what is kept next is judged by its own read.
        _ = ahead.take(limit: 10, now: read + .milliseconds(600))
        ahead.keep(Self.batch(1), readAt: read + .seconds(5))
        #expect(ahead.take(limit: 1, now: read + .seconds(5) + .milliseconds(10)).messages.count == 1)
    }

    @Test("messages held longer than a second (the loop waited for sends to end) are not used: their leases would have run part of their time")
    func staleIsReadAgain() {
        let read = ContinuousClock.now
        var ahead = ReadAhead()
        ahead.keep(Self.batch(2), readAt: read)
        #expect(ahead.take(limit: 10, now: read + ReadAhead.freshFor + .milliseconds(1)).messages.isEmpty)
        #expect(ahead.count == 0, "dropped, to be read again")
        ahead.keep(Self.batch(2), readAt: read)
        #expect(ahead.take(limit: 10, now: read + ReadAhead.freshFor).messages.count == 2)
        #expect(ahead.isFresh(read, now: read + ReadAhead.freshFor))
        #expect(!ahead.isFresh(read, now: read + ReadAhead.freshFor + .milliseconds(1)))
        // A freshness of its own.
        var patient = ReadAhead(freshFor: .seconds(60))
        patient.keep(Self.batch(2), readAt: read)
        #expect(patient.take(limit: 10, now: read + .seconds(59)).messages.count == 2)
    }

    @Test("a failed commit drops everything held")
    func dropForgetsAll() {
        var ahead = ReadAhead()
        ahead.keep(Self.batch(3), readAt: ContinuousClock.now)
        ahead.drop()
        #expect(ahead.count == 0 && ahead.ids.isEmpty)
    }

    @Test("nothing kept, nothing taken")
    func emptyTakesNothing() {
        var ahead = ReadAhead()
        #expect(ahead.take(limit: 10, now: ContinuousClock.now).messages.isEmpty)
    }
}
