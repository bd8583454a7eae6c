import CLibXML2
import Foundation
import Switchboard

#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Reads records from an XML export of a CRM or help desk, streamed with libxml2's `xmlTextReader`.
///
/// Each element named ``ExportOptions/xmlRecordElement`` is one message; the text is the content
/// of its descendant ``ExportOptions/xmlTextElement`` and the id that of
/// ``ExportOptions/xmlIdElement`` (names match the element's local or qualified name). Records
/// carry their 0-based index and the line they start on.
///
/// Only the current node is kept in memory, so files of any size stream. Hostile input is safe:
/// entities are never substituted, DTDs are never loaded, external entities are never resolved
/// (an unexpanded entity reference in a record makes that record a failure), and libxml2's own
/// limits (no `XML_PARSE_HUGE`) stop entity-expansion bombs, too-deep nesting and huge text nodes
/// with an error; the reader adds ``ExportLimits/maxDepth`` and ``ExportLimits/maxMessageBytes``.
/// When the XML turns out malformed mid-file, the reader yields one failure at that point (with
/// the line) and stops reading the file.
public final class XMLRecordReader: ExportReader {
    /// The path being read.
    public let path: String
    /// Always ``ExportFormat/xml``.
    public var format: ExportFormat { .xml }
    /// What has been read so far.
    public private(set) var statistics = ExportStatistics()

    private let options: ExportOptions
    private let recordName: String
    private let textName: String
    private let idName: String?
    private var reader: xmlTextReaderPtr?
    private let descriptor: Int32
    private let errors = ErrorCollector()
    private var index = 0
    private var done = false

    /// Collects the first error libxml2 reports for a reader.
    final class ErrorCollector {
        var message: String?
        var line: Int?
    }

    /// Opens a file, or standard input when `path` is `-`.
    ///
    /// - Throws: ``SwitchboardError`` `.invalidArgument` without record and text element names,
    ///   `.io` when the file cannot be opened.
    public init(path: String, options: ExportOptions) throws {
        guard let record = options.xmlRecordElement, !record.isEmpty, let text = options.xmlTextElement, !text.isEmpty else {
            throw SwitchboardError(.invalidArgument, "XML exports need the record and text element names (--xml-record, --xml-text)")
        }
        self.path = path
        self.options = options
        recordName = record
        textName = text
        idName = options.xmlIdElement
        if path == "-" {
            descriptor = 0
        } else {
            let fd = open(path, O_RDONLY)
            guard fd >= 0 else {
                throw SwitchboardError(.io, "cannot open \(path): \(String(cString: strerror(errno)))", location: SourceLocation(file: path))
            }
            descriptor = fd
        }
        let collector = errors
        reader = LibXML2.withLock {
            // From a descriptor, not a path: the document itself never goes through the entity loader.
            guard let reader = xmlReaderForFd(descriptor, path, nil, LibXML2.xmlOptions) else { return nil }
            xmlTextReaderSetStructuredErrorHandler(reader, collectError, Unmanaged.passUnretained(collector).toOpaque())
            return reader
        }
        if reader == nil {
            if descriptor != 0 { close(descriptor) }
            throw SwitchboardError(.io, "libxml2 could not create a reader for \(path)", location: SourceLocation(file: path))
        }
    }

    deinit {
        if let reader { LibXML2.withLock { xmlFreeTextReader(reader) } }
        if descriptor != 0 { close(descriptor) }
    }

    /// Returns the next record, or nil at the end of the input (or after a malformed point).
    public func next() throws -> ExportRecord? {
        guard !done, let reader else { return nil }
        let record = LibXML2.withLock { readRecord(reader) }
        if let record { statistics.count(record) } else { finish() }
        return record
    }

    private func finish() {
        done = true
        if let reader {
            LibXML2.withLock { xmlFreeTextReader(reader) }
            self.reader = nil
        }
    }

    private enum Capture { case none, text, id }

