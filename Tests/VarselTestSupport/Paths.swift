import Foundation

/// Where things are when tests run from a checkout.
public enum Paths {
    /// The package root (the folder holding Package.swift).
    public static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        fatalError("cannot find Package.swift above \(#filePath)")
    }()

    /// The shipped templates.
    public static var templates: String { packageRoot.appendingPathComponent("templates").path }

    /// The `varsel` executable built beside the test bundle (override with `VARSEL_BIN`).
    public static var varselBinary: String {
        if let explicit = ProcessInfo.processInfo.environment["VARSEL_BIN"] { return explicit }
        var candidates: [URL] = []
        if let bundle = CommandLine.arguments.first(where: { $0.hasSuffix(".xctest") }) {
            candidates.append(URL(fileURLWithPath: bundle).deletingLastPathComponent().appendingPathComponent("varsel"))
        }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("varsel"))
        candidates.append(packageRoot.appendingPathComponent(".build/debug/varsel"))
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate.path) {
            return candidate.path
        }
        fatalError("cannot find the varsel executable (looked at \(candidates.map(\.path))); build it first or set VARSEL_BIN")
    }
}

/// A fresh directory removed when the value is released.
public final class TemporaryDirectory: Sendable {
    public let url: URL
    public var path: String { url.path }

    public init(_ label: String = "varsel-test") {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString.prefix(12))")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public func file(_ name: String) -> String { url.appendingPathComponent(name).path }

    @discardableResult
    public func write(_ name: String, _ contents: String) -> String {
        let path = file(name)
        try! FileManager.default.createDirectory(
            at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
        try! contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Removed again when the first removal fails: a store closing meanwhile deletes its own `-wal`
    /// and `-shm` files, and a file gone between the listing and its removal fails the whole removal.
    deinit {
        for _ in 0..<3 {
            guard (try? FileManager.default.removeItem(at: url)) == nil, FileManager.default.fileExists(atPath: url.path) else { return }
        }
    }
}
