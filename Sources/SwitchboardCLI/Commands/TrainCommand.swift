import ArgumentParser
import Foundation
import Switchboard

/// `switchboard train`: learns a model from labelled corpora.
struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a naive-Bayes model from labelled corpora (TSV, JSONL, CSV, fastText or a directory per label).",
        discussion: "Hyperparameters not given are chosen by stratified k-fold cross-validation on the corpus (seeded, deterministic)."
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

    func run() async throws {
        let start = Date()
        var options = try model.trainingOptions()
        if let createdAt { options.createdAt = Date(timeIntervalSince1970: createdAt) }
        options.progress = { stage in Terminal.progress("training: \(stage)") }
        let examples = try corpus.read(inputs)
        Terminal.progress("training: \(examples.count) messages read")
        let report = try Trainer.train(examples, options: options)
        Terminal.endProgress()
        try ModelFile.write(report.model, to: output)
        for warning in report.warnings { Terminal.warn("warning: \(warning)") }
        if timings {
            for (stage, seconds) in report.timings { Terminal.warn(String(format: "%8.3f s  %@", seconds, stage)) }
        }
        let m = report.model.metadata
        let cv = m.training.crossValidation
        if json {
            var fields: [String] = []
            fields.append("\"model\":\(JSONText.string(output))")
            fields.append("\"examples\":\(examples.count)")
            fields.append("\"labels\":\(m.labels.count)")
            fields.append("\"features\":\(report.model.statistics.featureCount)")
            fields.append("\"parameters\":\(JSONText.string(m.parameters.description))")
            fields.append("\"cv_accuracy\":\(cv?.accuracy ?? 0)")
            fields.append("\"cv_macro_f1\":\(cv?.macroF1 ?? 0)")
            fields.append("\"abstention_threshold\":\(m.calibration.abstentionThreshold)")
            fields.append("\"seconds\":\(Date().timeIntervalSince(start))")
            print("{" + fields.joined(separator: ",") + "}")
        } else {
            print("trained \(output)")
            print("  examples        \(examples.count)")
            print("  labels          \(m.labels.count)")
            print("  features        \(report.model.statistics.featureCount) (\(report.model.statistics.entryCount) label entries)")
            print("  hyperparameters \(m.parameters)")
            if let cv {
                print(String(format: "  cross-validated accuracy %.4f, macro-F1 %.4f (%d folds, %d candidates)", cv.accuracy, cv.macroF1, cv.folds, cv.candidates.count))
            }
            print(String(format: "  calibration     scale %.3f, ECE %.3f -> %.3f", m.calibration.scale, m.calibration.eceBefore ?? 0, m.calibration.eceAfter ?? 0))
            print(String(format: "  abstention      confidence < %.3f goes to a person (precision target %.2f, coverage %.1f%%)",
                         m.calibration.abstentionThreshold, m.calibration.targetPrecision, 100 * (m.calibration.coverage ?? 0)))
            print(String(format: "  time            %.2f s", Date().timeIntervalSince(start)))
        }
    }
}
