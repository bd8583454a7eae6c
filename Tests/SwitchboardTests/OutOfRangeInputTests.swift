import Foundation
import Testing
@testable import Switchboard

// Inputs a robustness sweep of the command-line tool found handled badly: each used to crash, hang, replace
// a file it should not have, or be accepted and then break what read it.

private func rangeTestDirectory() throws -> String {
    let directory = NSTemporaryDirectory() + "switchboard-range-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    return directory
}

@Suite("Atomic writes keep what is not a regular file")
struct AtomicDestinationTests {
    @Test("a symbolic link stays a link, and the file it points to gets the new bytes")
    func symbolicLink() throws {
        let directory = try rangeTestDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data("old".utf8).write(to: URL(fileURLWithPath: directory + "/target"))
        try FileManager.default.createSymbolicLink(atPath: directory + "/link", withDestinationPath: "target")
        try AtomicFile.write(Data("new".utf8), to: directory + "/link")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: directory + "/link") == "target")
        #expect(try String(contentsOfFile: directory + "/target", encoding: .utf8) == "new")

        let writer = try AtomicFileWriter(path: directory + "/link")
        try writer.write("streamed")
        try writer.commit()
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: directory + "/link") == "target")
        #expect(try String(contentsOfFile: directory + "/target", encoding: .utf8) == "streamed")
    }

    @Test("a replaced file keeps its permissions")
    func permissionsKept() throws {
        let directory = try rangeTestDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/model.sbm"
        try Data("old".utf8).write(to: URL(fileURLWithPath: path))
        #expect(chmod(path, 0o600) == 0)
        try AtomicFile.write(Data("new".utf8), to: path)
        let writer = try AtomicFileWriter(path: path)
        try writer.write("streamed")
        try writer.commit()
        var info = stat()
        #expect(stat(path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "streamed")
    }

    @Test("an output that is one of the inputs, or in a missing directory, is refused before any work")
    func outputChecks() throws {
        let directory = try rangeTestDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let corpus = directory + "/corpus.tsv"
        try Data("claim\tsinistre\n".utf8).write(to: URL(fileURLWithPath: corpus))
        try FileManager.default.createSymbolicLink(atPath: directory + "/link.tsv", withDestinationPath: "corpus.tsv")
        for output in [corpus, directory + "/link.tsv", directory + "/./corpus.tsv"] {
            let error = try #require(throws: SwitchboardError.self) { try AtomicFile.checkOutput(output, notAnyOf: ["-", directory + "/missing.tsv", corpus]) }
            #expect(error.message.contains("the output is also an input"))
        }
        let missing = try #require(throws: SwitchboardError.self) { try AtomicFile.checkOutput(directory + "/nowhere/m.sbm", notAnyOf: [corpus]) }
        #expect(missing.message.contains("cannot be reached"))
        try AtomicFile.checkOutput(directory + "/model.sbm", notAnyOf: [corpus])
        #expect(try String(contentsOfFile: corpus, encoding: .utf8) == "claim\tsinistre\n")
    }

    @Test("a named pipe and a directory are refused and left as they were")
    func pipeAndDirectory() throws {
        let directory = try rangeTestDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pipe = directory + "/pipe"
        #expect(mkfifo(pipe, 0o600) == 0)
        for path in [pipe, directory] {
            #expect(throws: SwitchboardError.self) { try AtomicFile.write(Data("x".utf8), to: path) }
            #expect(throws: SwitchboardError.self) { _ = try AtomicFileWriter(path: path) }
        }
        var info = stat()
        #expect(lstat(pipe, &info) == 0)
        #expect(info.st_mode & S_IFMT == S_IFIFO)
        let left = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(left == ["pipe"], "no temporary file left behind: \(left)")
    }
}

@Suite("Policies out of range")
struct PolicyRangeTests {
    private let labels = ["billing", "claim", "other"]

    private func error(_ yaml: String) -> SwitchboardError? {
        do {
            _ = try RoutingPolicy.parse(yaml: yaml, labels: labels, file: "policy.yaml")
            return nil
        } catch {
            return error as? SwitchboardError
        }
    }

