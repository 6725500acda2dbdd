import Foundation
import Logging
import VarselCore
import VarselGateways
import VarselStore

/// One send of a batch: the attempt it opens, its request handed to the HTTP client, and what its result comes to.
extension Dispatcher {
    /// The attempt a send opens when its request can be handed to the HTTP client.
    func attemptStart(_ queued: QueuedSend) -> AttemptStart {
        let (send, message, leased) = (queued.send, queued.message, queued.leased)
        return AttemptStart(
            lease: send.lease, channel: message.channel, gateway: send.gateway, idempotencyKey: send.idempotencyKey,
            cap: preparer.frequencyCap.enabled
                ? .init(policy: preparer.frequencyCap, kind: leased.request.kind, recipientKey: RecipientKey.of(leased.request.recipient)) : nil,
            receiptLookup: receiptGateways.contains(send.gateway))
    }

    /// The attempt's id when it opened; otherwise logs why the request does not go out.
    func opened(_ outcome: StartOutcome?, messageID id: String) -> Int64? {
        switch outcome {
        case .started(let attemptID)?:
            return attemptID
        case .deferred(let until)?:
            logger.info("deferred by the frequency cap as the attempt was to open", metadata: ["message_id": "\(id)", "until": "\(RFC3339.format(until))"])
        case nil:
            // The lease was lost, or the store failed (logged by the starter): the message is
            // queued again when its lease is reclaimed.
            logger.warning("attempt not opened (lease lost or store unavailable); not sent", metadata: ["message_id": "\(id)"])
        }
        return nil
    }

    /// Hands a send whose attempt is open and which holds a connection to the HTTP client; what comes
    /// back goes to the recorder, and the connection back to the lanes, from the curl thread.
    /// `connectedAt`: when it took the connection, for the time it held it before its request left
    /// (`varsel_send_connection_wait_seconds`).
    func launch(_ queued: QueuedSend, attemptID: Int64, connectedAt: ContinuousClock.Instant, lanes: SendLanes, finished: FinishedSends) {
        switch sender.request(for: queued.message, via: queued.gateway) {
        case .failed(let result):
            lanes.release(queued.gateway)
            finished.push(FinishedSend(queued: queued, attemptID: attemptID, answer: .decided(result)))
        case .ready(let request):
            metrics?.connectionHeld(gateway: queued.gateway, beforeSending: .now - connectedAt)
            sender.start(request, handOverMark: attemptID) { transfer in
                lanes.release(queued.gateway, answered: true)
                finished.push(FinishedSend(queued: queued, attemptID: attemptID, answer: .transfer(transfer)))
            }
        }
    }

    /// What a finished send comes to, as the store records it; counts it in the metrics and the
    /// gateway's circuit breaker, and logs it.
    func completion(_ finished: FinishedSend) -> Completion {
        let send = finished.queued.send
        let message = finished.queued.message
        let leasedMessage = finished.queued.leased
        let id = send.lease.messageID
        let result: SendResult
        switch finished.answer {
        case .transfer(let transfer): result = sender.result(of: transfer)
        case .decided(let decided): result = decided
        }
        let wasOpen = preparer.gateways.isOpen(send.gateway)
        if let state = preparer.gateways.record(gateway: send.gateway, outcome: result.outcome, now: now()), wasOpen != state.isOpen {
            logger.warning("circuit \(state.isOpen ? "opened" : "closed")", metadata: ["gateway": "\(send.gateway)"])
        }
        let completion = preparer.completion(
            for: send, leased: leasedMessage, attemptID: finished.attemptID, result: result, now: now(), unit: Double.random(in: 0..<1))
        if let metrics {
            metrics.sendFinished(channel: message.channel, gateway: send.gateway, outcome: completion.outcome, latencyMs: result.latencyMs)
            if completion.excludeChannel != nil {
                metrics.fellBack(from: message.channel, cause: "permanent_failure")
            } else if completion.state == .queued {
                metrics.retried(channel: message.channel)
            }
        }
        let level: Logger.Level = result.outcome == .accepted ? .info : .notice
        guard logger.logLevel <= level else { return completion }
        var fields: Logger.Metadata = [
            "message_id": "\(id)", "channel": "\(message.channel.rawValue)", "gateway": "\(send.gateway)",
            "outcome": "\(result.outcome.rawValue)", "http_status": "\(result.httpStatus.map(String.init) ?? "-")",
            "latency_ms": "\(result.latencyMs)",
        ]
        if let caseRef = leasedMessage.request.caseRef { fields["case_ref"] = "\(caseRef)" }
        if let error = completion.error { fields["error"] = "\(error.prefix(300))" }
        logger.log(level: level, "send finished", metadata: fields)
        return completion
    }
}
