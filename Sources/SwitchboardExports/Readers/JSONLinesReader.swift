import Foundation
import Switchboard

/// Reads JSON Lines / NDJSON: one JSON object per line, streamed.
///
/// The text and id are found by dotted paths (``ExportOptions/textField``, ``ExportOptions/idField``);
/// `timestamp`, `sender` and `channel` are read when present. Blank lines are not records (they
/// are counted in ``ExportStatistics/ignored``). A line that is not valid JSON, not an object,
/// or has no non-empty string at the text path becomes a failure record at `file:line`.
public final class JSONLinesReader: ExportReader {
    /// The path being read.
    public var path: String { lines.path }
    /// Always ``ExportFormat/jsonl``.
    public var format: ExportFormat { .jsonl }
    /// What has been read so far.
    public private(set) var statistics = ExportStatistics()

    private let lines: LineReader

    /// How many bytes of the input have been read so far.
    public var bytesRead: Int? { lines.input.bytesRead }
    private let options: ExportOptions
    private let selector: JSONFieldSelector

    /// Opens a file, or standard input when `path` is `-`.
    public convenience init(path: String, options: ExportOptions = ExportOptions()) throws {
        try self.init(lines: LineReader(path: path, maxLineLength: options.limits.maxLineBytes), options: options)
    }

    /// Reads from a line reader.
    public init(lines: LineReader, options: ExportOptions = ExportOptions()) {
        self.lines = lines
        self.options = options
        selector = JSONFieldSelector(paths: [
            options.textField, options.idField, options.timestampField, options.senderField, options.channelField,
        ])
    }

    /// Returns the next record, or nil at the end of the input.
    public func next() throws -> ExportRecord? {
        while true {
            let outcome: ExportRecord?? = try lines.withNextLine { bytes, number, truncated in
                parse(bytes, line: number, truncated: truncated)
            }
            guard let outcome else { return nil }
            if let record = outcome {
                statistics.count(record)
                return record
            }
            statistics.ignored += 1
        }
    }

    /// Parses one line; nil for a blank line.
    private func parse(_ bytes: UnsafeBufferPointer<UInt8>, line: Int, truncated: Bool) -> ExportRecord? {
        // A byte-order mark at the start of any line (files concatenated with `cat`), as `train` reads it: it was
        // an error record here ("invalid JSON at byte 1").
        // (In a loop: a line of 10,000 marks overflowed the stack when each called this again.)
        var bytes = bytes
        while bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
            bytes = UnsafeBufferPointer(rebasing: bytes[3...])
        }
        let location = SourceLocation(file: lines.path, line: line)
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return nil }
        if truncated {
            return .failure(SwitchboardError(.malformedRecord, "line longer than \(lines.maxLineLength) bytes", location: location))
        }
        let fields: [JSONFieldSelector.Captured?]
        do {
            fields = try selector.select(bytes, maxDepth: options.limits.maxDepth)
        } catch let error as JSONSyntaxError {
            return .failure(SwitchboardError(.malformedRecord, "invalid JSON: \(error)", location: location))
        } catch {
            return .failure(SwitchboardError(.malformedRecord, "invalid JSON", location: location))
        }
        let text: String
        switch fields[0] {
        case .string(let value)?:
            text = TextCleaning.trimmed(value)
            if text.isEmpty {
                return .failure(SwitchboardError(.malformedRecord, "empty text in field '\(options.textField)'", location: location))
            }
        case nil, .null?:
            return .failure(SwitchboardError(.malformedRecord, "missing text field '\(options.textField)'", location: location))
        case .number?, .bool?:
            return .failure(SwitchboardError(.malformedRecord, "text field '\(options.textField)' is not a string", location: location))
        case .compound(let kind)?:
            return .failure(SwitchboardError(.malformedRecord, "text field '\(options.textField)' is \(kind), not a string", location: location))
        }
        var message = Message(text: text, source: location)
        message.id = Self.scalarText(fields[1])
        switch fields[2] {
        case .string(let value)?: message.timestamp = CivilTime.parseISO8601(value, timeZone: options.timeZone)
        case .number(let value)?: message.timestamp = Double(value).flatMap(CivilTime.unixDate)
        default: break
        }
        message.sender = Self.scalarText(fields[3])
        message.channel = options.channel ?? Self.scalarText(fields[4])
        return .message(message)
    }

    /// A string or number field as text (ids are often numbers).
    static func scalarText(_ value: JSONFieldSelector.Captured?) -> String? {
        switch value {
        case .string(let text)?: text.isEmpty ? nil : text
        case .number(let text)?: text
        default: nil
        }
    }
}
