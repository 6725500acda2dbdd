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
    }

    private let state: Mutex<State>
    /// One reload at a time (SIGHUP and the directory watch), so an older read never lands last.
    private let reloading = NSLock()
    public let directory: String
    let options: TemplateCheckOptions
    let metrics: VarselMetrics
    let logger: Logger

    let snapshot: TemplateSnapshot?

    /// Loads and checks the set. When it has errors, starts from the last good set saved in
    /// `snapshotFile` (the problems stay visible, as after a failed reload); with no saved set
    /// either, throws the errors, so a daemon never starts on a bad set.
    public init(
        directory: String, options: TemplateCheckOptions, metrics: VarselMetrics = VarselMetrics(), snapshotFile: String? = nil,
        logger: Logger
    ) throws(TemplateSetError) {
        self.directory = directory
        self.options = options
        self.metrics = metrics
        self.logger = logger
        self.snapshot = snapshotFile.map(TemplateSnapshot.init(path:))
        let fingerprint = Self.fingerprint(directory).text
        do {
            let files = try TemplateSetLoader.readFiles(directory)
            let loaded = try TemplateSetLoader.loadChecked(directory: directory, files: files, options: options)
            self.state = Mutex(State(current: loaded.set, fingerprint: fingerprint))
            logWarnings(loaded.report)
            metrics.templatesLoaded(variants: loaded.set.keys.count, warnings: loaded.report.warnings.count, initial: true)
            saveSnapshot(files)
        } catch {
            guard let snapshot, let files = snapshot.load(),
                  let saved = try? TemplateSetLoader.loadChecked(directory: snapshot.path, files: files, options: options)
            else {
                throw error
            }
            let problems = error.problems.map(\.description)
            self.state = Mutex(State(current: saved.set, lastProblems: problems, fingerprint: fingerprint))
            metrics.templatesRejected(errors: problems.count)
            logger.error("templates have errors; sending with the last good set saved before", metadata: [
                "directory": "\(directory)", "saved": "\(snapshot.path)", "errors": "\(problems.count)",
            ])
            for problem in problems.prefix(50) {
                logger.error("template error; the last good set stays in force", metadata: ["problem": "\(directory)/\(problem)"])
            }
        }
    }

    private func saveSnapshot(_ files: [String: String]) {
        guard let snapshot else { return }
        do {
            try snapshot.save(files)
        } catch {
            logger.warning("could not save the template set as the last good one", metadata: ["path": "\(snapshot.path)", "error": "\(error)"])
        }
    }

    /// The set in force; a render takes it once, so it always sees one version.
    public var current: TemplateSet { state.withLock { $0.current } }
    /// Problems of the last failed reload (`file:line:column: error: message`), empty when the last one worked.
    public var problems: [String] { state.withLock { $0.lastProblems } }

    /// Enqueue's check of a message's data against the schema of the set in force when it is asked
    /// for: once a message, or once a chunk of a batch (`MessageValidator.pinned()`).
    public var dataChecking: MessageValidator.DataChecking {
        .inForce { [self] in
            let set = current
            return { kind, data in set.dataProblems(kind: kind, data: data, builtInRulesPassed: true) }
        }
    }

    /// Loads the directory again. Returns true when the new set replaced the old one.
    @discardableResult
    public func reload(reason: String) -> Bool {
        reload(reason: reason, seen: Self.fingerprint(directory))
    }

    /// - Parameter seen: the directory's fingerprint taken just before; its newest modification time
    ///   dates the edit, to log how long it took to apply.
    private func reload(reason: String, seen: (text: String, newest: Date?), editedAt: Date? = nil) -> Bool {
        reloading.lock()
        defer { reloading.unlock() }
        let fingerprint = seen.text
        do {
            let files = try TemplateSetLoader.readFiles(directory)
            let loaded = try TemplateSetLoader.loadChecked(directory: directory, files: files, options: options)
            state.withLock {
                $0.current = loaded.set
                $0.lastProblems = []
                $0.fingerprint = fingerprint
            }
            var metadata: Logger.Metadata = ["reason": "\(reason)", "variants": "\(loaded.set.keys.count)"]
            if let editedAt { metadata["after_ms"] = "\(max(0, Int(Date().timeIntervalSince(editedAt) * 1000)))" }
            logger.notice("templates reloaded", metadata: metadata)
            logWarnings(loaded.report)
            metrics.templatesLoaded(variants: loaded.set.keys.count, warnings: loaded.report.warnings.count, initial: false)
            saveSnapshot(files)
            return true
        } catch {
            let problems = error.problems.map(\.description)
            state.withLock {
                $0.lastProblems = problems
                $0.fingerprint = fingerprint
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
        _ = reload(reason: "files changed", seen: now, editedAt: now.newest)
    }

    /// Looks again after every change the kernel reports under the directory (inotify; a burst of
    /// writes is waited out for 50 ms) and every `fallback` in any case, until cancelled. Where inotify
    /// is not available (e.g. no watches left), looks every 250 ms instead.
    public func watch(fallback: Duration = .seconds(10)) async {
        let changed = Wakeup()
        let events = DirectoryWatch(directory: directory) { changed.signal() }
        defer { events?.stop() }
        if events == nil {
            logger.notice("cannot watch the template directory for changes (inotify); looking at it every 250 ms", metadata: ["directory": "\(directory)"])
        }
        let interval = events == nil ? .milliseconds(250) : fallback
        while !Task.isCancelled {
            await changed.wait(upTo: interval)
            if Task.isCancelled { break }
            if events != nil { try? await Task.sleep(for: .milliseconds(50)) }
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
