/// What a gateway's answer means for the message (issue #4 §1).
public enum OutcomeClass: String, Sendable, Hashable, CaseIterable, Codable {
    /// 2xx: the gateway took the message.
    case accepted
    /// Worth retrying: no connection, 5xx, 429, 408, a timeout before sending.
    case transient
    /// Retrying cannot help: other 4xx, provider errors such as "invalid number". The next channel may.
    case permanent
    /// The request may have reached the gateway and no answer was recorded (timeout after sending, a
    /// reset after the body went out, a crash). A resend carries the same Idempotency-Key.
    case ambiguous
}

/// A per-gateway rule that reclassifies an answer (`gateways.<name>.classify`): by HTTP status, and
/// optionally by a JSON field of the reply.
public struct ClassificationRule: Sendable, Hashable {
    public var status: Int?
    /// A dotted path into the JSON reply, e.g. `error.code`.
    public var jsonField: String?
    /// The field's value (compared as text).
    public var equals: String?
    public var outcome: OutcomeClass

    public init(status: Int? = nil, jsonField: String? = nil, equals: String? = nil, outcome: OutcomeClass) {
        self.status = status
        self.jsonField = jsonField
        self.equals = equals
        self.outcome = outcome
    }
}

/// Classifies gateway answers: the defaults of issue #4, then the gateway's own rules in order.
public struct OutcomeClassifier: Sendable {
    public var rules: [ClassificationRule]

    public init(rules: [ClassificationRule] = []) {
        self.rules = rules
    }

    /// The class of an HTTP answer. `field` reads a dotted path from the reply's JSON, if any.
    public func classify(status: Int, field: (String) -> String?) -> OutcomeClass {
        rule(status: status, field: field) ?? Self.defaultClass(status: status)
    }

    /// The outcome of the first configured rule that matches, or nil.
    public func rule(status: Int, field: (String) -> String?) -> OutcomeClass? {
        for rule in rules where rule.status == nil || rule.status == status {
            if let path = rule.jsonField {
                guard let value = field(path), rule.equals == nil || rule.equals == value else { continue }
            }
            return rule.outcome
        }
        return nil
    }

    public static func defaultClass(status: Int) -> OutcomeClass {
        switch status {
        case 200...299: .accepted
        case 408, 425, 429, 500...599: .transient
        default: .permanent
        }
    }
}
