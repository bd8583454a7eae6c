import Foundation

/// Deterministic pseudo-random numbers (SplitMix64), so that folds are the same on every machine.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        return FeatureHash.mix(state &- 0x9e37_79b9_7f4a_7c15)
    }
}

/// Stratified k-fold cross-validation over a prepared corpus, exploiting the additivity of naive Bayes:
/// each fold's model is the corpus statistics minus the fold's own, so no fold is re-extracted or re-counted.
struct CrossValidation: Sendable {
    let corpus: PreparedCorpus
    let folds: Int
    /// Each row's fold.
    let rowFold: [Int]
    /// Rows of each fold.
    let foldRows: [[Int]]
    let totalMass: [Float]
    let totalFrequency: [UInt32]
    let totalDocuments: [UInt32]
    let foldMass: [[Float]]
    let foldFrequency: [[UInt32]]
    let foldDocuments: [[UInt32]]
    /// 1 for every feature: the IDF factors of a candidate without IDF, one array for every fold.
    let ones: [Float]

    /// Each row's share of word n-gram occurrences that its fold's model (the other folds' messages) knows; nil
    /// for a row without words. The length feature is left out. A new message is scored by a model that knows
    /// a little more than a fold's, so these shares are, if anything, a little low.
    func knownWordShares() -> [Double?] {
        let m = corpus.matrix
        let skip = (0..<m.featureCount).map { corpus.isChar[$0] || FeatureHash.lengthFeatures.contains(m.keys[$0]) }
        return (0..<m.rowCount).map { row -> Double? in
            let fold = rowFold[row]
            var total: Float = 0, known: Float = 0
            for k in m.rowStart[row]..<m.rowStart[row + 1] {
                let f = Int(m.features[k])
                if skip[f] { continue }
                total += m.counts[k]
                if totalFrequency[f] > foldFrequency[fold][f] { known += m.counts[k] }
            }
            return total > 0 ? Double(known / total) : nil
        }
    }

    /// Assigns rows to folds: each class's rows shuffled with `seed`, then dealt out in turn; then every
    /// repeat of a message joins the fold of its first occurrence.
    ///
    /// A message that is in the corpus twice, once in a fold and once in the others, is scored by a model
    /// that saw it: banking77's training split given three times cross-validated at 0.951 where the test split
    /// gives 0.885, and the abstention threshold chosen on those scores routed everything. Repeats are
    /// recognised by their features (the same features, the same counts), so case, accents and punctuation
    /// that the features ignore do not hide them. A corpus without repeats gets the same folds as before.
    init(corpus: PreparedCorpus, folds: Int, seed: UInt64) {
        self.corpus = corpus
        self.folds = folds
        ones = [Float](repeating: 1, count: corpus.matrix.featureCount)
        var rowFold = [Int](repeating: 0, count: corpus.matrix.rowCount)
        var generator = SplitMix64(seed: seed)
        var byClass = [[Int]](repeating: [], count: corpus.classCount)
        for row in 0..<corpus.matrix.rowCount { byClass[Int(corpus.rowClass[row])].append(row) }
        var next = 0
        for var rows in byClass {
            rows.shuffle(using: &generator)
            for row in rows { rowFold[row] = next % folds; next += 1 }
        }
        var foldOfMessage: [UInt64: Int] = [:]
        for row in rowFold.indices {
            let digest = corpus.matrix.rowDigest(row)
            if let fold = foldOfMessage[digest] { rowFold[row] = fold } else { foldOfMessage[digest] = rowFold[row] }
        }
        self.rowFold = rowFold
        var foldRows = [[Int]](repeating: [], count: folds)
        for row in rowFold.indices { foldRows[rowFold[row]].append(row) }
        self.foldRows = foldRows
        let rowsOfFold = foldRows
        let perFold = Parallel.map(folds) { fold in corpus.sums(of: rowsOfFold[fold]) }
        foldMass = perFold.map(\.mass)
        foldFrequency = perFold.map(\.frequency)
        foldDocuments = perFold.map(\.classDocuments)
        var mass = [Float](repeating: 0, count: corpus.entryCount)
        var frequency = [UInt32](repeating: 0, count: corpus.matrix.featureCount)
        var documents = [UInt32](repeating: 0, count: corpus.classCount)
        for fold in 0..<folds {
            for e in mass.indices { mass[e] += foldMass[fold][e] }
            for f in frequency.indices { frequency[f] += foldFrequency[fold][f] }
            for c in documents.indices { documents[c] += foldDocuments[fold][c] }
        }
        totalMass = mass
        totalFrequency = frequency
        totalDocuments = documents
    }

