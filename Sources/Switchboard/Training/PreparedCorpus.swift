import Foundation

/// A feature matrix with everything cross-validation and fitting need: transformed values, the
/// (feature, class) entry of every cell, document frequencies and per-fold sums.
struct PreparedCorpus: Sendable {
    let matrix: FeatureMatrix
    let labels: [String]
    /// Each row's class.
    let rowClass: [Int32]
    /// Each cell's value after the term-frequency transform and length normalisation (before IDF).
    let values: [Float]
    /// Whether each feature is a character n-gram.
    let isChar: [Bool]
    /// Entries of each feature (compressed rows): classes ascending.
    let entryStart: [UInt32]
    let entryClass: [UInt16]
    /// The entry of each cell.
    let cellEntry: [Int32]
    let sublinearTF: Bool
    let normalizeLength: Bool

    var classCount: Int { labels.count }
    var entryCount: Int { entryClass.count }

    init(matrix: FeatureMatrix, labels: [String], rowClass: [Int32], sublinearTF: Bool, normalizeLength: Bool) {
        self.matrix = matrix
        self.labels = labels
        self.rowClass = rowClass
        self.sublinearTF = sublinearTF
        self.normalizeLength = normalizeLength
        let v = matrix.featureCount, c = labels.count
        isChar = matrix.keys.map(FeatureHash.isChar)

        let values = matrix.transformedValues(isChar: isChar, sublinearTF: sublinearTF, normalizeLength: normalizeLength)
        self.values = values

        // Entries: for each feature, the classes it occurs in, in class order.
        var rowsByClass = [[Int]](repeating: [], count: c)
        for row in 0..<matrix.rowCount { rowsByClass[Int(rowClass[row])].append(row) }
        var lastClass = [Int32](repeating: -1, count: v)
        var perFeature = [UInt32](repeating: 0, count: v)
        for cls in 0..<c {
            for row in rowsByClass[cls] {
                for k in matrix.rowStart[row]..<matrix.rowStart[row + 1] {
                    let f = Int(matrix.features[k])
                    if lastClass[f] != Int32(cls) { lastClass[f] = Int32(cls); perFeature[f] += 1 }
                }
            }
        }
        // A feature seen in at least half the classes gets an entry for every class (zero mass where unseen,
        // which weighs nothing): scoring it is then a contiguous, vectorisable loop instead of a scatter.
        let denseFrom = Self.denseThreshold(classes: c)
        var start = [UInt32](repeating: 0, count: v + 1)
        for f in 0..<v { start[f + 1] = start[f] + (Int(perFeature[f]) >= denseFrom ? UInt32(c) : perFeature[f]) }
        var cursor = start
        var classes = [UInt16](repeating: 0, count: Int(start[v]))
        for f in 0..<v where Int(start[f + 1] - start[f]) == c && Int(perFeature[f]) >= denseFrom {
            for cls in 0..<c { classes[Int(start[f]) + cls] = UInt16(cls) }
        }
        var current = [Int32](repeating: 0, count: v)
        var cellEntry = [Int32](repeating: 0, count: matrix.features.count)
        for f in 0..<v { lastClass[f] = -1 }
        for cls in 0..<c {
            for row in rowsByClass[cls] {
                for k in matrix.rowStart[row]..<matrix.rowStart[row + 1] {
                    let f = Int(matrix.features[k])
                    if lastClass[f] != Int32(cls) {
                        lastClass[f] = Int32(cls)
                        if Int(perFeature[f]) >= denseFrom {
                            current[f] = Int32(Int(start[f]) + cls)
                        } else {
                            let e = cursor[f]
                            cursor[f] += 1
                            classes[Int(e)] = UInt16(cls)
                            current[f] = Int32(e)
                        }
                    }
                    cellEntry[k] = current[f]
                }
            }
        }
        entryStart = start
        entryClass = classes
        self.cellEntry = cellEntry
    }

    /// Features in at least this many classes are stored densely (an entry for every class).
    static func denseThreshold(classes: Int) -> Int {
        classes >= 8 ? (classes + 1) / 2 : Int.max
    }

    /// Sums of the rows in `rows`: entry masses, document frequencies and class sizes.
    func sums<Rows: Sequence>(of rows: Rows) -> (mass: [Float], frequency: [UInt32], classDocuments: [UInt32]) where Rows.Element == Int {
        var mass = [Float](repeating: 0, count: entryCount)
        var frequency = [UInt32](repeating: 0, count: matrix.featureCount)
        var documents = [UInt32](repeating: 0, count: classCount)
        for row in rows {
            documents[Int(rowClass[row])] += 1
            for k in matrix.rowStart[row]..<matrix.rowStart[row + 1] {
                mass[Int(cellEntry[k])] += values[k]
                frequency[Int(matrix.features[k])] += 1
            }
        }
        return (mass, frequency, documents)
    }

    /// The model statistics of all rows, counted in shards on `workers` threads, then added up.
    func statistics(workers: Int) throws -> ModelStatistics {
        try matrix.statistics(values: values, rowClass: rowClass, labels: labels, workers: workers)
    }
}
