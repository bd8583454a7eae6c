import Foundation
import Testing
@testable import Switchboard

private let tinyCorpus = [
    LabeledExample(text: "x x y", label: "a"),
    LabeledExample(text: "x z", label: "a"),
    LabeledExample(text: "y y z", label: "b"),
]

/// The trained model with calibration removed (scale 1), so probabilities are the raw posteriors.
private func uncalibrated(_ model: NaiveBayesModel) -> NaiveBayesModel {
    var metadata = model.metadata
    metadata.calibration = .identity
    return NaiveBayesModel(statistics: model.statistics, metadata: metadata)
}

@Test func multinomialPosteriorsMatchHandComputation() throws {
    // Counts: a = {x: 3, y: 1, z: 1} (5), b = {y: 2, z: 1} (3); V = 3, alpha = 1.
    // theta_a = (4/8, 2/8, 2/8), theta_b = (1/6, 3/6, 2/6); priors (n_c + 1) / (n + C) = 3/5, 2/5.
    // "x y": a ∝ 3/5 · 4/8 · 2/8 = 0.075, b ∝ 2/5 · 1/6 · 3/6 = 1/30.
    let report = try Trainer.train(tinyCorpus, options: textbookOptions(.multinomial, uniformPriors: false))
    let model = uncalibrated(report.model)
    var scratch = model.makeScratch()
    let p = model.probabilities("x y", scratch: &scratch)
    let expectedA = 0.075 / (0.075 + 1.0 / 30.0)
    #expect(model.labels == ["a", "b"])
    #expect(abs(p[0] - expectedA) < 1e-6)
    #expect(abs(p[1] - (1 - expectedA)) < 1e-6)
}

@Test func complementPosteriorsMatchHandComputation() throws {
    // Complement of a = counts of b: theta~_a = (1/6, 3/6, 2/6); of b = counts of a: theta~_b = (4/8, 2/8, 2/8).
    // score_c = -sum log theta~_c: "x y" gives a: log 12, b: log 8; uniform priors → P(a) = 12 / 20.
    let report = try Trainer.train(tinyCorpus, options: textbookOptions(.complement, uniformPriors: true))
    let model = uncalibrated(report.model)
    var scratch = model.makeScratch()
    let p = model.probabilities("x y", scratch: &scratch)
    #expect(abs(p[0] - 0.6) < 1e-6)
}

@Test func idfWeightedPosteriorsMatchHandComputation() throws {
    // IDF = ln((1 + n) / (1 + df)) + 1 over n = 3 documents: x and y are in two (ln(4/3) + 1 = 1.28768),
    // z in one (ln 2 + 1 = 1.69315). Training counts and the message's counts are both weighted by it:
    // a = {x: 3 · 1.28768, y: 1.28768} (total 5.15073), b = {y: 1.28768, z: 1.69315} (total 2.98083); V = 3,
    // alpha = 1, priors 3/5 and 2/5. "x z" has values x 1.28768, z 1.69315:
    // score_a = ln 0.6 + 1.28768 ln(4.86305 / 8.15073) + 1.69315 ln(1 / 8.15073) = -4.72824,
    // score_b = ln 0.4 + 1.28768 ln(1 / 5.98083) + 1.69315 ln(2.69315 / 5.98083) = -4.57026; P(a) = 0.460587.
    var options = textbookOptions(.multinomial, uniformPriors: false)
    options.idf = true
    let corpus = [LabeledExample(text: "x x y", label: "a"), LabeledExample(text: "x", label: "a"),
                  LabeledExample(text: "y z", label: "b")]
    let model = uncalibrated(try Trainer.train(corpus, options: options).model)
    var scratch = model.makeScratch()
    let p = model.probabilities("x z", scratch: &scratch)
    #expect(abs(p[0] - 0.460587) < 1e-5)
}

