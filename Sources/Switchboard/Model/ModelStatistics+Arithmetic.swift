extension ModelStatistics {
    /// The statistics of both corpora: features, labels and learnt corrections are united, counts added.
    ///
    /// Exact (integer sums), so `a + b == b + a` and `(a + b) + c == a + (b + c)`, bit for bit.
    /// Throws if both learnt the same correction: its counts would then be in the sum twice.
    public func adding(_ other: ModelStatistics) throws -> ModelStatistics {
        try Self.combine(self, other, subtract: false)
    }

    /// These statistics without `other`'s, which must have been added to them before.
    ///
    /// Features no message holds any more, and labels left without a message, are dropped, so that
    /// `a.adding(b).subtracting(b) == a`. Throws (changing nothing) if `other` holds a label, a feature,
    /// a count or a correction that these statistics do not.
    public func subtracting(_ other: ModelStatistics) throws -> ModelStatistics {
        try Self.combine(self, other, subtract: true)
    }

    /// The statistics of several parts, added in order (the order does not change the result).
    public static func sum(_ parts: [ModelStatistics]) throws -> ModelStatistics {
        guard var total = parts.first else { throw SwitchboardError(.invalidArgument, "nothing to add up") }
        for part in parts.dropFirst() { total = try total.adding(part) }
        return total
    }

    /// At most `limit` features: those in the most messages (ties: the smaller hash), with their entries.
    ///
    /// Deterministic. Class sizes and learnt corrections are kept. Pruned statistics are no longer exactly
    /// the sum of their parts: a feature dropped here is gone from later sums.
    public func pruned(toFeatures limit: Int) -> ModelStatistics {
        guard featureCount > limit else { return self }
        let order = (0..<featureCount).sorted {
            documentFrequency[$0] != documentFrequency[$1] ? documentFrequency[$0] > documentFrequency[$1] : featureKeys[$0] < featureKeys[$1]
        }
        var keep = [Bool](repeating: false, count: featureCount)
        for f in order.prefix(max(0, limit)) { keep[f] = true }
        var result = ModelStatistics.empty(labels: labels)
        result.classDocuments = classDocuments
        result.learntIDs = learntIDs
        result.learntDigests = learntDigests
        result.featureKeys.reserveCapacity(limit)
        result.documentFrequency.reserveCapacity(limit)
        result.featureStart.reserveCapacity(limit + 1)
        let sameClasses = Array(labels.indices)
        for f in 0..<featureCount where keep[f] {
            result.appendFeature(f, of: self, classes: sameClasses)
            result.featureStart.append(UInt32(result.entryClass.count))
        }
        return result
    }

    private static func combine(_ a: ModelStatistics, _ b: ModelStatistics, subtract: Bool) throws -> ModelStatistics {
        func refuse(_ message: String) -> SwitchboardError { SwitchboardError(.incompatibleModels, message) }
        let labels = subtract ? a.labels : Array(Set(a.labels).union(b.labels)).sorted()
        let position = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        // Both label lists are sorted, and so is their union: mapping classes keeps entries in class order.
        let mapA = a.labels.map { position[$0] ?? 0 }
        var mapB: [Int] = []
        for label in b.labels {
            guard let p = position[label] else { throw refuse("cannot forget messages labelled '\(label)': the model has no such label") }
            mapB.append(p)
        }
        let c = labels.count
        var documents = [UInt32](repeating: 0, count: c)
        for (i, n) in a.classDocuments.enumerated() { documents[mapA[i]] = n }
        for (i, n) in b.classDocuments.enumerated() {
            let p = mapB[i]
            if subtract {
                guard documents[p] >= n else { throw refuse("cannot forget \(n) message(s) labelled '\(labels[p])': the model holds \(documents[p])") }
                documents[p] -= n
            } else {
                let (sum, overflow) = documents[p].addingReportingOverflow(n)
                guard !overflow else { throw refuse("too many messages labelled '\(labels[p])' for the model file (more than \(UInt32.max))") }
                documents[p] = sum
            }
        }

        var result = ModelStatistics.empty(labels: labels)
        result.classDocuments = documents
        let expected = a.featureCount + (subtract ? 0 : b.featureCount)
        result.featureKeys.reserveCapacity(expected)
        result.documentFrequency.reserveCapacity(expected)
        result.featureStart.reserveCapacity(expected + 1)
        result.entryClass.reserveCapacity(a.entryCount + (subtract ? 0 : b.entryCount))
        result.entryValue.reserveCapacity(a.entryCount + (subtract ? 0 : b.entryCount))
        var i = 0, j = 0
        while i < a.featureCount || j < b.featureCount {
            let keyA = i < a.featureCount ? a.featureKeys[i] : .max
            let keyB = j < b.featureCount ? b.featureKeys[j] : .max
            if keyA < keyB || j >= b.featureCount {
                result.appendFeature(i, of: a, classes: mapA)
                i += 1
            } else if keyB < keyA || i >= a.featureCount {
                guard !subtract else { throw refuse("cannot forget: a feature of the messages to forget is not in the model (they were not learnt by it)") }
                result.appendFeature(j, of: b, classes: mapB)
                j += 1
            } else {
                var frequency = a.documentFrequency[i]
                if subtract {
                    guard frequency >= b.documentFrequency[j] else { throw refuse("cannot forget: a feature occurs in more of the messages to forget than the model has seen") }
                    frequency -= b.documentFrequency[j]
                } else {
                    let (sum, overflow) = frequency.addingReportingOverflow(b.documentFrequency[j])
                    guard !overflow else { throw refuse("a feature's document frequency overflows the model file") }
                    frequency = sum
                }
                let entriesBefore = result.entryClass.count
                var ea = Int(a.featureStart[i]), eb = Int(b.featureStart[j])
                let endA = Int(a.featureStart[i + 1]), endB = Int(b.featureStart[j + 1])
                while ea < endA || eb < endB {
                    let classA = ea < endA ? mapA[Int(a.entryClass[ea])] : Int.max
                    let classB = eb < endB ? mapB[Int(b.entryClass[eb])] : Int.max
                    var value: UInt64
                    let cls: Int
                    if classA < classB {
                        cls = classA; value = a.entryValue[ea]; ea += 1
                    } else if classB < classA {
                        guard !subtract else { throw refuse("cannot forget: a feature of the messages to forget was never seen with their label") }
                        cls = classB; value = b.entryValue[eb]; eb += 1
                    } else {
                        cls = classA
                        if subtract {
                            guard a.entryValue[ea] >= b.entryValue[eb] else { throw refuse("cannot forget: the messages to forget weigh more than the model holds (they were not learnt by it)") }
                            value = a.entryValue[ea] - b.entryValue[eb]
                        } else {
                            value = a.entryValue[ea] + b.entryValue[eb]
                            guard value < 1 << 53 else { throw refuse("a feature's mass overflows the model file") }
                        }
                        ea += 1; eb += 1
                    }
                    if value > 0 {
                        result.entryClass.append(UInt16(cls))
                        result.entryValue.append(value)
                    }
                }
                if frequency == 0 {
                    guard result.entryClass.count == entriesBefore else { throw refuse("cannot forget: the counts left for a feature are inconsistent") }
                    j += 1; i += 1
                    continue
                }
                result.featureKeys.append(keyA)
                result.documentFrequency.append(frequency)
                i += 1; j += 1
            }
            result.featureStart.append(UInt32(result.entryClass.count))
        }

        // Learnt corrections: a sorted union, or a sorted difference.
        var ids: [UInt64] = [], digests: [UInt64] = []
        i = 0; j = 0
        while i < a.learntIDs.count || j < b.learntIDs.count {
            let idA = i < a.learntIDs.count ? a.learntIDs[i] : .max
            let idB = j < b.learntIDs.count ? b.learntIDs[j] : .max
            if idA < idB || j >= b.learntIDs.count {
                ids.append(idA); digests.append(a.learntDigests[i]); i += 1
            } else if idB < idA || i >= a.learntIDs.count {
                guard !subtract else { throw refuse("cannot forget a correction the model did not learn") }
                ids.append(idB); digests.append(b.learntDigests[j]); j += 1
            } else if subtract {
                guard a.learntDigests[i] == b.learntDigests[j] else { throw refuse("cannot forget a correction: it was learnt with another label or text") }
                i += 1; j += 1
            } else {
                throw refuse("both sides learnt the same correction: adding them would count it twice")
            }
        }
        result.learntIDs = ids
        result.learntDigests = digests

        return subtract ? result.droppingEmptyLabels() : result
    }

    /// Appends feature `f` of `source` (hash, frequency, entries with classes renumbered by `classes`); the
    /// caller closes it with its `featureStart`.
    private mutating func appendFeature(_ f: Int, of source: ModelStatistics, classes: [Int]) {
        featureKeys.append(source.featureKeys[f])
        documentFrequency.append(source.documentFrequency[f])
        for e in Int(source.featureStart[f])..<Int(source.featureStart[f + 1]) {
            entryClass.append(UInt16(classes[Int(source.entryClass[e])]))
            entryValue.append(source.entryValue[e])
        }
    }

    /// Without the labels no message is left for (possible only after subtracting).
    private func droppingEmptyLabels() -> ModelStatistics {
        let kept = labels.indices.filter { classDocuments[$0] > 0 || entryClass.contains(UInt16($0)) }
        guard kept.count < labels.count, !kept.isEmpty else { return self }
        var newClass = [Int](repeating: -1, count: labels.count)
        for (n, old) in kept.enumerated() { newClass[old] = n }
        var result = self
        result.labels = kept.map { labels[$0] }
        result.classDocuments = kept.map { classDocuments[$0] }
        result.entryClass = entryClass.map { UInt16(newClass[Int($0)]) }
        return result
    }
}
