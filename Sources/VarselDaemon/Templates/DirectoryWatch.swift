#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization
import VarselHTTP

/// Tells when anything under a directory changes, from the kernel's inotify events, so the template
/// set is looked at only after an edit instead of walking and stat-ing every file on a timer (which
/// cost a send loop at full speed about 5 % of its CPU).
///
/// Every directory of the tree is watched (inotify is not recursive); directories created later are
/// added as their creation is seen. Events read together are reported once.
final class DirectoryWatch: Sendable {
    private let descriptor: Int32
    private let watched = Mutex<[Int32: String]>([:])
    private let stopping = Atomic<Bool>(false)
    private let onChange: @Sendable () -> Void

    private static let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)

    /// Nil when inotify is not available (no descriptor or no watch on the root): the caller polls.
    init?(directory: String, onChange: @escaping @Sendable () -> Void) {
        let descriptor = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        guard descriptor >= 0 else { return nil }
        self.descriptor = descriptor
        self.onChange = onChange
        guard addTree(directory) else {
            close(descriptor)
            return nil
        }
        NamedThread.start("varsel-template-watch") { [self] in readEvents() }
    }

    /// Stops reading (within half a second) and releases the descriptor.
    func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
    }

    /// Watches `root` and every directory below it. False when the root itself cannot be watched.
    @discardableResult
    private func addTree(_ root: String) -> Bool {
        guard add(root) else { return false }
        if let enumerator = FileManager.default.enumerator(atPath: root) {
            while let relative = enumerator.nextObject() as? String {
                if enumerator.fileAttributes?[.type] as? FileAttributeType == .typeDirectory {
                    add(root + "/" + relative)
                }
            }
        }
        return true
    }

    @discardableResult
    private func add(_ path: String) -> Bool {
        let watch = inotify_add_watch(descriptor, path, Self.mask | UInt32(IN_ONLYDIR))
        guard watch >= 0 else { return false }
        watched.withLock { $0[watch] = path }
        return true
    }

    private func readEvents() {
        defer { close(descriptor) }
        let capacity = 64 * 1024
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: MemoryLayout<inotify_event>.alignment)
        defer { buffer.deallocate() }
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        while !stopping.load(ordering: .sequentiallyConsistent) {
            let ready = poll(&poller, 1, 500)
            guard ready > 0 else { continue }
            var any = false
            while true {
                let count = read(descriptor, buffer, capacity)
                guard count > 0 else { break }
                var offset = 0
                while offset + MemoryLayout<inotify_event>.size <= count {
                    let event = buffer.load(fromByteOffset: offset, as: inotify_event.self)
                    let nameStart = offset + MemoryLayout<inotify_event>.size
                    if event.mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0, event.mask & UInt32(IN_ISDIR) != 0, event.len > 0,
                       let parent = watched.withLock({ $0[event.wd] })
                    {
                        let name = String(cString: buffer.advanced(by: nameStart).assumingMemoryBound(to: CChar.self))
                        addTree(parent + "/" + name)
                    }
                    if event.mask & UInt32(IN_IGNORED) != 0 { _ = watched.withLock { $0.removeValue(forKey: event.wd) } }
                    offset = nameStart + Int(event.len)
                    any = true
                }
            }
            if any { onChange() }
        }
    }
}