    /// Held-out scores of one fold under one (variant, alpha, idf), split into word and character parts
    /// so that character weights and priors can be tried without scoring again.
    struct FoldScores: Sendable {
        var rows: [Int]
        var word: [Float]
        var char: [Float]
        var wordSum: [Double]
        var charSum: [Double]
        var slopeWord: [Double]
        var slopeChar: [Double]
        var logPrior: [Double]
    }

    /// What the model of the other folds than `fold` is made of besides its weights, the same for every candidate:
    /// each class's documents, each feature's IDF, and the features it knows in each group.
    struct FoldTerms: Sendable {
        var documents: [Int]
        var idf: [Float]
        var knownPerGroup: [Int]
    }

    /// The terms of the model of the other folds than `fold` (see ``FoldTerms``).
    func foldTerms(_ fold: Int) -> FoldTerms {
        let c = corpus.classCount, v = corpus.matrix.featureCount
        let documents = (0..<c).map { Int(totalDocuments[$0]) - Int(foldDocuments[fold][$0]) }
        let n = documents.reduce(0, +)
        let foldFrequencyI = foldFrequency[fold]
        let idf = (0..<v).map { CompiledScorer.idf(documents: n, frequency: Int(totalFrequency[$0]) - Int(foldFrequencyI[$0])) }
        var knownPerGroup = [0, 0]
        for f in 0..<v where totalFrequency[f] != foldFrequencyI[f] { knownPerGroup[corpus.isChar[f] ? 1 : 0] += 1 }
        return FoldTerms(documents: documents, idf: idf, knownPerGroup: knownPerGroup)
    }

    /// Each feature's factor in a fold model's masses: its IDF in the other folds (`terms.idf`), or 1 without IDF.
    func factors(idf useIDF: Bool, terms: FoldTerms) -> [Float] {
        useIDF ? terms.idf : ones
    }

    /// The class and feature masses of the model of the other folds than `fold`, with its IDF or without (see
    /// ``NaiveBayesWeights/masses(entryStart:entryClass:isChar:classes:mass:)``): the same for every variant and
    /// alpha, so ``scoreFold(_:variant:alphas:idf:)`` sums them once for all its alphas. They are not kept in
    /// ``FoldTerms``: for 20newsgroups, two per fold kept for the whole search raised training's peak by about 70 MB.
    func foldMasses(_ fold: Int, idf useIDF: Bool, terms: FoldTerms) -> NaiveBayesWeights.Masses {
        let foldMassI = foldMass[fold]
        let factors = factors(idf: useIDF, terms: terms)
        return NaiveBayesWeights.masses(entryStart: corpus.entryStart, entryClass: corpus.entryClass, isChar: corpus.isChar,
                                        classes: corpus.classCount,
                                        mass: { Self.entryMass($0, $1, total: totalMass, fold: foldMassI, idf: factors) })
    }

    /// The mass of `entry` in the model of the other folds (`total` minus the fold's `fold`), times its
    /// feature's factor in `idf`: the one formula of the fold model's masses and weights.
    @inline(__always)
    static func entryMass(_ entry: Int, _ feature: Int, total: [Float], fold: [Float], idf: [Float]) -> Double {
        // Without IDF every factor is 1, and a Double times 1 is itself: one formula for both.
        Double(max(total[entry] - fold[entry], 0)) * Double(idf[feature])
    }

