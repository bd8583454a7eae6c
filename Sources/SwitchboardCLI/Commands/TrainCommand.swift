import ArgumentParser
import Foundation
import Switchboard

/// `switchboard train`: learns a model from labelled corpora.
struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a naive-Bayes model from labelled corpora (TSV, JSONL, CSV, fastText or a directory per label).",
        discussion: """
            Hyperparameters not given are chosen by stratified k-fold cross-validation on the corpus (seeded, deterministic).
            With --max-features the corpus is streamed in chunks in bounded memory and cross-validation runs on a seeded \
            sample (--search-sample). With --shard the corpus is only counted (no cross-validation, no calibration): \
            merge the shards with `switchboard merge`, then calibrate on held-out data.
            """
    )

    @Option(name: .shortAndLong, help: "Where to write the model (atomically).")
    var output: String

    @Argument(help: "Corpus files or directories.")
    var inputs: [String]

    @OptionGroup var corpus: CorpusOptionGroup
    @OptionGroup var model: ModelOptionGroup

    @Flag(help: "Print the summary as JSON.")
    var json = false

    @Flag(help: "Print how long each stage took, on standard error.")
    var timings = false

    @Option(help: "Creation time to write into the model, as seconds since 1970 (default: now; for reproducible files).")
    var createdAt: Double?

    @Flag(help: "Only count the corpus's statistics (a shard to merge): no cross-validation, no calibration.")
    var shard = false

    @Option(help: "Take the feature settings and hyperparameters from this model (flags given still win): for shards.")
    var parametersFrom: String?

    @Option(help: "Stream the corpus in chunks and keep at most this many features, pruning the rarest (bounded memory).")
    var maxFeatures: Int?

    @Option(help: "Streamed training: messages in the cross-validation sample.")
    var searchSample = 5_000

    @Option(help: "Streamed training: megabytes of text per chunk.")
    var chunkMegabytes = 8.0

    @Option(help: "Corpora larger than this many megabytes are streamed with --max-features \(Self.automaticFeatureBudget) unless --max-features is given (0: never).")
    var streamAbove = 512.0

    /// The feature budget of a large corpus streamed without --max-features.
    static let automaticFeatureBudget = 2_000_000

    func validate() throws {
        try OptionChecks.integer(maxFeatures, "--max-features", in: 1...Int(Int32.max))
        try OptionChecks.integer(searchSample, "--search-sample", in: 2...Int(Int32.max))
        try OptionChecks.number(chunkMegabytes, "--chunk-megabytes", in: 0.001...4_096)
        try OptionChecks.number(streamAbove, "--stream-above", in: 0...1e9)
        // From 1970 to the end of year 9999: a date the model's metadata can be written and read back with.
        try OptionChecks.number(createdAt, "--created-at", in: 0...253_402_300_799)
    }

    func run() async throws {
        InterruptCleanup.install()
        try AtomicFile.checkOutput(output, notAnyOf: inputs)
        let start = Date()
        var options = try model.trainingOptions()
        if let createdAt { options.createdAt = Date(timeIntervalSince1970: createdAt) }
        options.progress = { stage in Terminal.progress("training: \(stage)") }
        if let parametersFrom {
            let reference = try ModelFile.read(from: parametersFrom)
            // The flags given have already fixed their hyperparameters; the reference fills the rest.
            options.features = reference.metadata.features
            options.fixFree(from: reference.metadata.parameters)
            // Unless --target-precision is given: it was overwritten here in silence.
            options.targetPrecision = model.targetPrecision ?? reference.metadata.calibration.targetPrecision
            try model.applyGivenFeatureFlags(to: &options)
        }
        options.shard = shard
        options.maxFeatures = maxFeatures
        // In memory, training holds every message's features (about 25 times the corpus's size): a corpus
        // of several hundred megabytes is streamed in bounded memory instead.
        let size = Self.totalBytes(inputs)
        if let budget = Self.automaticBudget(corpusBytes: size, maxFeatures: maxFeatures, streamAbove: streamAbove) {
            options.maxFeatures = budget
            Terminal.warn("note: the corpus is \(size / 1_048_576) MB: streaming it in bounded memory with --max-features \(Self.automaticFeatureBudget) (cross-validation on a sample of \(searchSample) messages); give --max-features or --stream-above 0 to choose")
        }
        options.searchSample = searchSample
        options.chunkBytes = max(1, Int(chunkMegabytes * 1_048_576))
        let report: TrainingReport
        var exampleCount = 0
        if shard || options.maxFeatures != nil {
            report = try Trainer.trainStreaming(options: options) { emit in
                try corpus.forEach(inputs) { example in
                    exampleCount += 1
                    try emit(example)
                }
            }
        } else {
            let examples = try corpus.read(inputs)
            exampleCount = examples.count
            Terminal.progress("training: \(examples.count) messages read")
            report = try Trainer.train(examples, options: options)
        }
        Terminal.endProgress()
        try ModelFile.write(report.model, to: output)
        for warning in report.warnings { Terminal.warn("warning: \(warning)") }
        // A corpus too small or too mixed for the precision target gives a threshold that routes (almost)
        // nothing; the model is still written, but it should not pass unnoticed. (A shard has no coverage: no warning.)
        if let warning = CalibrationWarnings.lowCoverage(report.model.metadata.calibration.coverage, of: "the cross-validated messages") {
            Terminal.warn(warning + String(format: " (the threshold is set for a precision of %.2f: more examples per label, or a lower --target-precision, help)",
                                           report.model.metadata.calibration.targetPrecision))
        }
        if timings {
            for (stage, seconds) in report.timings { Terminal.warn(String(format: "%8.3f s  %@", seconds, stage)) }
        }
        let m = report.model.metadata
        let cv = m.training.crossValidation
        if json {
            var fields: [String] = []
            fields.append("\"model\":\(JSONText.string(output))")
            fields.append("\"examples\":\(exampleCount)")
            fields.append("\"labels\":\(m.labels.count)")
            fields.append("\"features\":\(report.model.statistics.featureCount)")
            fields.append("\"parameters\":\(JSONText.string(m.parameters.description))")
            // null without cross-validation (a shard): 0 would read as a measured accuracy of nothing.
            fields.append("\"cv_accuracy\":\(cv.map { "\($0.accuracy)" } ?? "null")")
            fields.append("\"cv_macro_f1\":\(cv.map { "\($0.macroF1)" } ?? "null")")
            fields.append("\"abstention_threshold\":\(m.calibration.abstentionThreshold)")
            fields.append("\"seconds\":\(Date().timeIntervalSince(start))")
            print("{" + fields.joined(separator: ",") + "}")
        } else {
            print("trained \(output)")
            print("  examples        \(exampleCount)")
            print("  labels          \(m.labels.count)")
            print("  features        \(report.model.statistics.featureCount) (\(report.model.statistics.entryCount) label entries)")
            print("  hyperparameters \(m.parameters)\(shard ? " (a shard: merge it, then calibrate)" : "")")
            if let cv {
                print(String(format: "  cross-validated accuracy %.4f, macro-F1 %.4f (%d folds, %d candidates)", cv.accuracy, cv.macroF1, cv.folds, cv.candidates.count))
            }
            if shard {
                print("  calibration     none (a shard)")
            } else {
                print(String(format: "  calibration     scale %.3f, ECE %.3f -> %.3f", m.calibration.scale, m.calibration.eceBefore ?? 0, m.calibration.eceAfter ?? 0))
                print(String(format: "  abstention      confidence < %.3f goes to a person (precision target %.2f, coverage %.1f%%)",
                             m.calibration.abstentionThreshold, m.calibration.targetPrecision, 100 * (m.calibration.coverage ?? 0)))
                for line in NoveltyChecks.lines(m.calibration) { print("  novelty         " + line) }
            }
            print(String(format: "  time            %.2f s", Date().timeIntervalSince(start)))
        }
    }

    /// The feature budget to stream a corpus of `corpusBytes` with when no --max-features was given and it is
    /// larger than `streamAbove` megabytes (0: never); nil to train in memory (or as --max-features says).
    static func automaticBudget(corpusBytes: Int, maxFeatures: Int?, streamAbove: Double) -> Int? {
        guard maxFeatures == nil, streamAbove > 0, Double(corpusBytes) > streamAbove * 1_048_576 else { return nil }
        return automaticFeatureBudget
    }

    /// The total size of the input files (directories walked), in bytes.
    static func totalBytes(_ inputs: [String]) -> Int {
        let manager = FileManager.default
        var total = 0
        for input in inputs {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: input, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                let walker = manager.enumerator(atPath: input)
                while let name = walker?.nextObject() as? String {
                    let attributes = try? manager.attributesOfItem(atPath: (input as NSString).appendingPathComponent(name))
                    total += (attributes?[.size] as? NSNumber)?.intValue ?? 0
                }
            } else {
                total += ((try? manager.attributesOfItem(atPath: input))?[.size] as? NSNumber)?.intValue ?? 0
            }
        }
        return total
    }
}
