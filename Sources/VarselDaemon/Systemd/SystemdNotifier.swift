import Foundation
// In a release (whole-module) build, once another file of the module calls posix_spawn, waitpid or
// kill (the bench's children), the compiler takes `timespec` to be declared by CDispatch, and member
// import visibility then wants that module imported here.
#if canImport(CDispatch)
import CDispatch
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The sd_notify protocol without libsystemd: datagrams of `KEY=value` lines to the unix socket named
/// by `$NOTIFY_SOCKET` (a path, or `@name` in the abstract namespace). systemd reads `READY=1`,
/// `RELOADING=1`, `STOPPING=1`, `STATUS=…` and `WATCHDOG=1`; see sd_notify(3).
public final class SystemdNotifier: Sendable {
    private let address: [UInt8]
    private let descriptor: Int32
    /// How often systemd expects `WATCHDOG=1` (`$WATCHDOG_USEC`), when the watchdog is on for this process.
    public let watchdogTimeout: Duration?

    /// The notifier systemd asked for, or nil when not started by systemd with `Type=notify`.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> SystemdNotifier? {
        guard let socket = environment["NOTIFY_SOCKET"], !socket.isEmpty else { return nil }
        var watchdog: Duration?
        if let usec = environment["WATCHDOG_USEC"].flatMap(Int64.init), usec > 0,
           environment["WATCHDOG_PID"].flatMap(Int32.init).map({ $0 == getpid() }) ?? true {
            watchdog = .microseconds(usec)
        }
        return SystemdNotifier(socket: socket, watchdogTimeout: watchdog)
    }

    public init?(socket: String, watchdogTimeout: Duration? = nil) {
        var bytes = Array(socket.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }  // abstract namespace
        guard !bytes.isEmpty, bytes.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path) else { return nil }
        let descriptor = Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        self.address = bytes
        self.descriptor = descriptor
        self.watchdogTimeout = watchdogTimeout
    }

    deinit { close(descriptor) }

    /// Sends one notification (fields joined by newlines). Returns false when it could not be sent;
    /// systemd not listening is never an error for the daemon.
    @discardableResult
    public func notify(_ fields: [String]) -> Bool {
        var storage = sockaddr_un()
        storage.sun_family = sa_family_t(AF_UNIX)
        let length = withUnsafeMutableBytes(of: &storage.sun_path) { path in
            path.copyBytes(from: address)
            return MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + address.count + (address.first == 0 ? 0 : 1)
        }
        let message = Array(fields.joined(separator: "\n").utf8)
        let sent = withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                message.withUnsafeBytes { sendto(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), address, socklen_t(length)) }
            }
        }
        return sent == message.count
    }

    public func ready(status: String) { notify(["READY=1", "STATUS=" + status]) }
    public func status(_ text: String) { notify(["STATUS=" + text]) }
    public func watchdog() { notify(["WATCHDOG=1"]) }
    public func stopping() { notify(["STOPPING=1", "STATUS=stopping: draining sends in flight"]) }

    /// `RELOADING=1` with the monotonic time systemd uses to match it to the reload it started.
    public func reloading() {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let usec = Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1_000
        notify(["RELOADING=1", "MONOTONIC_USEC=\(usec)", "STATUS=reloading templates"])
    }
}
