import Foundation

/// Folds Unicode scalars for matching: case folding, compatibility forms and (optionally) accents.
///
/// Written by hand because it runs on every scalar of every message: an ASCII fast path, a table for
/// the Latin blocks (where French and English text lives), and Unicode properties for the rest.
/// Foundation's `folding(options:locale:)` on each message costs an allocation per call and is many
/// times slower.
enum ScalarFolding {
    /// What a scalar becomes in the token stream.
    enum Class: UInt8, Sendable {
        case letter, digit, space, apostrophe, hyphen, question, exclamation, emoji, ignorable, other
    }

    /// Folded forms for U+00C0 to U+024F, with and without accent removal.
    private static let latinTables: (folded: [[UInt32]], cased: [[UInt32]]) = {
        var folded: [[UInt32]] = []
        var cased: [[UInt32]] = []
        for value in UInt32(0xC0)...UInt32(0x24F) {
            guard let scalar = Unicode.Scalar(value) else {
                folded.append([value]); cased.append([value]); continue
            }
            let lower = String(scalar).lowercased()
            cased.append(lower.unicodeScalars.map(\.value))
            let special: [UInt32: String] = [0xC6: "ae", 0xE6: "ae", 0x152: "oe", 0x153: "oe", 0xDF: "ss", 0xD8: "o", 0xF8: "o", 0x141: "l", 0x142: "l", 0xD0: "d", 0xF0: "d", 0x110: "d", 0x111: "d", 0xDE: "th", 0xFE: "th"]
            if let replacement = special[value] {
                folded.append(replacement.unicodeScalars.map(\.value))
            } else {
                let stripped = lower.decomposedStringWithCanonicalMapping.unicodeScalars
                    .filter { !(0x300...0x36F).contains($0.value) }
                folded.append(stripped.map(\.value))
            }
        }
        return (folded, cased)
    }()

    /// `hash` stepped over `value` with its accent removed, as ``fold(_:foldDiacritics:into:)`` folding accents
    /// would have written it: for a token written with accents kept, `value` already in lower case.
    @inline(__always)
    static func stepAccentFolded(_ hash: UInt64, _ value: UInt32) -> UInt64 {
        switch value {
        case 0xC0...0x24F:
            var h = hash
            for v in latinTables.folded[Int(value - 0xC0)] { h = FeatureHash.step(h, v) }
            return h
        case 0x300...0x36F: return hash
        default: return FeatureHash.step(hash, value)
        }
    }

    /// Appends the folded form of `scalar` to `output` and says what kind of character it is.
    @inline(__always)
    static func fold(_ value: UInt32, foldDiacritics: Bool, into output: inout [UInt32]) -> Class {
        if value < 0x80 {
            let (folded, cls) = foldASCII(value)
            if cls != .space { output.append(folded) }
            return cls
        }
        return foldNonASCII(value, foldDiacritics: foldDiacritics, into: &output)
    }

    /// The folded form and class of an ASCII scalar (`value` < 0x80), which folds into exactly one scalar, or
    /// none when it is a space (the folded form is then meaningless).
    @inline(__always)
    static func foldASCII(_ value: UInt32) -> (UInt32, Class) {
        switch value {
        case 0x61...0x7A: (value, .letter)
        case 0x41...0x5A: (value | 0x20, .letter)
        case 0x30...0x39: (value, .digit)
        case 0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C: (value, .space)
        case 0x27, 0x60: (0x27, .apostrophe)
        case 0x2D: (value, .hyphen)
        case 0x3F: (value, .question)
        case 0x21: (value, .exclamation)
        default: (value, .other)
        }
    }

    /// The most scalars one scalar folds into: a Unicode case mapping is at most three scalars, and the Latin
    /// table's longest entry is two ("ae", "ss", "th").
    static let maximumExpansion = 3

    private static func foldNonASCII(_ value: UInt32, foldDiacritics: Bool, into output: inout [UInt32]) -> Class {
        switch value {
        case 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0x85:
            return .space
        case 0xAD, 0x200B...0x200F, 0x202A...0x202E, 0x2060...0x2064, 0xFEFF, 0xFE00...0xFE0F, 0x20E3, 0x1F3FB...0x1F3FF, 0xE0020...0xE007F:
            return .ignorable
        case 0x2018, 0x2019, 0x02BC, 0x2032, 0xB4:
            output.append(0x27); return .apostrophe
        case 0x2010, 0x2011:
            output.append(0x2D); return .hyphen
        case 0xFF01...0xFF5E:
            return fold(value - 0xFEE0, foldDiacritics: foldDiacritics, into: &output)
        case 0x300...0x36F:
            if foldDiacritics { return .ignorable }
            output.append(value); return .letter
        case 0xC0...0x24F:
            let table = foldDiacritics ? latinTables.folded : latinTables.cased
            let mapped = table[Int(value - 0xC0)]
            output.append(contentsOf: mapped)
            return value == 0xD7 || value == 0xF7 ? .other : .letter
        case 0xFFFD:
            return .other
        default:
            break
        }
        guard let scalar = Unicode.Scalar(value) else { return .other }
        let properties = scalar.properties
        if value >= 0x2190 && properties.isEmoji {
            output.append(value); return .emoji
        }
        if properties.isAlphabetic {
            if properties.changesWhenLowercased {
                output.append(contentsOf: properties.lowercaseMapping.unicodeScalars.map(\.value))
            } else {
                output.append(value)
            }
            return .letter
        }
        if properties.numericType == .decimal, let digit = properties.numericValue, digit >= 0, digit <= 9 {
            output.append(0x30 + UInt32(digit)); return .digit
        }
        if properties.isWhitespace { return .space }
        if value == 0x2026 { return .other }
        output.append(value)
        return .other
    }
}