@Test func singleLabelAndEmptyCorporaAreClearErrors() {
    #expect(throws: SwitchboardError.self) { try Trainer.train([], options: TrainingOptions()) }
    do {
        _ = try Trainer.train([LabeledExample(text: "a", label: "x"), LabeledExample(text: "b", label: "x")], options: TrainingOptions())
        Issue.record("a single-label corpus trained")
    } catch let error as SwitchboardError {
        #expect(error.code == .insufficientData)
        #expect(error.message.contains("single label"))
    } catch {
        Issue.record("unexpected error \(error)")
    }
}

@Test func labelWithOneExampleIsAWarning() throws {
    var corpus = smallCorpus
    corpus.append(LabeledExample(text: "journaliste, une interview ?", label: "press"))
    let report = try Trainer.train(corpus, options: TrainingOptions())
    #expect(report.warnings.contains { $0.contains("'press'") })
}

@Test func trainedModelClassifiesItsLabels() throws {
    let report = try Trainer.train(smallCorpus, options: TrainingOptions())
    let model = report.model
    #expect(model.classify("accident de voiture sur le parking").label == "claim")
    #expect(model.classify("my premium direct debit was rejected").label == "billing")
    let result = model.classify("merci, bonne journée")
    #expect(result.label == "other")
    #expect(result.top(3).count == 3)
    #expect(abs(result.ranked.map(\.probability).reduce(0, +) - 1) < 1e-9)
}

@Test func crossValidationIsDeterministic() throws {
    var options = TrainingOptions()
    options.createdAt = Date(timeIntervalSince1970: 1_800_000_000)
    let first = try ModelFile.encode(Trainer.train(smallCorpus, options: options).model)
    let second = try ModelFile.encode(Trainer.train(smallCorpus, options: options).model)
    #expect(first == second)
    // A different seed may choose differently but must itself be reproducible.
    options.seed = 7
    let third = try ModelFile.encode(Trainer.train(smallCorpus, options: options).model)
    let fourth = try ModelFile.encode(Trainer.train(smallCorpus, options: options).model)
    #expect(third == fourth)
}

/// Among hyperparameters that cross-validate equally well, the most smoothed is chosen, not the first of the grid
/// (which starts at the smallest alpha): on the shipped corpus, alphas 0.01 and 0.03 got the same messages right.
@Test func equallyAccurateCandidatesChooseTheLargestAlpha() throws {
    var options = TrainingOptions()
    options.variant = .multinomial
    options.charWeight = 0.5
    options.uniformPriors = false
    options.idf = false
    let report = try Trainer.train(smallCorpus, options: options)
    let candidates = try #require(report.model.metadata.training.crossValidation?.candidates)
    let best = try #require(candidates.map(\.accuracy).max())
    let tied = candidates.filter { $0.accuracy == best }.map(\.parameters.alpha)
    // The separable corpus leaves several alphas tied at the top, so the rule is exercised.
    #expect(tied.count >= 2)
    #expect(report.model.metadata.parameters.alpha == tied.max())
}

/// The first stage of the search ranks its settings by the same rule: ties go to the larger alpha, then the grid's
/// order.
@Test func theSearchsShortlistBreaksTiesByTheLargerAlpha() {
    let candidates = [(accuracy: 0.9, alpha: 0.01), (accuracy: 0.9, alpha: 0.03), (accuracy: 0.95, alpha: 0.01), (accuracy: 0.9, alpha: 0.03)]
    #expect(Trainer.ranked(candidates) == [2, 1, 3, 0])
    #expect(Trainer.outranks((0.9, 0.03), (0.9, 0.01)) && !Trainer.outranks((0.9, 0.01), (0.9, 0.03)))
    #expect(Trainer.outranks((0.91, 0.01), (0.9, 3)) && !Trainer.outranks((0.9, 0.03), (0.9, 0.03)))
}

