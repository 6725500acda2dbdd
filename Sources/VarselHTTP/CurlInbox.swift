import CCurl
import Foundation

/// The multi handle pointer, shared only so that other threads can call `curl_multi_wakeup`.
///
/// `@unchecked Sendable` because libcurl documents `curl_multi_wakeup` as callable from any
/// thread; every other use of the handle happens on the curl thread. ``CurlInbox`` calls
/// `curl_multi_wakeup` only under its lock and only before the curl thread has closed it,
/// so the handle is never woken after `curl_multi_cleanup`.
struct CurlMultiHandle: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer
}

/// The lock-protected command queue between callers and the curl thread.
///
/// Callers enqueue submissions and cancellations and wake the thread; the curl thread takes
/// the whole queue at the top of each loop iteration. Once stop is requested no submission is
/// accepted; once closed (by the curl thread, just before it cleans up) nothing is.
///
/// `@unchecked Sendable`: `state` is only read or written while holding `lock`. An `NSLock`
/// (a pthread mutex) is used rather than `Synchronization.Mutex` because ThreadSanitizer sees
/// pthread locks but not the Mutex's futex, and reports false races for the latter on Linux.
final class CurlInbox: @unchecked Sendable {
    enum Command: Sendable {
        case submit(CurlSubmission)
        case cancel(CurlTicket)
    }

    private struct State {
        var commands: [Command] = []
        var stopRequested = false
        var closed = false
    }

    let multi: CurlMultiHandle
    /// Wakes the curl thread: `curl_multi_wakeup`, or what a test counts.
    private let wake: @Sendable () -> Void
    private let lock = NSLock()
    private var state = State()

    init(multi: CurlMultiHandle, wake: (@Sendable () -> Void)? = nil) {
        self.multi = multi
        self.wake = wake ?? { _ = curl_multi_wakeup(multi.raw) }
    }

    /// Queues a submission and wakes the curl thread. Returns false, leaving the submission
    /// to the caller, when the client is shutting down.
    func submit(_ submission: CurlSubmission) -> Bool {
        withState { state in
            guard !state.stopRequested, !state.closed else { return false }
            append(.submit(submission), to: &state)
            return true
        }
    }

    /// Queues a cancellation (ignored once closed) and wakes the curl thread.
    func cancel(_ ticket: CurlTicket) {
        withState { state in
            guard !state.closed else { return }
            append(.cancel(ticket), to: &state)
        }
    }

    /// Queues a command, waking the curl thread only when the queue was empty: a command already
    /// queued has woken it since it last took the queue (`curl_multi_wakeup` is a write to a socket
    /// pair, and a burst of sends made one each).
    private func append(_ command: Command, to state: inout State) {
        let wasEmpty = state.commands.isEmpty
        state.commands.append(command)
        if wasEmpty { wake() }
    }

    private func withState<T>(_ body: (inout State) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&state)
    }

    /// Asks the curl thread to stop; returns false when it had been asked before.
    func requestStop() -> Bool {
        withState { state in
            guard !state.stopRequested else { return false }
            state.stopRequested = true
            if !state.closed {
                wake()
            }
            return true
        }
    }

    /// Curl thread: takes every queued command, and whether stop was requested.
    func take() -> (commands: [Command], stopRequested: Bool) {
        withState { state in
            let commands = state.commands
            state.commands.removeAll()
            return (commands, state.stopRequested)
        }
    }

    /// Curl thread: closes the inbox for good and returns what was still queued.
    func close() -> [Command] {
        withState { state in
            state.closed = true
            state.stopRequested = true
            let commands = state.commands
            state.commands.removeAll()
            return commands
        }
    }
}
