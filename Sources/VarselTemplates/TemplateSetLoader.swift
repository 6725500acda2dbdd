import Foundation

/// Reads a template directory from disk into a `TemplateSet`.
public enum TemplateSetLoader {
    /// Loads and checks every `.mustache` file under `directory`. Throws `TemplateSetError` naming each
    /// problem, including an unreadable or empty directory.
    public static func load(from directory: String) throws(TemplateSetError) -> TemplateSet {
        let root = URL(fileURLWithPath: directory, isDirectory: true).standardizedFileURL
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw TemplateSetError(directory: directory, problems: [TemplateProblem(file: ".", message: "not a readable directory")])
        }
        guard let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else {
            throw TemplateSetError(directory: directory, problems: [TemplateProblem(file: ".", message: "cannot list the directory")])
        }
        var files: [String: String] = [:]
        var problems: [TemplateProblem] = []
        let prefix = root.path.hasSuffix("/") ? root.path : root.path + "/"
        for case let url as URL in enumerator where url.pathExtension == "mustache" {
            let path = url.standardizedFileURL.path
            let relative = path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : url.lastPathComponent
            do {
                let data = try Data(contentsOf: url)
                guard let text = String(data: data, encoding: .utf8) else {
                    problems.append(TemplateProblem(file: relative, message: "not UTF-8 text"))
                    continue
                }
                files[relative] = text
            } catch {
                problems.append(TemplateProblem(file: relative, message: "cannot read: \(error.localizedDescription)"))
            }
        }
        if files.isEmpty, problems.isEmpty {
            problems.append(TemplateProblem(file: ".", message: "no .mustache templates found"))
        }
        guard problems.isEmpty else { throw TemplateSetError(directory: directory, problems: problems.sorted()) }
        return try TemplateSet(directory: directory, files: files)
    }
}
