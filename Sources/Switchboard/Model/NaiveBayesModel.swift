import Foundation
import Synchronization

/// A label and its probability.
public struct LabelProbability: Sendable, Hashable, Codable {
    /// The label.
    public var label: String
    /// Its calibrated probability.
    public var probability: Double

    /// Creates a pair.
    public init(label: String, probability: Double) {
        self.label = label
        self.probability = probability
    }
}

/// What the classifier says about one message.
public struct Classification: Sendable {
    /// The model's labels, in class order (shared, not copied).
    public let labels: [String]
    /// The calibrated probability of each label, in class order.
    public let probabilities: [Double]
    /// The number of the message's features the model knew.
    public var knownFeatures: Int
    private let best: Int

    init(labels: [String], probabilities: [Double], knownFeatures: Int) {
        self.labels = labels
        self.probabilities = probabilities
        self.knownFeatures = knownFeatures
        var best = 0
        for i in probabilities.indices where probabilities[i] > probabilities[best] { best = i }
        self.best = best
    }

    /// The most probable label.
    public var label: String { labels[best] }
    /// Its calibrated probability.
    public var confidence: Double { probabilities[best] }

    /// The `k` most probable labels, most probable first (ties: class order).
    public func top(_ k: Int) -> [LabelProbability] {
        var chosen: [Int] = []
        chosen.reserveCapacity(k + 1)
        for i in probabilities.indices {
            let position = chosen.firstIndex { probabilities[i] > probabilities[$0] } ?? chosen.count
            if position < k {
                chosen.insert(i, at: position)
                if chosen.count > k { chosen.removeLast() }
            }
        }
        return chosen.map { LabelProbability(label: labels[$0], probability: probabilities[$0]) }
    }

    /// Every label in decreasing probability.
    public var ranked: [LabelProbability] { top(labels.count) }
}

/// A trained naive-Bayes text classifier: statistics, hyperparameters, calibration.
///
/// Immutable once made, so one loaded model can be shared by any number of threads and tasks.
/// Classification needs per-thread buffers: pass a ``ClassificationScratch`` from ``makeScratch()``
/// on hot paths, or let the model take one from its internal pool.
public final class NaiveBayesModel: Sendable {
    /// What the model says about itself.
    public let metadata: ModelMetadata
    /// The sufficient statistics (for learning, forgetting and merging).
    public let statistics: ModelStatistics
    let scorer: CompiledScorer
    let pool = Mutex<[ClassificationScratch]>([])

    /// The labels, in class order.
    public var labels: [String] { statistics.labels }

    /// A stable identifier of the model: `sbm-<corpus checksum>-<labels>l-<messages>d-<settings>`. Made once:
    /// every decision carries it.
    ///
    /// The last part digests what else decides the decisions: the feature settings, the hyperparameters, the
    /// calibration and the corrections learnt since training. Without it, a model retrained on the same
    /// corpus with other settings, or recalibrated, had the same id as the one it replaced, and `/v1/model`, the
    /// logs and the feedback store could not tell which one served. The creation time is left out: the same
    /// training twice gives the same id.
    public let id: String

    private static func identifier(statistics: ModelStatistics, metadata: ModelMetadata) -> String {
        let f = metadata.features, p = metadata.parameters, c = metadata.calibration
        var hash = Checksum.fnvOffset
        let settings = "w\(f.wordMinN)-\(f.wordMaxN) c\(f.charMinN)-\(f.charMaxN) fold\(f.foldDiacritics) length\(f.lengthFeature) " + (f.normalized.symbolCharNgrams ? "symbols " : "")
            + "\(p.variant.rawValue) a\(p.alpha.bitPattern) cw\(p.charWeight.bitPattern) tf\(p.sublinearTF) idf\(p.idf) norm\(p.normalizeLength) uniform\(p.uniformPriors) "
            + "s\(c.scale.bitPattern) t\(c.abstentionThreshold.bitPattern) k\(c.minimumKnownShare?.bitPattern ?? 0) "
            + (c.minimumWordLikelihood.map { "ll\($0.bitPattern) " } ?? "")
            + "learnt\(statistics.learntCount)-\(statistics.learntIDs.reduce(0, &+))"
        Checksum.fnv1a(settings.utf8, into: &hash)
        let digest = String(hash >> 48, radix: 16)
        return "sbm-\(metadata.training.corpusChecksum.prefix(8))-\(metadata.labels.count)l-\(statistics.documentCount)d-"
            + String(repeating: "0", count: 4 - digest.count) + digest
    }

