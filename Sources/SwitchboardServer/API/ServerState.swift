import Foundation
import Synchronization

/// What the server knows about itself beyond the engine: when its model was loaded and how reloads went.
final class ServerState: Sendable {
    struct Snapshot: Sendable {
        /// When the model and policy being served were loaded.
        var loadedAt: Date
        /// Successful reloads since start.
        var reloads: Int = 0
        /// Failed reloads since start.
        var failedReloads: Int = 0
        /// The last failure, if the last attempt failed.
        var lastReloadError: String?
    }

    private let storage: Mutex<Snapshot>

    init(loadedAt: Date = Date()) {
        storage = Mutex(Snapshot(loadedAt: loadedAt))
    }

    var snapshot: Snapshot { storage.withLock { $0 } }

    func reloaded(at date: Date) {
        storage.withLock {
            $0.loadedAt = date
            $0.reloads += 1
            $0.lastReloadError = nil
        }
    }

    func reloadFailed(_ error: String) {
        storage.withLock {
            $0.failedReloads += 1
            $0.lastReloadError = error
        }
    }
}
