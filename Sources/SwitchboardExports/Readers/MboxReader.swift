import Foundation
import Switchboard

/// Reads a Unix mbox mailbox, one e-mail at a time, streamed.
///
/// A message starts at a `From ` line at the start of the file or after a blank line; its
/// location is that line. Lines escaped as `>From ` (mboxrd, and mboxo's `>From `) lose one `>`.
/// Each message is parsed as ``MailMessageReader`` describes; a message larger than
/// ``ExportLimits/maxMessageBytes`` becomes a failure without being kept in memory, as does one with a
/// line longer than ``ExportLimits/maxLineBytes`` (the line reader cuts such a line). Text before
/// the first `From ` line is not a message (counted in ``ExportStatistics/ignored``); text with no
/// `From ` line at all is one failure record (the input is not a mailbox).
///
/// Limitation: in an mboxo file whose writer did not escape a body line starting with `From `
/// after a blank line, that line is taken as the start of a new message (as `mutt` and `formail`
/// also do); such a split yields an extra record rather than a lost one.
public final class MboxReader: ExportReader {
    /// The path being read.
    public var path: String { lines.path }
    /// Always ``ExportFormat/mbox``.
    public var format: ExportFormat { .mbox }
    /// What has been read so far.
    public private(set) var statistics = ExportStatistics()

    private let lines: LineReader

    /// How many bytes of the input have been read so far.
    public var bytesRead: Int? { lines.input.bytesRead }
    private let options: ExportOptions
    /// The message being read: its `From ` line, its bytes, whether it outgrew the message limit, and its
    /// first line cut at the line limit (the message is then a failure, not routed on part of its text).
    private var current: (line: Int, bytes: [UInt8], tooLong: Bool, truncatedLine: Int?)?
    private var previousBlank = true
    private var preamble = false
    private var finished = false

    /// Opens a file, or standard input when `path` is `-`.
    public convenience init(path: String, options: ExportOptions = ExportOptions()) throws {
        try self.init(lines: LineReader(path: path, maxLineLength: options.limits.maxLineBytes), options: options)
    }

    /// Reads from a line reader.
    public init(lines: LineReader, options: ExportOptions = ExportOptions()) {
        self.lines = lines
        self.options = options
    }

    /// Returns the next record, or nil at the end of the input.
    public func next() throws -> ExportRecord? {
        while !finished {
            guard let line = try lines.next() else {
                finished = true
                if preamble && statistics.inputMessages == 0 && current == nil {
                    // Text and no `From ` line at all: not a mailbox (most often one e-mail saved as .mbox).
                    // Reading it as an empty mailbox would lose it without a word.
                    let record = ExportRecord.failure(SwitchboardError(
                        .malformedRecord, "no 'From ' line: this is not an mbox mailbox (one e-mail? read it with --format eml)",
                        location: SourceLocation(file: lines.path, line: 1)))
                    statistics.count(record)
                    return record
                }
                if preamble { statistics.ignored += 1 }
                return finish()
            }
            let bytes = line.bytes
            let isFromLine = previousBlank && bytes.starts(with: Self.fromPrefix)
            previousBlank = bytes.isEmpty
            if isFromLine {
                let record = finish()
                current = (line.number, [], false, nil)
                if let record { return record }
                continue
            }
            guard current != nil else {
                if !bytes.isEmpty { preamble = true }
                continue
            }
            if line.isTruncated, current?.truncatedLine == nil { current?.truncatedLine = line.number }
            append(Self.unescape(bytes))
        }
        return nil
    }

    static let fromPrefix = Array("From ".utf8)

    /// `>From ` → `From `, `>>From ` → `>From `.
    static func unescape(_ bytes: [UInt8]) -> ArraySlice<UInt8> {
        var index = 0
        while index < bytes.count, bytes[index] == UInt8(ascii: ">") { index += 1 }
        if index > 0, bytes[index...].starts(with: fromPrefix) { return bytes[1...] }
        return bytes[...]
    }

