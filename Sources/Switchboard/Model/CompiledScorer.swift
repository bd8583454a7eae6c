import Foundation

/// Scoring weights compiled from ``ModelStatistics`` and ``NaiveBayesParameters``.
///
/// A class's score for a message with feature values x is
/// `bias[c] + slope[g][c] * sum of x over group g + sum over the message's features f seen in class c of x[f] * weight[f, c]`,
/// where the groups are word and character features, two multinomials each normalised on its own.
/// Multinomial: weight = log(1 + N[f,c]/alpha), slope = -log(N[g][c] + alpha V[g]), bias = log prior.
/// Complement: weight = log(T[f] + alpha) - log(T[f] - N[f,c] + alpha), slope = log(T[g] - N[g][c] + alpha V[g]),
/// where T are totals over all classes; both drop terms shared by every class, which softmax ignores.
/// Only the entries of features seen in a class are stored, so scoring is sparse.
struct CompiledScorer: Sendable {
    /// Everything scoring needs of a feature, found by its hash in one probe (see ``FeatureSlots``).
    let slots: FeatureSlots
    let idf: [Float]
    let isChar: [Bool]
    /// The rows of features seen in many classes, an entry per class in class order (a slot whose range is
    /// `classCount` long points here).
    let denseWeight: [Float]
    /// The entries of the other features, each class next to its weight: one cache line holds both, where
    /// separate arrays of classes and weights cost two misses per feature.
    let sparseEntry: [SparseEntry]
    let bias: [Double]
    /// Per-class slope of the summed word feature values.
    let slopeWord: [Double]
    /// Per-class slope of the summed character feature values (already weighted).
    let slopeChar: [Double]
    let parameters: NaiveBayesParameters
    let classCount: Int
    /// `classCount` rounded up to a multiple of eight: the width of the scoring accumulator, so that a dense row
    /// is added eight lanes at a time with no scalar tail (the lanes past `classCount` are never read).
    let laneCount: Int

    /// The accumulator width for `classes` classes (see ``laneCount``).
    static func lanes(classes: Int) -> Int { (classes + 7) / 8 * 8 }

    /// `values` in a new array, from an offset at which they start on a 64-byte boundary, and that offset. The
    /// array is never mutated afterwards, so its storage, and the alignment, stay where they are.
    static func cacheAligned(_ values: [Float]) -> (array: [Float], offset: Int) {
        let line = 64, stride = MemoryLayout<Float>.stride
        var out = [Float](repeating: 0, count: values.count + line / stride)
        let offset = out.withUnsafeMutableBufferPointer { buffer -> Int in
            guard let base = buffer.baseAddress else { return 0 }
            let misalignment = Int(bitPattern: base) % line
            let offset = misalignment == 0 ? 0 : (line - misalignment) / stride
            for i in values.indices { buffer[offset + i] = values[i] }
            return offset
        }
        return (out, offset)
    }

    /// The smoothed inverse document frequency used everywhere: log((1 + n) / (1 + df)) + 1.
    @inline(__always)
    static func idf(documents: Int, frequency: Int) -> Float {
        Float(log(Double(1 + documents) / Double(1 + frequency)) + 1)
    }

