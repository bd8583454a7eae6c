import Foundation

/// What `train` may choose, and what it must use.
///
/// Hyperparameters left `nil` are chosen by stratified k-fold cross-validation on the training corpus,
/// deterministically (the fold assignment is seeded).
public struct TrainingOptions: Sendable {
    /// How text becomes features.
    public var features: FeatureSettings = .default
    /// Fixes the naive-Bayes variant; nil tries multinomial and complement.
    public var variant: NaiveBayesParameters.Variant?
    /// Fixes alpha; nil tries ``alphaGrid``.
    public var alpha: Double?
    /// Fixes the character n-gram weight; nil tries ``charWeightGrid``.
    public var charWeight: Double?
    /// Fixes uniform (true) or learnt (false) priors; nil tries both.
    public var uniformPriors: Bool?
    /// Damps term frequencies to 1 + log(tf).
    public var sublinearTF = true
    /// Fixes inverse-document-frequency weighting on or off; nil tries both.
    public var idf: Bool?
    /// Normalises each message's word and character features to unit length.
    public var normalizeLength = true
    /// The number of cross-validation folds.
    public var folds = 5
    /// The seed of the fold assignment.
    public var seed: UInt64 = 20_261_129
    /// The precision automatic routing should reach; sets the abstention threshold.
    public var targetPrecision = 0.95
    /// The percentile of cross-validated messages with the fewest known word n-grams that the known-share check
    /// is set to send to a person (see ``CalibrationSummary/minimumKnownShare``); 0 turns it off.
    ///
    /// nil, the default: on, at ``likelihoodPercentile``, only for a model that has no word likelihood (the
    /// complement variant); off otherwise. The word-likelihood check replaced it for multinomial models:
    /// trained on part of the labels of banking77's and the corpus's training splits, it caught more of the
    /// messages of the other labels at about the same cost (BENCHMARKS.md, routing). Complement models, which
    /// cross-validation chooses for 20newsgroups, keep it: without it they had no novelty check at all.
    public var knownSharePercentile: Double?
    /// The percentile of cross-validated messages with the lowest word likelihood under their label that the
    /// novelty check is set to send to a person (see ``CalibrationSummary/minimumWordLikelihood``); 0 turns it off.
    public var likelihoodPercentile = 5.0
    /// Worker threads.
    public var workers = Parallel.defaultWorkers
    /// The alphas tried when alpha is not fixed.
    public var alphaGrid: [Double] = [0.01, 0.03, 0.1, 0.3, 1.0, 3.0]
    /// The character weights tried when not fixed (0 turns character n-grams off).
    public var charWeightGrid: [Double] = [0, 0.25, 0.5, 0.75, 1, 1.5, 2, 3]
    /// The creation time written into the model (the only field that varies between identical trainings).
    public var createdAt = Date()
    /// Called as training advances (from the training thread).
    public var progress: (@Sendable (String) -> Void)?
    /// Streamed training only: at most this many features are kept, the rarest pruned (deterministically).
    public var maxFeatures: Int?
    /// Streamed training only: count statistics only (no cross-validation, no calibration): a shard to merge.
    public var shard = false
    /// Streamed training only: the corpus is counted in chunks of about this many bytes of text.
    public var chunkBytes = 8 << 20
    /// Streamed training only: cross-validation (hyperparameters, calibration) runs on a seeded random sample
    /// of at most this many messages.
    public var searchSample = 5_000

    /// Default options.
    public init() {}

    /// The hyperparameters these options fix, with `defaults`' values for those they leave free.
    public func parameters(defaults: NaiveBayesParameters) -> NaiveBayesParameters {
        var p = defaults
        p.variant = variant ?? p.variant
        p.alpha = alpha ?? p.alpha
        p.charWeight = features.usesCharNgrams ? (charWeight ?? p.charWeight) : 0
        p.uniformPriors = uniformPriors ?? p.uniformPriors
        p.idf = idf ?? p.idf
        p.sublinearTF = sublinearTF
        p.normalizeLength = normalizeLength
        return p
    }

    /// Fixes every hyperparameter still free to `parameters`' value, and takes its term-frequency transform
    /// (which the statistics are counted with): to count shards that merge with a model trained before.
    public mutating func fixFree(from parameters: NaiveBayesParameters) {
        let p = self.parameters(defaults: parameters)
        variant = p.variant
        alpha = p.alpha
        charWeight = p.charWeight
        uniformPriors = p.uniformPriors
        idf = p.idf
        sublinearTF = parameters.sublinearTF
        normalizeLength = parameters.normalizeLength
    }
}

