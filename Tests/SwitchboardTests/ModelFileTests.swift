import Foundation
import Testing
@testable import Switchboard

private func trainedModel() throws -> NaiveBayesModel {
    try Trainer.train(smallCorpus, options: TrainingOptions()).model
}

@Test func modelRoundTripGivesSamePredictions() throws {
    let model = try trainedModel()
    let directory = try temporaryDirectory()
    let path = directory + "/model.sbm"
    try ModelFile.write(model, to: path)
    let loaded = try ModelFile.read(from: path)
    #expect(loaded.metadata == model.metadata)
    #expect(loaded.statistics == model.statistics)
    for text in ["accident de voiture", "prélèvement rejeté", "merci", "something unrelated entirely 🤷"] {
        let a = model.classify(text), b = loaded.classify(text)
        #expect(a.label == b.label)
        #expect(a.confidence == b.confidence)
    }
    // No temporary file is left behind by the atomic write.
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["model.sbm"])
}

private func expectInvalidModel(_ data: Data, mentioning phrase: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    do {
        _ = try ModelFile.decode(data)
        Issue.record("a damaged model was accepted", sourceLocation: sourceLocation)
    } catch let error as SwitchboardError {
        #expect(error.code == .invalidModel, sourceLocation: sourceLocation)
        #expect(error.message.contains(phrase), "\(error.message)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
}

@Test func truncatedModelFilesAreRejected() throws {
    let data = try ModelFile.encode(trainedModel())
    for length in [0, 4, 8, 20, 31, 32, data.count / 2, data.count - 1] {
        expectInvalidModel(data.prefix(length), mentioning: length < 8 ? "not a Switchboard model" : "truncated")
    }
}

@Test func aDamagedModelFileOnDiskIsNamedInTheError() throws {
    let data = try ModelFile.encode(trainedModel())
    let path = try temporaryDirectory() + "/cut.sbm"
    try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
    do {
        _ = try ModelFile.read(from: path)
        Issue.record("a truncated model file was accepted")
    } catch let error as SwitchboardError {
        #expect(error.code == .invalidModel)
        #expect(error.location?.file == path)
        #expect(error.description.contains(path) && error.description.contains("truncated"), "\(error.description)")
    }
}

@Test func corruptedModelFilesAreRejected() throws {
    let data = try ModelFile.encode(trainedModel())
    for offset in [40, data.count / 3, data.count - 3] {
        var damaged = data
        damaged[offset] ^= 0x5A
        expectInvalidModel(damaged, mentioning: "checksum")
    }
}

@Test func foreignFilesAreRejected() {
    expectInvalidModel(Data("label\ttext\nclaim\taccident\n".utf8), mentioning: "not a Switchboard model")
    expectInvalidModel(Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0]), mentioning: "not a Switchboard model")
}

@Test func newerFormatVersionsAskForAnUpgrade() throws {
    var data = try ModelFile.encode(trainedModel())
    data[8] = 99
    expectInvalidModel(data, mentioning: "upgrade switchboard")
}

@Test func missingModelFileIsAnIOError() {
    do {
        _ = try ModelFile.read(from: "/nonexistent/model.sbm")
        Issue.record("read a missing file")
    } catch let error as SwitchboardError {
        #expect(error.code == .io)
        #expect(error.description.contains("/nonexistent/model.sbm"))
    } catch {
        Issue.record("unexpected error \(error)")
    }
}

@Test func modelFilesAreReproducibleButForTheCreationTime() throws {
    var options = TrainingOptions()
    options.createdAt = Date(timeIntervalSince1970: 1_700_000_000)
    let a = try Trainer.train(smallCorpus, options: options).model
    options.createdAt = Date(timeIntervalSince1970: 1_800_000_000)
    let b = try Trainer.train(smallCorpus, options: options).model
    #expect(a.statistics == b.statistics)
    var metadata = b.metadata
    metadata.createdAt = a.metadata.createdAt
    #expect(metadata == a.metadata)
}

@Test func modelFilesWithAbsurdHyperparametersAreRejected() throws {
    let model = try trainedModel()
    // (JSON cannot hold an infinity or a NaN: a huge number is what a file can carry.)
    for (alpha, weight) in [(1e308, 1.0), (0.1, 1e9), (0.1, -1)] {
        var metadata = model.metadata
        metadata.parameters.alpha = alpha
        metadata.parameters.charWeight = weight
        let data = try ModelFile.encode(NaiveBayesModel(statistics: model.statistics, metadata: metadata))
        #expect(throws: SwitchboardError.self, "alpha \(alpha), char weight \(weight)") { _ = try ModelFile.decode(data) }
    }
}

