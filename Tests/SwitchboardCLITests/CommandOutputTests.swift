import Foundation
import Testing
@testable import SwitchboardCLI
import Switchboard

private func json(_ line: String) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
}

/// A new temporary directory holding `corpus.tsv`: 12 claims and 12 billing messages.
private func tinyTSVCorpus() throws -> (directory: String, corpus: String) {
    let directory = NSTemporaryDirectory() + "cli-corpus-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let corpus = directory + "/corpus.tsv"
    let rows = (0..<12).map { "claim\taccident de voiture numéro \($0)\nbilling\tprélèvement rejeté ce mois \($0)" }
    try Data(rows.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: corpus))
    return (directory, corpus)
}

@Test func trainWritesALoadableModelFromATSVCorpus() async throws {
    let (directory, corpus) = try tinyTSVCorpus()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let command = try TrainCommand.parse(["--output", directory + "/m.sbm", "--json", corpus])
    try await command.run()
    let model = try ModelFile.read(from: directory + "/m.sbm")
    #expect(model.labels == ["billing", "claim"])
    #expect(model.classify("accident de voiture").label == "claim")
    #expect(model.metadata.features.lengthFeature)
    // One novelty check by default: the word likelihood for a multinomial model, the known share for a
    // complement one (which has no word likelihood).
    let multinomial = model.metadata.parameters.variant == .multinomial
    #expect((model.metadata.calibration.minimumWordLikelihood != nil) == multinomial)
    #expect((model.metadata.calibration.minimumKnownShare != nil) == !multinomial)
    #expect(model.metadata.calibration.knownSharePercentile == (multinomial ? 0 : 5))

    // The feature and the check can be turned off; a percentile out of range is refused.
    let plain = try TrainCommand.parse(["--output", directory + "/plain.sbm", "--no-length-feature", "--likelihood-percentile", "0", "--known-share-percentile", "10", corpus])
    try await plain.run()
    let without = try ModelFile.read(from: directory + "/plain.sbm")
    #expect(!without.metadata.features.lengthFeature)
    #expect(model.metadata.features.symbolCharNgrams)
    let wordsOnly = try TrainCommand.parse(["--output", directory + "/words.sbm", "--no-symbol-char-ngrams", corpus])
    try await wordsOnly.run()
    #expect(try !ModelFile.read(from: directory + "/words.sbm").metadata.features.symbolCharNgrams)
    // Without character n-grams the setting changes nothing, and is stored off.
    let noChars = try TrainCommand.parse(["--output", directory + "/nochars.sbm", "--char-ngrams", "0", corpus])
    try await noChars.run()
    #expect(try !ModelFile.read(from: directory + "/nochars.sbm").metadata.features.symbolCharNgrams)
    #expect(without.metadata.calibration.minimumWordLikelihood == nil)
    #expect(without.metadata.calibration.minimumKnownShare != nil)
    for flag in ["--known-share-percentile", "--likelihood-percentile"] {
        let wrong = try TrainCommand.parse(["--output", directory + "/never.sbm", flag, "100", corpus])
        await #expect(throws: SwitchboardError.self) { try await wrong.run() }
    }
    #expect(!FileManager.default.fileExists(atPath: directory + "/never.sbm"))
}

@Test func trainRejectsAMalformedCorpusNamingTheLine() async throws {
    let directory = NSTemporaryDirectory() + "cli-train-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let corpus = directory + "/bad.tsv"
    try Data("claim\taccident\nno tab here\n".utf8).write(to: URL(fileURLWithPath: corpus))
    let command = try TrainCommand.parse(["--output", directory + "/m.sbm", corpus])
    do {
        try await command.run()
        Issue.record("trained on a malformed corpus")
    } catch let error as SwitchboardError {
        #expect(error.location?.line == 2)
        #expect(!FileManager.default.fileExists(atPath: directory + "/m.sbm"))
    }
}

@Test func classifyLinesCarryLabelConfidenceAndTopThree() throws {
    let model = try ModelFile.read(from: repositoryRootForCLI + "/models/default.sbm")
    let object = try json(ClassifyCommand.line(model.classify("je veux résilier mon contrat auto")))
    #expect(object["label"] as? String == "cancellation")
    let top = try #require(object["top"] as? [[String: Any]])
    #expect(top.count == 3)
    #expect(top.first?["label"] as? String == object["label"] as? String)
    #expect((object["confidence"] as? Double).map { $0 > 0 && $0 <= 1 } == true)
}

@Test func evalJSONHasAccuracyMacroF1AndPerLabel() throws {
    let evaluation = Evaluation(truth: ["a", "a", "b"], predicted: ["a", "b", "b"])
    let object = try json(EvalCommand.json(evaluation))
    #expect(object["accuracy"] as? Double == 0.6667)
    #expect(object["macro_f1"] != nil)
    let perLabel = try #require(object["per_label"] as? [String: [String: Any]])
    #expect(perLabel["a"]?["recall"] as? Double == 0.5)
    #expect(perLabel["b"]?["support"] as? Int == 1)
}

