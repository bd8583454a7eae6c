extension NaiveBayesModel {
    /// Takes classification buffers from the model's pool (or makes new ones).
    func borrowScratch() -> ClassificationScratch {
        pool.withLock { $0.popLast() } ?? makeScratch()
    }

    /// Gives buffers back to the pool.
    func returnScratch(_ scratch: ClassificationScratch) {
        pool.withLock { if $0.count < 64 { $0.append(scratch) } }
    }

    /// The features of the last message scored in `scratch` that weighed most for class `chosen` against `other`.
    ///
    /// A feature's contribution is its value times the difference of its per-unit weights for the two classes
    /// (including the length term); names are recovered from the tokens the scratch's extractor kept.
    func explain(scratch: ClassificationScratch, chosen: Int, against other: Int, limit: Int = 5) -> [FeatureContribution] {
        let s = scorer
        let wordSlopeDifference = s.slopeWord[chosen] - s.slopeWord[other]
        let charSlopeDifference = s.slopeChar[chosen] - s.slopeChar[other]
        // The `limit` largest contributions, kept sorted as they come (ties: the earlier feature first, as a
        // stable sort of all of them would give), instead of sorting every positive one.
        var chosenFeatures: [(key: UInt64, weight: Double)] = []
        chosenFeatures.reserveCapacity(limit + 1)
        for (i, slot) in scratch.touchedEntries.enumerated() {
            let a = Double(s.weight(slot, forClass: chosen)), b = Double(s.weight(slot, forClass: other))
            let weight = Double(scratch.values[i]) * (a - b + (slot.isChar ? charSlopeDifference : wordSlopeDifference))
            guard weight > 0, chosenFeatures.count < limit || weight > (chosenFeatures.last?.weight ?? 0) else { continue }
            let position = chosenFeatures.firstIndex { weight > $0.weight } ?? chosenFeatures.count
            chosenFeatures.insert((slot.key, weight), at: position)
            if chosenFeatures.count > limit { chosenFeatures.removeLast() }
        }
        guard !chosenFeatures.isEmpty else { return [] }
        let wanted = chosenFeatures.map(\.key)
        // The scratch's extractor still holds the message's tokens: name the features from them, without
        // tokenising again, and without the character n-grams when no character feature is wanted.
        var extractor = scratch.extractor
        let named = extractor.namedFeaturesOfLastMessage(only: wanted, characters: wanted.contains(where: FeatureHash.isChar))
        return chosenFeatures.map { item in
            let name = named.first { $0.hash == item.key }?.name ?? String(format: "#%016llx", item.key)
            return FeatureContribution(feature: name, weight: (item.weight * 1000).rounded() / 1000)
        }
    }
}
