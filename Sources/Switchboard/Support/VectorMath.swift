/// Small vector kernels for the scoring loops.
///
/// Written by hand because the compiler cannot prove that the target and the row do not overlap, so it
/// leaves `target[c] += x * row[c]` scalar; eight lanes at a time is several times faster on dense rows.
enum VectorMath {
    /// `target[0..<count] += x * row[0..<count]`.
    @inline(__always)
    static func addScaled(_ x: Float, _ row: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
        var c = 0
        let scale = SIMD8<Float>(repeating: x)
        let rowRaw = UnsafeRawPointer(row), targetRaw = UnsafeMutableRawPointer(target)
        while c + 8 <= count {
            let offset = c * MemoryLayout<Float>.stride
            let sum = targetRaw.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                + scale * rowRaw.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            targetRaw.storeBytes(of: sum, toByteOffset: offset, as: SIMD8<Float>.self)
            c += 8
        }
        while c < count {
            target[c] += x * row[c]
            c += 1
        }
    }
}

extension Array where Element == Double {
    /// The index of the highest score, the first on a tie (0 for an empty array): the class a row of scores
    /// predicts, the one rule for training, cross-validation and recalibration.
    var indexOfMaximum: Int {
        indices.max { self[$0] < self[$1] } ?? 0
    }
}
