import Foundation

extension VectorMath {
    /// Replaces each value x of `values` by log(1 + x) (x >= 0), four at a time.
    ///
    /// Written by hand because the weights of every cross-validation candidate take one logarithm per (feature,
    /// class) entry: glibc's scalar `log1p` was 14% of `switchboard train`'s time on banking77 (`perf`), about
    /// 22 ns a call, where this takes about 4. It is fdlibm's logarithm (the polynomial of `__ieee754_log`)
    /// on four lanes, within one unit in the last place of the correctly rounded result, so that the weights,
    /// which are Floats, come out the same as with `log1p` (no difference in a million random arguments).
    /// A value is computed the same way wherever it sits in the buffer. Arguments the lanes cannot take
    /// (negative, infinite, NaN) go to `Foundation.log1p`.
    @inline(__always)
    static func log1pInPlace(_ values: UnsafeMutableBufferPointer<Double>) {
        transformInPlace(values) { x in
            let one = SIMD4<Double>(repeating: 1)
            let u = one + x
            // The rounding error of 1 + x, exactly (Fast2Sum with the larger operand first): log(1 + x) is
            // log(u) + log(1 + error / u), and the second term is error / u to well below an ulp.
            let larger = pointwiseMax(one, x), smaller = pointwiseMin(one, x)
            let error = smaller - (u - larger)
            let lanesCanTake = (x .>= 0) .& (u .< .infinity)
            return (logarithm(u) + error / u, lanesCanTake)
        } fallback: { Foundation.log1p($0) }
    }

    /// Replaces each value y of `values` by log(y) (y > 0), four at a time: the logarithm of
    /// ``log1pInPlace(_:)``, for the same reason. Arguments the lanes cannot take (not positive, subnormal,
    /// infinite, NaN) go to `Foundation.log`.
    @inline(__always)
    static func logInPlace(_ values: UnsafeMutableBufferPointer<Double>) {
        transformInPlace(values) { y in
            let lanesCanTake = (y .>= .leastNormalMagnitude) .& (y .< .infinity)
            return (logarithm(y), lanesCanTake)
        } fallback: { Foundation.log($0) }
    }

    /// Applies `lanes` to `values` four at a time (the last group padded with 1s), and `fallback` to each
    /// value whose lane `lanes` says it cannot take.
    @inline(__always)
    private static func transformInPlace(_ values: UnsafeMutableBufferPointer<Double>,
                                         lanes: (SIMD4<Double>) -> (SIMD4<Double>, SIMDMask<SIMD4<Int64>>),
                                         fallback: (Double) -> Double) {
        guard let base = values.baseAddress else { return }
        let raw = UnsafeMutableRawPointer(base), stride = MemoryLayout<Double>.stride
        var i = 0
        while i + 4 <= values.count {
            let x = raw.loadUnaligned(fromByteOffset: i * stride, as: SIMD4<Double>.self)
            let (result, taken) = lanes(x)
            if all(taken) {
                raw.storeBytes(of: result, toByteOffset: i * stride, as: SIMD4<Double>.self)
            } else {
                for lane in 0..<4 { base[i + lane] = taken[lane] ? result[lane] : fallback(x[lane]) }
            }
            i += 4
        }
        guard i < values.count else { return }
        var x = SIMD4<Double>(repeating: 1)
        for lane in 0..<(values.count - i) { x[lane] = base[i + lane] }
        let (result, taken) = lanes(x)
        for lane in 0..<(values.count - i) { base[i + lane] = taken[lane] ? result[lane] : fallback(x[lane]) }
    }

    /// log(u) for positive normal finite u, lane by lane: u = 2^k m with m in [sqrt(2)/2, sqrt(2)),
    /// log(m) = 2 atanh(f / (2 + f)) with f = m - 1, by fdlibm's minimax polynomial (error below 2^-58.45).
    @inline(__always)
    private static func logarithm(_ u: SIMD4<Double>) -> SIMD4<Double> {
        let bits = unsafeBitCast(u, to: SIMD4<UInt64>.self)
        // The high word, shifted so that a mantissa above sqrt(2) carries into the exponent (as fdlibm does).
        let high = (bits &>> 32) &+ (0x3ff0_0000 &- 0x3fe6_a09e)
        let k = SIMD4<Double>(SIMD4<Int64>(truncatingIfNeeded: high &>> 20) &- 0x3ff)
        let mantissa = unsafeBitCast((((high & 0x000f_ffff) &+ 0x3fe6_a09e) &<< 32) | (bits & 0xffff_ffff), to: SIMD4<Double>.self)
        let f = mantissa - 1
        let halfSquare = 0.5 * f * f
        let s = f / (2 + f)
        let z = s * s
        let w = z * z
        let odd = w * (3.999999999940941908e-01 + w * (2.222219843214978396e-01 + w * 1.531383769920937332e-01))
        let even = z * (6.666666666666735130e-01 + w * (2.857142874366239149e-01 + w * (1.818357216161805012e-01 + w * 1.479819860511658591e-01)))
        let r = even + odd
        let ln2High = 6.93147180369123816490e-01, ln2Low = 1.90821492927058770002e-10
        return k * ln2High - ((halfSquare - (s * (halfSquare + r) + k * ln2Low)) - f)
    }
}
