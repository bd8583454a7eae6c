import Foundation
import Testing
@testable import SwitchboardCLI
import Switchboard
import SwitchboardServer

private func temporary() throws -> String {
    let directory = NSTemporaryDirectory() + "cli-learn-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    return directory
}

private let hyperparameters = ["--alpha", "0.3", "--variant", "complement", "--char-weight", "1", "--priors", "learnt", "--idf", "on"]

/// Labels of the shipped test corpus's messages under `model`.
private func labels(_ model: NaiveBayesModel, _ examples: [LabeledExample]) -> [String] {
    model.classifyBatch(examples.map(\.text)).map(\.label)
}

/// Two shards of the shipped corpus's training files: alternate files.
private func corpusShards() throws -> (a: [String], b: [String]) {
    let root = repositoryRootForCLI
    let files = try FileManager.default.contentsOfDirectory(atPath: root + "/corpus/train").filter { $0.hasSuffix(".jsonl") }.sorted()
    let paths = files.map { root + "/corpus/train/" + $0 }
    return (paths.enumerated().filter { $0.offset % 2 == 0 }.map(\.element), paths.enumerated().filter { $0.offset % 2 == 1 }.map(\.element))
}

@Test func shardThenMergeWithTheCLIEqualsOneTraining() async throws {
    let directory = try temporary()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let (shardA, shardB) = try corpusShards()
    var whole = try TrainCommand.parse(["--output", directory + "/whole.sbm"] + hyperparameters + shardA + shardB)
    try await whole.run()
    var first = try TrainCommand.parse(["--shard", "--parameters-from", directory + "/whole.sbm", "--output", directory + "/a.sbm"] + shardA)
    try await first.run()
    var second = try TrainCommand.parse(["--shard", "--parameters-from", directory + "/whole.sbm", "--output", directory + "/b.sbm"] + shardB)
    try await second.run()
    var merge = try MergeCommand.parse(["--output", directory + "/merged.sbm", "--parameters-from", directory + "/whole.sbm",
                                        directory + "/b.sbm", directory + "/a.sbm"])
    try await merge.run()

    let wholeModel = try ModelFile.read(from: directory + "/whole.sbm")
    let merged = try ModelFile.read(from: directory + "/merged.sbm")
    #expect(merged.statistics == wholeModel.statistics)
    let test = try CorpusReader.read([repositoryRootForCLI + "/corpus/test"].flatMap { dir in
        try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".jsonl") }.map { dir + "/" + $0 }
    }).examples
    #expect(test.count > 500)
    #expect(labels(merged, test) == labels(wholeModel, test))
    // Calibration carried over from --parameters-from, as documented.
    #expect(merged.metadata.calibration == wholeModel.metadata.calibration)
}

@Test func learnThenForgetWithTheCLIGivesBackTheSameFile() async throws {
    let directory = try temporary()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let corrections = [
        #"{"id": "m-1", "text": "mon pare-brise est fissuré, je fais comment ?", "label": "claim"}"#,
        #"{"id": "m-2", "text": "Bonjour, je souhaite sponsoriser votre tournoi de pétanque", "label": "sponsorship_new"}"#,
        #"{"id": "m-1", "text": "mon pare-brise est fissuré, je fais comment ?", "label": "claim"}"#,
    ].joined(separator: "\n")
    try Data(corrections.utf8).write(to: URL(fileURLWithPath: directory + "/c.jsonl"))
    let original = repositoryRootForCLI + "/models/default.sbm"
    var learn = try LearnCommand.parse(["--model", original, "--output", directory + "/learnt.sbm", directory + "/c.jsonl"])
    try await learn.run()
    let learnt = try ModelFile.read(from: directory + "/learnt.sbm")
    #expect(learnt.statistics.learntCount == 2)  // m-1 fed twice, learnt once
    #expect(learnt.labels.contains("sponsorship_new"))
    var forget = try LearnCommand.parse(["--model", directory + "/learnt.sbm", "--output", directory + "/back.sbm", "--forget", directory + "/c.jsonl"])
    try await forget.run()
    let back = try Data(contentsOf: URL(fileURLWithPath: directory + "/back.sbm"))
    // A Bool, not `back == ...` inside #expect: a failing comparison of megabytes would compute a diff for minutes.
    let same = back == (try ModelFile.encode(try ModelFile.read(from: original)))
    #expect(same, "forgetting did not give back the original model's bytes")

    // Forgetting again is refused, names the line, and writes nothing.
    var again = try LearnCommand.parse(["--model", directory + "/back.sbm", "--output", directory + "/never.sbm", "--forget", directory + "/c.jsonl"])
    do {
        try await again.run()
        Issue.record("forgot corrections that were not learnt")
    } catch let error as SwitchboardError {
        #expect(error.message.contains("3 rejected"))
        #expect(!FileManager.default.fileExists(atPath: directory + "/never.sbm"))
    }
}

