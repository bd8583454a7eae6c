/// One record of a CSV or TSV input.
public struct CSVRecord: Sendable, Hashable {
    /// What went wrong while reading a record, when something did.
    public enum Problem: Sendable, Hashable {
        /// The input ended inside a quoted field.
        case unterminatedQuote
        /// The record was longer than the reader's limit; its fields were cut.
        case tooLong(limit: Int)
    }

    /// The fields, decoded as UTF-8 (invalid sequences replaced by U+FFFD).
    public var fields: [String]
    /// The 1-based line the record starts on.
    public var line: Int
    /// A problem found while reading the record, or nil.
    public var problem: Problem?

    /// Creates a record.
    public init(fields: [String], line: Int, problem: Problem? = nil) {
        self.fields = fields
        self.line = line
        self.problem = problem
    }
}

/// Reads RFC 4180 records from a file (or standard input) through a buffer.
///
/// Handles what spreadsheet programs really write: a header line, fields in double quotes with
/// embedded delimiters, newlines and doubled quotes (`""`), `\r\n` or `\n` line ends, a UTF-8 byte
/// order mark, and a delimiter other than the comma (`;` as French Excel writes, tab for TSV).
/// When no delimiter is given it is detected from the header line: whichever of `,` `;` and tab
/// occurs most often outside quotes (`,` on a tie or when none occurs).
///
/// Reading is lenient like spreadsheet programs: a quote inside an unquoted field is kept as is,
/// and text after a closing quote is appended to the field. Memory is bounded by the longest
/// record; a record longer than `maxRecordLength` bytes is reported with
/// ``CSVRecord/Problem/tooLong(limit:)``.
public final class CSVReader {
    /// The input being read.
    public let input: ByteInput
    /// The field delimiter in use (detected from the header when not given).
    public private(set) var delimiter: UInt8
    /// The header's fields, when the reader was created with `hasHeader: true`.
    public private(set) var header: [String]?
    /// Records longer than this many bytes are cut and flagged.
    public let maxRecordLength: Int

    private var line = 1
    /// The line the reader has reached (1-based): after an unterminated quote, the file's last line.
    public var currentLine: Int { line }

    /// What is wrong with `record`, the record just read, said the same way by every reader of CSV; `lost` names
    /// what the lines a never-closed quote swallowed held ("records", "examples").
    public func message(for problem: CSVRecord.Problem, of record: CSVRecord, lost: String) -> String {
        switch problem {
        case .unterminatedQuote:
            "a quoted field opened in this record is never closed: lines \(record.line) to \(currentLine) were read as this one record, so the \(lost) on them are missing"
        case .tooLong(let limit):
            "the record is longer than \(limit) bytes"
        }
    }
    private var started = false
    private var field: [UInt8] = []
    private var fields: [String] = []

    /// The path of the input (`-` for standard input).
    public var path: String { input.path }

    /// Opens a file, or standard input when `path` is `-`.
    ///
    /// - Parameters:
    ///   - delimiter: the field delimiter; nil detects it from the first line.
    ///   - hasHeader: whether the first record is a header (then read into ``header``).
    public convenience init(path: String, delimiter: UInt8? = nil, hasHeader: Bool = true, maxRecordLength: Int = 16 << 20) throws {
        try self.init(input: ByteInput(path: path), delimiter: delimiter, hasHeader: hasHeader, maxRecordLength: maxRecordLength)
    }

    /// Reads records from bytes in memory.
    public convenience init(bytes: some Collection<UInt8>, name: String = "<memory>", delimiter: UInt8? = nil, hasHeader: Bool = true, maxRecordLength: Int = 16 << 20) throws {
        try self.init(input: ByteInput(bytes: bytes, name: name), delimiter: delimiter, hasHeader: hasHeader, maxRecordLength: maxRecordLength)
    }

