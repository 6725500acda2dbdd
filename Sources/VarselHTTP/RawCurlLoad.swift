import CCurl
import Foundation

/// One prebuilt POST sent over and over by a plain libcurl multi loop, on a thread of its own: the
/// ceiling of `varsel bench --gateway` (nothing queued, rendered or stored, so no dispatcher that
/// sends through libcurl can beat it on the same machine) and the load of its HTTP enqueue figures.
///
/// The method is that of a loop written straight on libcurl in C: one multi handle with
/// `CURLMOPT_MAX_HOST_CONNECTIONS` equal to the transfers in flight, so every transfer keeps a
/// keep-alive connection of its own; each easy handle is added again as soon as it finishes;
/// `curl_multi_poll` sleeps between rounds. Nothing here goes through ``CurlHTTPClient``: its queue,
/// pools and continuations are part of what Varsel costs, not of the ceiling.
///
/// - Important: Every transfer is bounded by `transferTimeout` and the whole run by the deadline
///   given to ``run(_:deadline:)``; past it the run throws.
public struct RawCurlLoad: Sendable {
    /// When the loop stops starting transfers.
    public enum Stop: Sendable {
        /// After this many requests in all.
        case afterRequests(Int)
        /// After this long; the transfers in flight then still finish and count.
        case afterTime(Duration)
    }

    public struct Outcome: Sendable {
        /// Transfers finished, answered or not.
        public var requests = 0
        /// Transfers that failed or were answered with a status of 300 or more.
        public var failures = 0
        /// What the answers counted (see ``RawCurlLoad/units``), over the 2xx answers.
        public var units = 0
        /// From the first transfer started to the last one finished.
        public var seconds = 0.0
        /// Seconds from start to finish of each transfer, when asked for.
        public var latencies: [Double] = []
        /// The first failure, for the error message.
        public var firstFailure: String?

        /// Answers per second, failures included (the rate the target took).
        public var requestRate: Double { seconds > 0 ? Double(requests) / seconds : 0 }
        /// Units per second.
        public var unitRate: Double { seconds > 0 ? Double(units) / seconds : 0 }

        public init() {}

        /// The p-th percentile (0…100) of the latencies, in seconds; nil without latencies.
        public func latency(percentile: Double) -> Double? { RawCurlLoad.percentile(percentile, of: latencies) }
    }

    /// The p-th percentile (0…100) of `values` by the nearest rank below (the value at index
    /// ⌊p/100 × count⌋ of the sorted values, the last for p = 100); nil when there are none.
    public static func percentile(_ p: Double, of values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, max(0, Int(p / 100 * Double(sorted.count))))]
    }

    let url: String
    let body: [UInt8]
    /// Request header lines (`Name: value`); `Content-Type: application/json` when none names it.
    let headers: [String]
    let inFlight: Int
    let recordsLatencies: Bool
    /// Counts a 2xx answer from its body (messages a batch accepted, say). Nil: each 2xx answer
    /// counts one and bodies are thrown away unread, as a provider's answers are by the ceiling.
    let units: (@Sendable ([UInt8]) -> Int)?
    let transferTimeout: Duration

    public init(
        url: String, body: [UInt8], headers: [String], inFlight: Int, recordsLatencies: Bool = false,
        units: (@Sendable ([UInt8]) -> Int)? = nil, transferTimeout: Duration = .seconds(30)
    ) {
        self.url = url
        self.body = body
        self.headers = headers
        self.inFlight = inFlight
        self.recordsLatencies = recordsLatencies
        self.units = units
        self.transferTimeout = transferTimeout
    }

    /// Why a run could not be made or did not finish in time.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Runs the loop on a dedicated thread (it blocks in `curl_multi_poll`, which must not hold one
    /// of the threads every task shares) and returns what it measured.
    public func run(_ stop: Stop, deadline: Duration) async throws -> Outcome {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Outcome, any Error>) in
            NamedThread.start("varsel-bench-curl") { continuation.resume(with: Result { try self.runBlocking(stop, deadline: deadline) }) }
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    private func runBlocking(_ stop: Stop, deadline: Duration) throws -> Outcome {
        CurlGlobal.ensureInitialized()
        guard let multi = curl_multi_init() else { throw RawCurlLoad.Failure(description: "curl_multi_init failed") }
        defer { _ = curl_multi_cleanup(multi) }
        _ = varsel_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, inFlight)

        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        var lines = headers
        if !lines.contains(where: { $0.lowercased().hasPrefix("content-type:") }) { lines.append("Content-Type: application/json") }
        // No `Expect: 100-continue` round trip before a large body: no client in the reference method waits for one.
        lines.append("Expect:")
        for line in lines { headerList = curl_slist_append(headerList, line) }

        // libcurl reads the body from this buffer (CURLOPT_POSTFIELDS does not copy it): it lives until the end.
        let bodyBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: max(1, body.count))
        defer { bodyBuffer.deallocate() }
        body.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { _ = UnsafeMutableBufferPointer(start: bodyBuffer, count: bytes.count).initialize(from: $0) }
        }

        let limit: Int? = if case .afterRequests(let count) = stop { count } else { nil }
        var slots: [Slot] = []
        var attached: [Slot] = []
        defer {
            for slot in attached { _ = curl_multi_remove_handle(multi, slot.easy) }
            for slot in slots { slot.dispose() }
        }
        for _ in 0..<max(1, min(inFlight, limit ?? inFlight)) {
            let slot = try Slot(keepsBody: units != nil)
            slots.append(slot)
            try slot.configure(url: url, body: bodyBuffer, bodyCount: body.count, headers: headerList, timeout: transferTimeout)
        }

        var outcome = Outcome()
        let clock = ContinuousClock()
        let start = clock.now
        let hardDeadline = start + deadline
        let stopStartingAt: ContinuousClock.Instant? = if case .afterTime(let duration) = stop { start + duration } else { nil }
        var started = 0
        func mayStart(_ now: ContinuousClock.Instant) -> Bool {
            if let limit { return started < limit }
            return now < stopStartingAt!
        }
        func add(_ slot: Slot, at now: ContinuousClock.Instant) throws {
            slot.started = now
            slot.body.removeAll(keepingCapacity: true)
            let code = curl_multi_add_handle(multi, slot.easy)
            guard code == CURLM_OK else { throw RawCurlLoad.Failure(description: "curl_multi_add_handle: \(String(cString: curl_multi_strerror(code)))") }
            attached.append(slot)
            started += 1
        }
        for slot in slots where mayStart(start) { try add(slot, at: start) }

        var running: Int32 = 0
        while !attached.isEmpty {
            guard clock.now < hardDeadline else {
                throw RawCurlLoad.Failure(description: "the load on \(url) did not finish within \(deadline) (\(outcome.requests) answers so far)")
            }
            _ = curl_multi_perform(multi, &running)
            var queued: Int32 = 0
            while let message = curl_multi_info_read(multi, &queued) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle,
                      let index = attached.firstIndex(where: { $0.easy == easy })
                else { continue }
                let result = message.pointee.data.result
                let slot = attached.remove(at: index)
                _ = curl_multi_remove_handle(multi, easy)
                let now = clock.now
                var status = 0
                _ = varsel_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
                outcome.requests += 1
                if recordsLatencies { outcome.latencies.append(Self.seconds(now - slot.started)) }
                if result == CURLE_OK, (200..<300).contains(status) {
                    outcome.units += units.map { $0(slot.body) } ?? 1
                } else {
                    outcome.failures += 1
                    if outcome.firstFailure == nil {
                        outcome.firstFailure = result == CURLE_OK
                            ? "HTTP \(status): \(String(decoding: slot.body.prefix(300), as: UTF8.self))"
                            : String(cString: curl_easy_strerror(result))
                    }
                }
                outcome.seconds = Self.seconds(now - start)
                if mayStart(now) { try add(slot, at: now) }
            }
            if !attached.isEmpty { _ = curl_multi_poll(multi, nil, 0, 100, nil) }
        }
        return outcome
    }
}

