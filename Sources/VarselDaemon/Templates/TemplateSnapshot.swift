import Foundation

/// A copy of the last template set that passed the check, kept in the state directory as one JSON
/// file (relative path → contents), so a restart (a crash, the watchdog, a reboot, an upgrade) while
/// the operator's directory holds a bad edit still sends with the last good set instead of not
/// starting.
struct TemplateSnapshot {
    let path: String

    /// Replaces the snapshot atomically: a crash leaves the old one or the new one, never half.
    func save(_ files: [String: String]) throws {
        let data = try JSONSerialization.data(withJSONObject: ["files": files], options: [.sortedKeys])
        try FileManager.default.createDirectory(
            at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// The saved files, if there is a readable snapshot.
    func load() -> [String: String]? {
        guard let data = FileManager.default.contents(atPath: path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return object["files"] as? [String: String]
    }
}
