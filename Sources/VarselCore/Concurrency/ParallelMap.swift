import Dispatch
import Foundation

extension Array where Element: Sendable {
    /// `map`, run on every core in contiguous stripes, results in order: for CPU work per element
    /// (parsing, validating, encoding a batch of messages) that would otherwise use one core of
    /// several. Small arrays are mapped in place, where spreading would cost more than it saves.
    public func parallelMap<T: Sendable>(minimumPerStripe: Int = 64, _ transform: @Sendable (Element) -> T) -> [T] {
        let wanted = count / Swift.max(1, minimumPerStripe)
        guard wanted > 1 else { return map(transform) }
        // A few stripes a core, taken by whichever thread is free: lines differ in cost (an email's
        // checks, a letter's address), and a core shared with a writer finishes its stripes later.
        let stripes = Swift.min(processors * 4, wanted)
        guard stripes > 1 else { return map(transform) }
        let size = (count + stripes - 1) / stripes
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            nonisolated(unsafe) let output = buffer
            withoutActuallyEscaping(transform) { transform in
                DispatchQueue.concurrentPerform(iterations: stripes) { stripe in
                    // Each stripe initialises only its own slots.
                    for index in (stripe * size)..<Swift.min(count, (stripe + 1) * size) {
                        (output.baseAddress! + index).initialize(to: transform(self[index]))
                    }
                }
            }
            initialized = count
        }
    }
}

/// The processors this process may use, read once: `ProcessInfo` reads the cgroup's files on every
/// call, which showed in the profile of a single-message enqueue.
private let processors = ProcessInfo.processInfo.activeProcessorCount
