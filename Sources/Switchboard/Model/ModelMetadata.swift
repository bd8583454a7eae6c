import Foundation

/// What a model file says about itself: labels, settings, hyperparameters, provenance and calibration.
public struct ModelMetadata: Sendable, Codable, Equatable {
    /// The model file format version this metadata was written with.
    public var formatVersion: Int
    /// The version of the tool that wrote the model.
    public var toolVersion: String
    /// When the model was written. The only field that differs between two trainings on the same data.
    public var createdAt: Date
    /// The labels, in class order.
    public var labels: [String]
    /// How text becomes features.
    public var features: FeatureSettings
    /// The naive-Bayes hyperparameters.
    public var parameters: NaiveBayesParameters
    /// How the model was trained.
    public var training: TrainingSummary
    /// How scores become calibrated probabilities, and the abstention threshold.
    public var calibration: CalibrationSummary
    /// The most indicative features of each label, for `inspect` (names are placeholder-scrubbed tokens).
    public var topFeatures: [String: [WeightedFeature]]
    /// The languages of the training corpus, when it says (`fr`, `en`).
    public var languages: [String]

    /// Creates metadata.
    public init(formatVersion: Int = ModelFile.currentVersion, toolVersion: String = SwitchboardVersion.current, createdAt: Date,
                labels: [String], features: FeatureSettings, parameters: NaiveBayesParameters, training: TrainingSummary,
                calibration: CalibrationSummary, topFeatures: [String: [WeightedFeature]] = [:], languages: [String] = []) {
        self.formatVersion = formatVersion
        self.toolVersion = toolVersion
        self.createdAt = createdAt
        self.labels = labels
        self.features = features
        self.parameters = parameters
        self.training = training
        self.calibration = calibration
        self.topFeatures = topFeatures
        self.languages = languages
    }
}

/// A feature name and its weight.
public struct WeightedFeature: Sendable, Codable, Equatable {
    /// The readable name: `w:word`, `w:two words` or `c:[ab]`.
    public var name: String
    /// Its weight (log-odds of the label against the others, for inspection).
    public var weight: Double

    /// Creates a weighted feature.
    public init(name: String, weight: Double) {
        self.name = name
        self.weight = weight
    }
}

/// How the model was trained.
public struct TrainingSummary: Sendable, Codable, Equatable {
    /// The number of training messages.
    public var documents: Int
    /// The number of messages per label.
    public var documentsPerLabel: [String: Int]
    /// Checksum of the training examples, in hexadecimal: the sum (modulo 2^64) of each example's FNV-1a 64
    /// hash of `label TAB text`, so that it adds up like the statistics (learning, forgetting, merging) and
    /// does not depend on the order of the examples.
    public var corpusChecksum: String
    /// Cross-validation that chose the hyperparameters, if any.
    public var crossValidation: CrossValidationSummary?

    /// Creates a summary.
    public init(documents: Int, documentsPerLabel: [String: Int], corpusChecksum: String, crossValidation: CrossValidationSummary?) {
        self.documents = documents
        self.documentsPerLabel = documentsPerLabel
        self.corpusChecksum = corpusChecksum
        self.crossValidation = crossValidation
    }
}

/// The result of the cross-validated hyperparameter search.
public struct CrossValidationSummary: Sendable, Codable, Equatable {
    /// The number of folds.
    public var folds: Int
    /// The seed of the fold assignment.
    public var seed: UInt64
    /// Cross-validated accuracy of the chosen hyperparameters.
    public var accuracy: Double
    /// Cross-validated macro-F1 of the chosen hyperparameters.
    public var macroF1: Double
    /// Every candidate tried, with its cross-validated accuracy.
    public var candidates: [Candidate]

    /// One candidate of the search.
    public struct Candidate: Sendable, Codable, Equatable {
        /// The hyperparameters.
        public var parameters: NaiveBayesParameters
        /// Cross-validated accuracy.
        public var accuracy: Double
    }
}