@Test func batchClassificationKeepsInputOrder() throws {
    let model = try Trainer.train(smallCorpus, options: TrainingOptions()).model
    let texts = (0..<500).map { i in i % 2 == 0 ? "fuite d'eau numéro \(i)" : "prélèvement rejeté \(i)" }
    let batch = model.classifyBatch(texts, workers: 4)
    let one = texts.map { model.classify($0).label }
    #expect(batch.map(\.label) == one)
    // A transform runs on the workers, once per text, and its results keep the input order too.
    let formatted = model.classifyBatch(texts, workers: 4) { "\($0.label) \($0.confidence)" }
    #expect(formatted == texts.map { text in let c = model.classify(text); return "\(c.label) \(c.confidence)" })
}

@Test func calibrationFitsAScaleAndAThreshold() {
    // Overconfident scores: the fitted scale must shrink them.
    let scores: [[Double]] = (0..<200).map { i in i % 4 == 0 ? [0, 10] : [10, 0] }
    let truth = (0..<200).map { i in i % 8 == 0 ? 1 : 0 }
    let scale = Calibration.fitScale(scores: scores, truth: truth)
    #expect(scale < 1)
    let confidences = [0.99, 0.95, 0.9, 0.6, 0.55]
    let correct = [true, true, true, false, true]
    let (threshold, coverage) = Calibration.threshold(confidences: confidences, correct: correct, targetPrecision: 0.95)
    #expect(threshold == 0.9)
    #expect(abs(coverage - 0.6) < 1e-9)
}

@Test func evaluationCountsPerLabel() {
    let e = Evaluation(truth: ["a", "a", "b", "b"], predicted: ["a", "b", "b", "b"])
    #expect(e.accuracy == 0.75)
    #expect(e.perLabel["a"]?.recall == 0.5)
    #expect(e.perLabel["b"]?.precision == 2.0 / 3.0)
    #expect(e.mostConfused().first?.truth == "a")
}

@Test func anOutsizedMessageDoesNotLeaveItsBuffersBehind() throws {
    let model = try Trainer.train(smallCorpus).model
    var scratch = model.makeScratch()
    let huge = String(repeating: "accident de voiture ce matin, dégât des eaux 😡 ", count: 20_000)
    let big = model.classify(huge, scratch: &scratch)
    #expect(big.label == "claim")
    #expect(scratch.accumulatorSlot.count > 1 << 16)
    let small = model.classify("why was I charged twice this month?", scratch: &scratch)
    #expect(scratch.accumulatorSlot.count == 2048)
    #expect(scratch.hashes.capacity < 1 << 16)
    #expect(scratch.values.capacity < 1 << 16)
    #expect(scratch.counts.capacity < 1 << 16)
    #expect(scratch.extractor.lastTokens.hashes.capacity < 1 << 16)
    let fresh = model.classify("why was I charged twice this month?")
    #expect(small.probabilities == fresh.probabilities)
    #expect(small.label == "billing")
}

/// A caller that keeps a scratch across a model swap hands the new model a scratch sized for the old one: that
/// trapped on the class count. The scratch is replaced, and the result is the fresh one's.
@Test func aScratchOfAnotherModelIsReplacedNotTrusted() throws {
    let model = try Trainer.train(smallCorpus).model
    var options = TrainingOptions()
    options.features = FeatureSettings(charMinN: 3, charMaxN: 4, foldDiacritics: false)
    let twoLabels = try Trainer.train(smallCorpus.filter { $0.label == "claim" || $0.label == "billing" }, options: options).model
    #expect(twoLabels.labels.count < model.labels.count)
    for (owner, user) in [(twoLabels, model), (model, twoLabels)] {
        var scratch = owner.makeScratch()
        _ = owner.classify("accident de voiture ce matin", scratch: &scratch)
        let reused = user.classify("why was I charged twice this month?", scratch: &scratch)
        let fresh = user.classify("why was I charged twice this month?")
        #expect(reused.probabilities == fresh.probabilities)
        #expect(reused.probabilities.count == user.labels.count)
    }
}

