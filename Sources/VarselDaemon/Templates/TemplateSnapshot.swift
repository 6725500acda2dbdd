import Foundation

/// A copy of the last template set that passed the check, kept in the state directory, so a restart
/// (a crash, the watchdog, a reboot, an upgrade) while the operator's directory holds a bad edit
/// still sends with the last good set instead of not starting.
struct TemplateSnapshot {
    let path: String

    /// Replaces the snapshot with `files` (path relative to the set → contents): written beside it
    /// first, then moved into place, so a crash leaves the old snapshot or the new one, never half.
    func save(_ files: [String: String]) throws {
        let manager = FileManager.default
        let fresh = path + ".new"
        let old = path + ".old"
        try? manager.removeItem(atPath: fresh)
        for (relative, contents) in files {
            let target = URL(fileURLWithPath: fresh).appendingPathComponent(relative)
            try manager.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(contents.utf8).write(to: target)
        }
        try? manager.removeItem(atPath: old)
        if manager.fileExists(atPath: path) { try manager.moveItem(atPath: path, toPath: old) }
        try manager.moveItem(atPath: fresh, toPath: path)
        try? manager.removeItem(atPath: old)
    }

    var exists: Bool { FileManager.default.fileExists(atPath: path) }
}
