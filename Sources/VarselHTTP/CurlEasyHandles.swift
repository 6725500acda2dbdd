import CCurl
import Synchronization

/// The curl thread's idle easy handles: a transfer that ends hands its handle back for the next one,
/// as libcurl advises.
///
/// A handle created for every request and cleaned up after (`curl_easy_init`, `curl_easy_cleanup`)
/// was 1.4 % of a sending daemon's samples. A handle given back by an HTTP transfer keeps its options
/// under that transfer's ``CurlHandleSetup`` (the gateway's URL, method, timeouts, credentials): the
/// next transfer with the same setup sets only its body, header lines and pointers, which `CurlTransfer`
/// always sets, and the handle's pointers to the transfer that ended are cleared as it comes back. A
/// handle taken for another setup, and every handle of a mail transfer, is reset first
/// (`curl_easy_reset`: every option back to its default; the handle keeps its buffers). Connections
/// belong to the multi handle's cache either way. At most `limit` handles (the transfers that can run
/// at once) are kept idle; the rest are cleaned up.
///
/// Confined to the curl thread, except the counters. `@unchecked Sendable` only so the client can
/// hand it to that thread at start.
final class CurlEasyHandles: @unchecked Sendable {
    /// An easy handle and whether it still holds the options of the setup asked for.
    struct Taken {
        let easy: UnsafeMutableRawPointer
        let isSetUp: Bool
    }

    /// Handles with their last transfer's setup still set, by setup.
    private var setUp: [CurlHandleSetup: [UnsafeMutableRawPointer]] = [:]
    /// Handles reset to libcurl's defaults.
    private var reset: [UnsafeMutableRawPointer] = []
    private var idleCount = 0
    private let limit: Int
    /// Handles created so far (read by tests from any thread).
    let created = Atomic<Int>(0)
    /// Transfers that found a handle still set up for them (read by tests from any thread).
    let reusedSetUp = Atomic<Int>(0)

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// An idle handle set up for `setup` if there is one, else a reset one, a set-up one reset, or a
    /// new one; nil if libcurl cannot create one.
    func take(for setup: CurlHandleSetup?) -> Taken? {
        if let setup, let easy = takeSetUp(setup) {
            reusedSetUp.wrappingAdd(1, ordering: .relaxed)
            return Taken(easy: easy, isSetUp: true)
        }
        if let easy = reset.popLast() {
            idleCount -= 1
            return Taken(easy: easy, isSetUp: false)
        }
        if let other = setUp.keys.first, let easy = takeSetUp(other) {
            curl_easy_reset(easy)
            return Taken(easy: easy, isSetUp: false)
        }
        guard let easy = curl_easy_init() else { return nil }
        created.wrappingAdd(1, ordering: .relaxed)
        return Taken(easy: easy, isSetUp: false)
    }

    /// An idle handle kept for `setup`; a setup with none left is forgotten, so requests to ever new
    /// URLs do not grow the table.
    private func takeSetUp(_ setup: CurlHandleSetup) -> UnsafeMutableRawPointer? {
        guard let easy = setUp[setup]?.popLast() else { return nil }
        if setUp[setup]?.isEmpty == true { setUp[setup] = nil }
        idleCount -= 1
        return easy
    }

    /// Setups with a handle kept for them (for tests).
    var keptSetups: Int { setUp.count }

    /// Takes back a handle no longer in the multi handle: kept with its options under `setup` (nil: the
    /// handle is reset; also for a transfer whose options were not all set), or cleaned up.
    func giveBack(_ easy: UnsafeMutableRawPointer, setup: CurlHandleSetup?) {
        guard idleCount < limit else {
            curl_easy_cleanup(easy)
            return
        }
        idleCount += 1
        guard let setup else {
            curl_easy_reset(easy)
            reset.append(easy)
            return
        }
        // Nothing idle points at the transfer that ended, its header list or its error buffer.
        _ = varsel_easy_setopt_pointer(easy, CURLOPT_PRIVATE, nil)
        _ = varsel_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, nil)
        _ = varsel_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, nil)
        _ = varsel_easy_setopt_mutable_string(easy, CURLOPT_ERRORBUFFER, nil)
        _ = varsel_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, nil)
        setUp[setup, default: []].append(easy)
    }

    /// Cleans up every idle handle (at shutdown, after the last transfer gave its handle back).
    func cleanUp() {
        for easy in reset { curl_easy_cleanup(easy) }
        for handles in setUp.values { for easy in handles { curl_easy_cleanup(easy) } }
        reset.removeAll()
        setUp.removeAll()
        idleCount = 0
    }
}