    init(statistics s: ModelStatistics, parameters p: NaiveBayesParameters) {
        let v = s.featureCount, c = s.labels.count
        let n = s.documentCount
        idf = p.idf ? (0..<v).map { Self.idf(documents: n, frequency: Int(s.documentFrequency[$0])) } : Array(repeating: 1, count: v)
        isChar = s.featureKeys.map(FeatureHash.isChar)
        parameters = p
        classCount = c
        laneCount = Self.lanes(classes: c)

        var featuresPerGroup = [0, 0]
        for f in 0..<v { featuresPerGroup[isChar[f] ? 1 : 0] += 1 }
        let idf = self.idf
        let computed = NaiveBayesWeights.compute(
            entryStart: s.featureStart, entryClass: s.entryClass, isChar: isChar, classes: c, featuresPerGroup: featuresPerGroup,
            variant: p.variant, alpha: p.alpha, mass: { entry, feature in s.mass(entry) * Double(idf[feature]) })
        let weights = computed.weights
        slopeWord = computed.slopeWord
        slopeChar = computed.slopeChar
        // Features seen in at least half the classes are expanded to an entry per class (weight 0 where
        // unseen), so that scoring them is a contiguous loop the compiler vectorises.
        let denseFrom = PreparedCorpus.denseThreshold(classes: c)
        // A feature seen in every class is a full row whatever the threshold, so that a range of `classCount`
        // entries always means a dense row.
        var ranges: [(start: UInt32, count: UInt16)] = [], dense: [Float] = [], sparse: [SparseEntry] = []
        ranges.reserveCapacity(v)
        for f in 0..<v {
            let range = Int(s.featureStart[f])..<Int(s.featureStart[f + 1])
            if range.count >= denseFrom || range.count == c {
                let start = dense.count
                dense.append(contentsOf: repeatElement(0, count: laneCount))
                for e in range { dense[start + Int(s.entryClass[e])] = weights[e] }
                ranges.append((UInt32(start), UInt16(c)))
            } else {
                let start = sparse.count
                for e in range { sparse.append(SparseEntry(weight: weights[e], classIndex: UInt32(s.entryClass[e]))) }
                ranges.append((UInt32(start), UInt16(sparse.count - start)))
            }
        }
        // Rows are `laneCount` apart (zeros past `classCount`) and the first starts on a cache line, so every
        // row does: a row of up to sixteen classes is one line, where rows `classCount` apart straddled two most
        // of the time, and a route's tail is the time to bring its rows back after another process evicted them.
        let (aligned, shift) = Self.cacheAligned(dense)
        for f in ranges.indices where Int(ranges[f].count) == c { ranges[f].start += UInt32(shift) }
        denseWeight = aligned
        sparseEntry = sparse
        slots = FeatureSlots(keys: s.featureKeys, ranges: ranges, idf: p.idf ? idf : nil, isChar: isChar)
        if p.uniformPriors || n == 0 {
            bias = Array(repeating: 0, count: c)
        } else {
            // Laplace-smoothed priors so that a class with no documents (possible after forgetting) stays finite.
            bias = s.classDocuments.map { log((Double($0) + 1) / Double(n + c)) }
        }
    }
}

/// Per-thread buffers for classification.
public struct ClassificationScratch: Sendable {
    var extractor: FeatureExtractor
    var hashes: [UInt64] = []
    /// The known features of the last message (in order of first appearance): copies of their slots in the
    /// scorer's table, so that the passes after the lookup read them in order, where reading the table
    /// again would jump about a table of megabytes.
    var touchedEntries: [FeatureSlot] = []
    /// Their IDFs, for a model that uses IDF (empty otherwise).
    var touchedIDF: [Float] = []
    /// Their values (term frequency, then transformed and scaled).
    var values: [Float] = []
    /// The scale of word and of character values (the latter with the character weight) of the last message,
    /// from ``CompiledScorer/vectorize(_:)``, applied by ``CompiledScorer/score(_:)``.
    var wordScale: Float = 1
    var charScale: Float = 1
    /// One past the last word feature in `touchedEntries` (0 when none): the character features after it are
    /// skipped by ``CompiledScorer/wordLogLikelihood(_:forClass:excluding:)``.
    var wordEntryEnd = 0
    /// Their term frequencies, before any transformation (for ``CompiledScorer/wordLogLikelihood(_:forClass:excluding:)``).
    var counts: [Float] = []
    var scores: [Double]
    var partial: [Float]
    /// Occurrences of word n-grams in the last message, and how many of them the model knew (the length
    /// feature left out of both; no known word at all when the second is 0).
    var wordOccurrences = 0
    var knownWordOccurrences: Float = 0

