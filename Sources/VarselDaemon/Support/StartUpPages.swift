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
    /// Unmaps from this process the executable's read-only mappings that hold no page of its own
    /// (`Anonymous: 0 kB` in smaps: code and constant data as the file has them, none relocated),
    /// with `MADV_DONTNEED`. Their pages stay in the page cache; those the daemon uses again fault
    /// back in. Returns the bytes of the mappings advised.
    @discardableResult
    static func release() -> Int {
        guard let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"),
              let smaps = try? String(contentsOfFile: "/proc/self/smaps", encoding: .utf8)
        else { return 0 }
        var released = 0
        var candidate: (start: UInt, end: UInt)?
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 5, fields[0].contains("-"), !fields[0].hasSuffix(":") {
                // A mapping's first line: range, permissions, offset, device, inode, path.
                candidate = nil
                let bounds = fields[0].split(separator: "-")
                guard fields.count >= 6, fields[1].hasPrefix("r"), !fields[1].contains("w"), fields[5...].joined(separator: " ") == exe,
                      bounds.count == 2, let start = UInt(bounds[0], radix: 16), let end = UInt(bounds[1], radix: 16), end > start
                else { continue }
                candidate = (start, end)
            } else if fields.count >= 2, fields[0] == "Anonymous:", let mapping = candidate {
                candidate = nil
                guard fields[1] == "0", let address = UnsafeMutableRawPointer(bitPattern: mapping.start) else { continue }
                if madvise(address, Int(mapping.end - mapping.start), MADV_DONTNEED) == 0 { released += Int(mapping.end - mapping.start) }
            }
        }
        return released
    }
}
