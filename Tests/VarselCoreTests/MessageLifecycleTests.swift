import Foundation
import Testing
import VarselCore

/// The lifecycle rules without a store.
@Suite struct MessageLifecycleTests {
    @Test("cancel: queued and leased-but-unstarted are cancelled; started, sent and delivered cannot be called back; ended stays ended")
    func cancel() {
        #expect(MessageLifecycle.cancel(state: .queued, attemptStarted: false) == .cancel)
        #expect(MessageLifecycle.cancel(state: .sending, attemptStarted: false) == .cancel)
        #expect(MessageLifecycle.cancel(state: .sending, attemptStarted: true) == .alreadySent)
        for state in [MessageState.sent, .delivered] { #expect(MessageLifecycle.cancel(state: state, attemptStarted: true) == .alreadySent) }
        for state in [MessageState.failed, .expired, .cancelled] { #expect(MessageLifecycle.cancel(state: state, attemptStarted: false) == .alreadyFinished) }
    }

    @Test("reclaim: a started attempt becomes ambiguous with a reason; an unstarted one requeues without an attempt")
    func reclaim() {
        let started = MessageLifecycle.reclaim(hasPendingAttempt: true)
        #expect(started.attemptOutcome == .ambiguous)
        #expect(started.stateReason?.hasPrefix("ambiguous: outcome unknown") == true)
        #expect(started.decision.contains("same Idempotency-Key"))
        let unstarted = MessageLifecycle.reclaim(hasPendingAttempt: false)
        #expect(unstarted.attemptOutcome == nil && unstarted.stateReason == nil)
        #expect(unstarted.decision.contains("requeued without an attempt"))
    }

    func facts(_ status: DeliveryStatus, latest: Bool = true, state: MessageState = .sent, fallBack: Bool = true) -> MessageLifecycle.ReceiptFacts {
        .init(status: status, isLatestAttempt: latest, messageState: state, attemptChannel: .sms, gateway: "gw", detail: ": absent", fallBackOnFailure: fallBack)
    }

    @Test("receipts: only a final status on the latest attempt of a sent message changes it; a failure falls back when asked; late and repeated ones are only recorded")
    func receipts() {
        #expect(MessageLifecycle.receipt(facts(.delivered)) == .finish(state: .delivered, reason: "delivered (receipt from gw)", decision: "receipt delivered from webhook:gw: delivered (receipt from gw)"))
        guard case .fallBack(let reason, let decision) = MessageLifecycle.receipt(facts(.undelivered)) else { Issue.record("expected a fallback"); return }
        #expect(reason == "undelivered according to gw: absent")
        #expect(decision.hasSuffix("falling back from sms to the next usable channel"))
        guard case .finish(.failed, _, _) = MessageLifecycle.receipt(facts(.expired, fallBack: false)) else { Issue.record("expected failed"); return }
        #expect(MessageLifecycle.receipt(facts(.sent)) == .recordOnly(decision: nil))
        guard case .recordOnly(let late?) = MessageLifecycle.receipt(facts(.failed, latest: false, state: .sending)) else { Issue.record("expected a note"); return }
        #expect(late.contains("for an earlier sms attempt recorded: absent") && late.contains("now sending"))
        #expect(MessageLifecycle.receipt(facts(.failed, state: .delivered)) == .recordOnly(decision: "receipt failed from webhook:gw ignored: the message is already delivered"))
        #expect(MessageLifecycle.receipt(facts(.delivered, state: .queued)) == .recordOnly(decision: nil))
    }

    @Test("an attempt's status moves forward only and a final one stays")
    func advance() {
        #expect(MessageLifecycle.advance(nil, to: .accepted) == .accepted)
        #expect(MessageLifecycle.advance(.accepted, to: .sent) == .sent)
        #expect(MessageLifecycle.advance(.sent, to: .accepted) == nil)
        #expect(MessageLifecycle.advance(.sent, to: .failed) == .failed)
        #expect(MessageLifecycle.advance(.delivered, to: .failed) == nil)
    }

    @Test("parts: delivered only when every part is, failed at the first failed part, a part's first final status stands")
    func aggregate() {
        let parts = ["a", "b"]
        #expect(MessageLifecycle.aggregate(parts: parts, reports: [("a", .delivered)], reported: .delivered) == .sent)
        #expect(MessageLifecycle.aggregate(parts: parts, reports: [("a", .delivered), ("b", .delivered)], reported: .delivered) == .delivered)
        #expect(MessageLifecycle.aggregate(parts: parts, reports: [("a", .delivered), ("b", .failed)], reported: .failed) == .failed)
        #expect(MessageLifecycle.aggregate(parts: parts, reports: [("a", .delivered), ("a", .failed), ("b", .delivered)], reported: .delivered) == .delivered)
        #expect(MessageLifecycle.aggregate(parts: parts, reports: [("a", .accepted)], reported: .accepted) == .accepted)
        #expect(MessageLifecycle.aggregate(parts: ["a"], reports: [("a", .failed)], reported: .failed) == .failed)
    }

    @Test("no final receipt within the timeout: a fallback naming the gateway and the timeout")
    func receiptTimeout() {
        guard case .fallBack(let reason, let decision) = MessageLifecycle.receiptTimeout(channel: .sms, gateway: "link", timeout: 72 * 3600) else {
            Issue.record("expected a fallback")
            return
        }
        #expect(reason == "no final receipt from link within 3d of its acceptance (fallback.receipt_timeout)")
        #expect(decision == reason + "; falling back from sms to the next usable channel")
    }

    // MARK: Leases, erasure, attempts

    @Test("a lease grant: the batch's fence token, sending until the lease lapses after its duration")
    func lease() {
        let now = Date(timeIntervalSince1970: 1_000_000)
        let grant = MessageLifecycle.lease(now: now, duration: 60)
        #expect(grant.state == .sending && grant.expiresAt == now.addingTimeInterval(60))
        #expect(grant.token != MessageLifecycle.lease(now: now, duration: 60).token)
    }

    @Test("erasure: cancels by the cancel rule what cannot have reached a gateway, scrubs the rest once")
    func erase() {
        #expect(MessageLifecycle.erase(state: .queued, attemptStarted: false, scrubbedBefore: false) == .cancelAndScrub(reason: "recipient's personal data erased"))
        #expect(MessageLifecycle.erase(state: .sending, attemptStarted: false, scrubbedBefore: true) == .cancelAndScrub(reason: "recipient's personal data erased"))
        #expect(MessageLifecycle.erase(state: .sending, attemptStarted: true, scrubbedBefore: false) == .scrub)
        for state in [MessageState.sent, .delivered, .failed, .expired, .cancelled] {
            #expect(MessageLifecycle.erase(state: state, attemptStarted: true, scrubbedBefore: false) == .scrub)
            #expect(MessageLifecycle.erase(state: state, attemptStarted: true, scrubbedBefore: true) == .unchanged)
        }
    }

    @Test("expiry: a message is never sent at or after its expires_at")
    func expiry() {
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(MessageLifecycle.expiry(expiresAt: nil, now: at) == nil)
        #expect(MessageLifecycle.expiry(expiresAt: at.addingTimeInterval(1), now: at) == nil)
        let ending = MessageLifecycle.expiry(expiresAt: at, now: at)
        #expect(ending?.state == .expired)
        #expect(ending?.reason == "expired at 2027-01-15T08:00:00Z before it could be sent")
    }

    @Test("an interrupted send is repeated only while attempts are left")
    func resendAfterInterruption() {
        #expect(MessageLifecycle.resendAfterInterruption(attempts: 2, maxAttempts: 3, lastReason: nil) == nil)
        let ending = MessageLifecycle.resendAfterInterruption(attempts: 3, maxAttempts: 3, lastReason: "ambiguous: timeout")
        #expect(ending == .init(state: .failed, reason: "gave up after 3 attempts (retry.max_attempts); last: ambiguous: timeout"))
    }

    func result(_ outcome: AttemptOutcome, retryAfter: TimeInterval? = nil) -> MessageLifecycle.AttemptResult {
        .init(outcome: outcome, channel: .sms, gateway: "link", providerID: outcome == .accepted ? "p-1" : nil, error: outcome == .accepted ? nil : "HTTP 503", retryAfter: retryAfter)
    }

    func context(before: Int = 0, expires: Date? = nil, fallBack: Bool = true) -> MessageLifecycle.AttemptContext {
        .init(
            attemptsBefore: before, createdAt: Date(timeIntervalSince1970: 1_800_000_000), expiresAt: expires,
            retry: RetryPolicy(minBackoff: 30, maxBackoff: 3600, maxAttempts: 3, maxLifetime: 72 * 3600), fallBackOnPermanentFailure: fallBack)
    }

    @Test("outcome: accepted is sent; transient and ambiguous retry with backoff and Retry-After until attempts or expiry run out; permanent falls back or fails")
    func outcome() {
        let now = Date(timeIntervalSince1970: 1_800_000_100)
        let accepted = MessageLifecycle.outcome(result(.accepted), context(), now: now, unit: 0)
        #expect(accepted == .init(state: .sent, reason: "accepted by link as p-1", readyAt: nil, excludeChannel: nil, decisions: []))

        let retry = MessageLifecycle.outcome(result(.transient), context(), now: now, unit: 0)
        #expect(retry.state == .queued && retry.readyAt == now.addingTimeInterval(30) && retry.reason == "transient: HTTP 503")
        #expect(retry.decisions == ["transient failure on attempt 1: HTTP 503; retrying at 2027-01-15T08:02:10Z with the same Idempotency-Key"])
        let honoured = MessageLifecycle.outcome(result(.ambiguous, retryAfter: 600), context(), now: now, unit: 0)
        #expect(honoured.readyAt == now.addingTimeInterval(600) && honoured.decisions[0].contains("(Retry-After 600 s honoured)"))
        #expect(MessageLifecycle.outcome(result(.pending), context(), now: now, unit: 0).reason == "ambiguous: HTTP 503")

        let spent = MessageLifecycle.outcome(result(.transient), context(before: 2), now: now, unit: 0)
        #expect(spent.state == .failed && spent.reason == "gave up after 3 attempts (retry.max_attempts); last: HTTP 503" && spent.decisions == [spent.reason])
        let expired = MessageLifecycle.outcome(result(.transient), context(expires: now.addingTimeInterval(10)), now: now, unit: 0)
        #expect(expired.state == .expired && expired.reason.hasPrefix("expired at 2027-01-15T08:01:50Z before the next attempt"))

        let fallBack = MessageLifecycle.outcome(result(.permanent), context(), now: now, unit: 0)
        #expect(fallBack == .init(
            state: .queued, reason: "permanent failure on sms: HTTP 503", readyAt: now, excludeChannel: .sms,
            decisions: ["permanent failure on sms: HTTP 503; falling back to the next usable channel"]))
        let failed = MessageLifecycle.outcome(result(.permanent), context(fallBack: false), now: now, unit: 0)
        #expect(failed.state == .failed && failed.excludeChannel == nil && failed.readyAt == nil)
    }

    @Test("outcome: the jitter's random number is drawn for a retry only, never for an accepted send, and it spreads the backoff")
    func outcomeDrawsForRetriesOnly() {
        let now = Date(timeIntervalSince1970: 1_800_000_100)
        var draws = 0
        func draw() -> Double {
            draws += 1
            return 0.5
        }
        _ = MessageLifecycle.outcome(result(.accepted), context(), now: now, unit: draw())
        _ = MessageLifecycle.outcome(result(.permanent), context(), now: now, unit: draw())
        #expect(draws == 0)
        let retry = MessageLifecycle.outcome(result(.transient), context(), now: now, unit: draw())
        #expect(draws == 1)
        #expect(retry.readyAt == now.addingTimeInterval(RetryPolicy(minBackoff: 30, maxBackoff: 3600, maxAttempts: 3, maxLifetime: 72 * 3600).backoff(attempt: 1, unit: 0.5)))
    }
}
