import Foundation
import Synchronization
import Testing
@testable import Switchboard

/// How many bodies run at once, and the most that ever did.
private final class Occupancy: Sendable {
    private let state = Mutex((active: 0, most: 0))

    func enter() { state.withLock { $0.active += 1; $0.most = max($0.most, $0.active) } }
    func leave() { state.withLock { $0.active -= 1 } }
    var most: Int { state.withLock { $0.most } }
}

@Suite("Parallel")
struct ParallelTests {
    @Test("results come back in index order whatever the number of workers")
    func order() {
        for workers in [1, 2, 3, 7, 100] {
            let out = Parallel.map(50, workers: workers) { $0 * $0 }
            #expect(out == (0..<50).map { $0 * $0 }, "workers \(workers)")
        }
        #expect(Parallel.map(0, workers: 4) { $0 }.isEmpty)
    }

    @Test("never more bodies at once than workers asked for (a machine with more cores used to get them all)")
    func cap() {
        let occupancy = Occupancy()
        _ = Parallel.map(64, workers: 2) { i -> Int in
            occupancy.enter()
            defer { occupancy.leave() }
            usleep(2_000)
            return i
        }
        #expect(occupancy.most <= 2)
    }

    @Test("two workers do run at the same time", .enabled(if: ProcessInfo.processInfo.activeProcessorCount >= 2))
    func concurrency() {
        let occupancy = Occupancy()
        _ = Parallel.map(2, workers: 2) { i -> Int in
            occupancy.enter()
            defer { occupancy.leave() }
            // Wait until the other body has started too: 60 s at most, as a full test run keeps Dispatch's threads busy.
            let deadline = Date().addingTimeInterval(60)
            while occupancy.most < 2 && Date() < deadline { usleep(1_000) }
            return i
        }
        #expect(occupancy.most == 2)
    }
}
