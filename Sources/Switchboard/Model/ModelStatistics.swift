/// The sufficient statistics of a naive-Bayes model: per-class feature mass, document frequencies and
/// class sizes.
///
/// They add up: the statistics of two corpora are the sum of each one's, which is what makes incremental
/// learning, forgetting and merging exact. Feature values are the term frequencies after the model's
/// transform (sublinear and length normalisation, which depend only on the message itself), before IDF and
/// smoothing, which are applied when the model is compiled for scoring.
///
/// Layout: features sorted by hash; for each feature, the classes it was seen in (ascending) and its mass
/// in each (compressed sparse rows).
public struct ModelStatistics: Sendable, Equatable {
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
    /// The feature mass of each entry.
    var entryValue: [Float]
    /// The number of training messages of each class.
    var classDocuments: [UInt32]

    /// The number of features.
    public var featureCount: Int { featureKeys.count }
    /// The number of (feature, class) entries.
    public var entryCount: Int { entryClass.count }
    /// The number of training messages.
    public var documentCount: Int { classDocuments.reduce(0) { $0 + Int($1) } }

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
        guard Set(labels).count == labels.count else { throw fail("duplicate labels") }
        guard documentFrequency.count == v, featureStart.count == v + 1, classDocuments.count == labels.count else { throw fail("array lengths disagree") }
        guard featureStart.first == 0, Int(featureStart[v]) == entryClass.count, entryValue.count == entryClass.count else { throw fail("entry offsets") }
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
                guard entryValue[e].isFinite, entryValue[e] >= 0 else { throw fail("entry value at feature \(f)") }
                previousClass = c
            }
        }
    }
}