@Test func hyperparametersOutOfRangeAreRefusedNotTrapped() {
    // An infinite or huge alpha made every score NaN, and the calibration's binning trapped on it.
    for alpha in [Double.infinity, 1e308, .nan, 0, -1] {
        for streaming in [false, true] {
            var options = TrainingOptions()
            options.alpha = alpha
            if streaming { options.shard = true }
            #expect(throws: SwitchboardError.self, "alpha \(alpha), streaming \(streaming)") {
                if streaming {
                    _ = try Trainer.trainStreaming(options: options) { emit in for e in smallCorpus { try emit(e) } }
                } else {
                    _ = try Trainer.train(smallCorpus, options: options)
                }
            }
        }
    }
    for weight in [Double.nan, .infinity, -5, 1e4] {
        var options = TrainingOptions()
        options.charWeight = weight
        #expect(throws: SwitchboardError.self, "char weight \(weight)") { _ = try Trainer.train(smallCorpus, options: options) }
    }
    // The bounds themselves are accepted.
    var options = TrainingOptions()
    options.alpha = NaiveBayesParameters.maximumAlpha
    options.charWeight = NaiveBayesParameters.maximumCharWeight
    #expect(throws: Never.self) { _ = try Trainer.train(smallCorpus, options: options) }
}

@Test func calibrationErrorToleratesConfidencesOutOfRange() {
    let ece = Calibration.expectedCalibrationError(confidences: [.nan, .infinity, -.infinity, 1.5, -0.2, 0.5],
                                                   correct: [false, true, false, true, false, true])
    #expect(ece.isFinite && ece >= 0 && ece <= 1)
    // Clamped and NaN-as-0 confidences: bins [0, 1/15) hold NaN, -inf and -0.2 (all read as 0, all wrong),
    // the last bin inf and 1.5 (read as 1, both right), and 0.5 is right: error 0.5 / 6.
    #expect(abs(ece - 0.5 / 6) < 1e-12)
}

/// Repeats of a message share a fold, so that no fold's model has seen the message it scores. A message in
/// the corpus twice, once in each side of a split, was scored by a model trained on it: banking77's training
/// split given three times cross-validated at 0.951 (0.889 once), and set an abstention threshold of 0.12.
@Test func repeatsOfAMessageShareAFold() throws {
    let texts = smallCorpus.map(\.text)
    let repeated = texts + texts.map { $0 + " merci beaucoup" } + texts
    let labels = Array(Set(smallCorpus.map(\.label))).sorted()
    let classOf = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, Int32($0)) })
    let rowClass = (smallCorpus + smallCorpus + smallCorpus).map { classOf[$0.label] ?? 0 }
    let matrix = FeatureMatrix.extract(repeated, settings: .default, workers: 2)
    let corpus = PreparedCorpus(matrix: matrix, labels: labels, rowClass: rowClass, sublinearTF: true, normalizeLength: true)
    let cv = CrossValidation(corpus: corpus, folds: 3, seed: 42)
    let n = texts.count
    for row in 0..<n {
        #expect(cv.rowFold[row] == cv.rowFold[row + 2 * n], "row \(row)")
    }
    #expect(Set(cv.rowFold).count == 3)
}

/// An alpha of 1e-308 overflowed every weight to infinity and every score to NaN, and calibration looped on the
/// NaN confidences for ever (`train --alpha 1e-308` hung).
@Test func aTinyAlphaIsRefusedAndNaNConfidencesDoNotHangCalibration() {
    #expect(throws: SwitchboardError.self) { try NaiveBayesParameters.check(alpha: 1e-308) }
    #expect(throws: SwitchboardError.self) { try NaiveBayesParameters.check(alpha: .leastNonzeroMagnitude) }
    #expect((try? NaiveBayesParameters.check(alpha: NaiveBayesParameters.minimumAlpha)) != nil)
    var options = TrainingOptions()
    options.alpha = 1e-308
    #expect(throws: SwitchboardError.self) { _ = try Trainer.train(smallCorpus, options: options) }
    let (threshold, coverage) = Calibration.threshold(confidences: [.nan, .nan, 0.9, .nan], correct: [true, false, true, true], targetPrecision: 0.95)
    #expect(threshold.isNaN || (0...1).contains(threshold))
    #expect((0...1).contains(coverage))
}