/// What training produced, for the summary a person reads.
public struct TrainingReport: Sendable {
    /// The trained model.
    public var model: NaiveBayesModel
    /// Problems worth a look (a label with very few examples...).
    public var warnings: [String]
    /// Wall-clock seconds per stage.
    public var timings: [(stage: String, seconds: Double)]
    /// The held-out predictions of cross-validation with the chosen hyperparameters, evaluated.
    public var crossValidation: Evaluation
}

/// Trains naive-Bayes models.
public enum Trainer {
    /// The most labels a model may have. An inbox has tens; a corpus with thousands almost always has its
    /// columns the wrong way round (10,000 labels in 10,000 lines took 117 s and 6.3 GB to train, for
    /// nothing: cross-validation holds a probability per message and label).
    public static let maximumLabels = 1_000

    static func checkLabelCount(_ count: Int) throws {
        guard count <= maximumLabels else {
            throw SwitchboardError(.insufficientData, "the corpus has \(count) distinct labels, more than the \(maximumLabels) a model takes: are the label and text columns the right way round?")
        }
    }

    /// Refuses a corpus where most of more than ten labels have a single example: its labels are messages' texts
    /// (columns the wrong way round), which the model file would store and the warnings quote. Names none.
    static func checkSingleExampleLabels(_ examplesPerLabel: [Int]) throws {
        let single = examplesPerLabel.filter { $0 == 1 }.count
        guard examplesPerLabel.count <= 10 || single * 2 <= examplesPerLabel.count else {
            throw SwitchboardError(.insufficientData, "\(single) of the corpus's \(examplesPerLabel.count) labels have a single example: are the label and text columns the right way round?")
        }
    }

    /// One warning per label with fewer examples than folds, the first ten by name and the rest counted.
    static func fewExamplesWarnings(labels: [String], perLabel: [String: Int], folds: Int, detail: String) -> [String] {
        let few = labels.filter { perLabel[$0, default: 0] < folds }
        var warnings = few.prefix(10).map { "label '\($0)' has only \(perLabel[$0, default: 0]) example(s)\(detail)" }
        if few.count > 10 { warnings.append("\(few.count - 10) more labels have fewer than \(folds) examples") }
        return warnings
    }