    /// The share of the last message's word n-gram occurrences the model knew; nil when it had no word.
    var knownWordShare: Double? {
        wordOccurrences > 0 ? Double(knownWordOccurrences) / Double(wordOccurrences) : nil
    }
    /// A small table from slot to position in `touchedEntries`, valid where `stamp` is the current generation:
    /// it stays in the first-level cache, where counting in an array of every feature would miss it.
    var accumulatorSlot: [Int32] = Array(repeating: 0, count: 2048)
    var accumulatorStamp: [UInt32] = Array(repeating: 0, count: 2048)
    var accumulatorPosition: [Int32] = Array(repeating: 0, count: 2048)
    var generation: UInt32 = 0
    /// Each hash's slot (or -1 unknown, -2 to probe), from the first pass of ``CompiledScorer/vectorize(_:)``.
    var found: [Int32] = Array(repeating: 0, count: 1024)
    /// Each known feature's count, from the second pass of ``CompiledScorer/vectorize(_:)`` (as long as `found`).
    var tally: [Float] = Array(repeating: 0, count: 1024)

    init(settings: FeatureSettings, featureCount: Int, classCount: Int) {
        extractor = FeatureExtractor(settings: settings)
        scores = Array(repeating: 0, count: classCount)
        partial = Array(repeating: 0, count: CompiledScorer.lanes(classes: classCount))
        hashes.reserveCapacity(512)
        values.reserveCapacity(512)
    }

    /// Starts counting a new message of at most `hashCount` features.
    mutating func resetAccumulator(hashCount: Int) {
        // A huge message grows the buffers; the next ordinary one gives the memory back, so that pooled
        // scratches do not each keep tens of megabytes after one outsized request.
        if accumulatorSlot.count > 1 << 16 && hashCount * 2 <= 2048 {
            accumulatorSlot = Array(repeating: 0, count: 2048)
            accumulatorStamp = Array(repeating: 0, count: 2048)
            accumulatorPosition = Array(repeating: 0, count: 2048)
            found = Array(repeating: 0, count: 1024)
            tally = Array(repeating: 0, count: 1024)
            generation = 0
        }
        if hashCount * 2 > accumulatorSlot.count {
            var capacity = accumulatorSlot.count
            while capacity < hashCount * 2 { capacity <<= 1 }
            accumulatorSlot = Array(repeating: 0, count: capacity)
            accumulatorStamp = Array(repeating: 0, count: capacity)
            accumulatorPosition = Array(repeating: 0, count: capacity)
            generation = 0
        }
        generation &+= 1
        if generation == 0 {
            for i in accumulatorStamp.indices { accumulatorStamp[i] = 0 }
            generation = 1
        }
    }
}