/// `train --folds 3050` on 6,100 messages left the search's sample no row per fold (a division by zero).
@Test func foldsAreBoundedAndTheSampleKeepsARowPerFold() throws {
    var options = TrainingOptions()
    options.folds = 1_001
    #expect(throws: SwitchboardError.self) { _ = try Trainer.train(smallCorpus, options: options) }
}

/// `learn` and `merge` lacked `train`'s limit on labels: 70,000 new labels trapped a conversion.
@Test func learningTooManyLabelsIsAnErrorNotATrap() throws {
    let model = try Trainer.train(smallCorpus).model
    let corrections = (0...Trainer.maximumLabels).map { LabeledExample(text: "message number \($0)", label: "label\($0)") }
    #expect(throws: SwitchboardError.self) { _ = try model.learning(corrections, workers: 1) }
}

/// Scores summed one feature at a time from the model's own weights, in the order scoring adds them: the
/// register path of 9-16 classes and the general one must both give exactly these bits.
@Test(arguments: [5, 12, 16, 19])
func classScoresAreTheFeatureSumsBitForBit(labels: Int) throws {
    let words = ["contrat", "sinistre", "facture", "voiture", "maison", "devis", "résilier", "attestation", "urgent", "merci"]
    var examples: [LabeledExample] = []
    for k in 0..<labels {
        for j in 0..<6 {
            let text = "label\(k) mot\(k)x\(j) \(words[(k + j) % words.count]) \(words[(k * 3 + j) % words.count]) commun \(j % 2 == 0 ? "pair" : "impair")"
            examples.append(LabeledExample(text: text, label: "l\(k)"))
        }
    }
    var options = TrainingOptions()
    options.alpha = 0.1
    options.variant = .multinomial
    let model = try Trainer.train(examples, options: options).model
    #expect(model.labels.count == labels)
    var scratch = model.makeScratch()
    for text in ["label3 mot3x1 contrat commun", "merci pour le devis 👍 urgent", "facture facture maison pair label0", "rien de connu ici"] {
        model.rawScores(text, scratch: &scratch)
        let s = model.scorer
        var wordSum: Double = 0, charSum: Double = 0
        for (entry, x) in zip(scratch.touchedEntries, scratch.values) {
            if entry.isChar { charSum += Double(x) } else { wordSum += Double(x) }
        }
        for c in 0..<labels {
            var partial: Float = 0
            for (entry, x) in zip(scratch.touchedEntries, scratch.values) { partial += x * s.weight(entry, forClass: c) }
            let expected = s.bias[c] + s.slopeWord[c] * wordSum + s.slopeChar[c] * charSum + Double(partial)
            #expect(scratch.scores[c].bitPattern == expected.bitPattern, "class \(c) of \(labels), '\(text)'")
            // The word likelihood stops after the last word feature: the same value as reading every feature.
            var words: Double = 0
            for (entry, count) in zip(scratch.touchedEntries, scratch.counts)
            where !entry.isChar && entry.key != scratch.extractor.lastLengthFeature {
                words += Double(count) * Double(s.weight(entry, forClass: c))
            }
            let likelihood = scratch.wordOccurrences > 0
                ? min(0, log(options.alpha ?? 0) + s.slopeWord[c] + words / Double(scratch.wordOccurrences)) : nil
            #expect(model.wordLogLikelihood(scratch: scratch, forClass: c)?.bitPattern == likelihood?.bitPattern, "class \(c), '\(text)'")
        }
    }
}
