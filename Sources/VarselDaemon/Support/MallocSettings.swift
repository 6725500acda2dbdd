import CMalloc
import Foundation

/// glibc `malloc` settings Varsel makes before any command, each unless the environment names it
/// (glibc then read the operator's choice at start-up, and it stands).
///
/// - Arenas. By default a thread that finds the arena it used busy gets one of its own, up to eight
///   per core, and every arena keeps the memory it freed: `varsel serve`, whose event loops, task
///   pool, libcurl loop and SQLite writer all allocate, ended up with thirteen while sending on two
///   cores. Two took about 8 MiB off that daemon's peak RSS, but its threads then waited for each
///   other's arena locks: 3.5–4.7 `futex` calls a sent message, against 1.6–1.9 with eight.
/// - The trim threshold. An arena gives the free memory at its top back to the kernel once it is
///   larger than this; left to itself glibc raises the threshold with every large block freed, and
///   arenas kept what the message batches had used. 128 KiB took 1–2 MiB off the peak RSS with no
///   change in throughput (README, Performance).
public enum MallocSettings {
    /// The arena limit Varsel sets unless `MALLOC_ARENA_MAX` is set: about one arena for each thread
    /// that allocates while sending (the task pool's and the event loops' threads, one each a core;
    /// the SQLite writer and readers; the curl thread).
    public static let defaultArenaLimit: Int32 = defaultArenaLimit(cores: ProcessInfo.processInfo.activeProcessorCount)

    /// The arena limit on a machine with `cores` cores: two a core and four more, at least eight.
    public static func defaultArenaLimit(cores: Int) -> Int32 {
        Int32(clamping: max(8, 2 * cores + 4))
    }

    /// The trim threshold Varsel sets unless `MALLOC_TRIM_THRESHOLD_` is set: glibc's initial one.
    public static let trimThreshold: Int32 = 128 * 1024

    /// Sets the default arena limit and the trim threshold, each unless `environment` names it.
    /// Returns what was set (nil: left as it was).
    @discardableResult
    public static func apply(environment: [String: String] = ProcessInfo.processInfo.environment) -> (arenaLimit: Int32?, trimThreshold: Int32?) {
        let arenas = environment["MALLOC_ARENA_MAX"] == nil && mallopt(M_ARENA_MAX, defaultArenaLimit) == 1 ? defaultArenaLimit : nil
        let trim = environment["MALLOC_TRIM_THRESHOLD_"] == nil && mallopt(M_TRIM_THRESHOLD, trimThreshold) == 1 ? trimThreshold : nil
        return (arenas, trim)
    }
}
