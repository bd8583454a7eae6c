import Foundation

/// Scoring weights compiled from ``ModelStatistics`` and ``NaiveBayesParameters``.
///
/// A class's score for a message with feature values x is
/// `bias[c] + slope[g][c] * sum of x over group g + sum over the message's features f seen in class c of x[f] * weight[f, c]`,
/// where the groups are word and character features, two multinomials each normalised on its own.
/// Multinomial: weight = log(1 + N[f,c]/alpha), slope = -log(N[g][c] + alpha V[g]), bias = log prior.
/// Complement: weight = log(T[f] + alpha) - log(T[f] - N[f,c] + alpha), slope = log(T[g] - N[g][c] + alpha V[g]),
/// where T are totals over all classes; both drop terms shared by every class, which softmax ignores.
/// Only the entries of features seen in a class are stored, so scoring is sparse.
struct CompiledScorer: Sendable {
    let index: FeatureIndex
    let idf: [Float]
    let isChar: [Bool]
    let entryStart: [UInt32]
    let entryClass: [UInt16]
    let entryWeight: [Float]
    let bias: [Double]
    /// Per-class slope of the summed word feature values.
    let slopeWord: [Double]
    /// Per-class slope of the summed character feature values (already weighted).
    let slopeChar: [Double]
    let parameters: NaiveBayesParameters
    let classCount: Int

    /// The smoothed inverse document frequency used everywhere: log((1 + n) / (1 + df)) + 1.
    @inline(__always)
    static func idf(documents: Int, frequency: Int) -> Float {
        Float(log(Double(1 + documents) / Double(1 + frequency)) + 1)
    }

    init(statistics s: ModelStatistics, parameters p: NaiveBayesParameters) {
        let v = s.featureCount, c = s.labels.count
        let n = s.documentCount
        index = FeatureIndex(hashes: s.featureKeys)
        idf = p.idf ? (0..<v).map { Self.idf(documents: n, frequency: Int(s.documentFrequency[$0])) } : Array(repeating: 1, count: v)
        isChar = s.featureKeys.map(FeatureHash.isChar)
        parameters = p
        classCount = c

        var featuresPerGroup = [0, 0]
        for f in 0..<v { featuresPerGroup[isChar[f] ? 1 : 0] += 1 }
        // The IDF of each entry's feature.
        var entryIDF = [Float](repeating: 1, count: s.entryCount)
        for f in 0..<v { for e in Int(s.featureStart[f])..<Int(s.featureStart[f + 1]) { entryIDF[e] = idf[f] } }
        let computed = NaiveBayesWeights.compute(
            entryStart: s.featureStart, entryClass: s.entryClass, isChar: isChar, classes: c, featuresPerGroup: featuresPerGroup,
            variant: p.variant, alpha: p.alpha, mass: { s.mass($0) * Double(entryIDF[$0]) })
        let weights = computed.weights
        slopeWord = computed.slopeWord
        slopeChar = computed.slopeChar
        // Features seen in at least half the classes are expanded to an entry per class (weight 0 where
        // unseen), so that scoring them is a contiguous loop the compiler vectorises.
        let denseFrom = PreparedCorpus.denseThreshold(classes: c)
        var starts: [UInt32] = [0], classes: [UInt16] = [], expanded: [Float] = []
        starts.reserveCapacity(v + 1)
        for f in 0..<v {
            let range = Int(s.featureStart[f])..<Int(s.featureStart[f + 1])
            if range.count >= denseFrom {
                var row = [Float](repeating: 0, count: c)
                for e in range { row[Int(s.entryClass[e])] = weights[e] }
                classes.append(contentsOf: (0..<c).map { UInt16($0) })
                expanded.append(contentsOf: row)
            } else {
                for e in range { classes.append(s.entryClass[e]); expanded.append(weights[e]) }
            }
            starts.append(UInt32(classes.count))
        }
        entryStart = starts
        entryClass = classes
        entryWeight = expanded
        if p.uniformPriors || n == 0 {
            bias = Array(repeating: 0, count: c)
        } else {
            // Laplace-smoothed priors so that a class with no documents (possible after forgetting) stays finite.
            bias = s.classDocuments.map { log((Double($0) + 1) / Double(n + c)) }
        }
    }
}

