/// The most indicative word features of each label, with readable names, for `inspect`.
enum TopFeatures {
    /// How many features per label.
    static let perLabel = 12

    /// The fewest training messages a feature must occur in for its text to be kept in the model.
    ///
    /// These names are the only text of the corpus a model file holds. Placeholders keep e-mail addresses,
    /// phone numbers and the like out of features, but not people's names: a customer's or an agent's name
    /// in a signature can weigh a lot for a label in a small corpus. Five messages (it was two) keeps out
    /// what one customer's exchange repeats, and leaves the words that describe a label.
    static let minimumDocuments = 5

    /// For each label, the word features (seen in at least ``minimumDocuments`` messages) whose weight for the
    /// label most exceeds their mean weight for the other labels; names recovered from the label's own messages.
    static func compute(model: NaiveBayesModel, examples: [LabeledExample], rowClass: [Int32]) -> [String: [WeightedFeature]] {
        let s = model.statistics, scorer = model.scorer
        let c = s.labels.count
        guard c >= 2 else { return [:] }
        let slopeSum = scorer.slopeWord.reduce(0, +)
        var best = [[(hash: UInt64, weight: Double)]](repeating: [], count: c)
        var floor = [Double](repeating: -.infinity, count: c)
        var unit = [Double](repeating: 0, count: c)
        for f in 0..<s.featureCount where !FeatureHash.isChar(s.featureKeys[f]) && s.documentFrequency[f] >= Self.minimumDocuments {
            let entries = scorer.entries(ofKey: s.featureKeys[f])
            var sum = 0.0
            for entry in entries { sum += Double(entry.weight) }
            for entry in entries { unit[entry.classIndex] = Double(entry.weight) }
            for entry in entries {
                let cls = entry.classIndex
                let mine = unit[cls] + scorer.slopeWord[cls]
                let others = (sum - unit[cls] + slopeSum - scorer.slopeWord[cls]) / Double(c - 1)
                let weight = (mine - others) * Double(scorer.idf[f])
                if weight > floor[cls] {
                    best[cls].append((s.featureKeys[f], weight))
                    if best[cls].count > perLabel * 8 {
                        best[cls].sort { $0.weight > $1.weight }
                        best[cls].removeLast(best[cls].count - perLabel)
                        floor[cls] = best[cls][perLabel - 1].weight
                    }
                }
            }
            for entry in entries { unit[entry.classIndex] = 0 }
        }
        // Names are recovered from each label's own messages, one label per task.
        let candidates = best
        let settings = model.metadata.features
        let named = Parallel.map(c) { cls -> [WeightedFeature] in
            var extractor = FeatureExtractor(settings: settings)
            let chosen = candidates[cls].sorted { $0.weight > $1.weight }.prefix(perLabel)
            var wanted = Dictionary(chosen.map { ($0.hash, $0.weight) }, uniquingKeysWith: { a, _ in a })
            var names: [UInt64: String] = [:]
            for (row, example) in examples.enumerated() where rowClass[row] == Int32(cls) {
                for feature in extractor.namedFeatures(example.text, wordsOnly: true, only: Set(wanted.keys)) where wanted[feature.hash] != nil {
                    names[feature.hash] = feature.name
                    wanted[feature.hash] = nil
                }
                if wanted.isEmpty { break }
            }
            return chosen.compactMap { item in names[item.hash].map { WeightedFeature(name: $0, weight: (item.weight * 1000).rounded() / 1000) } }
        }
        var result: [String: [WeightedFeature]] = [:]
        for cls in 0..<c { result[s.labels[cls]] = named[cls] }
        return result
    }
}
