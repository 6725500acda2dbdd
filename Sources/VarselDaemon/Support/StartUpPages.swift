#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The executable's pages a daemon mapped while it started, released once it is ready.
///
/// Starting runs much code that sending never runs again (argument parsing, YAML, migrations,
/// template compilation, the Swift runtime's first look-ups of its conformance records), and the
/// kernel maps a file's pages many at a time around each one touched. Released once ready, the
/// pages sending runs fault back in, a few thousand minor faults once: 30,000 mixed messages to the
/// bench's nginx, three pairs, peak RSS 61.5–62.2 → 58.4–59.1 MiB, the rate within the noise.
enum StartUpPages {
    /// One mapping of the executable file in this process (a range of `/proc/self/smaps`).
    struct Mapping: Equatable {
        let start: UInt
        let end: UInt
        let permissions: String
        var residentKB = 0
        /// Pages of the process's own (relocated or written copies of the file's).
        var anonymousKB = 0
    }

    /// Unmaps from this process the executable's read-only mappings that hold no page of its own
    /// (code and constant data as the file has them, none relocated), with `MADV_DONTNEED`. Their
    /// pages stay in the page cache; those the daemon uses again fault back in. Returns the bytes of
    /// the mappings advised.
    @discardableResult
    static func release() -> Int {
        var released = 0
        for mapping in executableMappings() where mapping.permissions.hasPrefix("r") && !mapping.permissions.contains("w") && mapping.anonymousKB == 0 {
            guard let address = UnsafeMutableRawPointer(bitPattern: mapping.start) else { continue }
            let length = Int(mapping.end - mapping.start)
            if madvise(address, length, MADV_DONTNEED) == 0 { released += length }
        }
        return released
    }

    /// This process's mappings of its executable file, read from `/proc/self/smaps`; none when it
    /// cannot be read.
    static func executableMappings() -> [Mapping] {
        guard let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"),
              let smaps = try? String(contentsOfFile: "/proc/self/smaps", encoding: .utf8)
        else { return [] }
        var mappings: [Mapping] = []
        var current: Mapping?
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let first = fields.first else { continue }
            if !first.hasSuffix(":") {
                // A mapping's first line: range, permissions, offset, device, inode, path.
                if let current { mappings.append(current) }
                current = nil
                let bounds = first.split(separator: "-")
                guard fields.count >= 6, fields[5...].joined(separator: " ") == exe, bounds.count == 2,
                      let start = UInt(bounds[0], radix: 16), let end = UInt(bounds[1], radix: 16), end > start
                else { continue }
                current = Mapping(start: start, end: end, permissions: String(fields[1]))
            } else if fields.count >= 2, let kB = Int(fields[1]) {
                if first == "Rss:" { current?.residentKB = kB }
                if first == "Anonymous:" { current?.anonymousKB = kB }
            }
        }
        if let current { mappings.append(current) }
        return mappings
    }
}
