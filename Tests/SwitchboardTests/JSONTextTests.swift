import Foundation
import Testing
@testable import Switchboard

/// What `JSONText.appendNumber` wrote before its digits were written by hand: Swift's own printing of the
/// value rounded to four decimals.
private func printedBySwift(_ value: Double) -> String {
    guard value.isFinite else { return "null" }
    let rounded = (value * 10_000).rounded() / 10_000
    if rounded == rounded.rounded() && abs(rounded) < 1e15 { return String(Int(rounded)) }
    return String(rounded)
}

private func appended(_ value: Double) -> String {
    var out = ""
    JSONText.appendNumber(value, to: &out)
    return out
}

@Test func numbersAreWrittenAsSwiftPrintsThemRoundedToFourDecimals() {
    // Every probability a decision can carry, at four decimals, and the values around them.
    for units in 0...10_000 {
        let value = Double(units) / 10_000
        #expect(appended(value) == printedBySwift(value), "\(value)")
        #expect(appended(-value) == printedBySwift(-value), "\(-value)")
        #expect(appended(value + 0.000_04) == printedBySwift(value + 0.000_04))
        #expect(appended(value - 0.000_049) == printedBySwift(value - 0.000_049))
    }
    // Weights, large values, the fallback's edge, and what is not finite.
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<20_000 {
        let value = Double.random(in: -1e10...1e10, using: &generator) / pow(10, Double(Int.random(in: 0...10, using: &generator)))
        #expect(appended(value) == printedBySwift(value), "\(value)")
    }
    for value in [0.0, -0.0, 0.000_049_999, -0.000_05, 1e9 - 0.000_01, 1e9 + 0.5, 123_456_789.123_4, 1e17, -3.5e20,
                  .infinity, -.infinity, .nan, .ulpOfOne, .leastNonzeroMagnitude, .greatestFiniteMagnitude] {
        #expect(appended(value) == printedBySwift(value), "\(value)")
    }
}

@Test func stringsAreEscapedAndParseBack() throws {
    let samples = ["plain", "quote \" and backslash \\", "line\nbreak\ttab\r", "\u{1}\u{1F}", "é 👍 中文", ""]
    for sample in samples {
        var out = ""
        JSONText.appendString(sample, to: &out)
        let parsed = try JSONSerialization.jsonObject(with: Data("[\(out)]".utf8)) as? [String]
        #expect(parsed == [sample])
    }
}
