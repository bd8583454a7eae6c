/// Accuracy, macro-F1, per-label scores and the confusion matrix of predictions against the truth.
public struct Evaluation: Sendable, Codable {
    /// Precision, recall, F1 and support of one label.
    public struct LabelScores: Sendable, Codable, Equatable {
        public var precision: Double
        public var recall: Double
        public var f1: Double
        public var support: Int
    }

    /// A pair of labels confused, and how often.
    public struct Confusion: Sendable, Codable, Equatable {
        public var truth: String
        public var predicted: String
        public var count: Int
    }

    /// The labels, in matrix order.
    public var labels: [String]
    /// The number of examples.
    public var count: Int
    /// The share of examples predicted right.
    public var accuracy: Double
    /// The unweighted mean of the labels' F1 (labels with support in the truth).
    public var macroF1: Double
    /// Scores per label.
    public var perLabel: [String: LabelScores]
    /// confusion[truth][predicted] counts, in ``labels`` order.
    public var confusion: [[Int]]

    /// Evaluates `predicted` against `truth` (same length).
    public init(truth: [String], predicted: [String]) {
        let labels = Array(Set(truth).union(predicted)).sorted()
        let position = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        var matrix = [[Int]](repeating: [Int](repeating: 0, count: labels.count), count: labels.count)
        for (t, p) in zip(truth, predicted) {
            if let i = position[t], let j = position[p] { matrix[i][j] += 1 }
        }
        var perLabel: [String: LabelScores] = [:]
        var f1Sum = 0.0, f1Count = 0
        for (i, label) in labels.enumerated() {
            let tp = matrix[i][i]
            let support = matrix[i].reduce(0, +)
            let predictedCount = matrix.reduce(0) { $0 + $1[i] }
            let precision = predictedCount > 0 ? Double(tp) / Double(predictedCount) : 0
            let recall = support > 0 ? Double(tp) / Double(support) : 0
            let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
            perLabel[label] = LabelScores(precision: precision, recall: recall, f1: f1, support: support)
            if support > 0 { f1Sum += f1; f1Count += 1 }
        }
        let correct = zip(truth, predicted).filter { $0 == $1 }.count
        self.labels = labels
        self.count = truth.count
        self.accuracy = truth.isEmpty ? 0 : Double(correct) / Double(truth.count)
        self.macroF1 = f1Count > 0 ? f1Sum / Double(f1Count) : 0
        self.perLabel = perLabel
        self.confusion = matrix
    }

    /// The most frequent confusions, largest first.
    public func mostConfused(_ limit: Int = 10) -> [Confusion] {
        var pairs: [Confusion] = []
        for (i, truth) in labels.enumerated() {
            for (j, predicted) in labels.enumerated() where i != j && confusion[i][j] > 0 {
                pairs.append(Confusion(truth: truth, predicted: predicted, count: confusion[i][j]))
            }
        }
        pairs.sort { ($0.count, $1.truth, $1.predicted) > ($1.count, $0.truth, $0.predicted) }
        return Array(pairs.prefix(limit))
    }
}