@Test func learnReadsTheServiceFeedbackDatabase() async throws {
    let directory = try temporary()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    do {
        let store = try FeedbackStore(path: directory + "/feedback.sqlite")
        _ = try await store.record(FeedbackRecord(id: "f-1", text: "I crashed my car into a wall", label: "claim", createdAt: Date(), modelID: "m"))
        _ = try await store.record(FeedbackRecord(id: "f-2", text: "stop sending me spam", label: "other", createdAt: Date(), modelID: "m"))
    }
    var learn = try LearnCommand.parse(["--model", repositoryRootForCLI + "/models/default.sbm", "--output", directory + "/m.sbm", directory + "/feedback.sqlite"])
    try await learn.run()
    let model = try ModelFile.read(from: directory + "/m.sbm")
    #expect(model.statistics.learntCount == 2)
}

@Test func largeCorporaAreStreamedUnlessToldOtherwise() throws {
    let large = 600 << 20, small = 10 << 20
    #expect(TrainCommand.automaticBudget(corpusBytes: large, maxFeatures: nil, streamAbove: 512) == TrainCommand.automaticFeatureBudget)
    #expect(TrainCommand.automaticBudget(corpusBytes: large, maxFeatures: 5_000, streamAbove: 512) == nil)  // the flag decides
    #expect(TrainCommand.automaticBudget(corpusBytes: large, maxFeatures: nil, streamAbove: 0) == nil)      // turned off
    #expect(TrainCommand.automaticBudget(corpusBytes: small, maxFeatures: nil, streamAbove: 512) == nil)
    // Directories (one file per message) count by their files.
    let directory = try temporary()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try FileManager.default.createDirectory(atPath: directory + "/claim", withIntermediateDirectories: true)
    try Data(repeating: 65, count: 1000).write(to: URL(fileURLWithPath: directory + "/claim/1.txt"))
    try Data(repeating: 65, count: 234).write(to: URL(fileURLWithPath: directory + "/claim/2.txt"))
    try Data(repeating: 65, count: 66).write(to: URL(fileURLWithPath: directory + "/single.tsv"))
    #expect(TrainCommand.totalBytes([directory + "/claim", directory + "/single.tsv"]) == 1300)
}

@Test func newLabelsWithoutAQueueAreNamed() throws {
    let policy = try RoutingPolicy.parse(yaml: """
        queues:
          claims: { labels: [claim], priority: 1, answer_within: 1h }
        fallback_queue: triage
        """, labels: ["claim", "sponsorship", "press"])
    let warnings = LearnCommand.labelWarnings(["press", "claim"], forget: false, policy: policy, policyPath: "p.yaml")
    #expect(warnings.count == 1)
    #expect(warnings.first?.contains("'press' has no queue in p.yaml") == true)
    #expect(warnings.first?.contains("a queue of its own name") == true)
    #expect(LearnCommand.labelWarnings(["press"], forget: false, policy: nil, policyPath: nil).count == 1)
    #expect(LearnCommand.labelWarnings(["press"], forget: true, policy: policy, policyPath: "p.yaml").first?.contains("removed") == true)
}

/// Corrections with their columns the wrong way round made one warning per message, its text quoted: ten at most.
@Test func newLabelWarningsAreCappedAtTen() {
    let labels = (1...15).map { "label\($0)" }
    let warnings = LearnCommand.labelWarnings(labels, forget: false, policy: nil, policyPath: nil)
    #expect(warnings.count == 11)
    #expect(warnings.prefix(10).allSatisfy { $0.contains("new label") })
    #expect(warnings.last?.contains("5 more labels are new (15 in all") == true)
    #expect(!(warnings.last ?? "").contains("label15"))
    #expect(LearnCommand.labelWarnings(Array(labels.prefix(10)), forget: false, policy: nil, policyPath: nil).count == 10)
}

@Test func learnAndMergeRefuseToRunOnNothing() {
    #expect(throws: (any Error).self) { try LearnCommand.parse(["--model", "m.sbm", "--output", "n.sbm"]) }
    #expect(throws: (any Error).self) { try MergeCommand.parse(["--output", "n.sbm"]) }
}

