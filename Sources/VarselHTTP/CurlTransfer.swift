import CCurl

/// One easy handle and everything libcurl's callbacks write into, confined to the curl thread.
///
/// Lifetime: ``make(_:configuration:handles:)`` takes an easy handle from the thread's
/// ``CurlEasyHandles``, retains the box once with `Unmanaged` and gives that pointer to libcurl as
/// `CURLOPT_PRIVATE`, `CURLOPT_WRITEDATA` and `CURLOPT_HEADERDATA`; the callbacks only borrow it.
/// ``dispose()`` — called exactly once, after the handle has been removed from the multi handle —
/// gives the easy handle back (kept set up for the request's ``CurlHandleSetup`` once every option
/// was set, else reset), frees the header list and the error buffer, and releases that retain.
///
/// A handle that comes still set up for this request's setup gets only what is this transfer's
/// own: its pointers, the error buffer, the body and the header lines; every other option is as the
/// transfer before with the same setup left it.
final class CurlTransfer {
    let submission: CurlSubmission
    let easy: UnsafeMutableRawPointer
    private let handles: CurlEasyHandles
    /// What the handle is kept set up for when given back: set once every option is.
    private var keptSetup: CurlHandleSetup?

    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var recipientList: UnsafeMutablePointer<curl_slist>?
    /// The mail being uploaded (SMTP) and how much of it libcurl has read.
    private var upload: [UInt8] = []
    private var uploadOffset = 0
    /// The SMTP server's reply lines (the last few), for the response and for errors.
    private var mailReplies: [String] = []
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private var retainedForCurl: Unmanaged<CurlTransfer>?
    private var disposed = false

    private let maxResponseBodyBytes: Int
    private var responseBody: [UInt8] = []
    private var headerCollector = ResponseHeaderCollector()
    private var bodyLimitExceeded = false

    /// Whether the handle is currently added to the multi handle (maintained by the loop).
    var isAddedToMulti = false

    var poolKey: String { submission.request.poolKey }

    private init(submission: CurlSubmission, easy: UnsafeMutableRawPointer, handles: CurlEasyHandles, maxResponseBodyBytes: Int) {
        self.submission = submission
        self.easy = easy
        self.handles = handles
        self.maxResponseBodyBytes = maxResponseBodyBytes
        let size = varsel_curl_error_size()
        self.errorBuffer = .allocate(capacity: size)
        self.errorBuffer.initialize(repeating: 0, count: size)
    }

    deinit {
        assert(disposed, "CurlTransfer dropped without dispose()")
    }

    /// Takes an easy handle for `submission` and sets every option.
    /// On failure the handle is given back, nothing else is left allocated and the continuation is untouched.
    static func make(
        _ submission: CurlSubmission,
        configuration: CurlHTTPClient.Configuration,
        handles: CurlEasyHandles
    ) throws(HTTPClientError) -> CurlTransfer {
        let setup = CurlHandleSetup(submission.request)
        guard let taken = handles.take(for: setup) else {
            throw HTTPClientError(
                code: .other, curlMessage: "curl_easy_init failed", requestMayHaveReachedServer: false)
        }
        let transfer = CurlTransfer(
            submission: submission, easy: taken.easy, handles: handles,
            maxResponseBodyBytes: max(0, configuration.maxResponseBodyBytes))
        do {
            try transfer.configure(configuration, isSetUp: taken.isSetUp)
            transfer.keptSetup = setup
        } catch {
            transfer.dispose()
            throw error
        }
        return transfer
    }

    // MARK: - Options

