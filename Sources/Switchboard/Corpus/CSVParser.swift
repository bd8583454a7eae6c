/// An RFC 4180 CSV parser over text held in memory: quoted fields with doubled quotes and line breaks,
/// CRLF or LF line ends, and the line each record starts on (for error messages).
struct CSVParser {
    struct Record {
        var fields: [String]
        var line: Int
    }

    private let scalars: [Unicode.Scalar]
    private var position = 0
    private var line = 1
    let delimiter: Unicode.Scalar

    init(text: String, delimiter: Unicode.Scalar = ",") {
        scalars = Array(text.unicodeScalars)
        self.delimiter = delimiter
    }

    /// The next record, or nil at the end; throws on a quote left open.
    mutating func nextRecord(file: String) throws -> Record? {
        guard position < scalars.count else { return nil }
        let start = line
        var fields: [String] = []
        var field = String.UnicodeScalarView()
        var quoted = false
        while position < scalars.count {
            let s = scalars[position]
            position += 1
            if quoted {
                if s == "\"" {
                    if position < scalars.count, scalars[position] == "\"" {
                        field.append("\""); position += 1
                    } else {
                        quoted = false
                    }
                } else {
                    if s == "\n" { line += 1 }
                    field.append(s)
                }
                continue
            }
            switch s {
            case "\"" where field.isEmpty:
                quoted = true
            case delimiter:
                fields.append(String(field)); field = String.UnicodeScalarView()
            case "\r" where position < scalars.count && scalars[position] == "\n":
                continue
            case "\n":
                line += 1
                fields.append(String(field))
                return Record(fields: fields, line: start)
            default:
                field.append(s)
            }
        }
        if quoted {
            throw SwitchboardError(.malformedRecord, "a quoted field is never closed", location: SourceLocation(file: file, line: start))
        }
        fields.append(String(field))
        return Record(fields: fields, line: start)
    }
}
