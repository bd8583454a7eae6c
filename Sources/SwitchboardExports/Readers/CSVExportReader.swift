import Foundation
import Switchboard

/// Reads CSV or TSV exports with a header line, streamed.
///
/// The text and id columns are found by name in the header (``ExportOptions/textField``,
/// ``ExportOptions/idField``; case-insensitive, surrounding spaces ignored); `timestamp`, `sender` and
/// `channel` columns are read when present. The delimiter is detected from the header (`,` `;`
/// tab) unless given; quoted multi-line fields, doubled quotes, CRLF and a UTF-8 BOM are handled
/// by ``CSVReader``. A record with a different number of fields than the header, an unterminated
/// quote, or an empty text becomes a failure record at the line the record starts on. Blank
/// lines are not records.
public final class CSVExportReader: ExportReader {
    /// The path being read.
    public var path: String { csv.path }
    /// ``ExportFormat/csv`` or ``ExportFormat/tsv``.
    public let format: ExportFormat
    /// What has been read so far.
    public private(set) var statistics = ExportStatistics()
    /// The header's column names.
    public let header: [String]

    private let csv: CSVReader

    /// How many bytes of the input have been read so far.
    public var bytesRead: Int? { csv.input.bytesRead }
    private let options: ExportOptions
    private let textColumn: Int
    private let idColumn: Int?
    private let timestampColumn: Int?
    private let senderColumn: Int?
    private let channelColumn: Int?

    /// Opens a file, or standard input when `path` is `-`.
    ///
    /// - Throws: ``SwitchboardError`` `.malformedRecord` when there is no header or no text column.
    public convenience init(path: String, format: ExportFormat = .csv, options: ExportOptions = ExportOptions()) throws {
        try self.init(input: ByteInput(path: path), format: format, options: options)
    }

    /// Reads from an opened input.
    public init(input: ByteInput, format: ExportFormat = .csv, options: ExportOptions = ExportOptions()) throws {
        self.format = format
        self.options = options
        let delimiter = options.csvDelimiter ?? (format == .tsv ? 0x09 : nil)
        csv = try CSVReader(input: input, delimiter: delimiter, hasHeader: true, maxRecordLength: options.limits.maxMessageBytes)
        guard let header = csv.header, !(header.count == 1 && header[0].isEmpty) else {
            throw SwitchboardError(.malformedRecord, "no header line", location: SourceLocation(file: input.path, line: 1))
        }
        self.header = header
        let names = header.map { TextCleaning.trimmed($0).lowercased() }
        func column(_ name: String) -> Int? { names.firstIndex(of: name.lowercased()) }
        guard let text = column(options.textField) else {
            throw SwitchboardError(
                // The fields are not quoted: when the file is not a CSV export at all, its first line is a
                // message, and errors never show message text.
                .malformedRecord, "no column '\(options.textField)' in the header line (\(header.count) field(s)); name the text column with --text-column, or give the file's real format with --format",
                location: SourceLocation(file: input.path, line: 1))
        }
        // Two columns of that name: which one holds the message is a guess, and a wrong guess routes every
        // record on the wrong text.
        guard names.lastIndex(of: options.textField.lowercased()) == text else {
            throw SwitchboardError(
                .malformedRecord, "the header names the column '\(options.textField)' twice; rename one, or name the text column with --text-column",
                location: SourceLocation(file: input.path, line: 1))
        }
        textColumn = text
        idColumn = column(options.idField)
        timestampColumn = column(options.timestampField)
        senderColumn = column(options.senderField)
        channelColumn = column(options.channelField)
    }

    /// Returns the next record, or nil at the end of the input.
    public func next() throws -> ExportRecord? {
        while let record = try csv.next() {
            if record.fields.count == 1, record.fields[0].isEmpty, record.problem == nil {
                statistics.ignored += 1
                continue
            }
            let result = convert(record)
            statistics.count(result)
            return result
        }
        return nil
    }

    private func convert(_ record: CSVRecord) -> ExportRecord {
        let location = SourceLocation(file: csv.path, line: record.line)
        if let problem = record.problem {
            return .failure(SwitchboardError(.malformedRecord, csv.message(for: problem, of: record, lost: "records"), location: location))
        }
        guard record.fields.count == header.count else {
            return .failure(SwitchboardError(
                .malformedRecord, "expected \(header.count) fields, found \(record.fields.count)", location: location))
        }
        let text = TextCleaning.trimmed(record.fields[textColumn])
        guard !text.isEmpty else {
            return .failure(SwitchboardError(.malformedRecord, "empty text in column '\(options.textField)'", location: location))
        }
        func field(_ column: Int?) -> String? {
            guard let column else { return nil }
            let value = TextCleaning.trimmed(record.fields[column])
            return value.isEmpty ? nil : value
        }
        var message = Message(text: text, id: field(idColumn), sender: field(senderColumn), source: location)
        message.channel = options.channel ?? field(channelColumn)
        if let stamp = field(timestampColumn) {
            message.timestamp = CivilTime.parseISO8601(stamp, timeZone: options.timeZone) ?? Double(stamp).flatMap(CivilTime.unixDate)
        }
        return .message(message)
    }
}
