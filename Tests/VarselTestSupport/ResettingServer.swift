import Foundation

/// A loopback TCP server that reads each HTTP request whole and then resets the connection without
/// answering: the request reached the "gateway", the outcome is unknown.
public final class ResettingServer: @unchecked Sendable {
    private let listener: Int32
    public let port: Int
    private let lock = NSLock()
    private var count = 0
    private var keys: [String] = []
    private var thread: Thread?

    public init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) } }
        guard bound == 0, listen(listener, 16) == 0 else {
            close(listener)
            throw CocoaError(.fileWriteUnknown)
        }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [weak self] in self?.serve() }
        self.thread = thread
        thread.start()
    }

    /// Requests read whole before the reset.
    public var requests: Int { lock.withLock { count } }
    public var idempotencyKeys: [String] { lock.withLock { keys } }

    private func serve() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { return }
            var data = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 65_536)
            var expected: Int?
            while true {
                let read = recv(client, &buffer, buffer.count, 0)
                if read <= 0 { break }
                data += buffer[0..<read]
                if expected == nil, let end = data.firstRange(of: Array("\r\n\r\n".utf8)) {
                    let head = String(decoding: data[..<end.lowerBound], as: UTF8.self)
                    let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                        .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                    let key = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("idempotency-key:") }
                        .map { $0.split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces) }
                    expected = end.upperBound + length
                    if let key { lock.withLock { keys.append(key) } }
                }
                if let expected, data.count >= expected { break }
            }
            lock.withLock { count += 1 }
            var linger = linger(l_onoff: 1, l_linger: 0)
            setsockopt(client, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<linger>.size))
            close(client)
        }
    }

    public func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }
}