extension CompiledScorer {
    /// Turns feature hashes into the message's known features and their values (`touchedEntries`, `values`), before
    /// the groups' scales and the IDF, which `score(_:)` applies as it reads them (`wordScale`, `charScale`).
    @inline(__always)
    func vectorize(_ scratch: inout ClassificationScratch) {
        scratch.touchedIDF.removeAll(keepingCapacityUpTo: reusableBufferLimit)
        scratch.values.removeAll(keepingCapacityUpTo: reusableBufferLimit)
        scratch.counts.removeAll(keepingCapacityUpTo: reusableBufferLimit)
        let useIDF = parameters.idf
        scratch.resetAccumulator(hashCount: scratch.hashes.count)
        let generation = scratch.generation
        let mask = scratch.accumulatorSlot.count - 1
        // Count each known feature once per message, in order of first appearance (unsafe buffers: this is
        // the hot loop of classification, and the arrays are sized above).
        slots.table.withUnsafeBufferPointer { table in
        scratch.accumulatorSlot.withUnsafeMutableBufferPointer { accSlot in
        scratch.accumulatorStamp.withUnsafeMutableBufferPointer { accStamp in
        scratch.accumulatorPosition.withUnsafeMutableBufferPointer { accPosition in
            // First every hash's home slot, in a loop without data-dependent branches, so that the cache
            // misses of many lookups overlap instead of waiting for one another; collisions probe after.
            let n = scratch.hashes.count
            if scratch.found.count < n { scratch.found = Array(repeating: 0, count: max(n, scratch.found.count * 2)) }
            var wordHashes = 0
            scratch.hashes.withUnsafeBufferPointer { hashes in
                scratch.found.withUnsafeMutableBufferPointer { found in
                    for i in 0..<n {
                        let hash = hashes[i]
                        wordHashes &+= Int(truncatingIfNeeded: ~hash & 1)
                        let home = Int(truncatingIfNeeded: hash >> 7) & slots.mask
                        let key = table[home].key
                        found[i] = key == hash ? Int32(home) : (key == 0 ? -1 : -2)
                    }
                }
            }
            scratch.wordOccurrences = wordHashes
            // Then each known feature once, in order of first appearance: its slot into `found[u]` (u <= i, so
            // nothing still to be read is overwritten) and its count into `tally[u]`, both sized above, so that
            // the loop writes through pointers with no per-feature array check.
            if scratch.tally.count < n { scratch.tally = Array(repeating: 0, count: scratch.found.count) }
            scratch.found.withUnsafeMutableBufferPointer { found in
            scratch.tally.withUnsafeMutableBufferPointer { tally in
                var u = 0
                for i in 0..<n {
                    var slot = found[i]
                    if slot == -2 { slot = slots.find(scratch.hashes[i], in: table) }
                    if slot < 0 { continue }
                    var probe = Int(truncatingIfNeeded: UInt32(bitPattern: slot) &* 0x9E37_79B1) & mask
                    while true {
                        if accStamp[probe] != generation {
                            accStamp[probe] = generation
                            accSlot[probe] = slot
                            accPosition[probe] = Int32(u)
                            found[u] = slot
                            tally[u] = 1
                            u += 1
                            break
                        }
                        if accSlot[probe] == slot {
                            tally[Int(accPosition[probe])] += 1
                            break
                        }
                        probe = (probe + 1) & mask
                    }
                }
                // A new array filled in place: appending a lazy map went through a generic iterator and cost as
                // much as the loop above, and filling with blanks first cost a third of that (one allocation,
                // from the allocator's cache, is cheaper than either).
                scratch.touchedEntries = Array(unsafeUninitializedCapacity: u) { entries, initialized in
                    initialized = 0
                    guard let base = entries.baseAddress else { return }
                    for k in 0..<u { (base + k).initialize(to: table[Int(found[k])]) }
                    initialized = u
                }
                if useIDF {
                    scratch.touchedIDF.append(contentsOf: repeatElement(1, count: u))
                    scratch.touchedIDF.withUnsafeMutableBufferPointer { idf in
                        for k in 0..<u { idf[k] = slots.idf[Int(found[k])] }
                    }
                }
                scratch.values.append(contentsOf: UnsafeBufferPointer(rebasing: tally[0..<u]))
            }
            }
        }
        }
        }
        }
        var wordNorm: Float = 0, charNorm: Float = 0
        let sublinear = parameters.sublinearTF
        scratch.counts.append(contentsOf: scratch.values)
        var knownWords: Float = 0, wordEnd = 0
        scratch.touchedEntries.withUnsafeBufferPointer { entries in
        scratch.values.withUnsafeMutableBufferPointer { values in
            for i in values.indices {
                var x = values[i]
                let isChar = entries[i].isChar
                if !isChar { knownWords += x; wordEnd = i + 1 }
                // 1 + log(1) is 1: most features occur once, and skipping the call for them saves a few percent.
                if sublinear && x != 1 { x = 1 + logf(x) }
                if isChar { charNorm += x * x } else { wordNorm += x * x }
                values[i] = x
            }
        }
        }
        // Each group's scale; ``score(_:)`` applies it (and the IDF) as it reads each value, in the same pass.
        let charWeight = Float(parameters.charWeight)
        scratch.wordScale = parameters.normalizeLength && wordNorm > 0 ? 1 / wordNorm.squareRoot() : 1
        scratch.charScale = (parameters.normalizeLength && charNorm > 0 ? 1 / charNorm.squareRoot() : 1) * charWeight
        scratch.knownWordOccurrences = knownWords
        scratch.wordEntryEnd = wordEnd
    }

