/// A corpus turned into features: one sparse row of (feature, count) per message.
///
/// Feature numbers are assigned in order of first appearance; ``keys`` gives each number's hash.
struct FeatureMatrix: Sendable {
    /// Each feature's hash, by feature number.
    var keys: [UInt64]
    /// Where each row starts in ``features``/``counts``; one more than the row count.
    var rowStart: [Int]
    /// Feature numbers, row after row (each feature once per row).
    var features: [Int32]
    /// Occurrences of each feature in its row.
    var counts: [Float]

    var rowCount: Int { rowStart.count - 1 }
    var featureCount: Int { keys.count }

    /// Extracts the features of `texts` on every core.
    ///
    /// Each piece of the corpus numbers its own distinct hashes in order of first appearance (in parallel);
    /// the serial step then only numbers each piece's distinct hashes globally, in piece order, which gives
    /// every feature the number of its first appearance in the corpus, as a cell-by-cell pass would, at a
    /// fraction of the serial work; the cells are renumbered in parallel.
    static func extract(_ texts: [String], settings: FeatureSettings, workers: Int = Parallel.defaultWorkers) -> FeatureMatrix {
        let pieces = Parallel.ranges(texts.count, pieces: workers * 8)
        let parts = Parallel.map(pieces.count, workers: workers) { piece -> (keys: [UInt64], cells: [Int32], counts: [Float], ends: [Int]) in
            var extractor = FeatureExtractor(settings: settings)
            var accumulator = RowAccumulator()
            var buffer: [UInt64] = []
            var hashes: [UInt64] = [], counts: [Float] = [], ends: [Int] = []
            for i in pieces[piece] {
                buffer.removeAll(keepingCapacity: true)
                extractor.extract(texts[i], into: &buffer)
                accumulator.add(buffer)
                accumulator.drain(hashes: &hashes, counts: &counts)
                ends.append(hashes.count)
            }
            var local = FeatureIndex(expected: 1 << 14)
            var keys: [UInt64] = []
            var cells = [Int32](repeating: 0, count: hashes.count)
            for (k, hash) in hashes.enumerated() {
                let (number, inserted) = local.insert(hash, value: Int32(keys.count))
                if inserted { keys.append(hash) }
                cells[k] = number
            }
            return (keys, cells, counts, ends)
        }
        // Serial: global numbers for each piece's distinct hashes.
        var index = FeatureIndex(expected: 1 << 16)
        var globalKeys: [UInt64] = []
        var maps: [[Int32]] = []
        maps.reserveCapacity(parts.count)
        for part in parts {
            var map = [Int32](repeating: 0, count: part.keys.count)
            for (l, hash) in part.keys.enumerated() {
                let (number, inserted) = index.insert(hash, value: Int32(globalKeys.count))
                if inserted { globalKeys.append(hash) }
                map[l] = number
            }
            maps.append(map)
        }
        // Parallel: cells renumbered into their place.
        var offsets = [0]
        for part in parts { offsets.append(offsets[offsets.count - 1] + part.cells.count) }
        let total = offsets[offsets.count - 1]
        let pieceMaps = maps
        let renumbered = Parallel.map(parts.count, workers: workers) { p -> [Int32] in
            let map = pieceMaps[p]
            return parts[p].cells.map { map[Int($0)] }
        }
        var matrix = FeatureMatrix(keys: globalKeys, rowStart: [0], features: [], counts: [])
        matrix.features.reserveCapacity(total)
        matrix.counts.reserveCapacity(total)
        matrix.rowStart.reserveCapacity(texts.count + 1)
        for (p, part) in parts.enumerated() {
            matrix.features.append(contentsOf: renumbered[p])
            matrix.counts.append(contentsOf: part.counts)
            for end in part.ends { matrix.rowStart.append(offsets[p] + end) }
        }
        return matrix
    }
}

/// Counts repeated hashes within one message (open addressing with generation stamps: no clearing between messages).
struct RowAccumulator {
    private var keys: [UInt64] = Array(repeating: 0, count: 1024)
    private var stamps: [UInt32] = Array(repeating: 0, count: 1024)
    private var slotOf: [Int32] = Array(repeating: 0, count: 1024)
    private var generation: UInt32 = 1
    private var uniques: [UInt64] = []
    private var counts: [Float] = []

    mutating func add(_ hashes: [UInt64]) {
        if hashes.count * 2 > keys.count {
            var capacity = keys.count
            while capacity < hashes.count * 2 { capacity <<= 1 }
            keys = Array(repeating: 0, count: capacity)
            stamps = Array(repeating: 0, count: capacity)
            slotOf = Array(repeating: 0, count: capacity)
            generation = 1
        }
        let mask = keys.count - 1
        for hash in hashes {
            var slot = Int(truncatingIfNeeded: hash >> 7) & mask
            while true {
                if stamps[slot] != generation {
                    stamps[slot] = generation
                    keys[slot] = hash
                    slotOf[slot] = Int32(uniques.count)
                    uniques.append(hash)
                    counts.append(1)
                    break
                }
                if keys[slot] == hash {
                    counts[Int(slotOf[slot])] += 1
                    break
                }
                slot = (slot + 1) & mask
            }
        }
    }

    /// Moves the counted row out and starts a new one.
    mutating func drain(hashes: inout [UInt64], counts out: inout [Float]) {
        hashes.append(contentsOf: uniques)
        out.append(contentsOf: counts)
        uniques.removeAll(keepingCapacity: true)
        counts.removeAll(keepingCapacity: true)
        generation &+= 1
        if generation == 0 {
            stamps = Array(repeating: 0, count: stamps.count)
            generation = 1
        }
    }
}

extension FeatureMatrix {
    /// A digest of row `row`'s features and counts that does not depend on their order: equal for two
    /// messages the features cannot tell apart.
    func rowDigest(_ row: Int) -> UInt64 {
        var digest: UInt64 = 0x5162_7a3c_0e3f_7c19
        for cell in rowStart[row]..<rowStart[row + 1] {
            digest &+= FeatureHash.mix(keys[Int(features[cell])] ^ (UInt64(counts[cell].bitPattern) &* 0x9e37_79b9_7f4a_7c15))
        }
        return FeatureHash.mix(digest ^ UInt64(rowStart[row + 1] - rowStart[row]))
    }
}
