import ArgumentParser
import Switchboard

extension CorpusFormat: ExpressibleByArgument {}
extension NaiveBayesParameters.Variant: ExpressibleByArgument {}

/// Options that say how to read a labelled corpus.
struct CorpusOptionGroup: ParsableArguments {
    @Option(help: "Corpus format: auto, tsv, jsonl, csv, fasttext or directory.")
    var format: CorpusFormat = .auto

    @Option(help: "The text field (JSONL) or column (CSV).")
    var textField = "text"

    @Option(help: "The label field (JSONL) or column (CSV).")
    var labelField = "label"

    @Option(help: "The id field (JSONL) or column (CSV), read when present.")
    var idField = "id"

    @Flag(help: "Skip malformed records (counting them) instead of stopping at the first.")
    var skipInvalid = false

    var options: CorpusOptions {
        var options = CorpusOptions()
        options.format = format
        options.textField = textField
        options.labelField = labelField
        options.idField = idField
        options.skipInvalid = skipInvalid
        return options
    }

    /// Streams the inputs one example at a time, reporting skipped records on standard error at the end.
    func forEach(_ inputs: [String], _ body: (LabeledExample) throws -> Void) throws {
        var skipped: [SwitchboardError] = []
        var read = 0
        try CorpusReader.forEach(inputs, options: options, skipped: { skipped.append($0) }) { example in
            read += 1
            try body(example)
        }
        Self.report(skipped: skipped, read: read)
    }

    static func report(skipped: [SwitchboardError], read: Int) {
        guard !skipped.isEmpty else { return }
        for error in skipped.prefix(10) { Terminal.warn("skipped: \(error)") }
        if skipped.count > 10 { Terminal.warn("skipped \(skipped.count - 10) more malformed record(s)") }
        Terminal.warn("\(skipped.count) malformed record(s) skipped, \(read) read")
    }

    /// Reads the inputs and reports skipped records on standard error.
    func read(_ inputs: [String]) throws -> [LabeledExample] {
        let result = try CorpusReader.read(inputs, options: options)
        Self.report(skipped: result.skipped, read: result.examples.count)
        return result.examples
    }
}

/// Options that shape features and the naive-Bayes model.
struct ModelOptionGroup: ParsableArguments {
    // Optional, so that `train --parameters-from` can tell a range given from the default (the given one wins).
    @Option(help: "Word n-gram range, e.g. 1-2 (default: 1-2).")
    var wordNgrams: String?

    @Option(help: "Character n-gram range inside words (and placeholders, emojis and ? !), e.g. 2-5; 0 turns them off (default: 2-5).")
    var charNgrams: String?

    @Flag(help: "Keep accents (by default 'résilier' and 'resilier' are one feature).")
    var keepDiacritics = false

    @Flag(help: "No feature for the message's length in words (by default short messages such as 'ok thanks' carry their length as evidence).")
    var noLengthFeature = false

    @Flag(help: "Character n-grams of words only (by default placeholders such as <phone> or <url>, emojis and ? ! get them too, so that a link or a price counts among the character features).")
    var noSymbolCharNgrams = false

    @OptionGroup var hyperparameters: HyperparameterOptionGroup

    @Flag(help: "Use raw term frequencies instead of 1 + log(tf).")
    var noSublinearTf = false

    @Flag(help: "Do not normalise message length.")
    var noNormalize = false

    @Option(help: "Cross-validation folds (default: 5).")
    var folds: Int?

    @Option(help: "Seed of the fold assignment.")
    var seed: UInt64 = 20_261_129

    @Option(help: "Precision that automatic routing should reach; sets the abstention threshold (default: 0.95; train --parameters-from: that model's).")
    var targetPrecision: Double?

    @Option(help: "Send to a person the messages whose words are the most unusual for the label they get: the percentile of cross-validated messages this check is set for (0 turns it off).")
    var likelihoodPercentile = 5.0

    @Option(help: "Send to a person the messages with the fewest known words: the percentile of cross-validated messages this older check is set for (0 turns it off; default: the likelihood percentile for complement models, which have no word likelihood, off for the others).")
    var knownSharePercentile: Double?

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    func validate() throws {
        try OptionChecks.threads(threads)
        // As `eval --cv`: 3,050 folds of a 6,100-message corpus left no row per fold in the search's sample.
        try OptionChecks.integer(folds, "--folds", in: 2...1_000)
    }

