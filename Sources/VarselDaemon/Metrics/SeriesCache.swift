import Synchronization

/// Metric series kept by their labels once made, so that recording one does not make it again in the
/// registry (which looks its labels up) for every send.
final class SeriesCache<Series: Sendable>: Sendable {
    private let made = Mutex<[String: Series]>([:])

    /// The series under `key`, made by `make` the first time.
    func series(_ key: String, make: () -> Series) -> Series {
        made.withLock { made in
            if let known = made[key] { return known }
            let series = make()
            made[key] = series
            return series
        }
    }
}
