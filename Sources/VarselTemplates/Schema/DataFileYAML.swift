import VarselCore
import Yams

/// The YAML data files of a template set (`_schema/*.yaml`, `_rules/*.yaml`): parsed into a node
/// tree whose marks give each problem its line and column.
enum DataFileYAML {
    /// The document's root (nil for an empty file), or the syntax error located in the file.
    static func compose(_ source: String, file: String) -> Result<Node?, TemplateProblem> {
        do {
            return .success(try Yams.compose(yaml: source))
        } catch let error as YamlError {
            let (mark, text) = describe(error)
            return .failure(problem(file, mark, "not valid YAML: \(text)"))
        } catch {
            return .failure(problem(file, nil, "not valid YAML: \(error)"))
        }
    }

    static func problem(_ file: String, _ mark: Mark?, _ message: String) -> TemplateProblem {
        TemplateProblem(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, message: message)
    }

    private static func describe(_ error: YamlError) -> (Mark?, String) {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            (mark, problem)
        default:
            (nil, "\(error)")
        }
    }
}