    private func append(_ bytes: ArraySlice<UInt8>) {
        guard var message = current else { return }
        current = nil  // keep the buffer uniquely referenced while appending
        if message.tooLong || message.bytes.count + bytes.count + 1 > options.limits.maxMessageBytes {
            message.tooLong = true
            message.bytes = []
        } else {
            message.bytes.append(contentsOf: bytes)
            message.bytes.append(0x0A)
        }
        current = message
    }

    private func finish() -> ExportRecord? {
        guard let message = current else { return nil }
        current = nil
        let location = SourceLocation(file: lines.path, line: message.line)
        let record: ExportRecord
        if message.tooLong {
            record = .failure(SwitchboardError(.malformedRecord, "message larger than \(options.limits.maxMessageBytes) bytes", location: location))
        } else if let truncated = message.truncatedLine {
            record = .failure(SwitchboardError(
                .malformedRecord, "line \(truncated) is longer than \(lines.maxLineLength) bytes", location: location))
        } else {
            record = MailMessageReader.record(from: message.bytes[...], location: location, options: options)
        }
        statistics.count(record)
        return record
    }
}

/// Reads e-mails saved as files: one `.eml` file, or every `.eml` file under a directory
/// (recursively, in path order; the other files are counted in ``ExportStatistics/ignored``, and a
/// directory without any `.eml` file is an error). Each file is one message, located by its path and its 0-based
/// position among the files. A file that cannot be read or is larger than
/// ``ExportLimits/maxMessageBytes`` becomes a failure; reading goes on with the next file.
public final class EMLReader: ExportReader {
    /// The file or directory being read.
    public let path: String
    /// Always ``ExportFormat/eml``.
    public var format: ExportFormat { .eml }
    /// What has been read so far.
    public private(set) var statistics = ExportStatistics()
    /// The files to read, in order.
    public let files: [String]

    private let options: ExportOptions
    private var position = 0

    /// Lists a file, or the `.eml` files under a directory.
    ///
    /// - Throws: ``SwitchboardError`` `.io` when a directory cannot be listed.
    public init(path: String, options: ExportOptions = ExportOptions()) throws {
        self.path = path
        self.options = options
        var isDirectory: ObjCBool = false
        if path != "-", FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            guard let enumerator = FileManager.default.enumerator(atPath: path) else {
                throw SwitchboardError(.io, "cannot list \(path)", location: SourceLocation(file: path))
            }
            var found: [String] = [], others = 0
            while let relative = enumerator.nextObject() as? String {
                if relative.lowercased().hasSuffix(".eml") {
                    found.append((path as NSString).appendingPathComponent(relative))
                } else if enumerator.fileAttributes?[.type] as? FileAttributeType != .typeDirectory {
                    others += 1
                }
            }
            // A directory is read as e-mails; one without any would have been read as nothing, exit status 0.
            guard !found.isEmpty else {
                throw SwitchboardError(.io, "no .eml file under this directory (\(others) other file(s)): give the export files themselves as inputs, for example \(path)/*.jsonl",
                                       location: SourceLocation(file: path))
            }
            files = found.sorted()
            // Files beside the e-mails are not messages: counted, so that the summary shows them.
            statistics.ignored = others
        } else {
            files = [path]
        }
    }

    /// Returns the next record, or nil after the last file.
    public func next() throws -> ExportRecord? {
        guard position < files.count else { return nil }
        let index = position
        position += 1
        let file = files[index]
        let location = SourceLocation(file: file, index: index)
        let record: ExportRecord
        do {
            let bytes = try ByteInput(path: file).readAll(limit: options.limits.maxMessageBytes)
            record = MailMessageReader.record(from: bytes[...], location: location, options: options)
        } catch let error as SwitchboardError {
            record = .failure(SwitchboardError(error.code, error.message, location: location, cause: error.cause))
        }
        statistics.count(record)
        return record
    }
}
