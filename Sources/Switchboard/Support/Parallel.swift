import Dispatch
import Foundation
import Synchronization

/// Runs independent pieces of work on several cores (all of them unless told fewer).
enum Parallel {
    /// The number of worker threads to use: the active processor count, at least 1.
    static var defaultWorkers: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// Computes `body(i)` for `i` in `0..<count` on at most `workers` threads; results in index order.
    ///
    /// `workers` is a cap, as `--threads` promises: `DispatchQueue.concurrentPerform` alone would spread the
    /// indices over every core of the machine whatever was asked. Here it runs `min(workers, count)` loops (each
    /// on a thread of Dispatch's pool, so never more than the cores either), and each loop claims the next
    /// index from a shared counter until none is left: a loop held up by another tenant of the machine leaves
    /// the rest of the work to the others instead of keeping its fixed share.
    static func map<T: Sendable>(_ count: Int, workers: Int = defaultWorkers, _ body: @Sendable (Int) -> T) -> [T] {
        guard count > 0 else { return [] }
        if workers <= 1 || count == 1 { return (0..<count).map(body) }
        let slots = ResultSlots<T>(count: count)
        let next = IndexCounter()
        DispatchQueue.concurrentPerform(iterations: min(workers, count)) { _ in
            while true {
                let i = next.claim()
                guard i < count else { return }
                slots.store(body(i), at: i)
            }
        }
        return slots.values()
    }

    /// How many pieces a batch of messages is cut into per worker. The pieces are claimed one at a time, so the
    /// last one is what a worker may be left finishing alone: with 4 a worker, a neighbour's burst on one core
    /// at the end of `routeBatch` cost up to an eighth of the batch; with 16, 2 workers did 1.66-1.77 times the
    /// work of 1 at the median in four runs, against 1.45-1.76 (see BENCHMARKS.md, 2026-12-01 06:26).
    static let piecesPerWorker = 16

    /// Splits `0..<count` into about `pieces` contiguous ranges.
    static func ranges(_ count: Int, pieces: Int) -> [Range<Int>] {
        guard count > 0 else { return [] }
        let n = max(1, min(pieces, count))
        return (0..<n).map { i in (count * i / n)..<(count * (i + 1) / n) }
    }
}

/// Hands out 0, 1, 2... to concurrent loops, each number once.
private final class IndexCounter: Sendable {
    private let value = Atomic<Int>(0)

    func claim() -> Int { value.wrappingAdd(1, ordering: .relaxed).oldValue }
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
