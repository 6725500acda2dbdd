import Foundation
import VarselCore

/// A copy of the last template set that passed the check, kept in the state directory as one JSON
/// file (relative path → contents), so a restart (a crash, the watchdog, a reboot, an upgrade) while
/// the operator's directory holds a bad edit still sends with the last good set instead of not
/// starting.
struct TemplateSnapshot {
    let path: String

    /// Replaces the snapshot atomically: a crash leaves the old one or the new one, never half.
    func save(_ files: [String: String]) throws {
        let data = Data(Self.encoded(files))
        try FileManager.default.createDirectory(
            at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// `{"files":{path:contents,…}}`, paths in order. Written directly: the whole template set
    /// through `JSONSerialization` was an eighth of a daemon's start.
    static func encoded(_ files: [String: String]) -> [UInt8] {
        var writer = CompactJSONWriter(capacity: files.reduce(32) { $0 + $1.key.utf8.count + $1.value.utf8.count + 8 })
        var root = CompactJSONWriter.ObjectState()
        writer.key("files", &root)
        var members = CompactJSONWriter.ObjectState()
        for (path, contents) in files.sorted(by: { $0.key < $1.key }) {
            writer.key(path, &members)
            writer.string(contents)
        }
        writer.end(members)
        writer.end(root)
        return writer.bytes
    }

    /// The saved files, if there is a readable snapshot.
    func load() -> [String: String]? {
        guard let data = FileManager.default.contents(atPath: path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return object["files"] as? [String: String]
    }
}