    /// The weights of the model of the other folds than `fold` (corpus statistics minus the fold's, IDF applied).
    ///
    /// `needed` marks the features whose weights are read (see ``features(ofRows:knownOutside:)``); nil computes all.
    /// `terms`, when given, are ``foldTerms(_:)`` of `fold`, made once for every candidate; `masses`, when given,
    /// ``foldMasses(_:idf:terms:)`` of `fold` and `useIDF`, made once for several alphas.
    func foldWeights(_ fold: Int, variant: NaiveBayesParameters.Variant, alpha: Double, idf useIDF: Bool,
                     needed: [Bool]? = nil, terms: FoldTerms? = nil,
                     masses: NaiveBayesWeights.Masses? = nil) -> NaiveBayesWeights.Result {
        let terms = terms ?? foldTerms(fold)
        let foldMassI = foldMass[fold]
        let idf = factors(idf: useIDF, terms: terms)
        return NaiveBayesWeights.compute(
            entryStart: corpus.entryStart, entryClass: corpus.entryClass, isChar: corpus.isChar, classes: corpus.classCount,
            featuresPerGroup: terms.knownPerGroup, variant: variant, alpha: alpha, needed: needed,
            masses: masses, mass: { Self.entryMass($0, $1, total: totalMass, fold: foldMassI, idf: idf) })
    }

    /// Marks the features of `rows` that the model of the other folds than `fold` knows: the only ones whose
    /// weights scoring those rows reads.
    func features(ofRows rows: [Int], knownOutside fold: Int) -> [Bool] {
        let m = corpus.matrix
        var needed = [Bool](repeating: false, count: m.featureCount)
        let foldFrequencyI = foldFrequency[fold]
        for row in rows {
            for k in m.rowStart[row]..<m.rowStart[row + 1] {
                let f = Int(m.features[k])
                if totalFrequency[f] != foldFrequencyI[f] { needed[f] = true }
            }
        }
        return needed
    }

    /// Each of `rows`' mean log-probability per word n-gram occurrence under the word model of class
    /// `predicted[i]` in its fold's model (the other folds' messages), as routing computes it for a new message
    /// (see ``CompiledScorer/wordLogLikelihood(_:forClass:excluding:)``); nil for a row without words. The
    /// length feature is left out. Multinomial `parameters` only (nil for every row otherwise).
    func wordLogLikelihoods(rows: [Int], predicted: [Int], parameters: NaiveBayesParameters, workers: Int = Parallel.defaultWorkers) -> [Double?] {
        guard parameters.variant == .multinomial else { return rows.map { _ in nil } }
        let m = corpus.matrix
        let skip = (0..<m.featureCount).map { corpus.isChar[$0] || FeatureHash.lengthFeatures.contains(m.keys[$0]) }
        var result = [Double?](repeating: nil, count: rows.count)
        var positions = [[Int]](repeating: [], count: folds)
        for (i, row) in rows.enumerated() { positions[rowFold[row]].append(i) }
        let positionsOfFold = positions
        let perFold = Parallel.map(folds, workers: workers) { fold -> [(Int, Double?)] in
            let needed = features(ofRows: positionsOfFold[fold].map { rows[$0] }, knownOutside: fold)
            let computed = foldWeights(fold, variant: parameters.variant, alpha: parameters.alpha, idf: parameters.idf, needed: needed)
            let logAlpha = log(parameters.alpha)
            return positionsOfFold[fold].map { i -> (Int, Double?) in
                let row = rows[i], c = predicted[i]
                var occurrences: Float = 0, sum: Double = 0
                for k in m.rowStart[row]..<m.rowStart[row + 1] {
                    let f = Int(m.features[k])
                    if skip[f] { continue }
                    occurrences += m.counts[k]
                    // The entry of class c, if f was seen in it (the weight of a mass the fold removed is 0).
                    for e in Int(corpus.entryStart[f])..<Int(corpus.entryStart[f + 1]) where Int(corpus.entryClass[e]) == c {
                        sum += Double(m.counts[k]) * Double(computed.weights[e])
                    }
                }
                guard occurrences > 0 else { return (i, nil) }
                return (i, min(0, logAlpha + computed.slopeWord[c] + sum / Double(occurrences)))
            }
        }
        for part in perFold { for (i, value) in part { result[i] = value } }
        return result
    }