    @Test("an answer time that overflows, or over a year, names its line (it used to trap)")
    func answerTime() throws {
        for within in ["106751991167301d", "2562047788015216h", "9223372036854775807m", "367d"] {
            let failure = try #require(error("queues:\n  claims:\n    labels: [claim]\n    answer_within: \(within)\n"), "\(within) was accepted")
            #expect(failure.location?.line == 4)
            #expect(failure.message.contains("answer_within"))
        }
        let policy = try RoutingPolicy.parse(yaml: "queues:\n  claims:\n    labels: [claim]\n    answer_within: 366d\n", labels: labels)
        #expect(policy.queues["claims"]?.answerWithinSeconds == 366 * 86_400)
    }

    @Test("a version other than 1 and a language the detector never gives are refused")
    func versionAndLanguage() throws {
        let version = try #require(error("version: 2\nqueues:\n  claims:\n    labels: [claim]\n"))
        #expect(version.location?.line == 1)
        #expect(version.message.contains("version"))
        let language = try #require(error("queues:\n  claims:\n    labels: [claim]\nrules:\n  - name: r\n    when:\n      languages: [klingon]\n    then: {priority: 1}\n"))
        #expect(language.message.contains("klingon"))
        #expect(language.location?.line == 7)
    }

    @Test("a pattern that backtracks for ever is given up after its time limit and named in the decision; the others still fire")
    func catastrophicPattern() throws {
        let yaml = """
        queues:
          claims:
            labels: [claim]
        rules:
          - name: evil
            when:
              pattern: '(a+)+$'
            then: {priority: 1}
          - name: fine
            when:
              pattern: 'fire'
            then: {priority: 2}
        """
        var options = TrainingOptions()
        options.targetPrecision = 0.5
        let model = try Trainer.train(smallCorpus, options: options).model
        let engine = try RoutingEngine(model: model, policy: try RoutingPolicy.parse(yaml: yaml, labels: model.labels))
        // 28 letters took 5 s before the limit, and every letter more doubled it.
        let text = "fire " + String(repeating: "a", count: 5_000) + "!"
        let started = ContinuousClock.now
        let decision = engine.route(text)
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(decision.rules == ["fine"])
        #expect(decision.rulesTimedOut == ["evil"])
        #expect(decision.json().contains(#""rules_timed_out":["evil"]"#))
        // The limit does not stop a pattern that matches, and a decision without a timeout has no such field.
        let quick = engine.route("fire aaa")
        #expect(quick.rules == ["evil", "fine"])
        #expect(quick.rulesTimedOut.isEmpty)
        #expect(!quick.json().contains("rules_timed_out"))
    }
}

@Suite("Corpora and model files out of range")
struct CorpusAndModelRangeTests {
    @Test("a model path that is missing, a directory or a device gets a reason in a few words, not an NSError dump")
    func unreadableModelPaths() throws {
        for (path, reason) in [("/nonexistent/model.sbm", "No such file or directory"), (NSTemporaryDirectory(), "not a regular file"), ("/dev/null", "not a regular file")] {
            let error = try #require(throws: SwitchboardError.self, "\(path) was read as a model") { try ModelFile.read(from: path) }
            #expect(error.code == .io)
            #expect(error.description.contains(reason), "\(error)")
            #expect(!error.description.contains("Domain="), "\(error)")
        }
    }

    @Test("a label with a tab or a line break is a malformed record that names its line")
    func controlCharacterInLabel() throws {
        for label in ["c\nd", "c\td", "c\u{7}d", "r\u{FFFD}clamation"] {
            guard case .failure(let error) = CorpusReader.example(text: "hello", label: label, language: nil, location: SourceLocation(file: "c.jsonl", line: 3)) else {
                Issue.record("label \(label.debugDescription) was accepted")
                continue
            }
            #expect(error.code == .malformedRecord)
            #expect(error.location?.line == 3)
        }
        guard case .success = CorpusReader.example(text: "hello", label: "réclamation 😀", language: nil, location: SourceLocation(file: "c.jsonl", line: 1)) else {
            Issue.record("an ordinary label was refused")
            return
        }
    }