/// Calibration of the model's confidence and the abstention threshold derived from it.
public struct CalibrationSummary: Sendable, Codable, Equatable {
    /// Scores are multiplied by this before the softmax (temperature scaling, fitted on cross-validated scores).
    public var scale: Double
    /// Expected calibration error of the cross-validated predictions before calibration (scale 1).
    public var eceBefore: Double?
    /// Expected calibration error of the cross-validated predictions after calibration.
    public var eceAfter: Double?
    /// The confidence below which a message should go to a person, chosen for ``targetPrecision``.
    public var abstentionThreshold: Double
    /// The precision automatic routing should reach above the threshold.
    public var targetPrecision: Double
    /// The share of cross-validated messages at or above the threshold.
    public var coverage: Double?
    /// Where the calibration comes from: `cross-validation` (training), `held-out` (`--calibrate` on learn or
    /// merge), `none` (a shard or a merge without calibration data); nil in models from before this field.
    public var source: String?
    /// The share of a message's word n-gram occurrences the model must know for it to be routed automatically:
    /// below it, the message is probably about something the model never learnt. Chosen as the
    /// ``knownSharePercentile``-th percentile of the cross-validated (or held-out) messages' shares; nil: no check.
    public var minimumKnownShare: Double?
    /// The percentile of messages the known-share check was set to send to a person (off by default since the
    /// word-likelihood check replaced it; 5 in models trained before).
    public var knownSharePercentile: Double?
    /// The mean log-probability per word, under the word model of the label a message is given, below which the
    /// message goes to a person: its words are unusual for that label, so it is probably about something the
    /// model never learnt. Chosen as the ``likelihoodPercentile``-th percentile of the cross-validated (or
    /// held-out) messages' values; nil: no check (a complement model, or a model from before this field).
    public var minimumWordLikelihood: Double?
    /// The percentile of messages the word-likelihood check was set to send to a person (5 by default).
    public var likelihoodPercentile: Double?

    /// Checks the values routing reads: a model file with a threshold of 5, a negative scale or a known share
    /// above 1 (its checksum made to match) used to load and send every message to a person.
    func validate() throws {
        func invalid(_ what: String, _ value: Double) -> SwitchboardError {
            SwitchboardError(.invalidModel, "the model's calibration is out of range: \(what) (got \(value))")
        }
        guard scale.isFinite, scale > 0, scale <= 1e6 else { throw invalid("the scale must be above 0 and at most 1e6", scale) }
        guard abstentionThreshold.isFinite, (0...1).contains(abstentionThreshold) else { throw invalid("the abstention threshold must be from 0 to 1", abstentionThreshold) }
        guard targetPrecision.isFinite, targetPrecision > 0, targetPrecision <= 1 else { throw invalid("the target precision must be above 0 and at most 1", targetPrecision) }
        if let share = minimumKnownShare, !(share.isFinite && (0...1).contains(share)) { throw invalid("the minimum known share must be from 0 to 1", share) }
        // Percentiles are used to index sorted values when recalibrating: 1e300 trapped there.
        for (name, percentile) in [("known-share", knownSharePercentile), ("likelihood", likelihoodPercentile)] {
            if let percentile, !(percentile.isFinite && percentile >= 0 && percentile < 100) { throw invalid("the \(name) percentile must be from 0 to below 100", percentile) }
        }
        // A mean log-probability is at most 0.
        if let likelihood = minimumWordLikelihood, !(likelihood.isFinite && likelihood <= 0) { throw invalid("the minimum word likelihood must be finite and at most 0", likelihood) }
    }

    /// Creates a calibration summary.
    public init(scale: Double, eceBefore: Double? = nil, eceAfter: Double? = nil, abstentionThreshold: Double = 0, targetPrecision: Double = 0.95,
                coverage: Double? = nil, source: String? = nil, minimumKnownShare: Double? = nil, knownSharePercentile: Double? = nil,
                minimumWordLikelihood: Double? = nil, likelihoodPercentile: Double? = nil) {
        self.source = source
        self.minimumWordLikelihood = minimumWordLikelihood
        self.likelihoodPercentile = likelihoodPercentile
        self.minimumKnownShare = minimumKnownShare
        self.knownSharePercentile = knownSharePercentile
        self.scale = scale
        self.eceBefore = eceBefore
        self.eceAfter = eceAfter
        self.abstentionThreshold = abstentionThreshold
        self.targetPrecision = targetPrecision
        self.coverage = coverage
    }

    /// No calibration: scale 1, no threshold.
    public static let identity = CalibrationSummary(scale: 1)
}
