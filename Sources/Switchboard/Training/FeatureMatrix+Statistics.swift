import Foundation

extension FeatureMatrix {
    /// Each cell's value after the term-frequency transform and length normalisation (before IDF).
    ///
    /// The one definition of a message's feature values: training, cross-validation, learning and
    /// forgetting all call it, so that the same message always adds the same fixed-point counts.
    func transformedValues(isChar: [Bool], sublinearTF: Bool, normalizeLength: Bool, workers: Int = Parallel.defaultWorkers) -> [Float] {
        // Rows are independent: pieces of rows on every core, concatenated in order.
        let pieces = Parallel.ranges(rowCount, pieces: workers * 4)
        let parts = Parallel.map(pieces.count, workers: workers) { piece -> [Float] in
            let rows = pieces[piece]
            let first = rowStart[rows.lowerBound]
            var values = [Float](repeating: 0, count: rowStart[rows.upperBound] - first)
            for row in rows {
                let range = rowStart[row]..<rowStart[row + 1]
                var wordNorm: Float = 0, charNorm: Float = 0
                for k in range {
                    let x = sublinearTF ? 1 + logf(counts[k]) : counts[k]
                    values[k - first] = x
                    if isChar[Int(features[k])] { charNorm += x * x } else { wordNorm += x * x }
                }
                if normalizeLength {
                    let w: Float = wordNorm > 0 ? 1 / wordNorm.squareRoot() : 1
                    let ch: Float = charNorm > 0 ? 1 / charNorm.squareRoot() : 1
                    for k in range { values[k - first] *= isChar[Int(features[k])] ? ch : w }
                }
            }
            return values
        }
        var values: [Float] = []
        values.reserveCapacity(features.count)
        for part in parts { values.append(contentsOf: part) }
        return values
    }

    /// The model statistics of the rows in `rows` (a shard of the matrix).
    ///
    /// - Parameters:
    ///   - values: each cell's value, from ``transformedValues(isChar:sublinearTF:normalizeLength:)``.
    ///   - rowClass: each row's class number in `labels`.
    func statistics(values: [Float], rowClass: [Int32], labels: [String], rows: Range<Int>) -> ModelStatistics {
        let v = featureCount, c = labels.count
        var result = ModelStatistics.empty(labels: labels)
        var rowsByClass = [[Int]](repeating: [], count: c)
        for row in rows {
            rowsByClass[Int(rowClass[row])].append(row)
            result.classDocuments[Int(rowClass[row])] += 1
        }
        // Pass 1: how many classes each feature is seen in, and in how many rows.
        var lastClass = [Int32](repeating: -1, count: v)
        var classesOf = [UInt32](repeating: 0, count: v)
        var frequency = [UInt32](repeating: 0, count: v)
        for cls in 0..<c {
            for row in rowsByClass[cls] {
                for k in rowStart[row]..<rowStart[row + 1] {
                    let f = Int(features[k])
                    frequency[f] += 1
                    if lastClass[f] != Int32(cls) { lastClass[f] = Int32(cls); classesOf[f] += 1 }
                }
            }
        }
        // Pass 2: per (feature, class) fixed-point sums, classes ascending within each feature.
        var start = [UInt32](repeating: 0, count: v + 1)
        for f in 0..<v { start[f + 1] = start[f] + classesOf[f] }
        var entryClass = [UInt16](repeating: 0, count: Int(start[v]))
        var entryValue = [UInt64](repeating: 0, count: Int(start[v]))
        var cursor = start
        var current = [Int32](repeating: 0, count: v)
        for f in 0..<v { lastClass[f] = -1 }
        for cls in 0..<c {
            for row in rowsByClass[cls] {
                for k in rowStart[row]..<rowStart[row + 1] {
                    let f = Int(features[k])
                    if lastClass[f] != Int32(cls) {
                        lastClass[f] = Int32(cls)
                        current[f] = Int32(cursor[f])
                        entryClass[Int(cursor[f])] = UInt16(cls)
                        cursor[f] += 1
                    }
                    entryValue[Int(current[f])] += ModelStatistics.fixedPoint(values[k])
                }
            }
        }
        // Out, features in hash order; entries whose rounded mass is zero weigh nothing and are left out.
        let order = (0..<v).filter { frequency[$0] > 0 }.sorted { keys[$0] < keys[$1] }
        result.featureKeys.reserveCapacity(order.count)
        result.documentFrequency.reserveCapacity(order.count)
        result.featureStart.reserveCapacity(order.count + 1)
        result.entryClass.reserveCapacity(entryClass.count)
        result.entryValue.reserveCapacity(entryClass.count)
        for f in order {
            result.featureKeys.append(keys[f])
            result.documentFrequency.append(frequency[f])
            for e in Int(start[f])..<Int(start[f + 1]) where entryValue[e] > 0 {
                result.entryClass.append(entryClass[e])
                result.entryValue.append(entryValue[e])
            }
            result.featureStart.append(UInt32(result.entryClass.count))
        }
        return result
    }

    /// The model statistics of every row, counted in shards on `workers` threads and then added up
    /// (exact, so the result does not depend on the number of shards).
    func statistics(values: [Float], rowClass: [Int32], labels: [String], workers: Int) throws -> ModelStatistics {
        guard rowCount > 0 else { return ModelStatistics.empty(labels: labels) }
        let shards = Parallel.ranges(rowCount, pieces: max(1, min(workers, rowCount)))
        let parts = Parallel.map(shards.count, workers: workers) { shard in
            statistics(values: values, rowClass: rowClass, labels: labels, rows: shards[shard])
        }
        return try ModelStatistics.sum(parts)
    }
}
