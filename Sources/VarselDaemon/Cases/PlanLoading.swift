import Foundation
import Logging
import VarselCore
import VarselTemplates

/// The plans the daemon creates cases from: `plans.dir`, checked against the country rules and the
/// kinds at start. A plan set with an error is not used (no case can be created from it) and the
/// error is logged and shown by `/readyz`; sending what is queued goes on.
enum PlanLoading {
    struct Loaded: Sendable {
        var plans: [String: CollectionPlan] = [:]
        /// Why no plan is in force, for `/readyz`.
        var failure: String?
    }

    static func load(config: VarselConfig, logger: Logger) -> Loaded {
        let directory = config.plans.directory
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            logger.info("no plans directory; POST /v1/cases has no plan to use", metadata: ["plans_dir": "\(directory)"])
            return Loaded()
        }
        do {
            let (plans, warnings) = try PlanSetLoader.loadChecked(directory: directory, rules: config.planning.collectionRules, kinds: config.planning.kinds)
            for warning in warnings { logger.warning("plan warning", metadata: ["problem": "\(warning)"]) }
            logger.notice("plans loaded", metadata: ["plans_dir": "\(directory)", "plans": "\(plans.keys.sorted().joined(separator: ","))"])
            return Loaded(plans: plans)
        } catch {
            let first = error.problems.first.map { "\($0)" } ?? "\(error)"
            logger.error("plans not used: \(error.problems.count) error(s); run varsel plans check", metadata: ["plans_dir": "\(directory)", "first": "\(first)"])
            return Loaded(failure: "\(error.problems.count) error(s) in \(directory), no plan is in force; first: \(first)")
        }
    }
}
