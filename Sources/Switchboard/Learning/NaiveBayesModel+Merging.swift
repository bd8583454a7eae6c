import Foundation

extension NaiveBayesModel {
    /// The model whose statistics are the sum of the given models' (trained, for instance, on shards of one
    /// corpus, or by two teams).
    ///
    /// The models must share their feature settings and their term-frequency transform (sublinear TF and
    /// length normalisation are baked into the statistics); labels are united. Adding is exact, so merging
    /// is associative and commutative, and with the same hyperparameters `merged([train(A), train(B)])`
    /// labels every message as `train(A ∪ B)` does.
    ///
    /// - Parameters:
    ///   - parameters: the hyperparameters of the result; nil requires the models to agree on theirs.
    ///   - reference: the model whose calibration the result carries over, as
    ///     ``calibration(carriedTo:parameters:)`` says; nil leaves the result uncalibrated (scale 1, no
    ///     abstention threshold, source `none`) until ``recalibrated(on:targetPrecision:)`` is called with
    ///     held-out data.
    ///   - names: what errors call the models (their files, for instance); "model 1", "model 2"... otherwise.
    /// - Throws: ``SwitchboardError`` `.incompatibleModels` when the models count other features, or two of them
    ///   count the same corpus: the same checksum once the corrections each learnt are taken out of it (the
    ///   checksum is a sum of the messages' digests, and ``learning(_:forget:workers:)`` adds the corrections'),
    ///   so that a model merged with its own update by `learn` is caught too.
    public static func merged(_ models: [NaiveBayesModel], parameters: NaiveBayesParameters? = nil,
                              calibrationFrom reference: NaiveBayesModel? = nil, names: [String] = []) throws -> NaiveBayesModel {
        guard let first = models.first else { throw SwitchboardError(.invalidArgument, "merge needs at least one model") }
        func name(_ i: Int) -> String { names.indices.contains(i) ? names[i] : "model \(i + 1)" }
        var seen: [String: Int] = [:]
        for (i, model) in models.enumerated() where model.metadata.training.documents > 0 {
            var base = UInt64(model.metadata.training.corpusChecksum, radix: 16) ?? 0
            for digest in model.statistics.learntDigests { base &-= digest }
            let corpus = Trainer.hex(base)
            if let earlier = seen[corpus] {
                throw SwitchboardError(.incompatibleModels, "\(name(i)) counts the same corpus as \(name(earlier)) (checksum \(corpus) before learnt corrections; \(models[earlier].metadata.training.documents) and \(model.metadata.training.documents) messages): merging them would count its messages twice; to add corrections to a model, use learn")
            }
            seen[corpus] = i
        }
        let settings = first.metadata.features.normalized
        let transform = (first.metadata.parameters.sublinearTF, first.metadata.parameters.normalizeLength)
        for (i, model) in models.enumerated().dropFirst() {
            guard model.metadata.features.normalized == settings else {
                throw SwitchboardError(.incompatibleModels, "\(name(i)) was trained with other feature settings (\(Self.describe(model.metadata.features)) against \(Self.describe(settings))): its statistics count other features and cannot be added")
            }
            let p = model.metadata.parameters
            guard (p.sublinearTF, p.normalizeLength) == transform else {
                throw SwitchboardError(.incompatibleModels, "\(name(i)) was trained with another term-frequency transform (\(p.sublinearTF ? "sublinear" : "raw") TF, \(p.normalizeLength ? "l2" : "no") normalisation): its statistics cannot be added")
            }
        }
        let chosen: NaiveBayesParameters
        if let parameters {
            guard (parameters.sublinearTF, parameters.normalizeLength) == transform else {
                throw SwitchboardError(.incompatibleModels, "the hyperparameters given use another term-frequency transform than the models were counted with")
            }
            try parameters.validate()
            chosen = parameters
        } else {
            for (i, model) in models.enumerated().dropFirst() where model.metadata.parameters != first.metadata.parameters {
                throw SwitchboardError(.incompatibleModels, "\(name(i)) has other hyperparameters (\(model.metadata.parameters)) than \(name(0)) (\(first.metadata.parameters)): choose the result's with --parameters-from or --alpha, --variant, --char-weight, --priors and --idf")
            }
            chosen = first.metadata.parameters
        }
        // A correction learnt by two of the models would be counted twice: say which models (ids are hashed).
        var learntBy: [UInt64: Int] = [:]
        for (i, model) in models.enumerated() {
            for id in model.statistics.learntIDs {
                if let earlier = learntBy[id], earlier != i {
                    throw SwitchboardError(.incompatibleModels, "\(name(earlier)) and \(name(i)) both learnt the same correction: adding them would count it twice; forget it from one of them first (learn --forget)")
                }
                learntBy[id] = i
            }
        }
        // As `train`: more labels than a model takes trapped a conversion when the statistics were summed.
        try Trainer.checkLabelCount(Set(models.flatMap(\.labels)).count)
        let statistics = try ModelStatistics.sum(models.map(\.statistics))

        var checksum: UInt64 = 0
        var topFeatures: [String: [WeightedFeature]] = [:]
        var languages = Set<String>()
        for model in models {
            checksum &+= UInt64(model.metadata.training.corpusChecksum, radix: 16) ?? 0
            languages.formUnion(model.metadata.languages)
            for (label, features) in model.metadata.topFeatures { topFeatures[label, default: []] += features }
        }
        // The inputs' lists, united: the same whatever the order of the models.
        for (label, features) in topFeatures {
            var best: [String: Double] = [:]
            for feature in features { best[feature.name] = max(best[feature.name] ?? -.infinity, feature.weight) }
            topFeatures[label] = best.map { WeightedFeature(name: $0.key, weight: $0.value) }
                .sorted { $0.weight != $1.weight ? $0.weight > $1.weight : $0.name < $1.name }
                .prefix(TopFeatures.perLabel).map { $0 }
        }
        let metadata = ModelMetadata(
            createdAt: models.map(\.metadata.createdAt).max() ?? first.metadata.createdAt,
            labels: statistics.labels, features: settings, parameters: chosen,
            training: TrainingSummary(documents: models.reduce(0) { $0 + $1.metadata.training.documents },
                                      documentsPerLabel: Dictionary(uniqueKeysWithValues: zip(statistics.labels, statistics.classDocuments.map(Int.init))),
                                      corpusChecksum: Trainer.hex(checksum), crossValidation: nil),
            calibration: reference?.calibration(carriedTo: statistics, parameters: chosen)
                ?? CalibrationSummary(scale: 1, targetPrecision: first.metadata.calibration.targetPrecision, source: "none"),
            topFeatures: topFeatures, languages: languages.sorted())
        return NaiveBayesModel(statistics: statistics, metadata: metadata)
    }