    /// A fold's held-out rows, vectorised as classification would vectorise them for the model of the other
    /// folds: its unknown features dropped, the known ones' term frequencies transformed and each group scaled to
    /// unit length (before IDF, which the candidate being scored applies).
    ///
    /// The same for every (variant, alpha, IDF) candidate: made once per fold and kept for all of them, rather than
    /// once per candidate (24 by default) as the vectorisation used to be.
    struct HeldOut: Sendable {
        /// The fold.
        var fold: Int
        /// The rows, in order.
        var rows: [Int]
        /// Row `j`'s cells are `cellStart[j]..<cellStart[j + 1]`, in the order of the feature matrix's.
        var cellStart: [Int]
        /// Each cell's value: the transformed term frequency times its group's scale, 0 for a feature the model of
        /// the other folds does not know. (Only values are kept, not the features the matrix already has: for
        /// 20newsgroups, whose every row is held out once, a feature number per cell was 100 MB more at the peak.)
        var value: [Float]
        /// The features of these rows that the model of the other folds knows: the only weights scoring reads.
        var needed: [Bool]
        /// The fold's ``FoldTerms``.
        var terms: FoldTerms
    }

    /// Fold `fold`'s held-out rows, all of them or a deterministic subsample of about `sample` (every k-th row;
    /// fold rows are already in shuffled class order), vectorised (see ``HeldOut``).
    func heldOut(_ fold: Int, sample: Int? = nil) -> HeldOut {
        let all = foldRows[fold]
        let rows = sample.map { limit in
            limit >= all.count ? all : stride(from: 0, to: all.count, by: max(1, all.count / max(limit, 1))).map { all[$0] }
        } ?? all
        let m = corpus.matrix
        let foldFrequencyI = foldFrequency[fold]
        var held = HeldOut(fold: fold, rows: rows, cellStart: [0], value: [], needed: [Bool](repeating: false, count: m.featureCount),
                           terms: foldTerms(fold))
        held.cellStart.reserveCapacity(rows.count + 1)
        for row in rows {
            let range = m.rowStart[row]..<m.rowStart[row + 1]
            let first = held.value.count
            var wordNorm: Float = 0, charNorm: Float = 0
            for k in range {
                let f = Int(m.features[k])
                if totalFrequency[f] == foldFrequencyI[f] { held.value.append(0); continue }
                let x = corpus.sublinearTF ? 1 + logf(m.counts[k]) : m.counts[k]
                held.value.append(x)
                if corpus.isChar[f] { charNorm += x * x } else { wordNorm += x * x }
            }
            let ws: Float = corpus.normalizeLength && wordNorm > 0 ? 1 / wordNorm.squareRoot() : 1
            let cs: Float = corpus.normalizeLength && charNorm > 0 ? 1 / charNorm.squareRoot() : 1
            for (i, k) in range.enumerated() where held.value[first + i] != 0 {
                let f = Int(m.features[k])
                held.value[first + i] *= corpus.isChar[f] ? cs : ws
                held.needed[f] = true
            }
            held.cellStart.append(held.value.count)
        }
        return held
    }

    /// Scores the held-out rows `held` of a fold with the model of the other folds.
    func scoreFold(_ held: HeldOut, variant: NaiveBayesParameters.Variant, alpha: Double, idf useIDF: Bool) -> FoldScores {
        scoreFold(held, variant: variant, alphas: [alpha], idf: useIDF)[0]
    }

    /// How many alphas ``scoreFold(_:variant:alphas:idf:)`` scores together on this corpus: up to six, fewer when
    /// the interleaved weights (a Float per entry and alpha) would pass 32 MB, so that a large corpus's search
    /// takes no more memory than a few candidates' weights.
    var alphasScoredTogether: Int {
        max(1, min(6, (32 << 20) / max(1, corpus.entryClass.count * MemoryLayout<Float>.stride)))
    }

