import Foundation
import Testing
@testable import Switchboard

/// A cross-validation over `smallCorpus`, and its labels and row classes.
private func smallCrossValidation(folds: Int) -> (CrossValidation, labels: [String], rowClass: [Int32]) {
    let labels = Array(Set(smallCorpus.map(\.label))).sorted()
    let rowClass = smallCorpus.map { Int32(labels.firstIndex(of: $0.label) ?? 0) }
    let matrix = FeatureMatrix.extract(smallCorpus.map(\.text), settings: .default, workers: 1)
    let corpus = PreparedCorpus(matrix: matrix, labels: labels, rowClass: rowClass, sublinearTF: true, normalizeLength: true)
    return (CrossValidation(corpus: corpus, folds: folds, seed: 11), labels, rowClass)
}

/// A fold's held-out scores are those of a model trained on the other folds' messages, classifying the row's text:
/// for both variants, with and without IDF, learnt and uniform priors, two character weights. The held-out rows are
/// vectorised once per fold and only the weights of their features are computed; a slip in either shows here.
@Test(arguments: [(NaiveBayesParameters.Variant.multinomial, false), (.multinomial, true), (.complement, false), (.complement, true)])
func foldScoresAreThoseOfAModelTrainedOnTheOtherFolds(variant: NaiveBayesParameters.Variant, idf: Bool) throws {
    let (cv, labels, _) = smallCrossValidation(folds: 3)
    var compared = 0
    for fold in 0..<cv.folds {
        let held = cv.heldOut(fold)
        #expect(held.rows == cv.foldRows[fold])
        let scores = cv.scoreFold(held, variant: variant, alpha: 0.1, idf: idf)
        let others = (0..<smallCorpus.count).filter { cv.rowFold[$0] != fold }
        for (charWeight, uniform) in [(0.5, false), (1.5, true)] {
            var options = TrainingOptions()
            options.variant = variant
            options.alpha = 0.1
            options.idf = idf
            options.charWeight = charWeight
            options.uniformPriors = uniform
            options.folds = 2
            let model = try Trainer.train(others.map { smallCorpus[$0] }, options: options).model
            #expect(model.labels == labels)
            var scratch = model.makeScratch()
            for (j, row) in held.rows.enumerated() {
                model.rawScores(smallCorpus[row].text, scratch: &scratch)
                for c in labels.indices {
                    let expected = scratch.scores[c]
                    let got = scores.score(j, c, classes: labels.count, charWeight: charWeight, uniformPriors: uniform)
                    #expect(abs(expected - got) < 1e-4 * max(1, abs(expected)), "row \(row) class \(c): model \(expected), fold \(got)")
                    compared += 1
                }
            }
        }
    }
    #expect(compared == smallCorpus.count * labels.count * 2)
}

/// A sample of a fold's rows is scored as those rows are in the whole fold, though fewer weights are computed.
@Test func aSampleOfAFoldScoresItsRowsAsTheWholeFoldDoes() {
    let (cv, labels, _) = smallCrossValidation(folds: 2)
    let c = labels.count
    for fold in 0..<cv.folds {
        let all = cv.heldOut(fold), sample = cv.heldOut(fold, sample: 3)
        #expect(sample.rows.count < all.rows.count)
        #expect(sample.needed.filter { $0 }.count < all.needed.filter { $0 }.count)
        let whole = cv.scoreFold(all, variant: .multinomial, alpha: 0.3, idf: true)
        let part = cv.scoreFold(sample, variant: .multinomial, alpha: 0.3, idf: true)
        for (j, row) in sample.rows.enumerated() {
            guard let k = all.rows.firstIndex(of: row) else {
                Issue.record("row \(row) of the sample is not in its fold")
                continue
            }
            for cls in 0..<c {
                #expect(part.score(j, cls, classes: c, charWeight: 1, uniformPriors: false) == whole.score(k, cls, classes: c, charWeight: 1, uniformPriors: false))
            }
        }
    }
}

