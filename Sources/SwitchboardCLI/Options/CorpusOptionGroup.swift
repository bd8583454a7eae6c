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

    @Flag(help: "Skip malformed records (counting them) instead of stopping at the first.")
    var skipInvalid = false

    var options: CorpusOptions {
        var options = CorpusOptions()
        options.format = format
        options.textField = textField
        options.labelField = labelField
        options.skipInvalid = skipInvalid
        return options
    }

    /// Reads the inputs and reports skipped records on standard error.
    func read(_ inputs: [String]) throws -> [LabeledExample] {
        let result = try CorpusReader.read(inputs, options: options)
        if !result.skipped.isEmpty {
            for error in result.skipped.prefix(10) { Terminal.warn("skipped: \(error)") }
            if result.skipped.count > 10 { Terminal.warn("skipped \(result.skipped.count - 10) more malformed record(s)") }
            Terminal.warn("\(result.skipped.count) malformed record(s) skipped, \(result.examples.count) read")
        }
        return result.examples
    }
}

/// Options that shape features and the naive-Bayes model.
struct ModelOptionGroup: ParsableArguments {
    @Option(help: "Word n-gram range, e.g. 1-2.")
    var wordNgrams = "1-2"

    @Option(help: "Character n-gram range inside words, e.g. 2-5; 0 turns them off.")
    var charNgrams = "2-5"

    @Flag(help: "Keep accents (by default 'résilier' and 'resilier' are one feature).")
    var keepDiacritics = false

    @Option(help: "Naive-Bayes variant: multinomial or complement (default: chosen by cross-validation).")
    var variant: NaiveBayesParameters.Variant?

    @Option(help: "Lidstone smoothing (default: chosen by cross-validation).")
    var alpha: Double?

    @Option(help: "Weight of character n-grams against words, 0 to drop them (default: chosen by cross-validation).")
    var charWeight: Double?

    @Option(help: "Class priors: learnt or uniform (default: chosen by cross-validation).")
    var priors: String?

    @Flag(help: "Use raw term frequencies instead of 1 + log(tf).")
    var noSublinearTf = false

    @Option(help: "Inverse-document-frequency weighting: on or off (default: chosen by cross-validation).")
    var idf: String?

    @Flag(help: "Do not normalise message length.")
    var noNormalize = false

    @Option(help: "Cross-validation folds.")
    var folds = 5

    @Option(help: "Seed of the fold assignment.")
    var seed: UInt64 = 20_261_129

    @Option(help: "Precision that automatic routing should reach; sets the abstention threshold.")
    var targetPrecision = 0.95

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    func trainingOptions() throws -> TrainingOptions {
        var options = TrainingOptions()
        let words = try Self.range(wordNgrams, name: "--word-ngrams")
        let chars = charNgrams == "0" ? (0, 0) : try Self.range(charNgrams, name: "--char-ngrams")
        options.features = FeatureSettings(wordMinN: words.0, wordMaxN: words.1, charMinN: chars.0, charMaxN: chars.1, foldDiacritics: !keepDiacritics)
        options.variant = variant
        options.alpha = alpha
        options.charWeight = charWeight
        switch priors {
        case nil: options.uniformPriors = nil
        case "learnt", "learned": options.uniformPriors = false
        case "uniform": options.uniformPriors = true
        case let other?: throw ValidationError("--priors must be 'learnt' or 'uniform' (got '\(other)')")
        }
        options.sublinearTF = !noSublinearTf
        switch idf {
        case nil: options.idf = nil
        case "on": options.idf = true
        case "off": options.idf = false
        case let other?: throw ValidationError("--idf must be 'on' or 'off' (got '\(other)')")
        }
        options.normalizeLength = !noNormalize
        options.folds = folds
        options.seed = seed
        options.targetPrecision = targetPrecision
        if let threads {
            guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
            options.workers = threads
        }
        return options
    }

    static func range(_ text: String, name: String) throws -> (Int, Int) {
        let parts = text.split(separator: "-").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        if parts.count == 1, let n = parts[0] { return (n, n) }
        guard parts.count == 2, let low = parts[0], let high = parts[1] else {
            throw ValidationError("\(name) takes a range such as 1-2 (got '\(text)')")
        }
        return (low, high)
    }
}