/// One easy handle of the loop, set up once and reused for every transfer it carries (so its
/// connection stays open between them).
private final class Slot {
    let easy: UnsafeMutableRawPointer
    var started = ContinuousClock.now
    var body: [UInt8] = []
    let keepsBody: Bool

    init(keepsBody: Bool) throws {
        guard let easy = curl_easy_init() else { throw RawCurlLoad.Failure(description: "curl_easy_init failed") }
        self.easy = easy
        self.keepsBody = keepsBody
    }

    func configure(
        url: String, body: UnsafeMutablePointer<CChar>, bodyCount: Int, headers: UnsafeMutablePointer<curl_slist>?, timeout: Duration
    ) throws {
        func check(_ code: CURLcode) throws {
            guard code == CURLE_OK else { throw RawCurlLoad.Failure(description: "curl_easy_setopt: \(String(cString: curl_easy_strerror(code)))") }
        }
        try check(varsel_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1))
        try check(varsel_easy_setopt_string(easy, CURLOPT_URL, url))
        try check(varsel_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bodyCount)))
        try check(varsel_easy_setopt_mutable_string(easy, CURLOPT_POSTFIELDS, body))
        try check(varsel_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headers))
        try check(varsel_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, max(1, Int(RawCurlLoad.seconds(timeout) * 1000))))
        try check(varsel_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, 10_000))
        if keepsBody {
            try check(varsel_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, Unmanaged.passUnretained(self).toOpaque()))
            try check(varsel_easy_setopt_data_callback(easy, CURLOPT_WRITEFUNCTION, collectBody))
        } else {
            try check(varsel_easy_setopt_data_callback(easy, CURLOPT_WRITEFUNCTION, discardBody))
        }
    }

    /// Called once, after the handle was removed from the multi handle.
    func dispose() { curl_easy_cleanup(easy) }
}

/// CURLOPT_WRITEFUNCTION of a slot that keeps the answer (bounded at 16 MiB).
private let collectBody: varsel_curl_data_callback = { buffer, size, count, userdata in
    let length = size * count
    guard let userdata, let buffer, length > 0 else { return length }
    let slot = Unmanaged<Slot>.fromOpaque(userdata).takeUnretainedValue()
    guard slot.body.count + length <= 16 << 20 else { return 0 }
    slot.body.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: length))
    return length
}

/// CURLOPT_WRITEFUNCTION of the ceiling: the gateway's answer is read and dropped.
private let discardBody: varsel_curl_data_callback = { _, size, count, _ in size * count }