    @Test("more labels than a model takes is one clear error, in memory and streamed")
    func tooManyLabels() throws {
        let examples = (0...Trainer.maximumLabels).map { LabeledExample(text: "message number \($0)", label: "L\($0)") }
        #expect(throws: SwitchboardError.self) { _ = try Trainer.train(examples) }
        var options = TrainingOptions()
        options.maxFeatures = 1_000
        #expect(throws: SwitchboardError.self) {
            _ = try Trainer.trainStreaming(options: options) { emit in for example in examples { try emit(example) } }
        }
    }

    /// A corpus with two labels whose search sample drew only one was told "the corpus has a single label".
    @Test("a search sample with one label is named as the sample's problem, not the corpus's")
    func searchSampleWithOneLabel() throws {
        let examples = (0..<500).map { LabeledExample(text: "message number \($0) about my car", label: "claim") }
            + [LabeledExample(text: "a rare message about my bill", label: "billing")]
        var options = TrainingOptions()
        options.maxFeatures = 1_000
        options.searchSample = 2
        #expect {
            _ = try Trainer.trainStreaming(options: options) { emit in for example in examples { try emit(example) } }
        } throws: { error in
            let message = (error as? SwitchboardError)?.message ?? ""
            return message.contains("search sample") && message.contains("2 labels") && !message.contains("the corpus has a single label")
        }
    }

    /// `eval --cv 10` on labels of two examples used 2 folds and said 10.
    @Test("cross-validation says how many folds it used, and training's warnings")
    func crossValidationReportsTheFoldsUsed() throws {
        let examples = ["claim", "billing", "quote"].flatMap { label in
            (0..<2).map { LabeledExample(text: "\(label) message \($0) \(label)", label: label) }
        }
        var options = TrainingOptions()
        options.folds = 10
        let result = try Trainer.crossValidate(examples, options: options)
        #expect(result.folds == 2)
        options.folds = 2
        let fewer = try Trainer.crossValidate(examples + [LabeledExample(text: "claim again", label: "claim")], options: options)
        #expect(fewer.folds == 2)
        options.folds = 3
        let warned = try Trainer.crossValidate(examples + [LabeledExample(text: "claim again", label: "claim")], options: options)
        #expect(warned.folds == 3)
        #expect(warned.warnings.contains { $0.contains("'billing' has only 2 example(s)") && $0.contains("3 cross-validation folds") })
    }

    @Test("a model whose calibration is out of range is refused on load, not used to send everything to a person")
    func calibrationOutOfRange() throws {
        let model = try Trainer.train(smallCorpus).model
        let cases: [(String, (inout CalibrationSummary) -> Void)] = [
            ("threshold 5", { $0.abstentionThreshold = 5 }),
            ("scale -1", { $0.scale = -1 }),
            ("scale 1e300", { $0.scale = 1e300 }),
            ("known share 5", { $0.minimumKnownShare = 5 }),
            // Percentiles index sorted values when the model is recalibrated: 1e300 trapped there.
            ("likelihood percentile 1e300", { $0.likelihoodPercentile = 1e300 }),
            ("known-share percentile -1", { $0.knownSharePercentile = -1 }),
            ("minimum word likelihood 0.5", { $0.minimumWordLikelihood = 0.5 }),
            ("target precision 0", { $0.targetPrecision = 0 }),
        ]
        for (name, change) in cases {
            var metadata = model.metadata
            change(&metadata.calibration)
            let data = try ModelFile.encode(model.with(metadata: metadata))
            #expect(throws: SwitchboardError.self, "\(name)") { _ = try ModelFile.decode(data) }
        }
        #expect(try ModelFile.decode(try ModelFile.encode(model)).metadata.calibration == model.metadata.calibration)
    }
}