    /// The raw class scores of the vectorised message, into `scratch.scores`.
    @inline(__always)
    func score(_ scratch: inout ClassificationScratch) {
        // Each group's summed values, added in the same pass as the weights (one pass over the features, not two).
        var wordSum: Double = 0, charSum: Double = 0
        // Feature sums in Float (dense rows vectorise eight classes at a time), then added to the Double scores.
        // A dense row is added over all `laneCount` lanes (its weights past `classCount` are zeros): each lane
        // below `classCount` gets exactly the sums it got one class at a time, and the others are never read.
        for c in 0..<laneCount { scratch.partial[c] = 0 }
        scratch.partial.withUnsafeMutableBufferPointer { partial in
            sparseEntry.withUnsafeBufferPointer { sparse in
                denseWeight.withUnsafeBufferPointer { dense in
                    scratch.touchedEntries.withUnsafeBufferPointer { entries in
                    guard let base = partial.baseAddress else { return }
                    let scales = (word: scratch.wordScale, char: scratch.charScale)
                    scratch.touchedIDF.withUnsafeBufferPointer { idf in
                    scratch.values.withUnsafeMutableBufferPointer { values in
                    if laneCount == 16, let row = dense.baseAddress {
                        (wordSum, charSum) = Self.accumulate16(entries, values, idf: parameters.idf ? idf : nil, scales: scales,
                                                               dense: row, sparse: sparse, into: base, classCount: classCount)
                        return
                    }
                    for i in values.indices {
                        let entry = entries[i]
                        let x = Self.scaled(values, at: i, isChar: entry.isChar, idf: parameters.idf ? idf : nil, scales: scales)
                        if entry.isChar { charSum += Double(x) } else { wordSum += Double(x) }
                        let first = Int(entry.start), end = entry.end
                        if isDense(entry), let row = dense.baseAddress {
                            VectorMath.addScaled(x, row + first, into: base, count: laneCount)
                        } else {
                            for e in first..<end { base[Int(sparse[e].classIndex)] += x * sparse[e].weight }
                        }
                    }
                    }
                    }
                    }
                }
            }
        }
        for c in 0..<classCount { scratch.scores[c] = bias[c] + slopeWord[c] * wordSum + slopeChar[c] * charSum }
        for c in 0..<classCount { scratch.scores[c] += Double(scratch.partial[c]) }
    }
}

extension CompiledScorer {
    /// Value `i` times its group's scale and its IDF (nil: none), written back: what the value of a feature is
    /// once the message is normalised, and what explanations read after scoring.
    @inline(__always)
    static func scaled(_ values: UnsafeMutableBufferPointer<Float>, at i: Int, isChar: Bool, idf: UnsafeBufferPointer<Float>?,
                       scales: (word: Float, char: Float)) -> Float {
        let scale = isChar ? scales.char : scales.word
        let x = values[i] * (scale * (idf.map { $0[i] } ?? 1))
        values[i] = x
        return x
    }

