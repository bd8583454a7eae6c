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

    /// The sums the weights and slopes are made from: each group's mass per class, each feature's total mass.
    struct Masses: Sendable {
        /// Word then character sums, class by class (2 × classes).
        var classMass: [Double]
        var featureMass: [Double]
    }

    /// Each group's class masses and each feature's total mass, entry by entry in order. They do not depend on
    /// the variant or alpha: cross-validation computes them once for all the alphas it scores together, and
    /// passes them to ``compute(entryStart:entryClass:isChar:classes:featuresPerGroup:variant:alpha:needed:masses:mass:)``.
    @inline(__always)
    static func masses(entryStart: [UInt32], entryClass: [UInt16], isChar: [Bool], classes: Int,
                       mass: (_ entry: Int, _ feature: Int) -> Double) -> Masses {
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
        return Masses(classMass: flatClassMass, featureMass: featureMass)
    }

    /// Computes the weights of every entry, or only of the features `needed` marks (the others' weights are left 0).
    /// `mass(e, f)` is entry `e`'s mass with IDF applied; `f` is its feature. `masses`, when given, are
    /// ``masses(entryStart:entryClass:isChar:classes:mass:)`` of the same `mass`.
    ///
    /// The slopes always sum every entry's mass: they are the same whichever weights are computed. `needed` is for
    /// cross-validation, which scores a fold's held-out messages, and reads only the weights of their features:
    /// the logarithms are most of the cost of a fold's model, and a sample of held-out messages has a fraction of
    /// the corpus's features.
    @inline(__always)
    static func compute(entryStart: [UInt32], entryClass: [UInt16], isChar: [Bool], classes: Int, featuresPerGroup: [Int],
                        variant: NaiveBayesParameters.Variant, alpha: Double, needed: [Bool]? = nil, masses: Masses? = nil,
                        mass: (_ entry: Int, _ feature: Int) -> Double) -> Result {
        let v = isChar.count
        let sums = masses ?? Self.masses(entryStart: entryStart, entryClass: entryClass, isChar: isChar, classes: classes, mass: mass)
        let flatClassMass = sums.classMass, featureMass = sums.featureMass
        let classMass = [Array(flatClassMass[0..<classes]), Array(flatClassMass[classes...])]
        let smoothing = featuresPerGroup.map { alpha * Double(max($0, 1)) }
        var weights = [Float](repeating: 0, count: entryClass.count)
        var slopes = [[Double]](repeating: [], count: 2)
        // The entries' logarithms are taken a batch at a time, four lanes at once (see `VectorMath.log1pInPlace`):
        // each entry's argument, and for the complement the term it is subtracted from, wait in `pending`.
        let pending = LogBatch()
        switch variant {
        case .multinomial:
            weights.withUnsafeMutableBufferPointer { weights in
                for f in 0..<v where needed?[f] ?? true {
                    for e in Int(entryStart[f])..<Int(entryStart[f + 1]) {
                        let m = mass(e, f)
                        if m > 0 { pending.add(entry: e, argument: m / alpha, into: weights, log1p: true) }
                    }
                }
                pending.flush(into: weights, log1p: true)
            }
            for g in 0..<2 { slopes[g] = classMass[g].map { -log($0 + smoothing[g]) } }
        case .complement:
            weights.withUnsafeMutableBufferPointer { weights in
                for f in 0..<v where needed?[f] ?? true {
                    let t = featureMass[f], logTotal = log(t + alpha)
                    for e in Int(entryStart[f])..<Int(entryStart[f + 1]) {
                        let m = mass(e, f)
                        if m > 0 { pending.add(entry: e, argument: max(t - m, 0) + alpha, minuend: logTotal, into: weights, log1p: false) }
                    }
                }
                pending.flush(into: weights, log1p: false)
            }
            for g in 0..<2 {
                let total = classMass[g].reduce(0, +)
                slopes[g] = classMass[g].map { log(max(total - $0, 0) + smoothing[g]) }
            }
        }
        return Result(weights: weights, slopeWord: slopes[0], slopeChar: slopes[1])
    }
}

/// Entries waiting for their weight's logarithm: written, once the batch is full or the last entry added, as
/// `Float(minuend - log(argument))` (complement) or `Float(log1p(argument))` (multinomial, minuend 0).
///
/// Buffers through pointers, allocated once: arrays in a struct mutated at every entry checked their uniqueness
/// and bounds each time, which cost as much as the logarithms saved.
private final class LogBatch {
    static let size = 512
    let entries = UnsafeMutablePointer<Int>.allocate(capacity: size)
    let arguments = UnsafeMutablePointer<Double>.allocate(capacity: size)
    let minuends = UnsafeMutablePointer<Double>.allocate(capacity: size)
    var count = 0

    deinit {
        entries.deallocate()
        arguments.deallocate()
        minuends.deallocate()
    }

    @inline(__always)
    func add(entry: Int, argument: Double, minuend: Double = 0, into weights: UnsafeMutableBufferPointer<Float>, log1p: Bool) {
        entries[count] = entry
        arguments[count] = argument
        minuends[count] = minuend
        count += 1
        if count == Self.size { flush(into: weights, log1p: log1p) }
    }

    func flush(into weights: UnsafeMutableBufferPointer<Float>, log1p: Bool) {
        let n = count
        let batch = UnsafeMutableBufferPointer(start: arguments, count: n)
        if log1p {
            VectorMath.log1pInPlace(batch)
            for i in 0..<n { weights[entries[i]] = Float(batch[i]) }
        } else {
            VectorMath.logInPlace(batch)
            for i in 0..<n { weights[entries[i]] = Float(minuends[i] - batch[i]) }
        }
        count = 0
    }
}
