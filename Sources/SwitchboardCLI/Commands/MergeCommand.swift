import ArgumentParser
import Foundation
import Switchboard

/// `switchboard merge`: adds up the statistics of models (shards of one corpus, or models of two teams).
struct MergeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Add up the statistics of models trained with the same feature settings.",
        discussion: """
            Merging is exact, associative and commutative: with the same hyperparameters, the merge of models trained \
            on A and on B labels messages as a model trained on A and B together. The result's hyperparameters are the \
            models' own (they must agree), or those of --parameters-from, or the flags given. Calibration: --calibrate \
            fits it on labelled held-out data; otherwise it is carried over from --parameters-from, or left off \
            (confidence is the raw posterior, no abstention threshold) with a warning. Merge never cross-validates: \
            a hyperparameter flag not given keeps the models' value.
            """
    )

    @Option(name: .shortAndLong, help: "Where to write the merged model (atomically).")
    var output: String

    @Argument(help: "The models to merge.")
    var models: [String] = []

    @Option(help: "Take the hyperparameters and calibration from this model (flags given still win).")
    var parametersFrom: String?

    @OptionGroup var hyperparameters: HyperparameterOptionGroup

    @Option(parsing: .upToNextOption, help: "Labelled held-out data to calibrate the merged model on: every file after it, up to the next option (give the models before it).")
    var calibrate: [String] = []

    @Option(help: "Precision that automatic routing should reach (with --calibrate; default: 0.95).")
    var targetPrecision: Double?

    @OptionGroup var corpus: CorpusOptionGroup

    func validate() throws {
        guard !models.isEmpty else {
            throw ValidationError(calibrate.isEmpty ? "give the models to merge" : "give the models before --calibrate: every file after --calibrate is held-out data, up to the next option")
        }
        // Without --calibrate nothing uses it: it was ignored in silence.
        if targetPrecision != nil && calibrate.isEmpty { throw ValidationError("--target-precision sets the threshold of --calibrate: give held-out data with --calibrate") }
    }

    func run() async throws {
        InterruptCleanup.install()
        try AtomicFile.checkOutput(output, notAnyOf: calibrate)
        let inputs = try models.map { try ModelFile.read(from: $0) }
        var parameters: NaiveBayesParameters?
        var reference: NaiveBayesModel?
        if let parametersFrom {
            let model = try ModelFile.read(from: parametersFrom)
            // Its hyperparameters and calibration were fitted to other features: a model of character 3-4-grams
            // gave its threshold to a merge of 2-5-grams, and twice as many messages abstained.
            guard model.metadata.features == inputs[0].metadata.features else {
                throw SwitchboardError(.invalidArgument, "--parameters-from names a model of other feature settings (\(NaiveBayesModel.describe(model.metadata.features))) than the models merged (\(NaiveBayesModel.describe(inputs[0].metadata.features))): its hyperparameters and calibration do not apply to them", location: SourceLocation(file: parametersFrom))
            }
            parameters = model.metadata.parameters
            reference = model
        }
        if !hyperparameters.isEmpty {
            parameters = try hyperparameters.applied(to: parameters ?? inputs[0].metadata.parameters)
        }
        var merged = try NaiveBayesModel.merged(inputs, parameters: parameters, calibrationFrom: reference, names: models)
        if !calibrate.isEmpty {
            try OptionChecks.calibrationFiles(calibrate, before: "models")
            let heldOut = try corpus.read(calibrate)
            let result = try merged.recalibrated(on: heldOut, targetPrecision: targetPrecision ?? 0.95)
            merged = result.model
            let c = merged.metadata.calibration
            Terminal.warn(String(format: "calibrated on %d held-out messages: accuracy %.4f, scale %.3f, ECE %.3f -> %.3f, threshold %.3f (coverage %.1f%%)",
                                 heldOut.count, result.evaluation.accuracy, c.scale, c.eceBefore ?? 0, c.eceAfter ?? 0, c.abstentionThreshold, 100 * (c.coverage ?? 0)))
            for line in CalibrationWarnings.lines(heldOut: heldOut, labels: result.model.labels, coverage: result.model.metadata.calibration.coverage) { Terminal.warn(line) }
        } else if let reference {
            Terminal.warn("calibration and abstention threshold carried over from \(parametersFrom ?? ""): recalibrate with --calibrate HELDOUT for figures fitted to the merged model")
            if reference.metadata.calibration.minimumWordLikelihood != nil, merged.metadata.calibration.minimumWordLikelihood == nil {
                Terminal.warn("warning: the word-likelihood check (unusual words go to a person) is not carried over: \(parametersFrom ?? "") has other statistics or hyperparameters than the merged model; --calibrate HELDOUT sets it for the merged model")
            }
        } else {
            Terminal.warn("warning: the merged model is not calibrated (confidence is the raw posterior, no abstention threshold): pass --calibrate HELDOUT")
        }
        try ModelFile.write(merged, to: output)
        let s = merged.statistics
        print("merged \(models.count) model(s) into \(output)")
        print("  examples        \(merged.metadata.training.documents)")
        print("  labels          \(s.labels.count)")
        print("  features        \(s.featureCount) (\(s.entryCount) label entries)")
        print("  hyperparameters \(merged.metadata.parameters)")
        print("  calibration     \(merged.metadata.calibration.source ?? "unknown")")
    }
}