/// A file whose labels are out of order (checksum and all recomputed) used to load, and then `learn` and
/// `merge`, which line classes up by that order, wrote a model that could not be read back. Labels that are
/// empty or hold a line break are refused too.
@Test func modelFilesWithUnsortedOrBadLabelsAreRejected() throws {
    let model = try trainedModel()
    let original = model.statistics.labels
    for labels in [Array(original.reversed()), [original[0], original[0]] + original.dropFirst(2), ["", "a"] + original.dropFirst(2), ["a\nb", "c"] + original.dropFirst(2)] {
        var statistics = model.statistics
        statistics.labels = labels
        var metadata = model.metadata
        metadata.labels = labels
        let data = try ModelFile.encode(NaiveBayesModel(statistics: statistics, metadata: metadata))
        expectInvalidModel(data, mentioning: "label")
    }
}

/// The header's flags and reserved word are outside the checksum: a file with either set used to load as if
/// they were 0.
@Test func unknownHeaderFlagsAreRefused() throws {
    let data = try ModelFile.encode(trainedModel())
    var flagged = data
    flagged[flagged.startIndex + 10] = 1
    expectInvalidModel(flagged, mentioning: "flags")
    var reserved = data
    reserved[reserved.startIndex + 29] = 7
    expectInvalidModel(reserved, mentioning: "reserved")
}

/// The metadata repeats the format version; a file whose two disagree (checksum recomputed) is damaged.
@Test func aMetadataVersionThatDisagreesWithTheHeaderIsRefused() throws {
    var data = try ModelFile.encode(trainedModel())
    let field = Data("\"formatVersion\":2".utf8)
    let range = try #require(data.range(of: field))
    data.replaceSubrange(range, with: Data("\"formatVersion\":1".utf8))
    let crc = data.withUnsafeBytes { Checksum.crc32(UnsafeRawBufferPointer(rebasing: $0[ModelFile.headerSize...])) }
    withUnsafeBytes(of: crc.littleEndian) { data.replaceSubrange((data.startIndex + 24)..<(data.startIndex + 28), with: $0) }
    expectInvalidModel(data, mentioning: "metadata")
}

@Test func aNameInAFewMessagesIsNotKeptAsATopFeature() throws {
    // "Dubreuil" signs three complaints, "scandaleux" is in six: both weigh for complaint, but only the word
    // used by enough messages may have its text stored in the model file.
    var examples: [LabeledExample] = []
    for i in 0..<3 { examples.append(LabeledExample(text: "service scandaleux numero \(i), signé Dubreuil", label: "complaint")) }
    for i in 0..<3 { examples.append(LabeledExample(text: "scandaleux, attente \(i) semaines sans réponse", label: "complaint")) }
    for i in 0..<6 { examples.append(LabeledExample(text: "je voudrais un devis pour ma maison \(i)", label: "quote")) }
    let model = try Trainer.train(examples).model
    let names = (model.metadata.topFeatures["complaint"] ?? []).map(\.name)
    #expect(names.contains("w:scandaleux"))
    #expect(!names.contains { $0.contains("dubreuil") })
    let file = try ModelFile.encode(model)
    #expect(file.range(of: Data("dubreuil".utf8)) == nil)
}

/// A model file saying it was trained on 2^63 - 1 messages (its checksum made to match) trapped `learn` and
/// `merge`, which add to that count.
@Test func anOutOfRangeMessageCountIsRefusedOnLoad() throws {
    let model = try Trainer.train(smallCorpus).model
    var metadata = model.metadata
    metadata.training.documents = Int.max
    let data = try ModelFile.encode(model.with(metadata: metadata))
    #expect(throws: SwitchboardError.self) { _ = try ModelFile.decode(data) }
    metadata.training.documents = -5
    #expect(throws: SwitchboardError.self) { _ = try ModelFile.decode(ModelFile.encode(model.with(metadata: metadata))) }
    #expect((try? ModelFile.decode(ModelFile.encode(model))) != nil)
}

/// The checks added for new corpora and settings (labels that look like messages, alpha at least 1e-9) must not
/// refuse a model an earlier build wrote: it could no longer be loaded, and the error called it corrupt.
@Test func modelsWrittenBeforeTheNewChecksStillLoad() throws {
    let model = try Trainer.train(smallCorpus).model
    var metadata = model.metadata
    metadata.parameters.alpha = 1e-10
    let loaded = try ModelFile.decode(ModelFile.encode(model.with(metadata: metadata)))
    #expect(loaded.metadata.parameters.alpha == 1e-10)
    #expect(throws: SwitchboardError.self) { try NaiveBayesParameters.check(alpha: 1e-10) }
    metadata.parameters.alpha = 1e-300
    #expect(throws: SwitchboardError.self) { _ = try ModelFile.decode(ModelFile.encode(model.with(metadata: metadata))) }
    for label in ["promo_20241201", "billing@acme.fr"] {
        #expect(LabeledExample.labelStructureProblem(label) == nil)
        #expect(LabeledExample.labelProblem(label) != nil)
    }
}
