import Foundation
import Switchboard

/// The body of `GET /v1/model` (keys are written in snake_case).
struct ModelSummary: Encodable, Sendable {
    struct Training: Encodable, Sendable {
        var documents: Int
        var documentsPerLabel: [String: Int]
        var corpusChecksum: String
        var crossValidation: CrossValidation?
        /// Corrections learnt since training (`switchboard learn`).
        var learntCorrections: Int
    }

    struct CrossValidation: Encodable, Sendable {
        var folds: Int
        var seed: UInt64
        var accuracy: Double
        var macroF1: Double
    }

    struct Calibration: Encodable, Sendable {
        var scale: Double
        var eceBefore: Double?
        var eceAfter: Double?
        var abstentionThreshold: Double
        var targetPrecision: Double
        var coverage: Double?
        var source: String?
        var minimumKnownShare: Double?
        var knownSharePercentile: Double?
        var minimumWordLikelihood: Double?
        var likelihoodPercentile: Double?
    }

    struct Queue: Encodable, Sendable {
        var name: String
        var priority: Int
        var answerWithin: String?
        var answerWithinSeconds: Int?
        var labels: [String]
    }

    struct Policy: Encodable, Sendable {
        var queues: [Queue]
        var fallbackQueue: String
        var threshold: Double
        var thresholdSource: String
        var minimumKnownShare: Double?
        var minimumWordLikelihood: Double?
        var rules: [String]
    }

    struct Reloads: Encodable, Sendable {
        var succeeded: Int
        var failed: Int
        var lastError: String?
    }

    var id: String
    var labels: [String]
    var languages: [String]
    var createdAt: Date
    var toolVersion: String
    var formatVersion: Int
    var parameters: NaiveBayesParameters
    var training: Training
    var calibration: Calibration
    var policy: Policy
    var loadedAt: Date
    var reloads: Reloads

    init(engine: RoutingEngine, state: ServerState.Snapshot) {
        let model = engine.model, policy = engine.policy, threshold = engine.threshold
        let metadata = model.metadata
        id = model.id
        labels = model.labels
        languages = metadata.languages
        createdAt = metadata.createdAt
        toolVersion = metadata.toolVersion
        formatVersion = metadata.formatVersion
        parameters = metadata.parameters
        training = Training(
            documents: metadata.training.documents, documentsPerLabel: metadata.training.documentsPerLabel,
            corpusChecksum: metadata.training.corpusChecksum,
            crossValidation: metadata.training.crossValidation.map {
                CrossValidation(folds: $0.folds, seed: $0.seed, accuracy: $0.accuracy, macroF1: $0.macroF1)
            },
            learntCorrections: model.statistics.learntCount)
        let c = metadata.calibration
        calibration = Calibration(scale: c.scale, eceBefore: c.eceBefore, eceAfter: c.eceAfter,
                                  abstentionThreshold: c.abstentionThreshold, targetPrecision: c.targetPrecision, coverage: c.coverage,
                                  source: c.source, minimumKnownShare: c.minimumKnownShare, knownSharePercentile: c.knownSharePercentile,
                                  minimumWordLikelihood: c.minimumWordLikelihood, likelihoodPercentile: c.likelihoodPercentile)
        var labelsOfQueue: [String: [String]] = [:]
        for (label, queue) in policy.queueOfLabel { labelsOfQueue[queue, default: []].append(label) }
        let queues = policy.queues.values
            .sorted { ($0.priority, $0.name) < ($1.priority, $1.name) }
            .map { Queue(name: $0.name, priority: $0.priority, answerWithin: $0.answerWithin, answerWithinSeconds: $0.answerWithinSeconds,
                         labels: (labelsOfQueue[$0.name] ?? []).sorted()) }
        self.policy = Policy(queues: queues, fallbackQueue: policy.fallbackQueue, threshold: threshold,
                             thresholdSource: policy.abstentionThreshold == nil ? "model" : "policy",
                             minimumKnownShare: engine.minimumKnownShare, minimumWordLikelihood: engine.minimumWordLikelihood,
                             rules: policy.rules.map(\.name))
        loadedAt = state.loadedAt
        reloads = Reloads(succeeded: state.reloads, failed: state.failedReloads, lastError: state.lastReloadError)
    }
}