    /// This model with hyperparameters replaced (statistics unchanged): for shards and merges.
    public func with(parameters: NaiveBayesParameters) throws -> NaiveBayesModel {
        try parameters.validate()
        var m = metadata
        m.parameters = parameters
        return NaiveBayesModel(statistics: statistics, metadata: m)
    }

    /// This model's calibration, for a model of `statistics` with `parameters`: the same, except that the minimum
    /// of the word-likelihood check is kept only when both are this model's.
    ///
    /// The minimum is a mean log-probability per word under this model's word models. Other statistics (another
    /// corpus, a sample's, a feature budget's pruning) or other hyperparameters give word models of other
    /// masses, vocabulary or smoothing, on which it means something else: carried over from a model with
    /// another alpha, it sent 96% of banking77's test messages to a person. Left unset, it waits for
    /// ``recalibrated(on:targetPrecision:)``. The one rule for `merge` and for streamed training.
    public func calibration(carriedTo statistics: ModelStatistics, parameters: NaiveBayesParameters) -> CalibrationSummary {
        var carried = metadata.calibration
        if carried.minimumWordLikelihood != nil, parameters != metadata.parameters || statistics != self.statistics {
            carried.minimumWordLikelihood = nil
        }
        return carried
    }

    /// This model with its calibration and abstention threshold fitted on labelled held-out messages
    /// (never the messages it learnt from): temperature scaling, then the lowest threshold whose automatic
    /// routing reaches `targetPrecision`. Messages whose label the model does not know count as errors.
    public func recalibrated(on examples: [LabeledExample], targetPrecision: Double) throws -> (model: NaiveBayesModel, evaluation: Evaluation) {
        guard !examples.isEmpty else { throw SwitchboardError(.insufficientData, "calibration needs labelled held-out messages: none was read") }
        guard targetPrecision > 0, targetPrecision <= 1 else {
            throw SwitchboardError(.invalidArgument, "the target precision must be in (0, 1] (got \(targetPrecision))")
        }
        let classOf = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        // The checks the model was trained with; a model from before the likelihood check keeps its known-share
        // check, and one with neither recorded (a merge, a shard) gets the default likelihood check.
        let percentile = metadata.calibration.knownSharePercentile ?? 0
        let likelihoodPercentile = metadata.calibration.likelihoodPercentile ?? (percentile > 0 ? 0 : TrainingOptions().likelihoodPercentile)
        var scratch = makeScratch()
        var scores: [[Double]] = [], predicted: [Int] = [], truth: [Int] = [], known: [Bool] = [], shares: [Double?] = [], likelihoods: [Double?] = []
        for example in examples {
            rawScores(example.text, scratch: &scratch)
            scores.append(scratch.scores)
            // Only messages of labels the model knows tell what an ordinary share of known words is, and an
            // ordinary likelihood of their words under the label they are given.
            shares.append(classOf[example.label] != nil ? scratch.knownWordShare : nil)
            predicted.append(scratch.scores.indexOfMaximum)
            likelihoods.append(classOf[example.label] != nil ? wordLogLikelihood(scratch: scratch, forClass: predicted[predicted.count - 1]) : nil)
            truth.append(classOf[example.label] ?? 0)
            known.append(classOf[example.label] != nil)
        }
        // Messages of other labels count as ones the model should not route; with nothing else, the threshold
        // would be 1 and the model would route nothing (sms_spam's ham and spam against the shipped model did).
        guard known.contains(true) else {
            let others = Set(examples.map(\.label)).sorted()
            throw SwitchboardError(.insufficientData, "none of the \(examples.count) held-out messages has one of the model's labels (they have \(others.prefix(5).joined(separator: ", "))\(others.count > 5 ? ", ..." : "")): calibration needs messages of the labels the model routes")
        }
        let fitted = zip(scores, zip(truth, known)).filter { $0.1.1 }
        let fittedScale = Calibration.fitScale(scores: fitted.map(\.0), truth: fitted.map(\.1.0))
        let correct = predicted.indices.map { known[$0] && predicted[$0] == truth[$0] }
        func confidences(_ s: Double) -> [Double] { scores.map { Self.softmax($0, scale: s).max() ?? 0 } }
        let (scale, before, after) = Calibration.chooseScale(fitted: fittedScale, correct: correct, confidences: confidences)
        let calibrated = confidences(scale)
        let (threshold, coverage) = Calibration.threshold(confidences: calibrated, correct: correct, targetPrecision: targetPrecision)
        let minimumWordLikelihood = Calibration.lowerPercentile(likelihoods, percentile: likelihoodPercentile)
        var m = metadata
        m.calibration = CalibrationSummary(scale: scale, eceBefore: before, eceAfter: after, abstentionThreshold: threshold,
                                           targetPrecision: targetPrecision, coverage: coverage, source: "held-out",
                                           minimumKnownShare: Calibration.minimumKnownShare(shares, percentile: percentile), knownSharePercentile: percentile,
                                           minimumWordLikelihood: minimumWordLikelihood, likelihoodPercentile: likelihoodPercentile)
        let evaluation = Evaluation(truth: examples.map(\.label), predicted: predicted.map { labels[$0] })
        return (NaiveBayesModel(statistics: statistics, metadata: m), evaluation)
    }

    /// Feature settings in words, for errors.
    public static func describe(_ s: FeatureSettings) -> String {
        "words \(s.wordMinN)-\(s.wordMaxN), characters \(s.usesCharNgrams ? "\(s.charMinN)-\(s.charMaxN)" : "off"), accents \(s.foldDiacritics ? "folded" : "kept"), length feature \(s.lengthFeature ? "on" : "off")\(s.usesCharNgrams ? ", character n-grams of placeholders and symbols \(s.symbolCharNgrams ? "on" : "off")" : "")"
    }
}
