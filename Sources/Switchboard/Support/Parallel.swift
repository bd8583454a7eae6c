import Dispatch
import Foundation

/// Runs independent pieces of work on every core.
enum Parallel {
    /// The number of worker threads to use: the active processor count, at least 1.
    static var defaultWorkers: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// Computes `body(i)` for `i` in `0..<count` on up to `workers` threads; results in index order.
    static func map<T: Sendable>(_ count: Int, workers: Int = defaultWorkers, _ body: @Sendable (Int) -> T) -> [T] {
        guard count > 0 else { return [] }
        if workers <= 1 || count == 1 { return (0..<count).map(body) }
        let slots = ResultSlots<T>(count: count)
        DispatchQueue.concurrentPerform(iterations: count) { i in
            slots.store(body(i), at: i)
        }
        return slots.values()
    }

    /// Splits `0..<count` into about `pieces` contiguous ranges.
    static func ranges(_ count: Int, pieces: Int) -> [Range<Int>] {
        guard count > 0 else { return [] }
        let n = max(1, min(pieces, count))
        return (0..<n).map { i in (count * i / n)..<(count * (i + 1) / n) }
    }
}

/// One slot per index, each written by exactly one worker; read after all have finished.
private final class ResultSlots<T>: @unchecked Sendable {
    // A raw buffer rather than an Array: distinct indices are distinct memory, so concurrent writes to
    // different slots do not race, and no copy-on-write check touches shared state.
    private let slots: UnsafeMutableBufferPointer<T?>

    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    func store(_ value: T, at index: Int) { slots[index] = value }

    func values() -> [T] { slots.compactMap { $0 } }
}
