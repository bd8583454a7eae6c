import Foundation
import Testing
@testable import Switchboard

/// Arguments of the weights' logarithms: masses over alpha from 0 to a million, with the edges of the lanes'
/// arithmetic (0, subnormal, around 1 and sqrt(2), the largest Double) and values they hand to Foundation.
private func logArguments(count: Int, below: Double) -> [Double] {
    var generator = SplitMix64(seed: 20_261_201)
    var values: [Double] = [0, .leastNormalMagnitude / 4, .leastNonzeroMagnitude, 1e-300, 5e-17, 1.1e-16, 0.5, 1, 2, 2.0.squareRoot(), 0.5.squareRoot(),
                            2.0.squareRoot().nextUp, 2.0.squareRoot().nextDown, 1e300, .greatestFiniteMagnitude, .infinity, .nan, -0.5, -1, -2]
    for i in 0..<count {
        // A uniform mantissa at a random scale: every binade from 1e-12 up to `below`.
        let unit = Double(generator.next() >> 11) / Double(1 << 53)
        let scale = pow(10, Double(generator.next() % 1000) / 1000 * (log10(below) + 12) - 12)
        values.append(i % 2 == 0 ? unit * scale : unit)
    }
    return values
}

/// Units in the last place between `a` and the reference `b` (0 when both are the same non-finite value).
private func ulps(_ a: Double, _ b: Double) -> Double {
    if a.isNaN && b.isNaN { return 0 }
    if a == b { return 0 }
    return abs(a - b) / max(b.ulp, Double.leastNonzeroMagnitude)
}

@Test func vectorLog1pIsWithinAnUlpOfFoundationAndGivesTheSameFloats() {
    var values = logArguments(count: 200_000, below: 1e7)
    let reference = values.map { Foundation.log1p($0) }
    values.withUnsafeMutableBufferPointer { VectorMath.log1pInPlace($0) }
    var worst = 0.0, floatDifferences = 0
    for i in values.indices {
        worst = max(worst, ulps(values[i], reference[i]))
        if Float(values[i]).bitPattern != Float(reference[i]).bitPattern && !(values[i].isNaN && reference[i].isNaN) { floatDifferences += 1 }
    }
    #expect(worst <= 1, "worst error \(worst) ulps")
    // The weights are Floats: a Double within an ulp rounds to the same Float but at a rounding boundary.
    #expect(floatDifferences == 0)
    // Arguments the lanes cannot take are Foundation's results exactly.
    #expect(values[15] == .infinity && values[16].isNaN && values[17] == Foundation.log1p(-0.5) && values[18] == -.infinity && values[19].isNaN)
}

@Test func vectorLogIsWithinAnUlpOfFoundation() {
    var values = logArguments(count: 200_000, below: 1e7)
    let reference = values.map { Foundation.log($0) }
    values.withUnsafeMutableBufferPointer { VectorMath.logInPlace($0) }
    var worst = 0.0
    for i in values.indices { worst = max(worst, ulps(values[i], reference[i])) }
    #expect(worst <= 1, "worst error \(worst) ulps")
    // 0, subnormals, infinity, NaN and negatives are Foundation's own results.
    for i in [0, 1, 2, 15, 16, 17, 18, 19] {
        #expect(values[i].bitPattern == reference[i].bitPattern || (values[i].isNaN && reference[i].isNaN), "argument \(i)")
    }
}

@Test(arguments: [1, 3, 4, 5, 7, 8, 13])
func aLogarithmDoesNotDependOnWhereItSitsInTheBatch(length: Int) {
    let arguments = logArguments(count: 40, below: 1e6).filter { $0.isFinite && $0 >= 0 }
    for argument in arguments {
        let alone = { () -> Double in
            var one = [argument]
            one.withUnsafeMutableBufferPointer { VectorMath.log1pInPlace($0) }
            return one[0]
        }()
        for position in 0..<length {
            var batch = (0..<length).map { Double($0) * 0.37 }
            batch[position] = argument
            batch.withUnsafeMutableBufferPointer { VectorMath.log1pInPlace($0) }
            #expect(batch[position].bitPattern == alone.bitPattern, "\(argument) at \(position) of \(length)")
        }
    }
}
