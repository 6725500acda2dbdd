import CCurl

/// The event loop of the curl thread: owns the multi handle and every transfer.
///
/// Created and run on the client's dedicated thread; nothing here is touched from any other
/// thread (callers reach it only through ``CurlInbox``). Each iteration takes the inbox's
/// commands, hands waiting submissions to libcurl within the pool limits, runs
/// `curl_multi_perform`, completes finished transfers from `curl_multi_info_read`, and sleeps
/// in `curl_multi_poll` until socket activity, a curl timer, or `curl_multi_wakeup`.
/// ``run()`` returns after stop is requested, having failed everything still pending
/// with ``HTTPClientError/Code/shutDown`` and cleaned up the multi handle.
final class CurlMultiLoop {
    /// Upper bound on one sleep; libcurl shortens it to its own next timer.
    private static let maxPollMilliseconds: Int32 = 1_000

    private let inbox: CurlInbox
    private let multi: UnsafeMutableRawPointer
    private let configuration: CurlHTTPClient.Configuration
    private var scheduler: PoolScheduler
    /// Transfers added to the multi handle, by ticket.
    private var active: [ObjectIdentifier: CurlTransfer] = [:]
    /// Easy handles between transfers.
    private let handles: CurlEasyHandles

    init(inbox: CurlInbox, configuration: CurlHTTPClient.Configuration, maxRunning: Int, handles: CurlEasyHandles) {
        self.inbox = inbox
        self.multi = inbox.multi.raw
        self.configuration = configuration
        self.handles = handles
        self.scheduler = PoolScheduler(
            maxRunning: maxRunning, maxPerPool: configuration.maxConnectionsPerPool, poolLimits: configuration.poolLimits)
    }

    func run() {
        while true {
            let (commands, stopRequested) = inbox.take()
            if stopRequested { break }
            for command in commands {
                handle(command)
            }
            startWaiting()
            var running: Int32 = 0
            _ = curl_multi_perform(multi, &running)
            if completeFinished() > 0 {
                // Freed slots: hand over queued work now. A newly added handle makes libcurl's
                // timer due at once, so the poll below returns without sleeping.
                startWaiting()
            }
            _ = curl_multi_poll(multi, nil, 0, Self.maxPollMilliseconds, nil)
        }
        tearDown()
    }

    // MARK: - Commands

    private func handle(_ command: CurlInbox.Command) {
        switch command {
        case .submit(let submission):
            if submission.ticket.isCancelled {
                submission.fail(CancellationError())
            } else {
                scheduler.enqueue(submission)
            }
        case .cancel(let ticket):
            if let transfer = active[ticket.id] {
                detach(transfer)
                transfer.dispose()
                transfer.submission.fail(CancellationError())
            } else if let submission = scheduler.removeWaiting(ticket) {
                submission.fail(CancellationError())
            }
            // Otherwise it already completed, or its submission is still to come and
            // will see the ticket's cancelled flag.
        }
    }

    // MARK: - Starting

    /// Hands waiting submissions to libcurl until a limit is reached. The marks of those that carry
    /// one are recorded first (``HandOverRecording``), all in one call; if that fails they fail
    /// without being sent.
    private func startWaiting() {
        var starting: [CurlSubmission] = []
        while let submission = scheduler.next() {
            if submission.ticket.isCancelled {
                scheduler.finished(poolKey: submission.request.poolKey)
                submission.fail(CancellationError())
                continue
            }
            starting.append(submission)
        }
        guard !starting.isEmpty else { return }
        if let handOver = configuration.handOver {
            let marks = starting.compactMap(\.request.handOverMark)
            if !marks.isEmpty {
                do {
                    try handOver.record(marks)
                } catch {
                    starting.removeAll { submission in
                        guard submission.request.handOverMark != nil else { return false }
                        scheduler.finished(poolKey: submission.request.poolKey)
                        submission.fail(HTTPClientError(
                            code: .other, curlMessage: "cannot record the hand-over of the request: \(error)", requestMayHaveReachedServer: false))
                        return true
                    }
                }
            }
        }
        for submission in starting {
            let transfer: CurlTransfer
            do {
                transfer = try CurlTransfer.make(submission, configuration: configuration, handles: handles)
            } catch {
                scheduler.finished(poolKey: submission.request.poolKey)
                submission.fail(error)
                continue
            }
            let code = curl_multi_add_handle(multi, transfer.easy)
            guard code == CURLM_OK else {
                transfer.dispose()
                scheduler.finished(poolKey: submission.request.poolKey)
                submission.fail(HTTPClientError(
                    code: .other, curlMessage: String(cString: curl_multi_strerror(code)),
                    requestMayHaveReachedServer: false))
                continue
            }
            transfer.isAddedToMulti = true
            active[submission.ticket.id] = transfer
        }
    }

    // MARK: - Completing

    /// Completes every transfer libcurl reports as done; returns how many.
    private func completeFinished() -> Int {
        var completed = 0
        var queued: Int32 = 0
        while let message = curl_multi_info_read(multi, &queued) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else {
                continue
            }
            // Read everything from the message before removing the handle invalidates it.
            let result = message.pointee.data.result
            var context: UnsafeMutableRawPointer?
            guard varsel_easy_getinfo_pointer(easy, CURLINFO_PRIVATE, &context) == CURLE_OK,
                  let context
            else {
                // Not ours; should not happen. Keep the multi handle consistent.
                _ = curl_multi_remove_handle(multi, easy)
                continue
            }
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
            let outcome = transfer.outcome(result: result)
            detach(transfer)
            transfer.dispose()
            switch outcome {
            case .success(let response):
                transfer.submission.succeed(response)
            case .failure(let error):
                transfer.submission.fail(error)
            }
            completed += 1
        }
        return completed
    }

    /// Removes a transfer from the multi handle and the pool counts.
    private func detach(_ transfer: CurlTransfer) {
        if transfer.isAddedToMulti {
            _ = curl_multi_remove_handle(multi, transfer.easy)
            transfer.isAddedToMulti = false
        }
        active[transfer.submission.ticket.id] = nil
        scheduler.finished(poolKey: transfer.poolKey)
    }

    // MARK: - Shutdown

    private func tearDown() {
        for command in inbox.close() {
            if case .submit(let submission) = command {
                submission.fail(Self.shutDownError(requestMayHaveReachedServer: false))
            }
        }
        for submission in scheduler.removeAllWaiting() {
            submission.fail(Self.shutDownError(requestMayHaveReachedServer: false))
        }
        for transfer in Array(active.values) {
            let reached = transfer.requestMayHaveReachedServer()
            detach(transfer)
            transfer.dispose()
            transfer.submission.fail(Self.shutDownError(requestMayHaveReachedServer: reached))
        }
        handles.cleanUp()
        _ = curl_multi_cleanup(multi)
    }

    static func shutDownError(requestMayHaveReachedServer: Bool) -> HTTPClientError {
        HTTPClientError(
            code: .shutDown, curlMessage: "the HTTP client was shut down",
            requestMayHaveReachedServer: requestMayHaveReachedServer)
    }
}
