import ArgumentParser
import Foundation
import Testing
@testable import SwitchboardCLI
import Switchboard

@Suite("Options out of range")
struct OptionRangeTests {
    /// Each of these used to crash the process (an overflow or a conversion trap) or be accepted silently.
    @Test("refused with a usage error that names the option", arguments: [
        ["train", "-o", "m.sbm", "--chunk-megabytes", "nan", "c.tsv"],
        ["train", "-o", "m.sbm", "--chunk-megabytes", "1e308", "c.tsv"],
        ["train", "-o", "m.sbm", "--max-features", "4611686018427387904", "c.tsv"],
        ["train", "-o", "m.sbm", "--created-at", "nan", "c.tsv"],
        ["train", "-o", "m.sbm", "--created-at", "-1e20", "c.tsv"],
        ["train", "-o", "m.sbm", "--threads", "9223372036854775807", "c.tsv"],
        ["classify", "-m", "m.sbm", "--threads", "0"],
        ["classify", "-m", "m.sbm", "--threads", "-5"],
        ["classify", "-m", "m.sbm", "--text", "hi", "file.txt"],
        ["route", "-m", "m.sbm", "--text", "hi", "file.txt"],
        ["batch", "-m", "m.sbm", "--threads", "99999", "in.jsonl"],
        ["learn", "-m", "m.sbm", "-o", "n.sbm", "--threads", "0", "c.jsonl"],
        ["train", "-o", "m.sbm", "--folds", "3050", "c.tsv"],
        ["train", "-o", "m.sbm", "--folds", "1", "c.tsv"],
        ["train", "-o", "m.sbm", "--search-sample", "1", "--max-features", "1000", "c.tsv"],
        ["eval", "--cv", "1", "c.tsv"],
        ["eval", "--cv", "1000000", "c.tsv"],
        ["inspect", "m.sbm", "--top=-1"],
        ["eval", "--cv", "2", "--folds", "7", "c.tsv"],
        ["merge", "-o", "m.sbm", "--target-precision", "0.8", "a.sbm"],
        ["serve", "-m", "m.sbm", "--no-feedback", "--feedback-db", "f.sqlite"],
    ])
    func refused(_ arguments: [String]) throws {
        do {
            _ = try SwitchboardCommand.parseAsRoot(arguments)
            Issue.record("accepted: \(arguments.joined(separator: " "))")
        } catch {
            let message = SwitchboardCommand.message(for: error)
            let option = arguments.first { $0.hasPrefix("--") && $0 != "--text" } ?? "--text"
            #expect(message.contains(option.split(separator: "=").first.map(String.init) ?? option), "\(message)")
        }
    }

    @Test("n-gram ranges: sizes from 1 up, low before high", arguments: ["-1", "-3", "1--2", "0-2", "3-2", "a-b"])
    func ngramRanges(_ range: String) throws {
        #expect(throws: (any Error).self) { _ = try ModelOptionGroup.range(range, name: "--word-ngrams") }
    }

    @Test func ngramRangesThatAreFine() throws {
        #expect(try ModelOptionGroup.range("2", name: "--char-ngrams") == (2, 2))
        #expect(try ModelOptionGroup.range("2-5", name: "--char-ngrams") == (2, 5))
    }

    @Test("inspect --json keeps --top features per label")
    func inspectJSONTop() async throws {
        let model = repositoryRootForCLI + "/models/default.sbm"
        let pipe = Pipe()
        let process = Process()
        process.executableURL = try ServeProcessTests.executable()
        process.arguments = ["inspect", model, "--json", "--top", "2"]
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let features = try #require(object["top_features"] as? [String: [Any]])
        #expect(!features.isEmpty)
        #expect(features.values.allSatisfy { $0.count == 2 })
        // snake_case keys, as GET /v1/model's; labels (map keys) as they are.
        let calibration = try #require(object["calibration"] as? [String: Any])
        #expect(calibration["ece_before"] is Double && calibration["abstention_threshold"] is Double)
        let training = try #require(object["training"] as? [String: Any])
        #expect(training["learnt_corrections"] as? Int == 0)
        #expect((training["documents_per_label"] as? [String: Any])?["claim_followup"] != nil)
        #expect(object["feature_count"] is Int && (object["parameters"] as? [String: Any])?["sublinear_tf"] != nil)
        #expect("macroF1".snakeCased == "macro_f1" && "charMaxN".snakeCased == "char_max_n")
        #expect((object["features"] as? [String: Any])?["symbol_char_ngrams"] as? Bool == true)
    }