    /// The feature sums of a model of 9 to 16 classes, into `target` (16 lanes, zeros on entry), in a register;
    /// returns each group's summed values.
    ///
    /// The general loop adds each feature into the sums in memory, and each addition waits for the store of the
    /// one before (about a tenth of routing a 300-character message with the shipped model, in `perf`). Here
    /// the sums stay in a register. A sparse feature's few weights are spread into a vector of zeros first, so
    /// that every lane gets the same additions in the same order as in memory. The lanes without a weight get
    /// x times 0, which changes no sum. The result is bit for bit that of the general loop.
    @inline(__always)
    static func accumulate16(_ entries: UnsafeBufferPointer<FeatureSlot>, _ values: UnsafeMutableBufferPointer<Float>,
                             idf: UnsafeBufferPointer<Float>?, scales: (word: Float, char: Float), dense: UnsafePointer<Float>,
                             sparse: UnsafeBufferPointer<SparseEntry>, into target: UnsafeMutablePointer<Float>,
                             classCount: Int) -> (wordSum: Double, charSum: Double) {
        var sums = SIMD16<Float>()
        var wordSum: Double = 0, charSum: Double = 0
        for i in values.indices {
            let entry = entries[i]
            let value = scaled(values, at: i, isChar: entry.isChar, idf: idf, scales: scales)
            if entry.isChar { charSum += Double(value) } else { wordSum += Double(value) }
            let x = SIMD16<Float>(repeating: value)
            let first = Int(entry.start)
            if Int(entry.count) == classCount {
                sums += x * UnsafeRawPointer(dense + first).loadUnaligned(as: SIMD16<Float>.self)
            } else {
                var weights = SIMD16<Float>()
                for e in first..<entry.end { weights[Int(sparse[e].classIndex) & 15] = sparse[e].weight }
                sums += x * weights
            }
        }
        UnsafeMutableRawPointer(target).storeBytes(of: sums, as: SIMD16<Float>.self)
        return (wordSum, charSum)
    }

    /// The mean log-probability of the last message's word n-gram occurrences under class `c`'s multinomial
    /// (unknown ones at the smoothed floor), or nil when the model is not multinomial or the message has no word.
    ///
    /// A novelty measure: a message about something the model never learnt is written with words that are rare
    /// in, or absent from, the messages of the label it is given. With class `c`'s word mass N[c] and
    /// V word features, log P(f | c) = log(N[f,c] + alpha) - log(N[c] + alpha V) = log(alpha) + weight + slope,
    /// the weight being 0 where f was never seen in c. `lengthKey`, the length feature, is not a word.
    func wordLogLikelihood(_ scratch: ClassificationScratch, forClass c: Int, excluding lengthKey: UInt64?) -> Double? {
        guard parameters.variant == .multinomial, scratch.wordOccurrences > 0, c >= 0, c < classCount else { return nil }
        var sum: Double = 0
        // Past the last word feature (recorded by vectorize) every entry is a character n-gram: words are hashed
        // first, so this skips all of those.
        for i in 0..<min(scratch.wordEntryEnd, scratch.touchedEntries.count) {
            let entry = scratch.touchedEntries[i]
            if entry.isChar || entry.key == lengthKey { continue }
            sum += Double(scratch.counts[i]) * Double(weight(entry, forClass: c))
        }
        // A log-probability is at most 0; Float weights can put a mean of words of probability near 1 just above.
        return min(0, log(parameters.alpha) + slopeWord[c] + sum / Double(scratch.wordOccurrences))
    }

    /// The (class, weight) entries of the feature with hash `key`: every class, in order, for a dense row;
    /// none when the model does not know it. For reports such as `inspect`, not for the hot path.
    func entries(ofKey key: UInt64) -> [(classIndex: Int, weight: Float)] {
        let slot = slots.table.withUnsafeBufferPointer { slots.find(key, in: $0) }
        guard slot >= 0 else { return [] }
        let entry = slots.table[Int(slot)]
        let range = Int(entry.start)..<entry.end
        if isDense(entry) { return range.map { ($0 - range.lowerBound, denseWeight[$0]) } }
        return range.map { (Int(sparseEntry[$0].classIndex), sparseEntry[$0].weight) }
    }