/// Per-thread buffers for classification.
public struct ClassificationScratch: Sendable {
    var extractor: FeatureExtractor
    var hashes: [UInt64] = []
    var counts: [Float]
    var touched: [Int32] = []
    var values: [Float] = []
    var scores: [Double]
    var partial: [Float]
    /// How many distinct word n-grams of the last message the model knew.
    var knownWords = 0

    init(settings: FeatureSettings, featureCount: Int, classCount: Int) {
        extractor = FeatureExtractor(settings: settings)
        counts = Array(repeating: 0, count: featureCount)
        scores = Array(repeating: 0, count: classCount)
        partial = Array(repeating: 0, count: classCount)
        hashes.reserveCapacity(512)
        touched.reserveCapacity(512)
        values.reserveCapacity(512)
    }
}

extension CompiledScorer {
    /// Turns feature hashes into the message's known features and their values (`touched`, `values`).
    @inline(__always)
    func vectorize(_ scratch: inout ClassificationScratch) {
        scratch.touched.removeAll(keepingCapacity: true)
        scratch.values.removeAll(keepingCapacity: true)
        for hash in scratch.hashes {
            let f = index.lookup(hash)
            if f < 0 { continue }
            if scratch.counts[Int(f)] == 0 { scratch.touched.append(f) }
            scratch.counts[Int(f)] += 1
        }
        var wordNorm: Float = 0, charNorm: Float = 0
        scratch.knownWords = 0
        for f in scratch.touched {
            var x = scratch.counts[Int(f)]
            scratch.counts[Int(f)] = 0
            if parameters.sublinearTF { x = 1 + logf(x) }
            if isChar[Int(f)] { charNorm += x * x } else { wordNorm += x * x; scratch.knownWords += 1 }
            scratch.values.append(x)
        }
        let wordScale: Float = parameters.normalizeLength && wordNorm > 0 ? 1 / wordNorm.squareRoot() : 1
        let charScale: Float = parameters.normalizeLength && charNorm > 0 ? 1 / charNorm.squareRoot() : 1
        let charWeight = Float(parameters.charWeight)
        for i in scratch.touched.indices {
            let f = Int(scratch.touched[i])
            let scale = isChar[f] ? charScale * charWeight : wordScale
            scratch.values[i] *= scale * idf[f]
        }
    }

    /// The raw class scores of the vectorised message, into `scratch.scores`.
    @inline(__always)
    func score(_ scratch: inout ClassificationScratch) {
        var wordSum: Double = 0, charSum: Double = 0
        for (i, f) in scratch.touched.enumerated() {
            if isChar[Int(f)] { charSum += Double(scratch.values[i]) } else { wordSum += Double(scratch.values[i]) }
        }
        for c in 0..<classCount { scratch.scores[c] = bias[c] + slopeWord[c] * wordSum + slopeChar[c] * charSum }
        // Feature sums in Float (dense rows vectorise eight classes at a time), then added to the Double scores.
        for c in 0..<classCount { scratch.partial[c] = 0 }
        scratch.partial.withUnsafeMutableBufferPointer { partial in
            entryClass.withUnsafeBufferPointer { classes in
                entryWeight.withUnsafeBufferPointer { weights in
                    guard let base = partial.baseAddress, let row = weights.baseAddress else { return }
                    for i in scratch.touched.indices {
                        let f = Int(scratch.touched[i])
                        let x = scratch.values[i]
                        let first = Int(entryStart[f]), end = Int(entryStart[f + 1])
                        if end - first == classCount {
                            VectorMath.addScaled(x, row + first, into: base, count: classCount)
                        } else {
                            for e in first..<end { base[Int(classes[e])] += x * row[e] }
                        }
                    }
                }
            }
        }
        for c in 0..<classCount { scratch.scores[c] += Double(scratch.partial[c]) }
    }
}