    /// A model without the character n-grams of placeholders (as every model written before the setting) says so in
    /// `inspect --json`, although its file leaves the setting out.
    @Test func inspectJSONSaysTheSymbolNgramsAreOff() async throws {
        let directory = NSTemporaryDirectory() + "inspect-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let corpus = directory + "/c.tsv"
        try Data("claim\taccident de voiture\nclaim\tdegat des eaux cuisine\nbilling\tfacture trop chere\nbilling\tprelevement en double\n".utf8)
            .write(to: URL(fileURLWithPath: corpus))
        try await TrainCommand.parse(["--output", directory + "/m.sbm", "--no-symbol-char-ngrams", "--folds", "2", corpus]).run()
        let pipe = Pipe()
        let process = Process()
        process.executableURL = try ServeProcessTests.executable()
        process.arguments = ["inspect", directory + "/m.sbm", "--json"]
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect((object["features"] as? [String: Any])?["symbol_char_ngrams"] as? Bool == false)
    }

    /// A full disk used to crash `classify` and `route` (a trap inside `FileHandle.write`) and end `inspect` and
    /// `eval` with status 0 and a truncated report.
    @Test("a standard output that cannot be written is an error, not a crash or a silent loss", arguments: [
        ["inspect", "MODEL"],
        ["route", "-m", "MODEL", "--text", "mon pare-brise est fissuré"],
        ["classify", "-m", "MODEL", "--text", "mon pare-brise est fissuré"],
    ])
    func fullStandardOutput(_ template: [String]) throws {
        guard let full = FileHandle(forWritingAtPath: "/dev/full") else { return }  // not every system has one
        let model = repositoryRootForCLI + "/models/default.sbm"
        let errors = Pipe()
        let process = Process()
        process.executableURL = try ServeProcessTests.executable()
        process.arguments = template.map { $0 == "MODEL" ? model : $0 }
        process.standardOutput = full
        process.standardError = errors
        try process.run()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 1)
        #expect(stderr.contains("cannot write to standard output"), "\(stderr)")
    }
}

@Suite("Calibration warnings")
struct CalibrationWarningTests {
    @Test func heldOutLabelsTheModelLacksAndAThresholdThatRoutesNothingAreSaid() {
        let heldOut = [LabeledExample(text: "a", label: "claim"), LabeledExample(text: "b", label: "ham"), LabeledExample(text: "c", label: "ham")]
        let lines = CalibrationWarnings.lines(heldOut: heldOut, labels: ["claim", "billing"], coverage: 0.01)
        #expect(lines.count == 2)
        #expect(lines.first?.contains("2 of the 3 held-out messages") == true)
        #expect(lines.first?.contains("ham") == true)
        #expect(lines.last?.contains("1.0%") == true)
        #expect(CalibrationWarnings.lines(heldOut: Array(heldOut.prefix(1)), labels: ["claim"], coverage: 0.9).isEmpty)
    }

    /// `train` on a corpus too small for the precision target wrote a model that routed nothing, with exit status
    /// 0 and no word; it now says so with the same rule as `learn` and `merge`.
    @Test func aThresholdThatRoutesAlmostNothingIsSaidAfterTrainingToo() throws {
        #expect(CalibrationWarnings.lowCoverage(0.9, of: "the cross-validated messages") == nil)
        #expect(CalibrationWarnings.lowCoverage(nil, of: "the cross-validated messages") == nil)
        let six = (0..<6).map { LabeledExample(text: "message number \($0)", label: "label\($0)") }
        let model = try Trainer.train(six).model
        let warning = CalibrationWarnings.lowCoverage(model.metadata.calibration.coverage, of: "the cross-validated messages")
        #expect(warning?.contains("only 0.0% of the cross-validated messages") == true)
    }

    @Test func targetPrecisionWithoutCalibrationIsRefused() {
        #expect(throws: (any Error).self) { _ = try SwitchboardCommand.parseAsRoot(["learn", "-m", "m.sbm", "-o", "n.sbm", "--target-precision", "0.9", "c.jsonl"]) }
    }
}
