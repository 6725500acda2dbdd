import Foundation
import VarselCore

/// Reads a template directory from disk into a `TemplateSet` and checks it.
public enum TemplateSetLoader {
    /// Loads every `.mustache` file under `directory` with the data files beside them
    /// (`_schema/*.yaml`, `_samples/*.json`, `_rules/*.yaml`), and runs `TemplateCheck`. Throws
    /// `TemplateSetError` naming every error, including an unreadable or empty directory; warnings
    /// come back with the set.
    public static func loadChecked(
        from directory: String, options: TemplateCheckOptions = TemplateCheckOptions()
    ) throws(TemplateSetError) -> (set: TemplateSet, report: TemplateReport) {
        try loadChecked(directory: directory, files: readFiles(directory), options: options)
    }

    /// `loadChecked` for files already read (path relative to `directory` → contents).
    public static func loadChecked(
        directory: String, files: [String: String], options: TemplateCheckOptions = TemplateCheckOptions()
    ) throws(TemplateSetError) -> (set: TemplateSet, report: TemplateReport) {
        let set = try TemplateSet(directory: directory, files: files)
        let report = TemplateCheck.run(set, options: options)
        guard report.errors.isEmpty else { throw TemplateSetError(directory: directory, problems: report.errors) }
        return (set, report)
    }

    /// `loadChecked` when the warnings do not matter.
    public static func load(from directory: String, options: TemplateCheckOptions = TemplateCheckOptions()) throws(TemplateSetError) -> TemplateSet {
        try loadChecked(from: directory, options: options).set
    }

    /// The files a template set is made of, by path relative to `directory`.
    public static func readFiles(_ directory: String) throws(TemplateSetError) -> [String: String] {
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
        for case let url as URL in enumerator {
            let path = url.standardizedFileURL.path
            let relative = path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : url.lastPathComponent
            guard isSetFile(relative) else { continue }
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
        if !files.keys.contains(where: { $0.hasSuffix(".mustache") }), problems.isEmpty {
            problems.append(TemplateProblem(file: ".", message: "no .mustache templates found"))
        }
        guard problems.isEmpty else { throw TemplateSetError(directory: directory, problems: problems.sorted()) }
        return files
    }

    /// The kinds' schemas alone (`_schema/<kind>.yaml`), without reading or parsing a template: what
    /// `varsel enqueue` holds data to. Nil when a schema cannot be read or parsed (the set would not
    /// load either); empty when the set declares none.
    public static func readSchemas(_ directory: String) -> [String: KindSchema]? {
        let folder = URL(fileURLWithPath: directory, isDirectory: true).appendingPathComponent("_schema", isDirectory: true)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory) ? nil : [:]
        }
        var schemas: [String: KindSchema] = [:]
        for name in names where name.hasSuffix(".yaml") {
            guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path),
                  let source = String(data: data, encoding: .utf8)
            else { return nil }
            let parsed = KindSchemaParser.parse(source, file: "_schema/\(name)")
            guard parsed.problems.isEmpty, let schema = parsed.schema else { return nil }
            schemas[schema.kind] = schema
        }
        return schemas
    }

    /// Template files, and the data files in the set's own folders.
    public static func isSetFile(_ relative: String) -> Bool {
        if relative.hasSuffix(".mustache") { return true }
        let folder = relative.split(separator: "/").first.map(String.init) ?? ""
        return ["_schema", "_samples", "_rules"].contains(folder) && (relative.hasSuffix(".yaml") || relative.hasSuffix(".json"))
    }
}