    /// Scores the held-out rows `held` of a fold with the models of the other folds for each of `alphas`: the
    /// scores of ``scoreFold(_:variant:alpha:idf:)`` for each alpha, bit for bit.
    ///
    /// One pass over the rows for all the alphas: a feature's value, row and entries are read once, and its
    /// weights for every alpha sit side by side (entry-major), as do the scores they are added to, so that a dense
    /// feature is one contiguous loop of classes times alphas. Each (row, class, alpha) sum gets the same
    /// additions in the same order as when scored alone. Scoring the rows was half of the search's time, and a
    /// third of that went on reading the features, once per candidate.
    func scoreFold(_ held: HeldOut, variant: NaiveBayesParameters.Variant, alphas: [Double], idf useIDF: Bool) -> [FoldScores] {
        let c = corpus.classCount, width = alphas.count
        let idf = factors(idf: useIDF, terms: held.terms), documents = held.terms.documents
        let masses = foldMasses(held.fold, idf: useIDF, terms: held.terms)
        // One alpha's weights are scored as they are; several are interleaved, only those of the needed features
        // (the others are 0, as `foldWeights` leaves them, and never read).
        var interleaved = width == 1 ? [] : [Float](repeating: 0, count: corpus.entryClass.count * width)
        var slopes: [(word: [Double], char: [Double])] = []
        for (a, alpha) in alphas.enumerated() {
            let computed = foldWeights(held.fold, variant: variant, alpha: alpha, idf: useIDF, needed: held.needed,
                                       terms: held.terms, masses: masses)
            slopes.append((computed.slopeWord, computed.slopeChar))
            if width == 1 {
                interleaved = computed.weights
                continue
            }
            interleaved.withUnsafeMutableBufferPointer { target in
                computed.weights.withUnsafeBufferPointer { source in
                    for f in 0..<held.needed.count where held.needed[f] {
                        for e in Int(corpus.entryStart[f])..<Int(corpus.entryStart[f + 1]) { target[e * width + a] = source[e] }
                    }
                }
            }
        }
        let n = documents.reduce(0, +)
        let logPrior = documents.map { log((Double($0) + 1) / Double(n + c)) }
        let rowCount = held.rows.count
        let stride = c * width
        var word = [Float](repeating: 0, count: rowCount * stride), char = [Float](repeating: 0, count: rowCount * stride)
        var wordSums = [Double](repeating: 0, count: rowCount), charSums = [Double](repeating: 0, count: rowCount)
        // The innermost loop of training: unsafe buffers to drop bounds checks, one target row per feature.
        interleaved.withUnsafeBufferPointer { weightBuffer in
        corpus.entryClass.withUnsafeBufferPointer { classBuffer in
        corpus.entryStart.withUnsafeBufferPointer { startBuffer in
        corpus.matrix.features.withUnsafeBufferPointer { features in
        held.value.withUnsafeBufferPointer { values in
        word.withUnsafeMutableBufferPointer { wordBuffer in
        char.withUnsafeMutableBufferPointer { charBuffer in
            guard let wordBase = wordBuffer.baseAddress, let charBase = charBuffer.baseAddress, let weightBase = weightBuffer.baseAddress else { return }
            for j in 0..<rowCount {
                var wordSum = 0.0, charSum = 0.0
                let base = j * stride
                let cells = held.cellStart[j], matrixCells = corpus.matrix.rowStart[held.rows[j]]
                for i in 0..<(held.cellStart[j + 1] - cells) {
                    let scaled = values[cells + i]
                    if scaled == 0 { continue }
                    let f = Int(features[matrixCells + i])
                    let isChar = corpus.isChar[f]
                    let x = scaled * idf[f]
                    let target: UnsafeMutablePointer<Float>
                    if isChar { charSum += Double(x); target = charBase + base } else { wordSum += Double(x); target = wordBase + base }
                    let first = Int(startBuffer[f]), end = Int(startBuffer[f + 1])
                    if end - first == c {
                        // Dense feature: (class, alpha) pairs 0..<c * width in order, a loop the compiler vectorises.
                        VectorMath.addScaled(x, weightBase + first * width, into: target, count: stride)
                    } else {
                        for e in first..<end {
                            let row = target + Int(classBuffer[e]) * width, weights = weightBase + e * width
                            for a in 0..<width { row[a] += x * weights[a] }
                        }
                    }
                }
                wordSums[j] = wordSum
                charSums[j] = charSum
            }
        }
        }
        }
        }
        }
        }
        }
        return (0..<width).map { a in
            var result = FoldScores(rows: held.rows, word: [], char: [], wordSum: wordSums, charSum: charSums,
                                    slopeWord: slopes[a].word, slopeChar: slopes[a].char, logPrior: logPrior)
            if width == 1 {
                (result.word, result.char) = (word, char)
            } else {
                result.word = Array(unsafeUninitializedCapacity: rowCount * c) { out, initialized in
                    for k in 0..<(rowCount * c) { out[k] = word[k * width + a] }
                    initialized = rowCount * c
                }
                result.char = Array(unsafeUninitializedCapacity: rowCount * c) { out, initialized in
                    for k in 0..<(rowCount * c) { out[k] = char[k * width + a] }
                    initialized = rowCount * c
                }
            }
            return result
        }
    }
}