    /// Reads up to the end of the next record. Called holding the libxml2 lock.
    private func readRecord(_ reader: xmlTextReaderPtr) -> ExportRecord? {
        var inRecord = false
        var recordDepth = 0
        var recordLine = 0
        var text: [UInt8] = []
        var id: [UInt8] = []
        var sawText = false
        var capture = Capture.none
        var captureDepth = 0
        var tooLong = false
        var entity: String?

        func failure(_ message: String, line: Int?) -> ExportRecord {
            done = true
            return .failure(SwitchboardError(.malformedRecord, message, location: SourceLocation(file: path, line: line, index: index)))
        }

        while true {
            let status = xmlTextReaderRead(reader)
            if status == 0 {
                if inRecord { return failure("the document ends inside <\(recordName)>", line: recordLine) }
                return nil
            }
            if status < 0 {
                let message = errors.message ?? "malformed XML"
                let line = errors.line ?? Int(xmlTextReaderGetParserLineNumber(reader))
                // libxml2 stops at a fatal error, and may not have handed over the records it parsed just
                // before it: say so, since those records get no line of their own.
                return failure("malformed XML: \(message); reading stopped here, so this file's records after the last one output from it are missing", line: line)
            }
            let type = xmlTextReaderNodeType(reader)
            let depth = Int(xmlTextReaderDepth(reader))
            if depth > options.limits.maxDepth {
                return failure("elements nested deeper than \(options.limits.maxDepth)", line: Int(xmlTextReaderGetParserLineNumber(reader)))
            }
            switch type {
            case Int32(XML_READER_TYPE_ELEMENT.rawValue):
                let matches = { (name: String) in
                    LibXML2.nameEquals(xmlTextReaderConstLocalName(reader), name) || LibXML2.nameEquals(xmlTextReaderConstName(reader), name)
                }
                let empty = xmlTextReaderIsEmptyElement(reader) == 1
                if !inRecord {
                    guard matches(recordName) else { continue }
                    inRecord = true
                    recordDepth = depth
                    // The node's own line; the parser's position may already be further on.
                    recordLine = Int(xmlGetLineNo(xmlTextReaderCurrentNode(reader)))
                    if empty { return finishRecord(text: text, id: id, sawText: false, tooLong: false, entity: nil, line: recordLine) }
                } else if capture == .none {
                    if matches(textName) {
                        sawText = true
                        if !empty { capture = .text; captureDepth = depth }
                    } else if let idName, id.isEmpty, matches(idName), !empty {
                        capture = .id
                        captureDepth = depth
                    }
                }
            case Int32(XML_READER_TYPE_END_ELEMENT.rawValue):
                if capture != .none, depth == captureDepth {
                    if capture == .text, !text.isEmpty { text.append(0x0A) }
                    capture = .none
                }
                if inRecord, depth == recordDepth {
                    return finishRecord(text: text, id: id, sawText: sawText, tooLong: tooLong, entity: entity, line: recordLine)
                }
            case Int32(XML_READER_TYPE_TEXT.rawValue), Int32(XML_READER_TYPE_CDATA.rawValue),
                 Int32(XML_READER_TYPE_WHITESPACE.rawValue), Int32(XML_READER_TYPE_SIGNIFICANT_WHITESPACE.rawValue):
                guard capture != .none, let value = xmlTextReaderConstValue(reader) else { continue }
                let count = Int(xmlStrlen(value))
                if text.count + id.count + count > options.limits.maxMessageBytes {
                    tooLong = true
                    continue
                }
                let buffer = UnsafeBufferPointer(start: value, count: count)
                if capture == .text { text.append(contentsOf: buffer) } else { id.append(contentsOf: buffer) }
            case Int32(XML_READER_TYPE_ENTITY_REFERENCE.rawValue):
                if inRecord, capture != .none, entity == nil {
                    entity = LibXML2.string(xmlTextReaderConstName(reader)) ?? "?"
                }
            default:
                continue
            }
        }
    }

    private func finishRecord(text: [UInt8], id: [UInt8], sawText: Bool, tooLong: Bool, entity: String?, line: Int) -> ExportRecord {
        let location = SourceLocation(file: path, line: line, index: index)
        index += 1
        if tooLong {
            return .failure(SwitchboardError(.malformedRecord, "record text longer than \(options.limits.maxMessageBytes) bytes", location: location))
        }
        if let entity {
            return .failure(SwitchboardError(
                .malformedRecord, "record uses the entity &\(entity); which is not expanded (entities are never substituted)", location: location))
        }
        guard sawText else {
            return .failure(SwitchboardError(.malformedRecord, "record has no <\(textName)> element", location: location))
        }
        let string = TextCleaning.trimmed(String(decoding: text, as: UTF8.self))
        guard !string.isEmpty else {
            return .failure(SwitchboardError(.malformedRecord, "empty text", location: location))
        }
        let identifier = TextCleaning.trimmed(String(decoding: id, as: UTF8.self))
        return .message(Message(text: string, id: identifier.isEmpty ? nil : identifier, channel: options.channel, source: location))
    }
}

/// libxml2's structured error callback: keeps the first error (not warnings) of a reader.
private func collectError(_ context: UnsafeMutableRawPointer?, _ error: xmlErrorPtr?) {
    guard let context, let error else { return }
    let collector = Unmanaged<XMLRecordReader.ErrorCollector>.fromOpaque(context).takeUnretainedValue()
    guard collector.message == nil, error.pointee.level.rawValue >= XML_ERR_ERROR.rawValue else { return }
    let message = error.pointee.message.map { String(cString: $0) } ?? "unknown error"
    collector.message = message.trimmingCharacters(in: .whitespacesAndNewlines)
    collector.line = Int(error.pointee.line)
}
