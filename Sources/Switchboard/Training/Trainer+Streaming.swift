import Foundation

extension Trainer {
    /// The default hyperparameters of a shard when none are given: those `train` most often chooses on
    /// short-message corpora.
    public static let shardDefaults = NaiveBayesParameters(variant: .complement, alpha: 0.3, idf: true, uniformPriors: false, charWeight: 1)

    /// Trains on a corpus streamed in chunks, in memory bounded by the chunk size, the search sample and
    /// ``TrainingOptions/maxFeatures``, however large the corpus.
    ///
    /// `feed` calls its argument with every example (``CorpusReader/forEach(_:options:skipped:_:)`` does).
    /// Each chunk of about ``TrainingOptions/chunkBytes`` of text is turned into features on every core and
    /// counted in shards; the shards' statistics are added to the running total, which is pruned to
    /// `maxFeatures` (the features in the fewest messages go first, ties by hash) whenever it grows past twice
    /// that, and at the end. The result depends only on the corpus, its order and the options, not on the
    /// number of threads.
    ///
    /// Unless ``TrainingOptions/shard`` is set, hyperparameters not fixed by the options, the calibration and
    /// the abstention threshold come from cross-validation on a seeded reservoir sample of
    /// ``TrainingOptions/searchSample`` messages (``train(_:options:)`` on that sample). A shard is only
    /// counted: its hyperparameters are the options' (``shardDefaults`` where not fixed) and it is not
    /// calibrated; merge shards, then calibrate the merged model on held-out data.
    public static func trainStreaming(options: TrainingOptions, feed: ((LabeledExample) throws -> Void) throws -> Void) throws -> TrainingReport {
        try options.features.validate()
        if let limit = options.maxFeatures, limit < 1 { throw SwitchboardError(.invalidArgument, "--max-features must be at least 1 (got \(limit))") }
        guard options.chunkBytes >= 1 else { throw SwitchboardError(.invalidArgument, "the chunk size must be positive (got \(options.chunkBytes))") }
        guard options.searchSample >= 2 else { throw SwitchboardError(.invalidArgument, "the search sample must hold at least 2 messages (got \(options.searchSample))") }
        let start = Date()
        var total: ModelStatistics?
        var checksum: UInt64 = 0
        var documents = 0
        var chunk: [LabeledExample] = []
        var chunkSize = 0
        var sample: [LabeledExample] = []
        var generator = SplitMix64(seed: options.seed)
        var languages = Set<String>()

        func flush() throws {
            guard !chunk.isEmpty else { return }
            let labels = Array(Set(chunk.map(\.label))).sorted()
            try Trainer.checkLabelCount(labels.count)
            let classOf = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, Int32($0)) })
            let matrix = FeatureMatrix.extract(chunk.map(\.text), settings: options.features, workers: options.workers)
            let values = matrix.transformedValues(isChar: matrix.keys.map(FeatureHash.isChar), sublinearTF: options.sublinearTF, normalizeLength: options.normalizeLength)
            let part = try matrix.statistics(values: values, rowClass: chunk.map { classOf[$0.label] ?? 0 }, labels: labels, workers: options.workers)
            var sum = try total.map { try $0.adding(part) } ?? part
            try Trainer.checkLabelCount(sum.labels.count)
            if let limit = options.maxFeatures, sum.featureCount > 2 * limit { sum = sum.pruned(toFeatures: limit) }
            total = sum
            chunk.removeAll(keepingCapacity: true)
            chunkSize = 0
            options.progress?("counted \(documents) messages, \(sum.featureCount) features, \(Int(Date().timeIntervalSince(start))) s")
        }

        try feed { example in
            documents += 1
            checksum &+= digest(label: example.label, text: example.text)
            if let language = example.language { languages.insert(language) }
            if !options.shard {
                // Reservoir sampling (Algorithm R), seeded: a uniform sample of the stream, the same every run.
                if sample.count < options.searchSample {
                    sample.append(example)
                } else {
                    let j = Int(generator.next() % UInt64(documents))
                    if j < options.searchSample { sample[j] = example }
                }
            }
            chunk.append(example)
            chunkSize += example.text.utf8.count
            if chunkSize >= options.chunkBytes { try flush() }
        }
        try flush()
        guard var statistics = total, documents > 0 else {
            throw SwitchboardError(.insufficientData, "the corpus is empty: no labelled example was read")
        }
        if let limit = options.maxFeatures { statistics = statistics.pruned(toFeatures: limit) }
        try checkSingleExampleLabels(statistics.classDocuments.map(Int.init))
        let perLabel = Dictionary(uniqueKeysWithValues: zip(statistics.labels, statistics.classDocuments.map(Int.init)))
        let summary = TrainingSummary(documents: documents, documentsPerLabel: perLabel, corpusChecksum: hex(checksum), crossValidation: nil)
        let createdAt = Date(timeIntervalSince1970: options.createdAt.timeIntervalSince1970.rounded(.down))

        if options.shard {
            let parameters = options.parameters(defaults: shardDefaults)
            try parameters.validate()
            let metadata = ModelMetadata(createdAt: createdAt, labels: statistics.labels, features: options.features.normalized, parameters: parameters,
                                         training: summary, calibration: CalibrationSummary(scale: 1, targetPrecision: options.targetPrecision, source: "none"),
                                         languages: languages.sorted())
            let model = NaiveBayesModel(statistics: statistics, metadata: metadata)
            return TrainingReport(model: model, warnings: [], timings: [("count \(documents) messages", Date().timeIntervalSince(start))],
                                  crossValidation: Evaluation(truth: [], predicted: []))
        }

        guard statistics.labels.count >= 2 else {
            throw SwitchboardError(.insufficientData, "the corpus has a single label\(LabeledExample.quotable(statistics.labels[0]).map { " (\($0))" } ?? ""): a classifier needs at least two")
        }
        options.progress?("cross-validation on a sample of \(sample.count) messages")
        var sampleOptions = options
        sampleOptions.progress = options.progress
        // The corpus has two labels or more (checked above); a sample with one is the sample's fault, not the
        // corpus's, and saying "the corpus has a single label" sent people looking for the wrong problem.
        guard Set(sample.map(\.label)).count >= 2 else {
            throw SwitchboardError(.insufficientData, "the search sample of \(sample.count) messages holds only one of the corpus's \(statistics.labels.count) labels: give a larger --search-sample (a rare label needs one large enough to be drawn)")
        }
        let searched = try train(sample, options: sampleOptions)
        var metadata = searched.model.metadata
        metadata.labels = statistics.labels
        metadata.training = TrainingSummary(documents: documents, documentsPerLabel: perLabel, corpusChecksum: hex(checksum),
                                            crossValidation: searched.model.metadata.training.crossValidation)
        metadata.languages = languages.sorted()
        metadata.createdAt = createdAt
        // The sample's word-likelihood minimum only carries over to the same statistics; the percentile stays, for
        // recalibration on held-out messages to set it.
        metadata.calibration = searched.model.calibration(carriedTo: statistics, parameters: metadata.parameters)
        let likelihoodDropped = metadata.calibration.minimumWordLikelihood == nil && searched.model.metadata.calibration.minimumWordLikelihood != nil
        let draft = NaiveBayesModel(statistics: statistics, metadata: metadata)
        let sampleLabels = Dictionary(uniqueKeysWithValues: statistics.labels.enumerated().map { ($1, Int32($0)) })
        metadata.topFeatures = TopFeatures.compute(model: draft, examples: sample, rowClass: sample.map { sampleLabels[$0.label] ?? 0 })
        var warnings = searched.warnings
        warnings.append("hyperparameters and calibration were chosen by cross-validation on a sample of \(sample.count) of the \(documents) messages")
        if likelihoodDropped {
            warnings.append("the word-likelihood check (unusual words go to a person) is not set: its minimum, found on the sample, does not carry over to the full model; set it on held-out messages with `switchboard merge --calibrate HELDOUT --output NEW MODEL`")
        }
        warnings += Trainer.fewExamplesWarnings(labels: statistics.labels, perLabel: perLabel, folds: options.folds, detail: "")
        return TrainingReport(model: draft.with(metadata: metadata), warnings: warnings,
                              timings: [("streamed training", Date().timeIntervalSince(start))] + searched.timings, crossValidation: searched.crossValidation)
    }
}