    /// Reads records from an already opened input.
    public init(input: ByteInput, delimiter: UInt8? = nil, hasHeader: Bool = true, maxRecordLength: Int = 16 << 20) throws {
        self.input = input
        self.maxRecordLength = max(maxRecordLength, 1)
        self.delimiter = delimiter ?? 0x2C
        try skipByteOrderMark()
        if delimiter == nil { self.delimiter = try detectDelimiter() }
        if hasHeader {
            let record = try next()
            // A quote never closed in the header swallowed the whole file into it, and the error then blamed a
            // missing column ("no column 'text' in the header line (2 field(s))").
            if let record, let problem = record.problem {
                throw SwitchboardError(.malformedRecord, "the header line: " + message(for: problem, of: record, lost: "records"),
                                       location: SourceLocation(file: input.path, line: record.line))
            }
            header = record?.fields
        }
    }

    private func skipByteOrderMark() throws {
        try input.refuseUTF16()
        while input.available < 3, try input.fill() {}
        if input.available >= 3, input.storage[input.start] == 0xEF,
           input.storage[input.start + 1] == 0xBB, input.storage[input.start + 2] == 0xBF {
            input.start += 3
        }
    }

    /// Counts `,` `;` and tab outside quotes on the first line (buffering it whole).
    private func detectDelimiter() throws -> UInt8 {
        var index = input.start
        var quoted = false
        var counts: [UInt8: Int] = [0x2C: 0, 0x3B: 0, 0x09: 0]
        while true {
            if index == input.end {
                let offset = index - input.start
                if input.available >= maxRecordLength { break }
                if try !input.fill() { break }
                index = input.start + offset
                continue
            }
            let byte = input.storage[index]
            index += 1
            if byte == 0x22 { quoted.toggle(); continue }
            if quoted { continue }
            if byte == 0x0A || byte == 0x0D { break }
            if counts[byte] != nil { counts[byte, default: 0] += 1 }
        }
        let best = [UInt8(0x2C), 0x3B, 0x09].max { (counts[$0] ?? 0) < (counts[$1] ?? 0) } ?? 0x2C
        return (counts[best] ?? 0) > 0 ? best : 0x2C
    }

    /// Returns the next record, or nil at the end of the input.
    ///
    /// A blank line yields a record with one empty field, as RFC 4180 reads it.
    public func next() throws -> CSVRecord? {
        let startLine = line
        fields.removeAll(keepingCapacity: true)
        field.removeAll(keepingCapacity: true)
        var recordLength = 0
        var overLimit = false
        var quoted = false      // inside a quoted field
        var afterQuote = false  // saw a quote while quoted: either a doubled quote or the closing one
        var fieldStarted = false
        var sawAnything = false

        func append(_ byte: UInt8) {
            recordLength += 1
            if recordLength > maxRecordLength { overLimit = true } else { field.append(byte) }
        }
        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            fieldStarted = false
        }
        func finish(_ problem: CSVRecord.Problem?) -> CSVRecord {
            endField()
            let problem = overLimit ? .tooLong(limit: maxRecordLength) : problem
            return CSVRecord(fields: fields, line: startLine, problem: problem)
        }

        while true {
            if input.start == input.end {
                input.discardBuffered()
                if try !input.fill() {
                    if !sawAnything { return nil }
                    // The file's last line, for what an unterminated quote swallowed (a final line break
                    // starts no line).
                    if field.last == 0x0A { line -= 1 }
                    return finish(quoted && !afterQuote ? .unterminatedQuote : nil)
                }
            }
            let byte = input.storage[input.start]
            input.start += 1
            sawAnything = true
            if quoted {
                if afterQuote {
                    afterQuote = false
                    if byte == 0x22 { append(0x22); continue }
                    quoted = false
                    // fall through: the byte after a closing quote is read unquoted
                } else {
                    if byte == 0x22 { afterQuote = true; continue }
                    if byte == 0x0A { line += 1 }
                    append(byte)
                    continue
                }
            }
            switch byte {
            case delimiter:
                endField()
            case 0x0A:
                line += 1
                return finish(nil)
            case 0x0D:
                line += 1
                // \r\n counts as one line end; a lone \r ends the record too.
                if input.start == input.end { _ = try input.fill() }
                if input.start < input.end, input.storage[input.start] == 0x0A { input.start += 1 }
                return finish(nil)
            case 0x22 where !fieldStarted:
                quoted = true
                fieldStarted = true
            default:
                fieldStarted = true
                append(byte)
            }
        }
    }
}
