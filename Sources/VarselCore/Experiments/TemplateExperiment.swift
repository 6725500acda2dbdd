import Crypto
import Foundation

/// A template experiment (`experiments.<name>` in the configuration): the messages of one kind sent by
/// one channel are split between template variants by weight. Variant `a` is the template itself
/// (`sms.mustache`); another variant is a file beside it carrying its name (`sms.b.mustache`,
/// `email.b.subject.mustache`).
///
/// A case is assigned by a stable hash of its `case_ref` and the experiment's name, so every message
/// of a case reads the same variant, a retry or a restart never changes it, and two experiments split
/// cases independently. A message outside a case is assigned by its own id.
public struct TemplateExperiment: Sendable, Hashable {
    /// The variant that is the template itself.
    public static let baseVariant = "a"

    public struct Weight: Sendable, Hashable {
        public let variant: String
        public let weight: Int

        public init(variant: String, weight: Int) {
            self.variant = variant
            self.weight = weight
        }
    }

    public let name: String
    public let kind: String
    public let channel: Channel
    /// By variant name; the sum is positive.
    public let weights: [Weight]

    public init(name: String, kind: String, channel: Channel, weights: [Weight]) {
        self.name = name
        self.kind = kind
        self.channel = channel
        self.weights = weights.sorted { $0.variant < $1.variant }
    }

    /// What a message of `unit` (its case reference, or its id outside a case) reads.
    public struct Assignment: Sendable, Hashable {
        public let experiment: String
        public let variant: String
        /// The unit's bucket among `total` (the weights' sum): variant ranges follow in name order.
        public let bucket: Int
        public let total: Int
        /// For the trail: `experiment sms-wording: variant b (case ACME-1 in bucket 73 of 0–99; weights a 50, b 50)`.
        public let note: String
    }

    public var totalWeight: Int { weights.reduce(0) { $0 + $1.weight } }

    public func assign(unit: String, isCase: Bool) -> Assignment {
        let total = max(1, totalWeight)
        let bucket = Int(Self.hash(name + "\u{1F}" + unit) % UInt64(total))
        var upper = 0
        var chosen = weights.last?.variant ?? Self.baseVariant
        for weight in weights {
            upper += weight.weight
            if bucket < upper {
                chosen = weight.variant
                break
            }
        }
        let split = weights.map { "\($0.variant) \($0.weight)" }.joined(separator: ", ")
        let note = "experiment \(name): variant \(chosen) (\(isCase ? "case" : "message") \(unit) in bucket \(bucket) of 0–\(total - 1); weights \(split))"
        return Assignment(experiment: name, variant: chosen, bucket: bucket, total: total, note: note)
    }

    /// The first eight bytes of SHA-256, big-endian: the same on every host and every version.
    static func hash(_ text: String) -> UInt64 {
        SHA256.hash(data: Data(text.utf8)).prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// Why `name` cannot name a variant, or nil: lower-case letters, digits and `_`, starting with a
    /// letter, at most 16; not a word of a template part's name.
    public static func variantNameProblem(_ name: String) -> String? {
        let allowed = name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first), allowed, name.count <= 16 else {
            return "a variant name is 1 to 16 lower-case letters, digits or _, starting with a letter"
        }
        if ["subject", "text", "html"].contains(name) { return "'\(name)' is a part of a template's name, not a variant" }
        return nil
    }
}

/// The configured experiments, at most one per kind and channel.
public struct TemplateExperiments: Sendable, Hashable {
    public var experiments: [TemplateExperiment]

    public init(_ experiments: [TemplateExperiment] = []) {
        self.experiments = experiments
    }

    public func experiment(kind: String, channel: Channel) -> TemplateExperiment? {
        experiments.first { $0.kind == kind && $0.channel == channel }
    }
}
