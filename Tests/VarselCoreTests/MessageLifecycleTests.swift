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
}