    /// Sets every option, or with `isSetUp` (the handle holds this request's setup) only this
    /// transfer's own.
    private func configure(_ configuration: CurlHTTPClient.Configuration, isSetUp: Bool) throws(HTTPClientError) {
        let request = submission.request
        let unmanaged = Unmanaged.passRetained(self)
        retainedForCurl = unmanaged
        let context = unmanaged.toOpaque()

        try check(varsel_easy_setopt_mutable_string(easy, CURLOPT_ERRORBUFFER, errorBuffer))
        try check(varsel_easy_setopt_pointer(easy, CURLOPT_PRIVATE, context))
        try check(varsel_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, context))
        try check(varsel_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, context))
        if isSetUp {
            try configureBodyAndHeaders(request)
            return
        }
        try set(CURLOPT_NOSIGNAL, 1)
        try check(varsel_easy_setopt_data_callback(easy, CURLOPT_WRITEFUNCTION, curlWriteCallback))
        try check(varsel_easy_setopt_data_callback(easy, CURLOPT_HEADERFUNCTION, curlHeaderCallback))

        try set(CURLOPT_URL, request.url)
        if let mail = request.mail {
            try configureMail(mail, request: request)
        } else {
            try configureHTTP(request)
        }

        // Timeouts (0 would mean "no timeout" to libcurl).
        try set(CURLOPT_CONNECTTIMEOUT_MS, max(1, request.connectTimeoutMilliseconds))
        try set(CURLOPT_TIMEOUT_MS, max(1, request.timeoutMilliseconds))

        // TLS.
        try set(CURLOPT_SSL_VERIFYPEER, configuration.verifyTLS ? 1 : 0)
        try set(CURLOPT_SSL_VERIFYHOST, configuration.verifyTLS ? 2 : 0)
        if let caFile = request.caFile {
            try set(CURLOPT_CAINFO, caFile)
        }

        // Authentication.
        if let auth = request.basicAuth {
            if request.mail == nil {
                try check(varsel_easy_setopt_long(easy, CURLOPT_HTTPAUTH, Int(bitPattern: varsel_curlauth_basic())))
            }
            try set(CURLOPT_USERNAME, auth.user)
            try set(CURLOPT_PASSWORD, auth.password)
        }

        try set(CURLOPT_TCP_KEEPALIVE, 1)
        if let userAgent = configuration.userAgent {
            try set(CURLOPT_USERAGENT, userAgent)
        }
    }

    /// The options of an HTTP request's setup (``CurlHandleSetup``), then its body and headers.
    private func configureHTTP(_ request: HTTPRequest) throws(HTTPClientError) {
        try set(CURLOPT_PROTOCOLS_STR, "http,https")
        try set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        try set(CURLOPT_FOLLOWLOCATION, 0)

        let method = request.method
        if method == "HEAD" {
            try set(CURLOPT_NOBODY, 1)
        } else if request.sendsBody ? method != "POST" : method != "GET" {
            // A body makes libcurl POST, and none GET, unless told the method.
            try set(CURLOPT_CUSTOMREQUEST, method)
        }
        try configureBodyAndHeaders(request)
    }

    /// What is the request's own and not its setup's: the body and the header lines.
    private func configureBodyAndHeaders(_ request: HTTPRequest) throws(HTTPClientError) {
        let sendsBody = request.sendsBody
        if sendsBody {
            try check(varsel_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count)))
            let code: CURLcode = request.body.withUnsafeBufferPointer { bytes in
                guard let base = bytes.baseAddress else {
                    return varsel_easy_setopt_string(easy, CURLOPT_COPYPOSTFIELDS, "")
                }
                return UnsafeRawPointer(base).withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                    varsel_easy_setopt_string(easy, CURLOPT_COPYPOSTFIELDS, $0)
                }
            }
            try check(code)
        }

        var lines: [String] = []
        lines.reserveCapacity(request.headers.count + 2)
        for header in request.headers {
            // libcurl drops "Name:" (it means "remove this header"); "Name;" sends it empty.
            lines.append(header.value.isEmpty ? "\(header.name);" : "\(header.name): \(header.value)")
        }
        if !request.headers.contains(where: { $0.hasName("Expect") }) {
            lines.append("Expect:")
        }
        if sendsBody && !request.headers.contains(where: { $0.hasName("Content-Type") }) {
            lines.append("Content-Type:")  // no default application/x-www-form-urlencoded
        }
        for line in lines {
            guard let appended = curl_slist_append(headerList, line) else {
                throw HTTPClientError(
                    code: .other, curlMessage: "curl_slist_append failed", requestMayHaveReachedServer: false)
            }
            headerList = appended
        }
        try check(varsel_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList))

    }

    /// SMTP: the envelope, the message uploaded from memory, STARTTLS as asked. libcurl keeps the
    /// connection in the multi handle's cache, so the next mail to the same server reuses it.
    private func configureMail(_ mail: MailEnvelope, request: HTTPRequest) throws(HTTPClientError) {
        try set(CURLOPT_PROTOCOLS_STR, "smtp,smtps")
        try set(CURLOPT_MAIL_FROM, "<\(mail.from)>")
        for recipient in mail.recipients {
            guard let appended = curl_slist_append(recipientList, "<\(recipient)>") else {
                throw HTTPClientError(
                    code: .other, curlMessage: "curl_slist_append failed", requestMayHaveReachedServer: false)
            }
            recipientList = appended
        }
        try check(varsel_easy_setopt_slist(easy, CURLOPT_MAIL_RCPT, recipientList))
        let tls: curl_usessl = switch mail.tls {
        case .required: CURLUSESSL_ALL
        case .optional: CURLUSESSL_TRY
        case .never: CURLUSESSL_NONE
        }
        try set(CURLOPT_USE_SSL, Int(tls.rawValue))
        upload = request.body
        uploadOffset = 0
        try set(CURLOPT_UPLOAD, 1)
        try check(varsel_easy_setopt_off_t(easy, CURLOPT_INFILESIZE_LARGE, curl_off_t(upload.count)))
        try check(varsel_easy_setopt_pointer(easy, CURLOPT_READDATA, Unmanaged.passUnretained(self).toOpaque()))
        try check(varsel_easy_setopt_data_callback(easy, CURLOPT_READFUNCTION, curlReadCallback))
    }

    private func set(_ option: CURLoption, _ value: Int) throws(HTTPClientError) {
        try check(varsel_easy_setopt_long(easy, option, value))
    }

    /// For options whose string libcurl copies.
    private func set(_ option: CURLoption, _ value: String) throws(HTTPClientError) {
        try check(varsel_easy_setopt_string(easy, option, value))
    }

    private func check(_ code: CURLcode) throws(HTTPClientError) {
        guard code == CURLE_OK else {
            throw HTTPClientError(
                code: .other, curlCode: Int(code.rawValue),
                curlMessage: String(cString: curl_easy_strerror(code)),
                requestMayHaveReachedServer: false)
        }
    }

    // MARK: - Callbacks (curl thread, inside curl_multi_perform)

    /// Appends body bytes; returns 0 (which aborts the transfer) past the size limit.
    fileprivate func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        if responseBody.count + bytes.count > maxResponseBodyBytes {
            bodyLimitExceeded = true
            return 0
        }
        responseBody.append(contentsOf: bytes)
        return bytes.count
    }

    /// Copies the next piece of the mail into libcurl's buffer; 0 at the end.
    fileprivate func sendUpload(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let count = min(buffer.count, upload.count - uploadOffset)
        guard count > 0 else { return 0 }
        upload.withUnsafeBytes { source in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[uploadOffset..<(uploadOffset + count)]))
        }
        uploadOffset += count
        return count
    }

    /// Records one header line; a status line starts a new response, dropping earlier data.
    /// For SMTP these are the server's reply lines.
    fileprivate func receiveHeaderLine(_ bytes: UnsafeRawBufferPointer) {
        if submission.request.mail != nil {
            var end = bytes.count
            while end > 0, bytes[end - 1] == 0x0A || bytes[end - 1] == 0x0D || bytes[end - 1] == 0x20 { end -= 1 }
            let line = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[0..<end]), as: UTF8.self)
            if !line.isEmpty {
                mailReplies.append(String(line.prefix(512)))
                if mailReplies.count > 8 { mailReplies.removeFirst() }
            }
            return
        }
        if headerCollector.consume(bytes) {
            responseBody.removeAll(keepingCapacity: true)
        }
    }

    // MARK: - Completion

    /// Whether any request bytes may have been written (see ``HTTPClientError``).
    /// Requires the easy handle, so call before ``dispose()``.
    func requestMayHaveReachedServer(result: CURLcode? = nil) -> Bool {
        var requestSize = 0
        if varsel_easy_getinfo_long(easy, CURLINFO_REQUEST_SIZE, &requestSize) != CURLE_OK {
            return true  // unknown: assume the worst
        }
        if requestSize > 0 {
            return true
        }
        if result == CURLE_SEND_ERROR {
            // A send error after the connection was up may follow a partial write.
            var pretransfer: curl_off_t = 0
            _ = varsel_easy_getinfo_off_t(easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer)
            return pretransfer > 0
        }
        return false
    }

    /// The response, or the error, for a transfer libcurl reported as done with `result`.
    /// Requires the easy handle, so call before ``dispose()``.
    func outcome(result: CURLcode) -> Result<HTTPResponse, HTTPClientError> {
        guard result == CURLE_OK else {
            return .failure(error(for: result))
        }
        var status = 0
        _ = varsel_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        var micros: curl_off_t = 0
        _ = varsel_easy_getinfo_off_t(easy, CURLINFO_TOTAL_TIME_T, &micros)
        if submission.request.mail != nil {
            // The server's last reply (`250 2.0.0 Ok: queued as …`) is the body.
            return .success(HTTPResponse(
                status: status, body: Array((mailReplies.last ?? "").utf8), totalTime: .microseconds(Int64(micros))))
        }
        return .success(HTTPResponse(
            status: status, headerBlock: headerCollector.block, body: responseBody,
            totalTime: .microseconds(Int64(micros))))
    }

    private func error(for result: CURLcode) -> HTTPClientError {
        let code: HTTPClientError.Code
        if bodyLimitExceeded {
            code = .responseTooLarge
        } else {
            code = Self.classify(result)
        }
        var message = String(cString: errorBuffer)
        if message.isEmpty {
            message = String(cString: curl_easy_strerror(result))
        }
        if bodyLimitExceeded {
            message = "response body larger than \(maxResponseBodyBytes) bytes (\(message))"
        }
        var responseCode: Int?
        if submission.request.mail != nil {
            var status = 0
            _ = varsel_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
            if status > 0 { responseCode = status }
            if let last = mailReplies.last, last.first?.isNumber == true, !message.contains(last) {
                message += " (server: \(last))"
            }
        }
        return HTTPClientError(
            code: code, curlCode: Int(result.rawValue), curlMessage: message,
            requestMayHaveReachedServer: requestMayHaveReachedServer(result: result), responseCode: responseCode)
    }

    static func classify(_ result: CURLcode) -> HTTPClientError.Code {
        switch result {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .couldNotConnect
        case CURLE_OPERATION_TIMEDOUT:
            return .timedOut
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM,
             CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND,
             CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_SHUTDOWN_FAILED,
             CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
             CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT, CURLE_USE_SSL_FAILED:
            return .tls
        case CURLE_SEND_ERROR, CURLE_SEND_FAIL_REWIND:
            return .sendFailed
        case CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_WEIRD_SERVER_REPLY,
             CURLE_HTTP2, CURLE_HTTP2_STREAM, CURLE_HTTP3, CURLE_BAD_CONTENT_ENCODING:
            return .receiveFailed
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            return .invalidURL
        default:
            return .other
        }
    }

    /// Frees everything and releases the retain given to libcurl. Idempotent.
    /// The loop must have removed the handle from the multi handle first.
    func dispose() {
        guard !disposed else { return }
        precondition(!isAddedToMulti, "CurlTransfer disposed while still in the multi handle")
        disposed = true
        handles.giveBack(easy, setup: keptSetup)
        curl_slist_free_all(headerList)
        headerList = nil
        curl_slist_free_all(recipientList)
        recipientList = nil
        errorBuffer.deallocate()
        if let retained = retainedForCurl {
            retainedForCurl = nil
            retained.release()
        }
    }
}

// MARK: - C callbacks

/// CURLOPT_WRITEFUNCTION: `userdata` is the transfer's unretained `Unmanaged` pointer.
private let curlWriteCallback: varsel_curl_data_callback = { buffer, size, count, userdata in
    guard let userdata else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
    let length = size * count
    guard length > 0, let buffer else { return length }
    return transfer.receiveBody(UnsafeRawBufferPointer(start: buffer, count: length))
}

/// CURLOPT_READFUNCTION: libcurl asks for the next piece of the upload (SMTP).
private let curlReadCallback: varsel_curl_data_callback = { buffer, size, count, userdata in
    guard let userdata, let buffer else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
    return transfer.sendUpload(into: UnsafeMutableRawBufferPointer(start: buffer, count: size * count))
}

/// CURLOPT_HEADERFUNCTION: called once per header line, status lines included.
private let curlHeaderCallback: varsel_curl_data_callback = { buffer, size, count, userdata in
    guard let userdata else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
    let length = size * count
    guard length > 0, let buffer else { return length }
    transfer.receiveHeaderLine(UnsafeRawBufferPointer(start: buffer, count: length))
    return length
}
