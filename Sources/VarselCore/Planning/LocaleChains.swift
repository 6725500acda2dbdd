import Synchronization

/// The fallback chains of one policy's locale tags (`LocaleTag.chain`), each worked out once: a
/// daemon plans every message for one of a few locales, and splitting and joining the tag took about
/// ten allocations a message. Tags come from messages, so at most `limit` are kept; others are worked
/// out each time.
final class LocaleChains: Sendable {
    static let limit = 1_024

    private let defaultLocale: String
    private let aliases: [String: String]
    /// The chain of a message without a locale: the default alone.
    private let withoutTag: [String]
    private let known = Mutex<[String: [String]]>([:])

    init(defaultLocale: String, aliases: [String: String]) {
        self.defaultLocale = defaultLocale
        self.aliases = aliases
        withoutTag = LocaleTag.chain(for: nil, defaultLocale: defaultLocale, aliases: aliases)
    }

    /// `LocaleTag.chain(for: tag, defaultLocale:, aliases:)` of this policy.
    func chain(for tag: String?) -> [String] {
        guard let tag else { return withoutTag }
        if let chain = known.withLock({ $0[tag] }) { return chain }
        let chain = LocaleTag.chain(for: tag, defaultLocale: defaultLocale, aliases: aliases)
        known.withLock { known in
            if known.count < Self.limit { known[tag] = chain }
        }
        return chain
    }

    /// Tags whose chains are kept.
    var count: Int { known.withLock { $0.count } }
}