    /// Trains a model on `examples`.
    public static func train(_ examples: [LabeledExample], options: TrainingOptions = TrainingOptions()) throws -> TrainingReport {
        try options.features.validate()
        guard options.folds >= 2, options.folds <= 1_000 else {
            throw SwitchboardError(.invalidArgument, "cross-validation takes 2 to 1000 folds (got \(options.folds))")
        }
        if let percentile = options.knownSharePercentile, !(percentile >= 0 && percentile < 100) {
            throw SwitchboardError(.invalidArgument, "the known-share percentile must be from 0 (off) to below 100 (got \(percentile))")
        }
        guard options.likelihoodPercentile >= 0, options.likelihoodPercentile < 100 else {
            throw SwitchboardError(.invalidArgument, "the likelihood percentile must be from 0 (off) to below 100 (got \(options.likelihoodPercentile))")
        }
        guard options.targetPrecision > 0, options.targetPrecision <= 1 else {
            throw SwitchboardError(.invalidArgument, "the target precision must be in (0, 1] (got \(options.targetPrecision))")
        }
        guard !examples.isEmpty else { throw SwitchboardError(.insufficientData, "the corpus is empty: no labelled example was read") }
        let labels = Array(Set(examples.map(\.label))).sorted()
        guard labels.count >= 2 else {
            throw SwitchboardError(.insufficientData, "the corpus has a single label\(LabeledExample.quotable(labels[0]).map { " (\($0))" } ?? ""): a classifier needs at least two")
        }
        try Self.checkLabelCount(labels.count)
        var perLabelCount: [String: Int] = [:]
        for example in examples { perLabelCount[example.label, default: 0] += 1 }
        try Self.checkSingleExampleLabels(Array(perLabelCount.values))
        var warnings: [String] = []
        let classOf = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, Int32($0)) })
        let rowClass = examples.map { classOf[$0.label] ?? 0 }
        var perLabel = [String: Int]()
        for example in examples { perLabel[example.label, default: 0] += 1 }
        // The folds used: no more than the largest label has examples.
        let folds = min(options.folds, max(2, perLabel.values.max() ?? 2))
        warnings += Self.fewExamplesWarnings(labels: labels, perLabel: perLabel, folds: folds, detail: ": fewer than the \(folds) cross-validation folds, its scores are unreliable")
        var timings: [(String, Double)] = []
        var clock = Date()
        func lap(_ stage: String) {
            let now = Date()
            timings.append((stage, now.timeIntervalSince(clock)))
            clock = now
            options.progress?(stage)
        }

        let matrix = FeatureMatrix.extract(examples.map(\.text), settings: options.features, workers: options.workers)
        lap("features: \(matrix.featureCount) from \(examples.count) messages")
        let corpus = PreparedCorpus(matrix: matrix, labels: labels, rowClass: rowClass, sublinearTF: options.sublinearTF, normalizeLength: options.normalizeLength)
        let cv = CrossValidation(corpus: corpus, folds: folds, seed: options.seed)
        lap("statistics")

        let search = try Self.search(cv, options: options)
        lap("cross-validation: \(search.candidates.count) candidates")

        // Calibration on the chosen candidate's cross-validated scores.
        let truth = search.rows.map { Int(rowClass[$0]) }
        let fitted = Calibration.fitScale(scores: search.scores, truth: truth, workers: options.workers)
        // Each message's top probability at scale s, on all workers (a softmax each, computed as on one thread).
        let pieces = Parallel.ranges(search.scores.count, pieces: options.workers * Parallel.piecesPerWorker)
        func confidences(_ s: Double) -> [Double] {
            Parallel.map(pieces.count, workers: options.workers) { piece in
                pieces[piece].map { NaiveBayesModel.softmax(search.scores[$0], scale: s).max() ?? 0 }
            }.flatMap { $0 }
        }
        let predictedClasses = search.scores.map(\.indexOfMaximum)
        let correct = zip(predictedClasses, truth).map { $0 == $1 }
        let (scale, before, after) = Calibration.chooseScale(fitted: fitted, correct: correct, confidences: confidences)
        let calibrated = confidences(scale)
        let (threshold, coverage) = Calibration.threshold(confidences: calibrated, correct: correct, targetPrecision: options.targetPrecision)
        let sharePercentile = options.knownSharePercentile ?? (search.best.variant == .multinomial ? 0 : options.likelihoodPercentile)
        let minimumKnownShare = Calibration.minimumKnownShare(cv.knownWordShares(), percentile: sharePercentile)
        let minimumWordLikelihood = search.best.variant == .multinomial && options.likelihoodPercentile > 0
            ? Calibration.lowerPercentile(cv.wordLogLikelihoods(rows: search.rows, predicted: predictedClasses, parameters: search.best, workers: options.workers), percentile: options.likelihoodPercentile)
            : nil
        let predictedLabels = predictedClasses.map { labels[$0] }
        let cvEvaluation = Evaluation(truth: truth.map { labels[$0] }, predicted: predictedLabels)
        lap("calibration")

        // Counted in shards, one per worker, then added up: exact, so the same for any number of workers.
        let statistics = try corpus.statistics(workers: options.workers)
        var checksum: UInt64 = 0
        for example in examples { checksum &+= Self.digest(label: example.label, text: example.text) }
        let languages = Array(Set(examples.compactMap(\.language))).sorted()
        var metadata = ModelMetadata(
            // Whole seconds: the file stores ISO 8601 without fractions, and a model must read back equal.
            createdAt: Date(timeIntervalSince1970: options.createdAt.timeIntervalSince1970.rounded(.down)), labels: labels, features: options.features.normalized, parameters: search.best,
            training: TrainingSummary(
                documents: examples.count, documentsPerLabel: perLabel, corpusChecksum: Self.hex(checksum),
                crossValidation: CrossValidationSummary(folds: folds, seed: options.seed, accuracy: cvEvaluation.accuracy, macroF1: cvEvaluation.macroF1, candidates: search.candidates)),
            calibration: CalibrationSummary(scale: scale, eceBefore: before, eceAfter: after, abstentionThreshold: threshold, targetPrecision: options.targetPrecision, coverage: coverage, source: "cross-validation",
                                            minimumKnownShare: minimumKnownShare, knownSharePercentile: sharePercentile,
                                            minimumWordLikelihood: minimumWordLikelihood, likelihoodPercentile: options.likelihoodPercentile),
            languages: languages)
        lap("model statistics: \(statistics.featureCount) features")
        let draft = NaiveBayesModel(statistics: statistics, metadata: metadata)
        lap("compiled scorer")
        metadata.topFeatures = TopFeatures.compute(model: draft, examples: examples, rowClass: rowClass)
        let model = draft.with(metadata: metadata)
        lap("top features")
        return TrainingReport(model: model, warnings: warnings, timings: timings, crossValidation: cvEvaluation)
    }

    /// An example's contribution to a corpus checksum: FNV-1a 64 of `label TAB text`. Checksums are sums of
    /// these (modulo 2^64), so they add and subtract like the statistics.
    public static func digest(label: String, text: String) -> UInt64 {
        var hash = Checksum.fnvOffset
        Checksum.fnv1a(label.utf8, into: &hash)
        Checksum.fnv1a([9], into: &hash)
        Checksum.fnv1a(text.utf8, into: &hash)
        return hash
    }

    /// A checksum as 16 hexadecimal digits.
    static func hex(_ value: UInt64) -> String { String(format: "%016llx", value) }

    struct SearchResult {
        var best: NaiveBayesParameters
        var candidates: [CrossValidationSummary.Candidate]
        var rows: [Int]
        var scores: [[Double]]
    }

    /// Whether a candidate beats another: the more accurate; among equally accurate ones (the same number of
    /// messages right), the more smoothed (larger alpha), as the rule of preferring the simplest of models
    /// cross-validation cannot tell apart has it. The grid's order (smallest alpha first) used to decide ties,
    /// which picked the least smoothed.
    static func outranks(_ a: (accuracy: Double, alpha: Double), _ b: (accuracy: Double, alpha: Double)) -> Bool {
        a.accuracy != b.accuracy ? a.accuracy > b.accuracy : a.alpha > b.alpha
    }

    /// The indices of `candidates`, best first by ``outranks(_:_:)``, then in their own order.
    static func ranked(_ candidates: [(accuracy: Double, alpha: Double)]) -> [Int] {
        candidates.indices.sorted { i, j in
            if outranks(candidates[i], candidates[j]) { return true }
            if outranks(candidates[j], candidates[i]) { return false }
            return i < j
        }
    }

    /// Tries every combination not fixed by the options; keeps the best by ``outranks(_:_:)`` (then the first
    /// tried), in both stages of the search.
    static func search(_ cv: CrossValidation, options: TrainingOptions) throws -> SearchResult {
        let corpus = cv.corpus
        let c = corpus.classCount
        let variants = options.variant.map { [$0] } ?? NaiveBayesParameters.Variant.allCases
        let alphas = options.alpha.map { [$0] } ?? options.alphaGrid
        let usesChars = options.features.usesCharNgrams
        let charWeights = options.charWeight.map { [$0] } ?? (usesChars ? options.charWeightGrid : [1])
        let priors = options.uniformPriors.map { [$0] } ?? [false, true]
        let idfs = options.idf.map { [$0] } ?? [true, false]
        for alpha in alphas { try NaiveBayesParameters.check(alpha: alpha) }
        for weight in charWeights { try NaiveBayesParameters.check(charWeight: weight) }

        // Two stages when the corpus is large: every (variant, alpha, idf) on a subsample of the held-out rows,
        // then the three best on all of them. Weights, priors and character weights are tried for free in both.
        let rowCount = corpus.matrix.rowCount
        let sampleSize = 3000
        let perFoldSample = rowCount > sampleSize * 2 ? max(1, sampleSize / cv.folds) : nil
        var grid: [(NaiveBayesParameters.Variant, Double, Bool)] = []
        for variant in variants { for alpha in alphas { for useIDF in idfs { grid.append((variant, alpha, useIDF)) } } }

        typealias Point = (NaiveBayesParameters.Variant, Double, Bool)
        typealias Outcome = (best: Double, folds: [CrossValidation.FoldScores], results: [(NaiveBayesParameters, Double)])
        // Every (point, fold) pair is one task, so that all cores stay busy however few folds there are
        // (5 folds on 2 cores would leave one idle a fifth of the time).
        func evaluate(_ points: [Point], sample: Int?) -> [Outcome] {
            let folds = cv.folds
            let held = Parallel.map(folds, workers: options.workers) { cv.heldOut($0, sample: sample) }
            // Points of the same variant and IDF setting are scored together, a few alphas at once (see
            // `CrossValidation.scoreFold(_:variant:alphas:idf:)`): groups of point indices.
            var grouping: [[Int]] = []
            let together = cv.alphasScoredTogether
            for (index, point) in points.enumerated() {
                if let g = grouping.firstIndex(where: { group in
                    group.count < together && points[group[0]].0 == point.0 && points[group[0]].2 == point.2
                }) {
                    grouping[g].append(index)
                } else {
                    grouping.append([index])
                }
            }
            let groups = grouping
            let groupScores = Parallel.map(groups.count * folds, workers: options.workers) { task in
                let group = groups[task / folds]
                let (variant, _, useIDF) = points[group[0]]
                return cv.scoreFold(held[task % folds], variant: variant, alphas: group.map { points[$0].1 }, idf: useIDF)
            }
            // Each point's scores, fold by fold (tasks are group-major, so each point's folds come in order).
            var scored = [[CrossValidation.FoldScores]](repeating: [], count: points.count)
            for (task, scores) in groupScores.enumerated() {
                for (k, index) in groups[task / folds].enumerated() { scored[index].append(scores[k]) }
            }
            let pointScores = scored
            let outcomes = Parallel.map(points.count, workers: options.workers) { index -> Outcome in
                let (variant, alpha, useIDF) = points[index]
                let foldScores = pointScores[index]
                var hits = [Int](repeating: 0, count: charWeights.count * priors.count), total = 0
                for fold in foldScores {
                    let foldHits = fold.hits(charWeights: charWeights, priors: priors, classes: c, truth: fold.rows.map { Int(corpus.rowClass[$0]) })
                    for i in hits.indices { hits[i] += foldHits[i] }
                    total += fold.rows.count
                }
                var results: [(NaiveBayesParameters, Double)] = []
                for (w, charWeight) in charWeights.enumerated() {
                    for (p, uniform) in priors.enumerated() {
                        let parameters = NaiveBayesParameters(variant: variant, alpha: alpha, sublinearTF: options.sublinearTF, idf: useIDF,
                                                              normalizeLength: options.normalizeLength, uniformPriors: uniform, charWeight: charWeight)
                        results.append((parameters, Double(hits[w * priors.count + p]) / Double(max(total, 1))))
                    }
                }
                return (results.map(\.1).max() ?? 0, foldScores, results)
            }
            options.progress?("cross-validation: \(points.count) candidate groups\(sample == nil ? "" : " on a sample")")
            return outcomes
        }

        var shortlist = grid
        if let perFoldSample, grid.count > 3 {
            let scores = evaluate(grid, sample: perFoldSample).map(\.best)
            shortlist = Self.ranked(scores.enumerated().map { (accuracy: $0.element, alpha: grid[$0.offset].1) }).prefix(3).map { grid[$0] }
        }
        var candidates: [CrossValidationSummary.Candidate] = []
        var best: (accuracy: Double, parameters: NaiveBayesParameters, folds: [CrossValidation.FoldScores])?
        let finalists = grid.filter { point in shortlist.contains(where: { $0 == point }) }
        for outcome in evaluate(finalists, sample: nil) {
            for (parameters, accuracy) in outcome.results {
                candidates.append(.init(parameters: parameters, accuracy: accuracy))
                if best.map({ Self.outranks((accuracy, parameters.alpha), ($0.accuracy, $0.parameters.alpha)) }) ?? true {
                    best = (accuracy, parameters, outcome.folds)
                }
            }
        }
        guard let chosen = best else { throw SwitchboardError(.invalidArgument, "no hyperparameter candidate to try") }
        var rows: [Int] = [], scores: [[Double]] = []
        for fold in chosen.folds {
            for (j, row) in fold.rows.enumerated() {
                rows.append(row)
                scores.append((0..<c).map { fold.score(j, $0, classes: c, charWeight: chosen.parameters.charWeight, uniformPriors: chosen.parameters.uniformPriors) })
            }
        }
        return SearchResult(best: chosen.parameters, candidates: candidates, rows: rows, scores: scores)
    }
}
