/// How long a background loop waits before trying again after `failures` failures in a row:
/// 1 s, then 2, 4, 8, 16 and at most 30 s.
enum RetryDelay {
    static func after(failures: Int) -> Duration {
        .seconds(min(30, 1 << min(max(failures, 0), 5)))
    }
}
