import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real unix datagram socket standing in for systemd's `$NOTIFY_SOCKET`: collects every
/// notification sent to it.
public final class NotifyListener: Sendable {
    public let path: String
    private let inbox: Inbox

    /// What the reader thread fills; the thread holds this, not the listener, so the listener can go.
    private final class Inbox: @unchecked Sendable {
        let descriptor: Int32
        let lock = NSLock()
        var received: [String] = []
        var stopped = false

        init(descriptor: Int32) { self.descriptor = descriptor }

        func readLoop() {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !lock.withLock({ stopped }) {
                let count = recv(descriptor, &buffer, buffer.count, 0)
                guard count > 0 else { continue }
                let text = String(decoding: buffer[0..<count], as: UTF8.self)
                lock.withLock { received.append(text) }
            }
            close(descriptor)
        }
    }

    public init(directory: TemporaryDirectory) {
        path = directory.file("notify.sock")
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        precondition(descriptor >= 0, "socket() failed")
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        precondition(bytes.count < MemoryLayout.size(ofValue: address.sun_path), "socket path too long: \(path)")
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        precondition(bound == 0, "bind(\(path)) failed: \(errno)")
        // The reader wakes every 100 ms to see whether it should stop.
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        inbox = Inbox(descriptor: descriptor)
        Thread { [inbox] in inbox.readLoop() }.start()
    }

    /// Every datagram so far, in order of arrival (without the markers of `sync()`).
    public var messages: [String] { inbox.lock.withLock { inbox.received }.filter { !$0.hasPrefix(Self.syncPrefix) } }

    private static let syncPrefix = "X_VARSEL_TEST_SYNC="

    /// Sends a marker datagram to the socket and waits until the reader has taken it. The socket
    /// keeps the order datagrams were sent in, so on `true` every notification sent before this call
    /// (by anyone) is in `messages`: no need to guess how long the reader takes.
    public func sync(timeout: Duration = .seconds(30)) async -> Bool {
        let marker = Self.syncPrefix + UUID().uuidString
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let bytes = Array(marker.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { target in
                bytes.withUnsafeBytes { sendto(descriptor, $0.baseAddress, $0.count, 0, target, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
        }
        guard sent == bytes.count else { return false }
        return await eventually(timeout: timeout) { inbox.lock.withLock { inbox.received.contains(marker) } }
    }

    /// Every `KEY=value` line so far, in order.
    public var lines: [String] { messages.flatMap { $0.split(separator: "\n").map(String.init) } }

    /// Stops the reader, which closes the socket.
    public func stop() { inbox.lock.withLock { inbox.stopped = true } }

    deinit { stop() }
}
