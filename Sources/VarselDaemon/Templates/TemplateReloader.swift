import Foundation
import Logging
import Synchronization
import VarselTemplates

/// Holds the template set in force and replaces it, whole, only with a set that loads without
/// errors. A bad edit keeps the last good set sending and leaves its problems visible.
public final class TemplateReloader: Sendable {
    private struct State {
        var current: TemplateSet
        var lastProblems: [String] = []
        var fingerprint: String
        var reloads = 0
        var failures = 0
    }

    private let state: Mutex<State>
    public let directory: String
    let logger: Logger

    public init(initial: TemplateSet, directory: String, logger: Logger) {
        self.directory = directory
        self.logger = logger
        self.state = Mutex(State(current: initial, fingerprint: Self.fingerprint(directory)))
    }

    /// The set in force; a render takes it once, so it always sees one version.
    public var current: TemplateSet { state.withLock { $0.current } }
    /// Problems of the last failed reload (`file:line:column: message`), empty when the last one worked.
    public var problems: [String] { state.withLock { $0.lastProblems } }
    public var failedReloads: Int { state.withLock { $0.failures } }

    /// Loads the directory again. Returns true when the new set replaced the old one.
    @discardableResult
    public func reload(reason: String) -> Bool {
        let fingerprint = Self.fingerprint(directory)
        do {
            let set = try TemplateSetLoader.load(from: directory)
            state.withLock {
                $0.current = set
                $0.lastProblems = []
                $0.fingerprint = fingerprint
                $0.reloads += 1
            }
            logger.notice("templates reloaded", metadata: ["reason": "\(reason)", "variants": "\(set.keys.count)"])
            return true
        } catch {
            let problems = error.problems.map(\.description)
            state.withLock {
                $0.lastProblems = problems
                $0.fingerprint = fingerprint
                $0.failures += 1
            }
            for problem in problems.prefix(50) {
                logger.error("template error; the last good set stays in force", metadata: ["problem": "\(directory)/\(problem)"])
            }
            return false
        }
    }

    /// Reloads when a file under the directory changed since the last look (size, time or set of files).
    public func reloadIfChanged() {
        let now = Self.fingerprint(directory)
        guard now != state.withLock({ $0.fingerprint }) else { return }
        reload(reason: "files changed")
    }

    /// Watches for changes every `interval` until cancelled.
    public func watch(every interval: Duration = .milliseconds(500)) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            reloadIfChanged()
        }
    }

    /// Paths, sizes and modification times of every template file: cheap to compute, changes on any edit.
    static func fingerprint(_ directory: String) -> String {
        let root = URL(fileURLWithPath: directory)
        guard let enumerator = FileManager.default.enumerator(
            at: root, includingPropertiesForKeys: [.contentModificationDateKey, .fileSizeKey])
        else { return "" }
        var parts: [String] = []
        for case let url as URL in enumerator where url.pathExtension == "mustache" {
            let values = try? url.resourceValues(forKeys: [.contentModificationDateKey, .fileSizeKey])
            parts.append("\(url.path)|\(values?.fileSize ?? -1)|\(values?.contentModificationDate?.timeIntervalSince1970 ?? 0)")
        }
        return parts.sorted().joined(separator: "\n")
    }
}
