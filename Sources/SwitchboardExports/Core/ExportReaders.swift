import Foundation
import Switchboard

/// Opens the right reader for an export.
public enum ExportReaders {
    /// Opens `path` (a file, a directory of e-mails, or `-` for standard input) with the reader
    /// for ``ExportOptions/format``, detecting the format when it is ``ExportFormat/auto``.
    ///
    /// - Throws: ``SwitchboardError`` `.io` when the input cannot be opened, `.invalidArgument` when
    ///   the format cannot be detected on standard input or XML element names are missing,
    ///   `.malformedRecord` when a CSV has no header or no text column.
    public static func open(_ path: String, options: ExportOptions = ExportOptions()) throws -> any ExportReader {
        var format = options.format
        if format == .auto {
            guard path != "-" else {
                throw SwitchboardError(.invalidArgument, "give the format of standard input (it cannot be detected without reading it)")
            }
            format = try detectFormat(path)
        }
        let reader = try open(path, format: format, options: options)
        switch format {
        case .jsonl, .csv, .tsv, .xml: return options.htmlText ? HTMLFieldReader(reader) : reader
        default: return reader
        }
    }

    private static func open(_ path: String, format: ExportFormat, options: ExportOptions) throws -> any ExportReader {
        switch format {
        case .auto: throw SwitchboardError(.invalidArgument, "cannot detect the format of \(path)")
        case .jsonl: return try JSONLinesReader(path: path, options: options)
        case .csv, .tsv: return try CSVExportReader(path: path, format: format, options: options)
        case .messengerJSON: return try MessengerJSONReader(path: path, options: options)
        case .messengerHTML: return try MessengerHTMLReader(path: path, options: options)
        case .whatsapp: return try WhatsAppReader(path: path, options: options)
        case .mbox: return try MboxReader(path: path, options: options)
        case .eml: return try EMLReader(path: path, options: options)
        case .xml: return try XMLRecordReader(path: path, options: options)
        case .html: return try HTMLDocumentReader(path: path, options: options)
        }
    }

    /// Detects the format of a file or directory from its extension and first 8 KiB.
    public static func detectFormat(_ path: String) throws -> ExportFormat {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw SwitchboardError(.io, "no such file: \(path)", location: SourceLocation(file: path))
        }
        if isDirectory.boolValue { return .eml }
        let input = try ByteInput(path: path, chunkSize: 8192)
        let prefix = try input.peek(upTo: 8192)
        var sniffer = JSONLinesSniffer()
        var jsonLines = sniffer.feed(prefix)
        if jsonLines == nil, prefix.count == 8192 {
            jsonLines = try sniffFurther(path: path, after: prefix.count, with: &sniffer)
        }
        return ExportFormat.detect(path: path, prefix: prefix, isDirectory: false, jsonLines: jsonLines ?? false)
    }

    /// Reads on past the prefix until the sniffer decides: a first JSON line longer than 8 KiB is common
    /// (long messages). Bounded by the longest line a reader accepts, so detection stays cheap.
    private static func sniffFurther(path: String, after offset: Int, with sniffer: inout JSONLinesSniffer) throws -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw SwitchboardError(.io, "cannot open \(path)", location: SourceLocation(file: path))
        }
        defer { try? handle.close() }
        do {
            try handle.seek(toOffset: UInt64(offset))
            var scanned = 0
            while scanned < ExportLimits().maxLineBytes {
                guard let chunk = try handle.read(upToCount: 1 << 16), !chunk.isEmpty else { return false }
                scanned += chunk.count
                if let decision = sniffer.feed(chunk) { return decision }
            }
        } catch {
            throw SwitchboardError(.io, "cannot read \(path): \(error.localizedDescription)", location: SourceLocation(file: path))
        }
        return false
    }
}

extension ByteInput {
    /// Reads a whole document for the readers that parse one at once: its bytes, or the failure for a
    /// document over `limit`, which is one error record for that file rather than the end of the run.
    ///
    /// - Throws: ``SwitchboardError`` `.io` when the input cannot be read.
    static func readDocument(_ path: String, limit: Int) throws -> Result<[UInt8], SwitchboardError> {
        let input = try ByteInput(path: path)
        do {
            return .success(try input.readAll(limit: limit))
        } catch let error as SwitchboardError where error.code == .malformedRecord {
            return .failure(error)
        }
    }
}
