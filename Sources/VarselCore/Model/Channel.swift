/// A way of reaching a debtor. The raw values are the contract's channel names.
public enum Channel: String, Sendable, Codable, CaseIterable, Hashable, Comparable {
    case sms
    case email
    case letter

    /// Written channels count as written notice where a law demands one (e.g. a Norwegian inkassovarsel).
    public var isWritten: Bool { self != .sms }

    public static func < (lhs: Channel, rhs: Channel) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
