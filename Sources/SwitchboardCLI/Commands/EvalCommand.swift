import ArgumentParser
import Foundation
import Switchboard

/// `switchboard eval`: accuracy, macro-F1, per-label scores and confusions on labelled data.
struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a model on labelled data, or cross-validate training settings with --cv K."
    )

    @Option(name: .shortAndLong, help: "The model file (not with --cv).")
    var model: String?

    @Option(help: "Cross-validate with K folds on the inputs instead of evaluating a model.")
    var cv: Int?

    @Flag(help: "Print one JSON object.")
    var json = false

    @Argument(help: "Labelled corpus files or directories.")
    var inputs: [String]

    @OptionGroup var corpus: CorpusOptionGroup
    @OptionGroup var training: ModelOptionGroup

    func validate() throws {
        guard (model == nil) != (cv == nil) else { throw ValidationError("give either --model MODEL or --cv K") }
        try OptionChecks.integer(cv, "--cv", in: 2...1_000)
        // `eval --cv K` runs K folds; --folds did nothing here, in silence.
        if training.folds != nil { throw ValidationError("eval takes its number of folds from --cv K, not --folds") }
    }

    func run() async throws {
        let examples = try corpus.read(inputs)
        guard !examples.isEmpty else { throw SwitchboardError(.insufficientData, "no labelled example was read") }
        let evaluation: Evaluation
        var note = ""
        if let path = model {
            let classifier = try ModelFile.read(from: path)
            if let warning = Self.unknownLabelWarning(examples.map(\.label), modelLabels: classifier.labels) { Terminal.warn(warning) }
            let predictions = classifier.classifyBatch(examples.map(\.text))
            evaluation = Evaluation(truth: examples.map(\.label), predicted: predictions.map(\.label))
        } else {
            var options = try training.trainingOptions()
            options.folds = cv ?? 5
            guard options.folds <= examples.count else {
                throw SwitchboardError(.insufficientData, "--cv \(options.folds) asks for more folds than the \(examples.count) example(s) read")
            }
            let result = try Trainer.crossValidate(examples, options: options)
            evaluation = result.evaluation
            for warning in result.warnings { Terminal.warn("warning: \(warning)") }
            // The folds used: no more than the largest label's examples (`--cv 10` on labels of 2 used 2).
            note = "\(result.folds)-fold cross-validation" + (result.folds < options.folds ? " (\(options.folds) asked; the largest label has \(result.folds) examples)" : "")
                + ", \(result.parameters)"
        }
        if json {
            print(Self.json(evaluation))
        } else {
            if !note.isEmpty { print(note) }
            print(Self.text(evaluation))
        }
    }

    /// A warning when examples carry labels the model does not have (they all count as errors: a test set of
    /// another task scored 0.0000 without a word), naming a few, and saying when they differ only in case.
    static func unknownLabelWarning(_ truth: [String], modelLabels: [String]) -> String? {
        guard let unknown = CalibrationWarnings.unknownLabels(truth, modelLabels: modelLabels) else { return nil }
        var warning = "warning: \(unknown.count) of \(truth.count) example(s) have a label the model does not have, so they all count as errors: " + unknown.names
        let byCase = Dictionary(modelLabels.map { ($0.lowercased(), $0) }, uniquingKeysWith: { a, _ in a })
        let caseOnly = unknown.distinct.compactMap { name in byCase[name.lowercased()].map { "'\(name)' for '\($0)'" } }
        if !caseOnly.isEmpty { warning += " (differing only in case: " + caseOnly.prefix(5).joined(separator: ", ") + ")" }
        return warning + "; the model's labels: " + modelLabels.prefix(20).joined(separator: ", ") + (modelLabels.count > 20 ? ", ..." : "")
    }

    static func json(_ e: Evaluation) -> String {
        var out = "{\"count\":\(e.count),\"accuracy\":"
        JSONText.appendNumber(e.accuracy, to: &out)
        out += ",\"macro_f1\":"
        JSONText.appendNumber(e.macroF1, to: &out)
        out += ",\"per_label\":{"
        for (i, label) in e.labels.enumerated() {
            guard let s = e.perLabel[label] else { continue }
            if i > 0 { out += "," }
            JSONText.appendString(label, to: &out)
            out += ":{\"precision\":"
            JSONText.appendNumber(s.precision, to: &out)
            out += ",\"recall\":"
            JSONText.appendNumber(s.recall, to: &out)
            out += ",\"f1\":"
            JSONText.appendNumber(s.f1, to: &out)
            out += ",\"support\":\(s.support)}"
        }
        out += "},\"labels\":[" + e.labels.map(JSONText.string).joined(separator: ",") + "]"
        out += ",\"confusion\":[" + e.confusion.map { "[" + $0.map(String.init).joined(separator: ",") + "]" }.joined(separator: ",") + "]}"
        return out
    }

    static func text(_ e: Evaluation) -> String {
        var lines = [String(format: "examples %d   accuracy %.4f   macro-F1 %.4f", e.count, e.accuracy, e.macroF1), ""]
        let width = max(12, (e.labels.map(\.count).max() ?? 0) + 2)
        lines.append("label".padding(toLength: width, withPad: " ", startingAt: 0) + " precision  recall      f1  support")
        for label in e.labels {
            guard let s = e.perLabel[label] else { continue }
            lines.append(label.padding(toLength: width, withPad: " ", startingAt: 0) + String(format: "    %.4f  %.4f  %.4f  %7d", s.precision, s.recall, s.f1, s.support))
        }
        let confused = e.mostConfused(10)
        if !confused.isEmpty {
            lines.append("")
            lines.append("most confused (truth -> predicted):")
            for pair in confused { lines.append("  \(pair.count)\t\(pair.truth) -> \(pair.predicted)") }
        }
        return lines.joined(separator: "\n")
    }
}