    /// Makes a model from statistics and metadata (its labels, features and parameters).
    public init(statistics: ModelStatistics, metadata: ModelMetadata) {
        self.statistics = statistics
        self.metadata = metadata
        self.scorer = CompiledScorer(statistics: statistics, parameters: metadata.parameters)
        self.id = Self.identifier(statistics: statistics, metadata: metadata)
    }

    /// The same model with other metadata whose labels and parameters are unchanged (the scorer is reused).
    func with(metadata: ModelMetadata) -> NaiveBayesModel {
        NaiveBayesModel(statistics: statistics, metadata: metadata, scorer: scorer)
    }

    private init(statistics: ModelStatistics, metadata: ModelMetadata, scorer: CompiledScorer) {
        self.statistics = statistics
        self.metadata = metadata
        self.scorer = scorer
        self.id = Self.identifier(statistics: statistics, metadata: metadata)
    }

    /// Buffers for classifying on one thread.
    public func makeScratch() -> ClassificationScratch {
        ClassificationScratch(settings: metadata.features, featureCount: statistics.featureCount, classCount: labels.count)
    }

    /// Classifies `text`, using the given buffers.
    public func classify(_ text: String, scratch: inout ClassificationScratch) -> Classification {
        let probabilities = self.probabilities(text, scratch: &scratch)
        return Classification(labels: labels, probabilities: probabilities, knownFeatures: scratch.touchedEntries.count)
    }

    /// Classifies `text` with buffers from the model's pool.
    public func classify(_ text: String) -> Classification {
        var scratch = borrowScratch()
        defer { returnScratch(scratch) }
        return classify(text, scratch: &scratch)
    }

    /// The calibrated probability of each label (in class order).
    public func probabilities(_ text: String, scratch: inout ClassificationScratch) -> [Double] {
        rawScores(text, scratch: &scratch)
        return Self.softmax(scratch.scores, scale: metadata.calibration.scale)
    }

    /// Computes the uncalibrated class scores of `text` into `scratch.scores`.
    func rawScores(_ text: String, scratch: inout ClassificationScratch) {
        // A scratch made by another model (a caller keeping one across a model swap) has that model's class
        // count and feature settings: scoring with it trapped or read the text another way. It is replaced.
        if scratch.scores.count != labels.count || scratch.extractor.settings != metadata.features {
            scratch = makeScratch()
        }
        // Keep the buffer's capacity between messages, unless an outsized one made it huge.
        scratch.hashes.removeAll(keepingCapacityUpTo: reusableBufferLimit)
        scratch.extractor.extract(text, into: &scratch.hashes, characters: metadata.parameters.charWeight > 0)
        scorer.vectorize(&scratch)
        // The length feature is known for every message: it is not a word of the message.
        if let length = scratch.extractor.lastLengthFeature {
            scratch.wordOccurrences -= 1
            if scorer.slots.contains(length) { scratch.knownWordOccurrences -= 1 }
        }
        scorer.score(&scratch)
    }

    /// The mean log-probability per word of the last message classified with `scratch`, under label `c`'s
    /// word model: low when its words are rare in that label's training messages (see
    /// ``CalibrationSummary/minimumWordLikelihood``). Nil for a complement model or a message without words.
    public func wordLogLikelihood(scratch: ClassificationScratch, forClass c: Int) -> Double? {
        scorer.wordLogLikelihood(scratch, forClass: c, excluding: scratch.extractor.lastLengthFeature)
    }

    /// softmax(scale * scores), computed stably.
    static func softmax(_ scores: [Double], scale: Double) -> [Double] {
        guard let top = scores.max() else { return [] }
        var out = scores.map { exp(scale * ($0 - top)) }
        let sum = out.reduce(0, +)
        for i in out.indices { out[i] /= sum }
        return out
    }
}
