import CMalloc
import Foundation

/// How many allocation arenas glibc's `malloc` may make. By default a thread that finds the arena it
/// used busy gets one of its own, up to eight per core, and every arena keeps the memory it freed:
/// `varsel serve`, whose event loops, task pool, libcurl loop and SQLite writer all allocate, ended up
/// with thirteen while sending. Two arenas took about 8 MiB off its peak RSS with no CPU cost that
/// could be measured on a 2-core machine (README, Performance).
public enum MallocArenas {
    /// The limit Varsel sets unless the environment sets one.
    public static let defaultLimit: Int32 = 2

    /// Sets the limit to `limit`, unless `MALLOC_ARENA_MAX` is set in `environment` (glibc then read
    /// the operator's choice at start-up, and it stands). Returns the limit set, or nil when none was.
    @discardableResult
    public static func limit(to limit: Int32 = defaultLimit, environment: [String: String] = ProcessInfo.processInfo.environment) -> Int32? {
        guard environment["MALLOC_ARENA_MAX"] == nil else { return nil }
        return mallopt(M_ARENA_MAX, limit) == 1 ? limit : nil
    }
}
