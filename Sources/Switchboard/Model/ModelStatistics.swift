/// The sufficient statistics of a naive-Bayes model: per-class feature mass, document frequencies, class
/// sizes and the corrections learnt since training.
///
/// They add up exactly: the statistics of two corpora are the sum of each one's, which is what makes
/// incremental learning, forgetting and merging exact. Feature values are the term frequencies after the
/// model's transform (sublinear and length normalisation, which depend only on the message itself), before
/// IDF and smoothing, which are applied when the model is compiled for scoring. Each message's values are
/// rounded to fixed point (``massScale`` units) before they are summed, so sums are integers: adding is
/// associative and commutative, and subtracting what was added gives back the same bits, which floating
/// point cannot promise.
///
/// Layout: features sorted by hash; for each feature, the classes it was seen in (ascending) and its mass
/// in each (compressed sparse rows).
public struct ModelStatistics: Sendable, Equatable {
    /// Fixed-point units per unit of feature value (2^20: about six significant digits for a message's
    /// normalised values, and room for 2^43 units of mass per entry).
    public static let massScale: Double = 1_048_576

    /// The class labels, in class-number order (sorted).
    public internal(set) var labels: [String]
    /// Each feature's hash, ascending.
    var featureKeys: [UInt64]
    /// In how many training messages each feature occurred.
    var documentFrequency: [UInt32]
    /// Where each feature's entries start in ``entryClass`` and ``entryValue``; one more than the feature count.
    var featureStart: [UInt32]
    /// The class of each entry.
    var entryClass: [UInt16]
    /// The feature mass of each entry, in ``massScale`` units.
    var entryValue: [UInt64]
    /// The number of training messages of each class.
    var classDocuments: [UInt32]
    /// The corrections learnt since training: hashes of their ids, ascending.
    var learntIDs: [UInt64] = []
    /// For each learnt id, the hash of the label and text learnt with it (to check a `--forget`).
    var learntDigests: [UInt64] = []

    /// The number of features.
    public var featureCount: Int { featureKeys.count }
    /// The number of (feature, class) entries.
    public var entryCount: Int { entryClass.count }
    /// The number of training messages.
    public var documentCount: Int { classDocuments.reduce(0) { $0 + Int($1) } }
    /// The number of corrections learnt since training.
    public var learntCount: Int { learntIDs.count }

    /// The mass of entry `e` as a number.
    @inline(__always)
    func mass(_ e: Int) -> Double { Double(entryValue[e]) / Self.massScale }

    /// A message's feature value in fixed point.
    @inline(__always)
    static func fixedPoint(_ value: Float) -> UInt64 {
        UInt64((Double(value) * massScale).rounded())
    }

    /// Statistics with no features.
    static func empty(labels: [String]) -> ModelStatistics {
        ModelStatistics(labels: labels, featureKeys: [], documentFrequency: [], featureStart: [0], entryClass: [],
                        entryValue: [], classDocuments: Array(repeating: 0, count: labels.count))
    }

    /// Checks the internal consistency of statistics read from a file.
    func validate() throws {
        let v = featureKeys.count
        func fail(_ what: String) -> SwitchboardError { SwitchboardError(.invalidModel, "the model's statistics are inconsistent: \(what)") }
        guard labels.count >= 1, labels.count <= Int(UInt16.max) else { throw fail("\(labels.count) labels") }
        // Sorted and unique, as every command writes them: merging and learning line classes up by that order,
        // and a file with the labels swapped (checksum recomputed) loaded, then made them write a model that
        // could not be read back.
        for i in labels.indices.dropFirst() where !(labels[i - 1] < labels[i]) { throw fail("labels are not sorted and unique ('\(labels[i])')") }
        // Only what makes a label unusable: the checks of a corpus's labels for message text came later, and a
        // model written before them must keep loading.
        if let problem = labels.lazy.compactMap(LabeledExample.labelStructureProblem).first { throw fail(problem) }
        guard documentFrequency.count == v, featureStart.count == v + 1, classDocuments.count == labels.count else { throw fail("array lengths disagree") }
        guard featureStart.first == 0, Int(featureStart[v]) == entryClass.count, entryValue.count == entryClass.count else { throw fail("entry offsets") }
        guard learntIDs.count == learntDigests.count else { throw fail("learnt corrections") }
        for i in learntIDs.indices.dropFirst() where learntIDs[i] <= learntIDs[i - 1] { throw fail("learnt ids are not sorted") }
        var previousKey: UInt64 = 0
        for f in 0..<v {
            guard featureKeys[f] > previousKey || f == 0, featureKeys[f] != 0 else { throw fail("feature keys are not sorted") }
            previousKey = featureKeys[f]
            let start = Int(featureStart[f]), end = Int(featureStart[f + 1])
            guard start <= end else { throw fail("entry offsets go backwards at feature \(f)") }
            var previousClass = -1
            for e in start..<end {
                let c = Int(entryClass[e])
                guard c > previousClass, c < labels.count else { throw fail("entry classes at feature \(f)") }
                // 2^53: masses must stay exact as Double when the model is compiled.
                guard entryValue[e] < 1 << 53 else { throw fail("entry value at feature \(f)") }
                previousClass = c
            }
        }
    }
}