/// The search's count of right predictions per (character weight, priors) equals an argmax of each score one class
/// at a time, first class on a tie: scores drawn from a few values, so that ties are common, and more than eight
/// character weights, so that the lanes run over two chunks.
@Test func hitsAreTheArgmaxOfEachCombinationsScores() {
    var generator = SplitMix64(seed: 5)
    let c = 7, rows = 300
    func draw(_ values: [Double]) -> Double { values[Int(generator.next() % UInt64(values.count))] }
    let scores = CrossValidation.FoldScores(
        rows: Array(0..<rows),
        word: (0..<(rows * c)).map { _ in Float(draw([-2, -1, 0, 1])) },
        char: (0..<(rows * c)).map { _ in Float(draw([-1, 0, 0.5, 2])) },
        wordSum: (0..<rows).map { _ in draw([0, 1, 2]) }, charSum: (0..<rows).map { _ in draw([0, 1, 3]) },
        slopeWord: (0..<c).map { _ in draw([-1, -0.5]) }, slopeChar: (0..<c).map { _ in draw([-1, -0.25]) },
        logPrior: (0..<c).map { _ in draw([-2, -1, -0.5]) })
    let truth = (0..<rows).map { _ in Int(generator.next() % UInt64(c)) }
    let charWeights = [0, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 8]
    let priors = [false, true]
    let hits = scores.hits(charWeights: charWeights, priors: priors, classes: c, truth: truth)
    var ties = 0
    for (w, charWeight) in charWeights.enumerated() {
        for (p, uniform) in priors.enumerated() {
            var expected = 0
            for j in 0..<rows {
                let row = (0..<c).map { scores.score(j, $0, classes: c, charWeight: charWeight, uniformPriors: uniform) }
                var top = 0
                for cls in 1..<c where row[cls] > row[top] { top = cls }
                if Set(row).count < c && row.filter({ $0 == row[top] }).count > 1 { ties += 1 }
                if top == truth[j] { expected += 1 }
            }
            #expect(hits[w * priors.count + p] == expected, "character weight \(charWeight), uniform priors \(uniform)")
        }
    }
    #expect(ties > 100)
}

/// Scoring several alphas in one pass gives each alpha the scores it gets alone, bit for bit: the interleaved
/// weights and scores must neither mix alphas nor change the order of any sum. Both variants, with and without
/// IDF, and an alpha count that is not a power of two.
@Test(arguments: [(NaiveBayesParameters.Variant.multinomial, false), (.multinomial, true), (.complement, false), (.complement, true)])
func alphasScoredTogetherScoreAsEachAlone(variant: NaiveBayesParameters.Variant, idf: Bool) {
    let (cv, _, _) = smallCrossValidation(folds: 3)
    let alphas = [0.02, 0.3, 1.0]
    for fold in 0..<cv.folds {
        let held = cv.heldOut(fold)
        let together = cv.scoreFold(held, variant: variant, alphas: alphas, idf: idf)
        #expect(together.count == alphas.count)
        for (a, alpha) in alphas.enumerated() where a < together.count {
            let alone = cv.scoreFold(held, variant: variant, alpha: alpha, idf: idf)
            let joint = together[a]
            #expect(joint.rows == alone.rows)
            #expect(joint.word == alone.word, "fold \(fold) alpha \(alpha): word scores differ")
            #expect(joint.char == alone.char, "fold \(fold) alpha \(alpha): character scores differ")
            #expect(joint.wordSum == alone.wordSum && joint.charSum == alone.charSum)
            #expect(joint.slopeWord == alone.slopeWord && joint.slopeChar == alone.slopeChar)
            #expect(joint.logPrior == alone.logPrior)
        }
        // Different alphas do give different scores, so the comparison above can tell them apart.
        if together.count == alphas.count { #expect(together[0].word != together[2].word) }
    }
}

/// The search scores the alphas of a (variant, IDF) pair together and hands each candidate its own scores back:
/// every candidate's accuracy is the one its (variant, alpha, IDF) scored alone gives, fold by fold. A slip in
/// grouping the alphas, or in giving their scores back, would credit a candidate with another alpha's hits.
@Test func theSearchCreditsEachCandidateWithItsOwnScores() throws {
    let (cv, _, rowClass) = smallCrossValidation(folds: 3)
    var options = TrainingOptions()
    options.workers = 2
    let search = try Trainer.search(cv, options: options)
    let charWeights = options.charWeightGrid, priors = [false, true]
    let held = (0..<cv.folds).map { cv.heldOut($0) }
    var compared = 0, accuracies = Set<Double>()
    for variant in NaiveBayesParameters.Variant.allCases {
        for alpha in options.alphaGrid {
            for idf in [true, false] {
                var hits = [Int](repeating: 0, count: charWeights.count * priors.count), total = 0
                for fold in held {
                    let alone = cv.scoreFold(fold, variant: variant, alpha: alpha, idf: idf)
                    let foldHits = alone.hits(charWeights: charWeights, priors: priors, classes: cv.corpus.classCount,
                                              truth: alone.rows.map { Int(rowClass[$0]) })
                    for i in hits.indices { hits[i] += foldHits[i] }
                    total += alone.rows.count
                }
                for (w, charWeight) in charWeights.enumerated() {
                    for (p, uniform) in priors.enumerated() {
                        let candidate = try #require(search.candidates.first { candidate in
                            let q = candidate.parameters
                            return q.variant == variant && q.alpha == alpha && q.idf == idf && q.charWeight == charWeight
                                && q.uniformPriors == uniform
                        })
                        let expected = Double(hits[w * priors.count + p]) / Double(total)
                        #expect(candidate.accuracy == expected, "\(variant) alpha \(alpha) idf \(idf) char \(charWeight) uniform \(uniform)")
                        accuracies.insert(expected)
                        compared += 1
                    }
                }
            }
        }
    }
    #expect(compared == search.candidates.count)
    // The candidates do not all score alike, so crediting one with another's hits would show.
    #expect(accuracies.count > 3)
}
