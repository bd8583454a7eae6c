import Foundation

/// Temperature scaling, expected calibration error and the abstention threshold.
public enum Calibration {
    /// The scale s minimising the negative log-likelihood of softmax(s * scores) on labelled score vectors
    /// (Newton's method on a convex function of s, with bisection when a step leaves the bracket).
    ///
    /// Each step's terms, one per vector, are computed on `workers` threads (an exponential per score: most of the
    /// time of a step) and added up in vector order on one, so the scale is the same for any number of workers.
    static func fitScale(scores: [[Double]], truth: [Int], workers: Int = Parallel.defaultWorkers) -> Double {
        guard !scores.isEmpty else { return 1 }
        // Centre each vector on its maximum for numerical stability.
        let centred = scores.map { row -> [Double] in let top = row.max() ?? 0; return row.map { $0 - top } }
        let pieces = Parallel.ranges(min(centred.count, truth.count), pieces: workers * Parallel.piecesPerWorker)
        func derivatives(_ s: Double) -> (first: Double, second: Double) {
            let terms = Parallel.map(pieces.count, workers: workers) { piece in
                pieces[piece].map { i -> (Double, Double) in
                    let row = centred[i]
                    var z = 0.0, mean = 0.0, square = 0.0
                    for value in row {
                        let p = exp(s * value)
                        z += p; mean += p * value; square += p * value * value
                    }
                    mean /= z; square /= z
                    return (mean - row[truth[i]], square - mean * mean)
                }
            }
            var first = 0.0, second = 0.0
            for piece in terms {
                for (a, b) in piece { first += a; second += b }
            }
            return (first, second)
        }
        var low = 1e-4, high = 1e4, s = 1.0
        for _ in 0..<60 {
            let (g, h) = derivatives(s)
            if abs(g) < 1e-9 * Double(scores.count) { break }
            if g > 0 { high = s } else { low = s }
            var next = h > 0 ? s - g / h : .nan
            if !(next > low && next < high) { next = (low * high).squareRoot() }
            if abs(next - s) < 1e-9 * s { s = next; break }
            s = next
        }
        return s
    }

    /// Expected calibration error of top-label confidences, with `bins` equal-width bins.
    public static func expectedCalibrationError(confidences: [Double], correct: [Bool], bins: Int = 15) -> Double {
        guard !confidences.isEmpty else { return 0 }
        var count = [Int](repeating: 0, count: bins), sumConfidence = [Double](repeating: 0, count: bins), hits = [Int](repeating: 0, count: bins)
        for (p, ok) in zip(confidences, correct) {
            // Confidences are clamped to [0, 1], a NaN read as 0: converting a NaN or an infinity to Int traps.
            let q = p.isNaN ? 0 : min(max(p, 0), 1)
            let b = min(bins - 1, Int(q * Double(bins)))
            count[b] += 1; sumConfidence[b] += q; hits[b] += ok ? 1 : 0
        }
        var error = 0.0
        for b in 0..<bins where count[b] > 0 {
            error += abs(sumConfidence[b] / Double(count[b]) - Double(hits[b]) / Double(count[b])) * Double(count[b])
        }
        return error / Double(confidences.count)
    }

    /// The `percentile`-th percentile of the known-word shares of messages that have words (nil when none has,
    /// or when the percentile is 0, which turns the check off): messages below it go to a person.
    public static func minimumKnownShare(_ shares: [Double?], percentile: Double) -> Double? {
        lowerPercentile(shares, percentile: percentile)
    }

    /// The `percentile`-th percentile of the values that are not nil (nil when none is, or when the percentile
    /// is 0, which turns the check it sets off): the novelty checks' thresholds.
    static func lowerPercentile(_ values: [Double?], percentile: Double) -> Double? {
        guard percentile > 0 else { return nil }
        let sorted = values.compactMap { $0 }.sorted()
        guard !sorted.isEmpty else { return nil }
        let index = min(sorted.count - 1, Int((percentile / 100 * Double(sorted.count)).rounded(.down)))
        return sorted[index]
    }

    /// The scale to use and the calibration errors before (scale 1) and after: the scale fitted by
    /// ``fitScale(scores:truth:)`` unless it makes the error worse than no scaling. The fit minimises the
    /// log-loss, not the calibration error: on 200 labels of 5 near-identical messages it took the
    /// cross-validated error from 0.063 to 0.159. Training and recalibration both choose here.
    static func chooseScale(fitted: Double, correct: [Bool], confidences: (Double) -> [Double]) -> (scale: Double, before: Double, after: Double) {
        let before = expectedCalibrationError(confidences: confidences(1), correct: correct)
        let fittedError = expectedCalibrationError(confidences: confidences(fitted), correct: correct)
        return fittedError <= before ? (fitted, before, fittedError) : (1, before, before)
    }

    /// The lowest confidence threshold at which the messages at or above it reach `targetPrecision`,
    /// and the share of messages it keeps. Returns 1.0 and 0 coverage when no threshold reaches it.
    public static func threshold(confidences: [Double], correct: [Bool], targetPrecision: Double) -> (threshold: Double, coverage: Double) {
        let order = confidences.indices.sorted { confidences[$0] > confidences[$1] }
        var hits = 0
        var best: (Double, Double) = (1.0, 0)
        var k = 0
        while k < order.count {
            // Take all messages of equal confidence together.
            let value = confidences[order[k]]
            // At least one message per step: a NaN is equal to nothing, not even itself, and a NaN confidence
            // looped here for ever.
            repeat {
                hits += correct[order[k]] ? 1 : 0
                k += 1
            } while k < order.count && confidences[order[k]] == value
            if Double(hits) / Double(k) >= targetPrecision { best = (value, Double(k) / Double(order.count)) }
        }
        return best
    }
}
