import Foundation

/// The naive-Bayes weight formulas, shared by the compiled scorer and cross-validation so that a fold is
/// scored exactly as the finished model will score.
///
/// For each (feature, class) entry with mass N[f,c] (IDF applied), T[f] = sum over classes, N[g][c] the
/// class mass of feature group g (words, characters), V[g] the features of the group:
/// - multinomial: weight = log(1 + N[f,c]/alpha), slope[g][c] = -log(N[g][c] + alpha V[g]);
/// - complement: weight = log(T[f] + alpha) - log(T[f] - N[f,c] + alpha), slope[g][c] = log(T[g] - N[g][c] + alpha V[g]).
/// Terms shared by every class are dropped (softmax ignores them); an entry of mass 0 weighs 0.
enum NaiveBayesWeights {
    struct Result {
        var weights: [Float]
        var slopeWord: [Double]
        var slopeChar: [Double]
    }

    /// Computes the weights of every entry, or only of the features `needed` marks (the others' weights are left 0).
    /// `mass(e, f)` is entry `e`'s mass with IDF applied; `f` is its feature.
    ///
    /// The slopes always sum every entry's mass: they are the same whichever weights are computed. `needed` is for
    /// cross-validation, which scores a fold's held-out messages, and reads only the weights of their features:
    /// the logarithms are most of the cost of a fold's model, and a sample of held-out messages has a fraction of
    /// the corpus's features.
    @inline(__always)
    static func compute(entryStart: [UInt32], entryClass: [UInt16], isChar: [Bool], classes: Int, featuresPerGroup: [Int],
                        variant: NaiveBayesParameters.Variant, alpha: Double, needed: [Bool]? = nil, mass: (_ entry: Int, _ feature: Int) -> Double) -> Result {
        let v = isChar.count
        // Word then character sums, class by class, in one flat array written through a pointer (a nested array
        // checked its uniqueness at every entry); the additions are the same, in the same order.
        var flatClassMass = [Double](repeating: 0, count: 2 * classes)
        var featureMass = [Double](repeating: 0, count: v)
        flatClassMass.withUnsafeMutableBufferPointer { sums in
            for f in 0..<v {
                let group = isChar[f] ? classes : 0
                var total: Double = 0
                for e in Int(entryStart[f])..<Int(entryStart[f + 1]) {
                    let m = mass(e, f)
                    sums[group + Int(entryClass[e])] += m
                    total += m
                }
                featureMass[f] = total
            }
        }
        let classMass = [Array(flatClassMass[0..<classes]), Array(flatClassMass[classes...])]
        let smoothing = featuresPerGroup.map { alpha * Double(max($0, 1)) }
        var weights = [Float](repeating: 0, count: entryClass.count)
        var slopes = [[Double]](repeating: [], count: 2)
        switch variant {
        case .multinomial:
            for f in 0..<v where needed?[f] ?? true {
                for e in Int(entryStart[f])..<Int(entryStart[f + 1]) {
                    let m = mass(e, f)
                    if m > 0 { weights[e] = Float(log1p(m / alpha)) }
                }
            }
            for g in 0..<2 { slopes[g] = classMass[g].map { -log($0 + smoothing[g]) } }
        case .complement:
            for f in 0..<v where needed?[f] ?? true {
                let t = featureMass[f], logTotal = log(t + alpha)
                for e in Int(entryStart[f])..<Int(entryStart[f + 1]) {
                    let m = mass(e, f)
                    if m > 0 { weights[e] = Float(logTotal - log(max(t - m, 0) + alpha)) }
                }
            }
            for g in 0..<2 {
                let total = classMass[g].reduce(0, +)
                slopes[g] = classMass[g].map { log(max(total - $0, 0) + smoothing[g]) }
            }
        }
        return Result(weights: weights, slopeWord: slopes[0], slopeChar: slopes[1])
    }
}