let repositoryRootForCLI = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// `--parameters-from` takes the reference model's settings, and the flags given still win, as the help says:
/// the feature flags used to be dropped silently (`--char-ngrams 3-4` gave a 2-5 shard).
@Test func parametersFromKeepsTheFeatureFlagsGiven() async throws {
    let (directory, corpus) = try tinyTSVCorpus()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let reference = repositoryRootForCLI + "/models/default.sbm"
    let plain = try TrainCommand.parse(["--output", directory + "/plain.sbm", "--shard", "--parameters-from", reference, corpus])
    try await plain.run()
    let shipped = try ModelFile.read(from: reference).metadata
    #expect(try ModelFile.read(from: directory + "/plain.sbm").metadata.features == shipped.features)
    let flagged = try TrainCommand.parse(["--output", directory + "/flagged.sbm", "--shard", "--parameters-from", reference,
                                          "--char-ngrams", "3-4", "--word-ngrams", "1", "--keep-diacritics", "--no-length-feature",
                                          "--no-sublinear-tf", corpus])
    try await flagged.run()
    let metadata = try ModelFile.read(from: directory + "/flagged.sbm").metadata
    #expect(metadata.features == FeatureSettings(wordMinN: 1, wordMaxN: 1, charMinN: 3, charMaxN: 4, foldDiacritics: false, lengthFeature: false))
    #expect(!metadata.parameters.sublinearTF)
    #expect(metadata.parameters.normalizeLength == shipped.parameters.normalizeLength)
    // --target-precision too: the reference's used to overwrite it in silence.
    #expect(plainTarget(try ModelFile.read(from: directory + "/plain.sbm")) == shipped.calibration.targetPrecision)
    let precise = try TrainCommand.parse(["--output", directory + "/precise.sbm", "--shard", "--parameters-from", reference,
                                          "--target-precision", "0.8", corpus])
    try await precise.run()
    #expect(plainTarget(try ModelFile.read(from: directory + "/precise.sbm")) == 0.8)
}

private func plainTarget(_ model: NaiveBayesModel) -> Double { model.metadata.calibration.targetPrecision }

/// `merge --parameters-from` a model of other feature settings gave its hyperparameters and calibration to the merge.
@Test func mergeRefusesParametersFromAModelOfOtherFeatures() async throws {
    let (directory, corpus) = try tinyTSVCorpus()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let other = try TrainCommand.parse(["--output", directory + "/other.sbm", "--shard", "--char-ngrams", "3-4", "--variant", "multinomial",
                                        "--alpha", "0.5", "--char-weight", "0.5", "--priors", "learnt", "--idf", "off", corpus])
    try await other.run()
    let shipped = repositoryRootForCLI + "/models/default.sbm"
    let merge = try MergeCommand.parse(["--output", directory + "/merged.sbm", "--parameters-from", directory + "/other.sbm", shipped])
    let error = try await #require(throws: SwitchboardError.self) { try await merge.run() }
    #expect(error.message.contains("other feature settings"))
    #expect(!FileManager.default.fileExists(atPath: directory + "/merged.sbm"))
}

/// `eval --cv K` with fewer examples than folds reported "K-fold" results over empty folds.
@Test func evalRefusesMoreFoldsThanExamples() async throws {
    let (directory, corpus) = try tinyTSVCorpus()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let command = try EvalCommand.parse(["--cv", "25", corpus])
    let error = try await #require(throws: SwitchboardError.self) { try await command.run() }
    #expect(error.message.contains("more folds than the 24 example(s)"))
    let fine = try EvalCommand.parse(["--cv", "24", "--json", corpus])
    try await fine.run()
}

/// `train -o corpus.tsv corpus.tsv` replaced the corpus with the model and exited 0; `batch` could do the same
/// to an export. Both are refused, and the file is left as it was.
@Test func anOutputThatIsAnInputIsRefused() async throws {
    let (directory, corpus) = try tinyTSVCorpus()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let before = try Data(contentsOf: URL(fileURLWithPath: corpus))
    let train = try TrainCommand.parse(["--output", corpus, "--alpha", "0.1", corpus])
    await #expect(throws: SwitchboardError.self) { try await train.run() }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    let batch = try BatchCommand.parse(["--model", root + "/models/default.sbm", "--output", corpus, corpus])
    await #expect(throws: SwitchboardError.self) { try await batch.run() }
    #expect(try Data(contentsOf: URL(fileURLWithPath: corpus)) == before)
}

/// `eval` of a test set whose labels the model does not have said accuracy 0.0000 and nothing else.
@Test func evalWarnsOfLabelsTheModelDoesNotHave() {
    #expect(EvalCommand.unknownLabelWarning(["claim", "billing"], modelLabels: ["billing", "claim"]) == nil)
    let warning = EvalCommand.unknownLabelWarning(["ham", "spam", "Billing", "billing"], modelLabels: ["billing", "claim"])
    #expect(warning?.contains("3 of 4 example(s)") == true)
    #expect(warning?.contains("'Billing' for 'billing'") == true)
    #expect(warning?.contains("'ham', 'spam'") == true)
}

/// `train` and `inspect` name each novelty check a model has, and say so when it has none (a model without one
/// routes messages about what it never learnt on confidence alone).
@Test func noveltyChecksAreDescribedAndTheirAbsenceSaid() {
    var calibration = CalibrationSummary(scale: 1)
    #expect(NoveltyChecks.lines(calibration).count == 1)
    #expect(NoveltyChecks.lines(calibration)[0].hasPrefix("none"))
    calibration.minimumWordLikelihood = -10.29
    calibration.likelihoodPercentile = 5
    #expect(NoveltyChecks.lines(calibration) == ["words under -10.29 of log-likelihood under their label go to a person (the 5% most unusual messages of calibration)"])
    calibration.minimumKnownShare = 0.625
    calibration.knownSharePercentile = 5
    #expect(NoveltyChecks.lines(calibration).count == 2)
    #expect(NoveltyChecks.lines(calibration)[0].hasPrefix("under 62% of its words known") || NoveltyChecks.lines(calibration)[0].hasPrefix("under 63% of its words known"))
}
