import Foundation
import Logging
import Synchronization
import VarselCore
import VarselTemplates

/// Holds the template set in force and replaces it, whole, only with a set that passes the whole
/// `TemplateCheck` without errors. A bad edit keeps the last good set sending and leaves its
/// problems visible (log, `/readyz`).
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
    let options: TemplateCheckOptions
    let metrics: VarselMetrics
    let logger: Logger

    /// Loads and checks the set; throws its errors, so a daemon never starts on a bad set.
    public init(directory: String, options: TemplateCheckOptions, metrics: VarselMetrics = VarselMetrics(), logger: Logger) throws(TemplateSetError) {
        self.directory = directory
        self.options = options
        self.metrics = metrics
        self.logger = logger
        let fingerprint = Self.fingerprint(directory).text
        let loaded = try TemplateSetLoader.loadChecked(from: directory, options: options)
        self.state = Mutex(State(current: loaded.set, fingerprint: fingerprint))
        logWarnings(loaded.report)
        metrics.templatesLoaded(variants: loaded.set.keys.count, warnings: loaded.report.warnings.count, initial: true)
    }

    /// The set in force; a render takes it once, so it always sees one version.
    public var current: TemplateSet { state.withLock { $0.current } }
    /// Problems of the last failed reload (`file:line:column: error: message`), empty when the last one worked.
    public var problems: [String] { state.withLock { $0.lastProblems } }
    public var failedReloads: Int { state.withLock { $0.failures } }

    /// Enqueue's check of a message's data against the schema of the set in force.
    public var dataCheck: MessageValidator.DataCheck {
        { [self] kind, data in current.dataProblems(kind: kind, data: data) }
    }

    /// Loads the directory again. Returns true when the new set replaced the old one.
    /// - Parameter editedAt: when the newest file changed, to log how long the edit took to apply.
    @discardableResult
    public func reload(reason: String, editedAt: Date? = nil) -> Bool {
        let fingerprint = Self.fingerprint(directory).text
        do {
            let loaded = try TemplateSetLoader.loadChecked(from: directory, options: options)
            state.withLock {
                $0.current = loaded.set
                $0.lastProblems = []
                $0.fingerprint = fingerprint
                $0.reloads += 1
            }
            var metadata: Logger.Metadata = ["reason": "\(reason)", "variants": "\(loaded.set.keys.count)"]
            if let editedAt { metadata["after_ms"] = "\(max(0, Int(Date().timeIntervalSince(editedAt) * 1000)))" }
            logger.notice("templates reloaded", metadata: metadata)
            logWarnings(loaded.report)
            metrics.templatesLoaded(variants: loaded.set.keys.count, warnings: loaded.report.warnings.count, initial: false)
            return true
        } catch {
            let problems = error.problems.map(\.description)
            state.withLock {
                $0.lastProblems = problems
                $0.fingerprint = fingerprint
                $0.failures += 1
            }
            metrics.templatesRejected(errors: problems.count)
            for problem in problems.prefix(50) {
                logger.error("template error; the last good set stays in force", metadata: ["problem": "\(directory)/\(problem)"])
            }
            return false
        }
    }

    private func logWarnings(_ report: TemplateReport) {
        for warning in report.warnings.prefix(50) {
            logger.warning("template warning", metadata: ["problem": "\(directory)/\(warning)"])
        }
    }

    /// Reloads when a file of the set changed since the last look (size, time or set of files).
    public func reloadIfChanged() {
        let now = Self.fingerprint(directory)
        guard now.text != state.withLock({ $0.fingerprint }) else { return }
        reload(reason: "files changed", editedAt: now.newest)
    }

    /// Watches for changes every `interval` until cancelled.
    public func watch(every interval: Duration = .milliseconds(250)) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            reloadIfChanged()
        }
    }

    /// Paths, sizes and modification times of every file of the set: cheap to compute, changes on any
    /// edit; and the newest modification time.
    static func fingerprint(_ directory: String) -> (text: String, newest: Date?) {
        let root = URL(fileURLWithPath: directory).standardizedFileURL
        guard let enumerator = FileManager.default.enumerator(
            at: root, includingPropertiesForKeys: [.contentModificationDateKey, .fileSizeKey])
        else { return ("", nil) }
        var newest: Date?
        let prefix = root.path.hasSuffix("/") ? root.path : root.path + "/"
        var parts: [String] = []
        for case let url as URL in enumerator {
            let path = url.standardizedFileURL.path
            guard path.hasPrefix(prefix), TemplateSetLoader.isSetFile(String(path.dropFirst(prefix.count))) else { continue }
            let values = try? url.resourceValues(forKeys: [.contentModificationDateKey, .fileSizeKey])
            if let modified = values?.contentModificationDate, newest.map({ modified > $0 }) ?? true { newest = modified }
            parts.append("\(path)|\(values?.fileSize ?? -1)|\(values?.contentModificationDate?.timeIntervalSince1970 ?? 0)")
        }
        return (parts.sorted().joined(separator: "\n"), newest)
    }
}