    func trainingOptions() throws -> TrainingOptions {
        var options = TrainingOptions()
        try applyGivenFeatureFlags(to: &options)
        try hyperparameters.apply(to: &options)
        options.folds = folds ?? 5
        options.seed = seed
        options.targetPrecision = targetPrecision ?? 0.95
        options.knownSharePercentile = knownSharePercentile
        options.likelihoodPercentile = likelihoodPercentile
        if let threads { options.workers = threads }  // in range: validate() checked it
        return options
    }

    /// Sets the feature settings and term weighting that the flags given change, and only those: over the
    /// defaults for an ordinary training, over the settings of `--parameters-from`'s model for a shard (which
    /// used to drop them silently: `--char-ngrams 3-4` gave a 2-5 shard).
    func applyGivenFeatureFlags(to options: inout TrainingOptions) throws {
        if let wordNgrams {
            let words = try Self.range(wordNgrams, name: "--word-ngrams")
            options.features.wordMinN = words.0
            options.features.wordMaxN = words.1
        }
        if let charNgrams {
            let chars = charNgrams == "0" ? (0, 0) : try Self.range(charNgrams, name: "--char-ngrams")
            options.features.charMinN = chars.0
            options.features.charMaxN = chars.1
        }
        if keepDiacritics { options.features.foldDiacritics = false }
        if noLengthFeature { options.features.lengthFeature = false }
        if noSymbolCharNgrams { options.features.symbolCharNgrams = false }
        if noSublinearTf { options.sublinearTF = false }
        if noNormalize { options.normalizeLength = false }
    }

    static func range(_ text: String, name: String) throws -> (Int, Int) {
        // Split on every "-", empty pieces kept: "-1" and "1--2" are errors, not 1-1 and 1-2.
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        if parts.count == 1, let n = parts[0], n >= 1 { return (n, n) }
        guard parts.count == 2, let low = parts[0], let high = parts[1], low >= 1, low <= high else {
            throw ValidationError("\(name) takes a size or a range of sizes from 1 up, such as 2 or 1-2 (got '\(text)')")
        }
        return (low, high)
    }
}

/// The naive-Bayes hyperparameters applied at scoring time (not baked into the statistics).
struct HyperparameterOptionGroup: ParsableArguments {
    @Option(help: "Naive-Bayes variant: multinomial or complement (default: chosen by cross-validation; merge: the models' own).")
    var variant: NaiveBayesParameters.Variant?

    @Option(help: "Lidstone smoothing (default: chosen by cross-validation; merge: the models' own).")
    var alpha: Double?

    @Option(help: "Weight of character n-grams against words, 0 to drop them (default: chosen by cross-validation; merge: the models' own).")
    var charWeight: Double?

    @Option(help: "Class priors: learnt or uniform (default: chosen by cross-validation; merge: the models' own).")
    var priors: String?

    @Option(help: "Inverse-document-frequency weighting: on or off (default: chosen by cross-validation; merge: the models' own).")
    var idf: String?

    var uniformPriors: Bool? {
        get throws {
            switch priors {
            case nil: return nil
            case "learnt", "learned": return false
            case "uniform": return true
            case let other?: throw ValidationError("--priors must be 'learnt' or 'uniform' (got '\(other)')")
            }
        }
    }

    var useIDF: Bool? {
        get throws {
            switch idf {
            case nil: return nil
            case "on": return true
            case "off": return false
            case let other?: throw ValidationError("--idf must be 'on' or 'off' (got '\(other)')")
            }
        }
    }

    /// Whether any hyperparameter was given.
    var isEmpty: Bool { variant == nil && alpha == nil && charWeight == nil && priors == nil && idf == nil }

    /// Fixes the given hyperparameters in training options (the others stay free for cross-validation).
    func apply(to options: inout TrainingOptions) throws {
        if let variant { options.variant = variant }
        if let alpha { options.alpha = alpha }
        if let charWeight { options.charWeight = charWeight }
        if let uniform = try uniformPriors { options.uniformPriors = uniform }
        if let useIDF = try useIDF { options.idf = useIDF }
    }

    /// `parameters` with the given hyperparameters replaced.
    func applied(to parameters: NaiveBayesParameters) throws -> NaiveBayesParameters {
        var p = parameters
        if let variant { p.variant = variant }
        if let alpha { p.alpha = alpha }
        if let charWeight { p.charWeight = charWeight }
        if let uniform = try uniformPriors { p.uniformPriors = uniform }
        if let useIDF = try useIDF { p.idf = useIDF }
        return p
    }
}