    /// Whether a feature's entries are a dense row (one per class, in ``denseWeight``) rather than a few
    /// sparse entries (in ``sparseEntry``): the one place that tells them apart.
    @inline(__always)
    func isDense(_ entry: FeatureSlot) -> Bool {
        Int(entry.count) == classCount
    }

    /// A feature's weight for class `c` (0 for a class it was never seen in).
    func weight(_ entry: FeatureSlot, forClass c: Int) -> Float {
        if isDense(entry) { return denseWeight[Int(entry.start) + c] }
        for e in Int(entry.start)..<entry.end where Int(sparseEntry[e].classIndex) == c { return sparseEntry[e].weight }
        return 0
    }
}

/// One entry of a feature seen in few classes: the class and the feature's weight for it.
struct SparseEntry: Sendable {
    var weight: Float
    var classIndex: UInt32
}

/// A feature's scoring data, in one 16-byte record: its hash, its entry range and its group.
///
/// Four records share a cache line. The IDF is not here: it lives in ``FeatureSlots/idf``, read only by
/// models that use it (cross-validation turns it off on every data set measured so far), so that the table
/// of a model without it is two thirds the size it would be with it (24-byte records).
struct FeatureSlot: Sendable {
    var key: UInt64
    var start: UInt32
    /// The number of entries: `classCount` for a dense row. Labels number at most `UInt16.max`.
    var count: UInt16
    /// 1 for a character n-gram, 0 for a word feature.
    var charFlag: UInt16

    var end: Int { Int(start) + Int(count) }
    var isChar: Bool { charFlag != 0 }
}

/// Open addressing (linear probing) from feature hash to ``FeatureSlot``.
///
/// Written by hand for the hot path: one probe brings the key and everything scoring needs into the cache
/// together, where separate arrays (hash table, entry offsets, group) cost a cache miss each, per feature,
/// per message. Empty slots have key 0 (feature hashes are never 0). Load factor at most 2/3.
struct FeatureSlots: Sendable {
    let table: [FeatureSlot]
    let mask: Int

    /// Each slot's IDF (1 where the slot is empty), for models that use IDF; empty for the others.
    let idf: [Float]

    /// `ranges[f]`: feature f's entries, in ``CompiledScorer/denseWeight`` when `classCount` long, else in
    /// ``CompiledScorer/sparseEntry``. `idf` is nil for a model without IDF.
    init(keys: [UInt64], ranges: [(start: UInt32, count: UInt16)], idf: [Float]?, isChar: [Bool]) {
        var capacity = 16
        while capacity * 2 < keys.count * 3 { capacity <<= 1 }
        var table = [FeatureSlot](repeating: FeatureSlot(key: 0, start: 0, count: 0, charFlag: 0), count: capacity)
        var slotIDF = idf == nil ? [] : [Float](repeating: 1, count: capacity)
        let mask = capacity - 1
        for (f, key) in keys.enumerated() {
            var slot = Int(truncatingIfNeeded: key >> 7) & mask
            while table[slot].key != 0 && table[slot].key != key { slot = (slot + 1) & mask }
            table[slot] = FeatureSlot(key: key, start: ranges[f].start, count: ranges[f].count, charFlag: isChar[f] ? 1 : 0)
            if let idf { slotIDF[slot] = idf[f] }
        }
        self.table = table
        self.idf = slotIDF
        self.mask = mask
    }

    /// Whether the model knows `hash`.
    func contains(_ hash: UInt64) -> Bool {
        table.withUnsafeBufferPointer { find(hash, in: $0) >= 0 }
    }

    /// The slot of `hash`, or -1 when the model does not know it.
    @inline(__always)
    func find(_ hash: UInt64, in table: UnsafeBufferPointer<FeatureSlot>) -> Int32 {
        var slot = Int(truncatingIfNeeded: hash >> 7) & mask
        while true {
            let key = table[slot].key
            if key == hash { return Int32(slot) }
            if key == 0 { return -1 }
            slot = (slot + 1) & mask
        }
    }
}
