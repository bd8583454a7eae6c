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

    /// Computes the weights of every entry. `mass(e)` is entry `e`'s mass with IDF applied.
    @inline(__always)
    static func compute(entryStart: [UInt32], entryClass: [UInt16], isChar: [Bool], classes: Int, featuresPerGroup: [Int],
                        variant: NaiveBayesParameters.Variant, alpha: Double, mass: (Int) -> Double) -> Result {
        let v = isChar.count
        var classMass = [[Double]](repeating: [Double](repeating: 0, count: classes), count: 2)
        var featureMass = [Double](repeating: 0, count: v)
        for f in 0..<v {
            let group = isChar[f] ? 1 : 0
            for e in Int(entryStart[f])..<Int(entryStart[f + 1]) {
                let m = mass(e)
                classMass[group][Int(entryClass[e])] += m
                featureMass[f] += m
            }
        }
        let smoothing = featuresPerGroup.map { alpha * Double(max($0, 1)) }
        var weights = [Float](repeating: 0, count: entryClass.count)
        var slopes = [[Double]](repeating: [], count: 2)
        switch variant {
        case .multinomial:
            for e in weights.indices {
                let m = mass(e)
                if m > 0 { weights[e] = Float(log1p(m / alpha)) }
            }
            for g in 0..<2 { slopes[g] = classMass[g].map { -log($0 + smoothing[g]) } }
        case .complement:
            for f in 0..<v {
                let t = featureMass[f]
                for e in Int(entryStart[f])..<Int(entryStart[f + 1]) {
                    let m = mass(e)
                    if m > 0 { weights[e] = Float(log(t + alpha) - log(max(t - m, 0) + alpha)) }
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
