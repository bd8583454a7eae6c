/// Writes JSON strings and numbers quickly, for the line-oriented outputs (one object per message).
///
/// Hand-written because it runs once per message on batch paths, where `JSONEncoder` costs an allocation
/// and a reflection pass per record.
public enum JSONText {
    /// Appends `value` as a JSON string literal (with quotes) to `output`.
    public static func appendString(_ value: String, to output: inout String) {
        output.append("\"")
        var needsEscape = false
        for byte in value.utf8 where byte < 0x20 || byte == 0x22 || byte == 0x5C { needsEscape = true; break }
        if !needsEscape {
            output.append(value)
        } else {
            for scalar in value.unicodeScalars {
                switch scalar {
                case "\"": output.append("\\\"")
                case "\\": output.append("\\\\")
                case "\n": output.append("\\n")
                case "\r": output.append("\\r")
                case "\t": output.append("\\t")
                case _ where scalar.value < 0x20:
                    let hex = String(scalar.value, radix: 16)
                    output.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
                default: output.unicodeScalars.append(scalar)
                }
            }
        }
        output.append("\"")
    }

    /// A JSON string literal for `value`.
    public static func string(_ value: String) -> String {
        var output = ""
        appendString(value, to: &output)
        return output
    }

    /// Appends a probability-like number with up to 4 decimals.
    public static func appendNumber(_ value: Double, to output: inout String) {
        guard value.isFinite else { output.append("null"); return }
        let rounded = (value * 10_000).rounded() / 10_000
        if rounded == rounded.rounded() && abs(rounded) < 1e15 {
            output.append(String(Int(rounded)))
        } else {
            output.append(String(rounded))
        }
    }

    /// Appends `[{"<nameKey>": name, "<valueKey>": value}, ...]`: the shape of alternatives and explanations.
    public static func appendPairs<Pairs: Sequence>(_ pairs: Pairs, nameKey: String, valueKey: String, to output: inout String)
    where Pairs.Element == (String, Double) {
        output.append("[")
        var first = true
        for (name, value) in pairs {
            if !first { output.append(",") }
            first = false
            output.append("{\"\(nameKey)\":")
            appendString(name, to: &output)
            output.append(",\"\(valueKey)\":")
            appendNumber(value, to: &output)
            output.append("}")
        }
        output.append("]")
    }
}
