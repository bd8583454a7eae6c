import Dispatch
import Foundation
import Logging
import ServiceLifecycle
import Switchboard
import UnixSignals

/// Reloads the model and policy on SIGHUP and when either file changes, swapping them into the engine
/// atomically; a file that fails to load leaves the old pair serving, is logged and counted.
///
/// The files are checked every ``ServerConfiguration/reloadInterval`` by modification time, size and
/// inode (an editor's or a deploy's rename changes the inode). A change is reloaded once the file has
/// been stable for a quarter of a second, so a file caught half-written is not loaded; and a file that
/// failed is not retried until it changes again. An actor: reloads never overlap.
public actor ModelReloader: Service {
    private let engine: RoutingEngine
    private let modelPath: String
    private let policyPath: String?
    private let interval: Duration?
    private let metrics: ServerMetrics
    private let state: ServerState
    private let logger: Logger
    private var fingerprints: [FileFingerprint?]

    private enum Outcome: Sendable {
        case loaded(String)
        case failed(String)
    }

    /// What identifies a version of a file: the file a path leads to, symbolic links followed.
    ///
    /// `FileManager.attributesOfItem` describes a link itself, so a model behind a link (Kubernetes mounts a
    /// ConfigMap as a chain of them) could be replaced, by rename or in place, without the server noticing.
    struct FileFingerprint: Equatable, Sendable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modifiedSeconds: Int
        var modifiedNanoseconds: Int

        init?(path: String) {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            device = UInt64(truncatingIfNeeded: info.st_dev)
            inode = UInt64(truncatingIfNeeded: info.st_ino)
            size = Int64(info.st_size)
            modifiedSeconds = Int(info.st_mtim.tv_sec)
            modifiedNanoseconds = Int(info.st_mtim.tv_nsec)
        }
    }

    init(engine: RoutingEngine, configuration: ServerConfiguration, metrics: ServerMetrics, state: ServerState, logger: Logger) {
        self.engine = engine
        self.modelPath = configuration.modelPath
        self.policyPath = configuration.policyPath
        self.interval = configuration.reloadInterval
        self.metrics = metrics
        self.state = state
        self.logger = logger
        self.fingerprints = Self.fingerprints(modelPath: configuration.modelPath, policyPath: configuration.policyPath)
    }

    private static func fingerprints(modelPath: String, policyPath: String?) -> [FileFingerprint?] {
        [FileFingerprint(path: modelPath)] + (policyPath.map { [FileFingerprint(path: $0)] } ?? [])
    }

    private var currentFingerprints: [FileFingerprint?] { Self.fingerprints(modelPath: modelPath, policyPath: policyPath) }

    /// Watches for SIGHUP and file changes until graceful shutdown.
    public func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in signals.cancelOnGracefulShutdown() {
                    await self.reload(trigger: "SIGHUP")
                }
            }
            if let interval {
                group.addTask {
                    while !Task.isCancelled && !Task.isShuttingDownGracefully {
                        do { try await Task.sleep(for: interval) } catch { break }
                        await self.checkForChanges()
                    }
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }

    /// Reloads when a file changed since it was last seen and has been stable for a moment.
    func checkForChanges() async {
        let seen = currentFingerprints
        guard seen != fingerprints else { return }
        try? await Task.sleep(for: .milliseconds(250))
        guard currentFingerprints == seen else { return }  // still being written: next round
        await reload(trigger: "file change")
    }

    /// Loads the model and policy files and swaps them in; on failure the old pair keeps serving.
    /// Returns whether the reload succeeded.
    @discardableResult
    public func reload(trigger: String) async -> Bool {
        fingerprints = currentFingerprints
        let (modelPath, policyPath, engine) = (self.modelPath, self.policyPath, self.engine)
        let outcome: Outcome = await withCheckedContinuation { continuation in
            // Reading and decoding a model is CPU work: off the cooperative threads.
            DispatchQueue.global(qos: .utility).async {
                do {
                    let model = try ModelFile.read(from: modelPath)
                    let policy = try policyPath.map { try RoutingPolicy.load(from: $0, labels: model.labels) }
                        ?? RoutingPolicy.default(labels: model.labels)
                    try engine.replace(model: model, policy: policy)
                    continuation.resume(returning: .loaded(model.id))
                } catch {
                    continuation.resume(returning: .failed(String(describing: error)))
                }
            }
        }
        switch outcome {
        case .loaded(let id):
            state.reloaded(at: Date())
            metrics.recordReload(success: true)
            logger.info("model reloaded", metadata: ["trigger": .string(trigger), "model": .string(id)])
            return true
        case .failed(let error):
            state.reloadFailed(error)
            metrics.recordReload(success: false)
            logger.error("reload failed; the previous model and policy keep serving", metadata: [
                "trigger": .string(trigger), "error": .string(error), "model": .string(engine.model.id),
            ])
            return false
        }
    }
}