/// `--calibrate` took one file: `learn --calibrate test/*.jsonl corrections.jsonl` calibrated on the first held-out
/// file and learnt the others as corrections, exit 0. It takes every file up to the next option; the corrections or
/// models go before it, and a command left with none says so.
@Test func calibrateTakesEveryFileAfterIt() throws {
    let learn = try LearnCommand.parse(["--model", "m.sbm", "--output", "l.sbm", "c.jsonl", "--calibrate", "a.jsonl", "b.jsonl", "--threads", "1"])
    #expect(learn.inputs == ["c.jsonl"])
    #expect(learn.calibrate == ["a.jsonl", "b.jsonl"])
    do {
        _ = try LearnCommand.parse(["--model", "m.sbm", "--output", "l.sbm", "--calibrate", "a.jsonl", "b.jsonl", "c.jsonl"])
        Issue.record("learn with every file after --calibrate was accepted")
    } catch {
        let message = LearnCommand.message(for: error)
        #expect(message.contains("before --calibrate"), "\(message)")
    }
    let model = NSTemporaryDirectory() + "calibrate-\(UUID().uuidString).sbm"
    FileManager.default.createFile(atPath: model, contents: Data("SWBDMODL".utf8))
    defer { try? FileManager.default.removeItem(atPath: model) }
    #expect(throws: (any Error).self) { try OptionChecks.calibrationFiles(["held.jsonl", model], before: "models") }
    let link = model + "-link.sbm"
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: model)
    defer { try? FileManager.default.removeItem(atPath: link) }
    #expect(throws: (any Error).self) { try OptionChecks.calibrationFiles([link], before: "models") }
    // A pipe is not looked into (its bytes are the corpus reader's), nor a file that does not exist.
    #expect(throws: Never.self) { try OptionChecks.calibrationFiles(["/dev/stdin", "missing.sbm"], before: "models") }
    let merge = try MergeCommand.parse(["--output", "n.sbm", "a.sbm", "b.sbm", "--calibrate", "x.jsonl", "y.jsonl"])
    #expect(merge.models == ["a.sbm", "b.sbm"])
    #expect(merge.calibrate == ["x.jsonl", "y.jsonl"])
}

/// `learn --calibrate` on the corrections it is learning calibrated on messages the model had just seen
/// (accuracy 1.0, a scale of 30) and wrote a model that routed almost nothing. It is refused.
@Test func learnRefusesToCalibrateOnTheCorrectionsItLearns() async throws {
    let directory = try temporary()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let corpus = directory + "/corpus.tsv"
    try Data((0..<10).map { "claim\taccident numéro \($0)\nbilling\tfacture numéro \($0)" }.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: corpus))
    let corrections = directory + "/corrections.tsv"
    try Data("claim\tvitre cassée\nbilling\tprélèvement en double\n".utf8).write(to: URL(fileURLWithPath: corrections))
    var train = try TrainCommand.parse(["--output", directory + "/m.sbm"] + hyperparameters + [corpus])
    try await train.run()
    let learn = try LearnCommand.parse(["--model", directory + "/m.sbm", "--output", directory + "/l.sbm", corrections, "--calibrate", corrections])
    let error = await #expect(throws: SwitchboardError.self) { try await learn.run() }
    #expect(error?.message.contains("not held out") == true)
    #expect(!FileManager.default.fileExists(atPath: directory + "/l.sbm"))
}

/// A merge with --parameters-from carries the reference's word-likelihood minimum only when the reference has the
/// merged model's statistics and hyperparameters: the minimum of a model of half the corpus, or of another
/// alpha, is on another scale than the merged model's.
@Test func mergeCarriesTheLikelihoodCheckOnlyFromAModelOfTheSameCorpus() async throws {
    let directory = try temporary()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let (shardA, shardB) = try corpusShards()
    let multinomial = ["--alpha", "0.03", "--variant", "multinomial", "--char-weight", "0.5", "--priors", "learnt", "--idf", "off"]
    for (name, inputs) in [("whole", shardA + shardB), ("half", shardA)] {
        var train = try TrainCommand.parse(["--output", directory + "/\(name).sbm"] + multinomial + inputs)
        try await train.run()
    }
    for (name, inputs) in [("a", shardA), ("b", shardB)] {
        var shard = try TrainCommand.parse(["--shard", "--parameters-from", directory + "/whole.sbm", "--output", directory + "/\(name).sbm"] + inputs)
        try await shard.run()
    }
    let whole = try ModelFile.read(from: directory + "/whole.sbm")
    #expect(whole.metadata.calibration.minimumWordLikelihood != nil)
    for reference in ["whole", "half"] {
        var merge = try MergeCommand.parse(["--output", directory + "/merged-\(reference).sbm", "--parameters-from", directory + "/\(reference).sbm",
                                            directory + "/a.sbm", directory + "/b.sbm"])
        try await merge.run()
    }
    // The same corpus with another alpha: another scale, not carried either.
    var smoothed = try MergeCommand.parse(["--output", directory + "/merged-alpha.sbm", "--parameters-from", directory + "/whole.sbm", "--alpha", "1",
                                           directory + "/a.sbm", directory + "/b.sbm"])
    try await smoothed.run()
    #expect(try ModelFile.read(from: directory + "/merged-alpha.sbm").metadata.calibration.minimumWordLikelihood == nil)
    let fromWhole = try ModelFile.read(from: directory + "/merged-whole.sbm")
    #expect(fromWhole.metadata.calibration == whole.metadata.calibration)
    let fromHalf = try ModelFile.read(from: directory + "/merged-half.sbm")
    let half = try ModelFile.read(from: directory + "/half.sbm")
    #expect(half.metadata.calibration.minimumWordLikelihood != nil)
    #expect(fromHalf.metadata.calibration.minimumWordLikelihood == nil)
    #expect(fromHalf.metadata.calibration.abstentionThreshold == half.metadata.calibration.abstentionThreshold)
}
