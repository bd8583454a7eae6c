import Dispatch
import Switchboard

/// Runs large batches off the tasks that serve requests.
///
/// `RoutingEngine.routeBatch` spreads a batch over every core with `DispatchQueue.concurrentPerform` and
/// blocks its caller until the batch is done. Called from a request handler, it would hold one of Swift's
/// cooperative threads (two on a two-core machine) for milliseconds, stalling every other request. Here
/// it runs on a serial dispatch queue instead: one batch at a time, each on every core (which is as fast
/// as batches can go), while the cooperative threads keep answering single routes and health checks.
final class BatchExecutor: Sendable {
    private let queue = DispatchQueue(label: "switchboard.server.batch", qos: .userInitiated)

    /// Routes `messages` on the batch queue; decisions in input order.
    func route(_ messages: [Message], engine: RoutingEngine, explain: Bool) async -> [Decision] {
        await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: engine.routeBatch(messages, explain: explain))
            }
        }
    }
}
