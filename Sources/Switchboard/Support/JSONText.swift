/// Writes JSON strings and numbers quickly, for the line-oriented outputs (one object per message).
///
/// Hand-written because it runs once per message on batch paths and once per request in the server,
/// where `JSONEncoder` costs an allocation and a reflection pass per record. The text is built as UTF-8
/// bytes in a ``JSONBuffer``: appending many short pieces to a `String` costs a uniqueness check, a
/// capacity check and a count update each, and a decision's JSON has about ninety pieces.
public enum JSONText {
    /// Appends `value` as a JSON string literal (with quotes) to `output`.
    public static func appendString(_ value: String, to output: inout String) {
        output.append(string(value))
    }

    /// A JSON string literal for `value`.
    public static func string(_ value: String) -> String {
        var buffer = JSONBuffer(capacity: value.utf8.count + 8)
        buffer.appendString(value)
        return buffer.text
    }

    /// Appends a probability-like number with up to 4 decimals (see ``JSONBuffer/appendNumber(_:)``).
    public static func appendNumber(_ value: Double, to output: inout String) {
        var buffer = JSONBuffer(capacity: 24)
        buffer.appendNumber(value)
        output.append(buffer.text)
    }
}

/// JSON text being written, as UTF-8 bytes; ``text`` makes it a `String` once at the end.
public struct JSONBuffer: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []

    /// An empty buffer with room for `capacity` bytes.
    public init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    /// The text written so far.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Appends JSON text as it is (punctuation, keys): the caller makes sure it is valid JSON.
    public mutating func appendRaw(_ raw: StaticString) {
        raw.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Appends JSON text as it is, from a `String` the caller made valid.
    public mutating func appendRaw(_ raw: String) {
        bytes.append(contentsOf: raw.utf8)
    }

    /// Appends `value` as a JSON string literal, with quotes and the escapes JSON requires.
    public mutating func appendString(_ value: String) {
        bytes.append(0x22)
        var needsEscape = false
        for byte in value.utf8 where byte < 0x20 || byte == 0x22 || byte == 0x5C { needsEscape = true; break }
        if !needsEscape {
            bytes.append(contentsOf: value.utf8)
        } else {
            for byte in value.utf8 {
                switch byte {
                case 0x22: appendRaw("\\\"")
                case 0x5C: appendRaw("\\\\")
                case 0x0A: appendRaw("\\n")
                case 0x0D: appendRaw("\\r")
                case 0x09: appendRaw("\\t")
                case 0..<0x20:
                    // Bytes of multi-byte characters are all 0x80 or above: only control characters get here.
                    appendRaw("\\u00")
                    bytes.append(Self.hexDigit(byte >> 4))
                    bytes.append(Self.hexDigit(byte & 0xF))
                default: bytes.append(byte)
                }
            }
        }
        bytes.append(0x22)
    }

    /// Appends an integer.
    public mutating func appendInteger(_ value: Int) {
        if value < 0 { bytes.append(0x2D) }
        appendDigits(value.magnitude)
    }

    /// Appends a probability-like number rounded to 4 decimals: `0.9931`, `0.0069`, `1`, `-0.25`; `null`
    /// if it is not finite.
    ///
    /// The digits are written by hand for |value| < 10⁹ (every probability and weight). The text is what
    /// Swift prints for the rounded `Double` (its shortest round-trip form is the decimal with at most
    /// four decimals, trailing zeros dropped; a test compares them), but Swift's printing was about 0.4 µs
    /// a number. Larger values are printed by Swift.
    public mutating func appendNumber(_ value: Double) {
        guard value.isFinite else { appendRaw("null"); return }
        let scaled = (value * 10_000).rounded()
        guard abs(scaled) < 1e13 else {
            let rounded = scaled / 10_000
            appendRaw(rounded == rounded.rounded() && abs(rounded) < 1e15 ? String(Int(rounded)) : String(rounded))
            return
        }
        let units = Int(scaled)
        if units < 0 { bytes.append(0x2D) }
        appendDigits(units.magnitude / 10_000)
        var fraction = units.magnitude % 10_000
        guard fraction != 0 else { return }
        var digits = 4
        while fraction % 10 == 0 { fraction /= 10; digits -= 1 }
        bytes.append(0x2E)
        appendDigits(fraction, minimumDigits: digits)
    }

    /// Appends `[e1,e2,...]`, each element written by `appendElement`: the one place arrays get their
    /// brackets and commas (alternatives, rules and explanations of a decision, `classify`'s top labels).
    @inlinable
    public mutating func appendArray<Items: Sequence>(_ items: Items, _ appendElement: (inout JSONBuffer, Items.Element) -> Void) {
        appendRaw("[")
        var first = true
        for item in items {
            if !first { appendRaw(",") }
            first = false
            appendElement(&self, item)
        }
        appendRaw("]")
    }

    /// Appends `{"<nameKey>":name,"<valueKey>":value}`.
    public mutating func appendPair(name: String, value: Double, nameKey: StaticString, valueKey: StaticString) {
        appendRaw("{\"")
        appendRaw(nameKey)
        appendRaw("\":")
        appendString(name)
        appendRaw(",\"")
        appendRaw(valueKey)
        appendRaw("\":")
        appendNumber(value)
        appendRaw("}")
    }

    /// Appends `value` in decimal, with leading zeros up to `minimumDigits` ("0069").
    private mutating func appendDigits(_ value: UInt, minimumDigits: Int = 1) {
        var remaining = value
        var divisor: UInt = 1
        var digits = 1
        while remaining / divisor >= 10 || digits < minimumDigits { divisor *= 10; digits += 1 }
        while divisor > 0 {
            bytes.append(0x30 + UInt8(remaining / divisor))
            remaining %= divisor
            divisor /= 10
        }
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? 0x30 + nibble : 0x61 + nibble - 10
    }
}

/// ASCII hexadecimal digits, for the hand-written JSON readers' `\u` escapes (batch exports, server bodies).
package enum HexDigit {
    /// The value of `byte` as a hexadecimal digit (`0-9`, `A-F`, `a-f`), or nil.
    @inline(__always)
    package static func value(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }
}
