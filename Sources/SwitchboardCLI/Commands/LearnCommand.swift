import ArgumentParser
import Foundation
import Switchboard
import SwitchboardServer

/// `switchboard learn`: updates a model with agents' corrections, or forgets corrections learnt before.
struct LearnCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "learn",
        abstract: "Update a model with labelled corrections (JSONL, TSV, CSV or the service's feedback database), or --forget them.",
        discussion: """
            Each correction is learnt once under its id (JSONL/CSV 'id' field, the feedback database's id; without one, \
            its label and text): fed twice, it is counted once. --forget takes back exactly what was learnt, so learning \
            then forgetting gives back the same model file. Hyperparameters, calibration and the abstention threshold \
            are carried over unchanged unless --calibrate gives labelled held-out data to refit them on.
            """
    )

    @Option(name: .shortAndLong, help: "The model to update.")
    var model: String

    @Option(name: .shortAndLong, help: "Where to write the updated model (atomically; may be the same file).")
    var output: String

    @Argument(help: "Corrections: .jsonl, .tsv, .csv files, or a feedback database (.sqlite, .db) written by `switchboard serve`.")
    var inputs: [String] = []

    @Flag(help: "Forget these corrections (learnt before) instead of learning them.")
    var forget = false

    // Every file up to the next option: with one file per --calibrate, `--calibrate test/*.jsonl corrections.jsonl`
    // calibrated on the first file and learnt the rest of the held-out set as corrections, with exit 0.
    @Option(parsing: .upToNextOption, help: "Labelled held-out data to recalibrate the updated model on: every file after it, up to the next option (give the corrections before it).")
    var calibrate: [String] = []

    @Option(help: "Precision that automatic routing should reach (with --calibrate; default: the model's).")
    var targetPrecision: Double?

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @Option(name: .shortAndLong, help: "The routing policy, to name only the new labels it has no queue for.")
    var policy: String?

    @OptionGroup var corpus: CorpusOptionGroup

    func validate() throws {
        guard !inputs.isEmpty else {
            if !calibrate.isEmpty {
                throw ValidationError("give the corrections before --calibrate: every file after --calibrate is held-out data, up to the next option")
            }
            throw ValidationError("give the corrections to learn (or forget): JSONL, TSV or CSV files, or a feedback database")
        }
        try OptionChecks.threads(threads)
        if targetPrecision != nil && calibrate.isEmpty {
            throw ValidationError("--target-precision sets the threshold of a recalibration: give --calibrate HELDOUT too")
        }
    }

    func run() async throws {
        InterruptCleanup.install()
        // `-o` may be the model itself (updated in place), but not the policy, which it replaced with a model.
        try AtomicFile.checkOutput(output, notAnyOf: inputs + calibrate + (policy.map { [$0] } ?? []))
        let base = try ModelFile.read(from: model)
        var corrections: [LabeledExample] = []
        var skipped: [SwitchboardError] = []
        for input in inputs {
            if ["sqlite", "sqlite3", "db"].contains(URL(fileURLWithPath: input).pathExtension.lowercased()) {
                for (index, row) in try FeedbackStore.readRows(path: input).enumerated() {
                    switch row {
                    case .success(let record):
                        corrections.append(LabeledExample(text: record.text, label: record.label, location: SourceLocation(file: input, index: index), id: record.id))
                    case .failure(let error):
                        skipped.append(error)
                    }
                }
            } else {
                try CorpusReader.forEach([input], options: corpus.options, skipped: { skipped.append($0) }) { corrections.append($0) }
            }
        }
        let report = try base.learning(corrections, forget: forget, workers: threads)
        let rejected = skipped + report.rejected
        for error in rejected.prefix(20) { Terminal.warn("rejected: \(error)") }
        if rejected.count > 20 { Terminal.warn("rejected \(rejected.count - 20) more correction(s)") }
        let verb = forget ? "forgotten" : "learnt"
        let summary = "\(corrections.count + skipped.count) correction(s) read: \(report.applied) \(verb), \(report.unchanged) already \(verb), \(rejected.count) rejected"
        if !rejected.isEmpty && !corpus.skipInvalid {
            throw SwitchboardError(.malformedRecord, "\(summary); nothing written (fix them, or pass --skip-invalid to apply the others)")
        }
        var updated = report.model
        let routing = try policy.map { try RoutingPolicy.load(from: $0, labels: report.model.labels) }
        for warning in Self.labelWarnings(report.labelChanges, forget: forget, policy: routing, policyPath: policy) { Terminal.warn(warning) }
        if !calibrate.isEmpty {
            try OptionChecks.calibrationFiles(calibrate, before: "corrections")
            let heldOut = try corpus.read(calibrate)
            // Messages just learnt are not held out: calibrated on them, the model looks sure of everything
            // (calibrating on the corrections file itself gave accuracy 1.0, a scale of 30, and a model that
            // routed 72 of 1,541 test messages).
            let learntTexts = Set(corrections.map(\.text))
            let overlap = heldOut.filter { learntTexts.contains($0.text) }.count
            if overlap * 2 > heldOut.count {
                throw SwitchboardError(.invalidArgument, "\(overlap) of the \(heldOut.count) --calibrate messages are among the corrections being learnt: they are not held out; calibrate on messages the model has not seen")
            } else if overlap > 0 {
                Terminal.warn("warning: \(overlap) of the \(heldOut.count) --calibrate messages are among the corrections being learnt, so they are not held out; the calibration will be somewhat overconfident")
            }
            let result = try updated.recalibrated(on: heldOut, targetPrecision: targetPrecision ?? base.metadata.calibration.targetPrecision)
            updated = result.model
            let c = updated.metadata.calibration
            Terminal.warn(String(format: "recalibrated on %d held-out messages: accuracy %.4f, scale %.3f, threshold %.3f (coverage %.1f%%)",
                                 heldOut.count, result.evaluation.accuracy, c.scale, c.abstentionThreshold, 100 * (c.coverage ?? 0)))
            for line in CalibrationWarnings.lines(heldOut: heldOut, labels: result.model.labels, coverage: result.model.metadata.calibration.coverage) { Terminal.warn(line) }
        }
        try ModelFile.write(updated, to: output)
        print(summary)
        print("wrote \(output): \(updated.metadata.training.documents) examples, \(updated.labels.count) labels, \(updated.statistics.learntCount) learnt correction(s)")
        if calibrate.isEmpty && report.applied > 0 {
            print("calibration and abstention threshold carried over unchanged; recalibrate with --calibrate HELDOUT after many corrections")
        }
    }

    /// What to tell about labels the update added (or removed, when forgetting): a new label needs a queue in
    /// the routing policy; with the policy given, only the labels it has no queue for are named.
    ///
    /// Ten at most, the rest counted: corrections with their columns the wrong way round made one warning per
    /// message, its text quoted.
    static func labelWarnings(_ labels: [String], forget: Bool, policy: RoutingPolicy?, policyPath: String?) -> [String] {
        let all = allLabelWarnings(labels, forget: forget, policy: policy, policyPath: policyPath)
        guard all.count > 10 else { return all }
        return Array(all.prefix(10)) + ["warning: \(all.count - 10) more labels \(forget ? "were removed" : "are new") (\(all.count) in all: are the label and text columns the right way round?)"]
    }

    private static func allLabelWarnings(_ labels: [String], forget: Bool, policy: RoutingPolicy?, policyPath: String?) -> [String] {
        labels.compactMap { label in
            if forget { return "warning: label '\(label)' has no message left and was removed from the model" }
            guard let policy else {
                return "warning: new label '\(label)': give it a queue in the routing policy, or its messages go to a queue of its own name"
            }
            guard policy.labelsWithoutEntry.contains(label) else { return nil }
            return "warning: new label '\(label)' has no queue in \(policyPath ?? "the policy"): its messages will go to a queue of its own name, '\(label)' (priority 3), until the policy gets an entry for it"
        }
    }
}