extension CrossValidation.FoldScores {
    /// How many of the held-out rows each (character weight, priors) combination predicts right: entry
    /// `w * priors.count + p` for `charWeights[w]` and `priors[p]` (true: uniform). `truth[j]` is row `j`'s class.
    ///
    /// Each row's score is the sum of ``score(_:_:classes:charWeight:uniformPriors:)``, with the same operations
    /// in the same order, so the predictions are the same; but the parts that do not depend on the combination
    /// are computed once per row and class, not once per combination (sixteen of them by default).
    func hits(charWeights: [Double], priors: [Bool], classes c: Int, truth: [Int]) -> [Int] {
        var hits = [Int](repeating: 0, count: charWeights.count * priors.count)
        var base = [Double](repeating: 0, count: priors.count * c)
        var charPart = [Double](repeating: 0, count: c)
        // The prior of each class under each choice of priors (0 for uniform ones).
        let prior = priors.map { uniform in (0..<c).map { uniform ? 0 : logPrior[$0] } }
        for j in rows.indices {
            base.withUnsafeMutableBufferPointer { base in
            charPart.withUnsafeMutableBufferPointer { charPart in
                let wordTotal = wordSum[j], charTotal = charSum[j]
                for cls in 0..<c {
                    let slot = j * c + cls
                    let wordPart = slopeWord[cls] * wordTotal, wordScore = Double(word[slot])
                    for p in prior.indices { base[p * c + cls] = prior[p][cls] + wordPart + wordScore }
                    charPart[cls] = slopeChar[cls] * charTotal + Double(char[slot])
                }
            }
            }
            // Every combination's best class, eight character weights at a time, one in each lane: each lane keeps
            // the first class of highest score as a scalar loop with `>` would (a NaN never wins), with the same
            // product and sum, so the predictions are the same; the eight running maxima do not wait on one another.
            base.withUnsafeBufferPointer { base in
            charPart.withUnsafeBufferPointer { charPart in
                for chunk in Swift.stride(from: 0, to: charWeights.count, by: 8) {
                    let width = min(8, charWeights.count - chunk)
                    var weights = SIMD8<Double>()
                    for lane in 0..<width { weights[lane] = charWeights[chunk + lane] }
                    for p in priors.indices {
                        var topScore = SIMD8<Double>(repeating: -.infinity), top = SIMD8<Int64>()
                        let row = p * c
                        for cls in 0..<c {
                            let s = SIMD8<Double>(repeating: base[row + cls]) + weights * SIMD8<Double>(repeating: charPart[cls])
                            let better = s .> topScore
                            topScore.replace(with: s, where: better)
                            top.replace(with: SIMD8<Int64>(repeating: Int64(cls)), where: better)
                        }
                        for lane in 0..<width where top[lane] == Int64(truth[j]) { hits[(chunk + lane) * priors.count + p] += 1 }
                    }
                }
            }
            }
        }
        return hits
    }

    /// The combined score of held-out row `j` for class `c`.
    @inline(__always)
    func score(_ j: Int, _ c: Int, classes: Int, charWeight: Double, uniformPriors: Bool) -> Double {
        let slot = j * classes + c
        return (uniformPriors ? 0 : logPrior[c]) + slopeWord[c] * wordSum[j] + Double(word[slot]) + charWeight * (slopeChar[c] * charSum[j] + Double(char[slot]))
    }
}
