import Foundation
import VarselCore

/// `experiments`: template experiments, each splitting one kind's messages by one channel between
/// variants by weight (docs/experiments.md).
extension ConfigReader {
    mutating func readExperiments(_ node: ConfigTree?, kinds: [String: KindRule]) -> TemplateExperiments {
        var experiments: [TemplateExperiment] = []
        for name in node?.keys ?? [] {
            let path = "experiments.\(name)"
            let entry = node?[name]
            checkKeys(entry, path, allowed: ["kind", "channel", "weights"])
            if !MessageValidator.isTemplateName(name.replacingOccurrences(of: "-", with: "_")) {
                fail(path, "experiment names are letters, digits, - and _")
            }
            let kind = requiredString(entry?["kind"], "\(path).kind")
            if !kind.isEmpty, kinds[kind] == nil {
                fail("\(path).kind", "no kind named '\(kind)'; the kinds are: \(kinds.keys.sorted().joined(separator: ", "))")
            }
            let channelName = requiredString(entry?["channel"], "\(path).channel")
            let channel = Channel(rawValue: channelName)
            if channel == nil, !channelName.isEmpty { fail("\(path).channel", "use sms, email or letter") }
            var weights: [TemplateExperiment.Weight] = []
            switch entry?["weights"] {
            case .map(let pairs)?:
                for (variant, _) in pairs {
                    if let problem = TemplateExperiment.variantNameProblem(variant) {
                        fail("\(path).weights.\(variant)", problem)
                        continue
                    }
                    weights.append(.init(variant: variant, weight: int(entry?["weights"]?[variant], "\(path).weights.\(variant)", range: 0...1_000_000)))
                }
                if weights.count < 2 {
                    fail("\(path).weights", "name at least two variants, such as { a: 50, b: 50 } (a is the template itself)")
                } else if weights.allSatisfy({ $0.weight == 0 }) {
                    fail("\(path).weights", "at least one weight must be above 0")
                }
            case nil: fail("\(path).weights", "required: variant → weight, such as { a: 50, b: 50 }")
            default: fail("\(path).weights", "expected a mapping of variant → weight, such as { a: 50, b: 50 }")
            }
            guard let channel else { continue }
            if let other = experiments.first(where: { $0.kind == kind && $0.channel == channel }) {
                fail(path, "experiments.\(other.name) already splits \(kind) by \(channel.rawValue); one experiment per kind and channel")
                continue
            }
            experiments.append(TemplateExperiment(name: name, kind: kind, channel: channel, weights: weights))
        }
        return TemplateExperiments(experiments)
    }
}
