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

/// Reads records from an XML export of a CRM or help desk, streamed with libxml2's SAX2 push parser.
///
/// Each element named ``ExportOptions/xmlRecordElement`` is one message; the text is the content of its
/// ``ExportOptions/xmlTextElement`` children (or of the record itself when the names are the same) and the id that
/// of its first ``ExportOptions/xmlIdElement`` child. Either may be a path below the record (`content/body`);
/// names match the element's local or qualified name. Only that place counts: a requester's <id> or a reply's
/// <body> elsewhere in a ticket is not the ticket's (matching at any depth gave decisions a customer's id and
/// classified an agent's reply). Elements inside the text separate words, except inline ones (`r<b>é</b>silier`).
/// Records carry their 0-based index and the line they start on.
///
/// The file is read 64 KiB at a time and handed to the parser, whose callbacks keep only the record
/// being read, so files of any size stream. SAX rather than `xmlTextReader`: the text reader parses
/// ahead of the node it returns, and when it meets a fatal error it drops the records it had parsed
/// but not yet returned; the SAX callbacks see each record as soon as its end tag is parsed, so every
/// record before a fatal error is output.
///
/// Hostile input is safe: entities are never substituted, DTDs are never loaded, external entities
/// are never resolved (an unexpanded entity reference in a record makes that record a failure), and
/// libxml2's own limits (no `XML_PARSE_HUGE`) stop entity-expansion bombs, too-deep nesting and huge
/// text nodes with an error; the reader adds ``ExportLimits/maxDepth`` and
/// ``ExportLimits/maxMessageBytes``. When the XML turns out malformed mid-file, the reader yields
/// every record completed before that point, then one failure there (with the line), and stops
/// reading the file.
public final class XMLRecordReader: ExportReader {
    /// The path being read.
    public let path: String
    /// Always ``ExportFormat/xml``.
    public var format: ExportFormat { .xml }
    /// What has been read so far.
    public private(set) var statistics = ExportStatistics()
    /// Bytes of the input handed to the parser so far.
    public var bytesRead: Int? { consumed }

    private let descriptor: Int32
    private let state: ParseState
    private var context: xmlParserCtxtPtr?
    private var consumed = 0
    /// The next record of `state.pending` to return.
    private var pendingHead = 0
    private var finished = false
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)

    /// Opens a file, or standard input when `path` is `-`.
    ///
    /// - Throws: ``SwitchboardError`` `.invalidArgument` without record and text element names,
    ///   `.io` when the file cannot be opened.
    public init(path: String, options: ExportOptions) throws {
        // Paths without empty segments: "message/", "/message" and "a//b" are "message" and "a/b".
        func normalized(_ path: String?) -> String? {
            path.map { $0.split(separator: "/").joined(separator: "/") }.flatMap { $0.isEmpty ? nil : $0 }
        }
        guard let givenRecord = options.xmlRecordElement, let givenText = options.xmlTextElement else {
            throw SwitchboardError(.invalidArgument, "XML exports need the record and text element names (--xml-record, --xml-text)")
        }
        guard let record = normalized(givenRecord) else {
            throw SwitchboardError(.invalidArgument, "--xml-record '\(givenRecord)' names no element")
        }
        guard !record.contains("/") else {
            throw SwitchboardError(.invalidArgument, "--xml-record '\(givenRecord)' is a path: give the record element's name alone (the records are found at any depth)")
        }
        guard let text = normalized(givenText) else {
            throw SwitchboardError(.invalidArgument, "--xml-text '\(givenText)' names no element")
        }
        if let id = options.xmlIdElement {
            guard let idPath = normalized(id) else { throw SwitchboardError(.invalidArgument, "--xml-id '\(id)' names no element") }
            // An id element that is the text, or holds it, can give no id: its content is the message.
            let idSegments = idPath.split(separator: "/").map { ElementName(String($0)) }
            let textSegments = text.split(separator: "/").map { ElementName(String($0)) }
            if idSegments.count <= textSegments.count, zip(idSegments, textSegments).allSatisfy({ $0.names($1) }) {
                throw SwitchboardError(.invalidArgument, idSegments.count == textSegments.count
                    ? "--xml-id '\(id)' and --xml-text name the same element: the id must be another element"
                    : "--xml-id '\(id)' holds the text (--xml-text '\(givenText)'): give the path of the id element itself")
            }
        }
        self.path = path
        state = ParseState(path: path, options: options, recordName: record, textName: text, idName: normalized(options.xmlIdElement))
        if path == "-" {
            descriptor = 0
        } else {
            let fd = open(path, O_RDONLY)
            guard fd >= 0 else {
                throw SwitchboardError(.io, "cannot open \(path): \(String(cString: strerror(errno)))", location: SourceLocation(file: path))
            }
            descriptor = fd
        }
        let opaque = Unmanaged.passUnretained(state).toOpaque()
        context = LibXML2.withLock {
            var handler = xmlSAXHandler()
            // The SAX2 defaults keep the document's internal subset (entity declarations, declared empty by
            // `xmlEntityDeclaration`, so that an undeclared entity is an error); the callbacks below replace
            // every one that would build a tree.
            xmlSAXVersion(&handler, 2)
            handler.startElementNs = xmlStartElement
            handler.endElementNs = xmlEndElement
            handler.startElement = nil
            handler.endElement = nil
            handler.characters = xmlCharacters
            handler.cdataBlock = xmlCharacters
            handler.ignorableWhitespace = xmlCharacters
            handler.reference = xmlReference
            handler.entityDecl = xmlEntityDeclaration
            handler.comment = { _, _ in }
            handler.processingInstruction = { _, _, _ in }
            // Errors are read from the context after each chunk; libxml2's default handler would print
            // the offending line, message text included, to standard error.
            handler.serror = { _, _ in }
            handler.error = nil
            handler.warning = nil
            handler.fatalError = nil
            // No user data: the default handlers take the parser context as theirs. The reader's state
            // travels in the context's `_private`.
            guard let context = xmlCreatePushParserCtxt(&handler, nil, nil, 0, path) else { return nil }
            xmlCtxtUseOptions(context, LibXML2.xmlOptions)
            context.pointee._private = opaque
            return context
        }
        if context == nil {
            if descriptor != 0 { close(descriptor) }
            throw SwitchboardError(.io, "libxml2 could not create a parser for \(path)", location: SourceLocation(file: path))
        }
    }

    deinit {
        release()
        if descriptor != 0 { close(descriptor) }
    }

    /// Returns the next record, or nil at the end of the input (or after a malformed point).
    public func next() throws -> ExportRecord? {
        if pendingHead == state.pending.count {
            // Everything parsed so far was returned: start the queue afresh before parsing more. (Taken from an
            // index, not with removeFirst, which moved every record behind it: a 64 KiB chunk holds thousands.)
            state.pending.removeAll(keepingCapacity: true)
            pendingHead = 0
            while state.pending.isEmpty && !finished { feed() }
            guard !state.pending.isEmpty else { return nil }
        }
        let record = state.pending[pendingHead]
        pendingHead += 1
        statistics.count(record)
        return record
    }

    /// Reads the next chunk of the file and parses it; at the end of the input or at an error, stops.
    private func feed() {
        guard let context else { finished = true; return }
        var count: Int
        repeat { count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) } } while count < 0 && errno == EINTR
        if count < 0 {
            let reason = String(cString: strerror(errno))
            state.fail("cannot read the file: \(reason); this file's records after this point are missing", line: nil)
            release()
            return
        }
        consumed += count
        LibXML2.withLock {
            _ = buffer.withUnsafeBufferPointer { bytes in
                bytes.withMemoryRebound(to: CChar.self) { xmlParseChunk(context, $0.baseAddress, Int32(count), count == 0 ? 1 : 0) }
            }
            if !state.stopped, context.pointee.wellFormed == 0 {
                let error = xmlCtxtGetLastError(context)
                let message = Self.describe(error?.pointee.message.map { String(cString: $0) }, consumed: consumed)
                let line = error.map { Int($0.pointee.line) } ?? Int(xmlSAX2GetLineNumber(context))
                state.fail("\(message); reading stopped here, so this file's records after this point are missing", line: line)
            }
        }
        if count == 0 && !state.stopped && state.index == 0 {
            // A typo in --xml-record reads a whole export as nothing, with exit status 0: say so, once.
            state.fail("no <\(state.recordName)> element in the file: is --xml-record the name of the export's record element?", line: nil)
        }
        if count == 0 || state.stopped { release() }
    }

    /// libxml2's error message as the failure says it: its first line only (the lines after it dump the bytes
    /// at the error, message text included), and in plain words for the errors whose wording misleads.
    static func describe(_ libxml2Message: String?, consumed: Int) -> String {
        if consumed == 0 { return "the file is empty" }
        let first = (libxml2Message ?? "").split(whereSeparator: \.isNewline).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        switch first {
        case "":
            return "malformed XML"
        case "Document is empty":
            return "not an XML document: it does not start with an element (is the format right?)"
        case _ where first.hasPrefix("Input is not proper UTF-8"):
            return "malformed XML: the text is not valid UTF-8 and the XML declaration names no other encoding"
        case _ where first.contains("Huge input lookup"):
            return "malformed XML: a CDATA section, comment or attribute value is longer than libxml2's 10 MB limit"
        default:
            return "malformed XML: \(redactingNames(first))"
        }
    }

    /// libxml2's message with the names it quotes (of elements, attributes, entities, prefixes) replaced by "…":
    /// markup inside a message's text is read as elements, so a name can be a word of the message
    /// ("tag mismatch: Hunter2 line 1 and b"), and error records and stderr never hold message text.
    static func redactingNames(_ message: String) -> String {
        var text = message
        for (pattern, template) in nameRedactions {
            text = pattern.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: template)
        }
        return text
    }

    /// Where libxml2 2.9's messages put text of the document: a comment's excerpt after "comment", names in
    /// quotes (with a letter or digit: `';'` is libxml2's own), after "mismatch:" and "and", after "tag",
    /// "attribute", "prefix", "for", "on", "element", "Entity" and "PI" (a `prefix:name` whole), and after "xmlns:".
    private static let nameRedactions: [(NSRegularExpression, String)] = [
        (#"\b([Cc]omment)\b.*"#, "$1"),
        (#"'[^']*[\p{L}\p{N}][^']*'"#, "'…'"),
        (#"\b(mismatch: )\S+( line \d+ and )\S+"#, "$1…$2…"),
        (#"\b((?:[Tt]ag|[Aa]ttribute|prefix|for|on|[Ee]lement|Entity|PI) )(?!(?:mismatch|[Tt]ag|[Aa]ttribute|prefix|for|on|[Ee]lement|Entity|PI|name|value|construct|never|not|redefined|…|'…')\b)[^\s,;']+"#, "$1…"),
        (#"\b(xmlns:)[^\s:]+"#, "$1…"),
    ].compactMap { pattern, template in (try? NSRegularExpression(pattern: pattern)).map { ($0, template) } }

    /// Frees the parser (once); nothing is read after.
    private func release() {
        finished = true
        guard let context else { return }
        LibXML2.withLock {
            if let document = context.pointee.myDoc { xmlFreeDoc(document) }
            context.pointee.myDoc = nil
            xmlFreeParserCtxt(context)
        }
        self.context = nil
    }

    enum Capture { case none, text, id }

    /// An element name the reader looks for (`message`, or `ns:message` for a prefixed one), split and stored as
    /// C strings once, so that matching the start of every element of an export builds no string.
    struct ElementName {
        /// The prefix's bytes, NUL-terminated; nil for a name without a colon.
        let prefix: [UInt8]?
        /// The local name's bytes, NUL-terminated.
        let local: [UInt8]

        /// Whether this name and `other` can name the same element: the same local name (ignoring case), and the same
        /// prefix when both have one (`ticket` and `x:ticket` do).
        func names(_ other: ElementName) -> Bool {
            guard String(decoding: local, as: UTF8.self).lowercased() == String(decoding: other.local, as: UTF8.self).lowercased() else { return false }
            guard let prefix, let otherPrefix = other.prefix else { return true }
            return String(decoding: prefix, as: UTF8.self).lowercased() == String(decoding: otherPrefix, as: UTF8.self).lowercased()
        }

        init(_ name: String) {
            if let colon = name.firstIndex(of: ":") {
                prefix = Array(name[..<colon].utf8) + [0]
                local = Array(name[name.index(after: colon)...].utf8) + [0]
            } else {
                prefix = nil
                local = Array(name.utf8) + [0]
            }
        }

        /// Whether an element's local name and prefix are this name (ignoring case): the local name alone for a
        /// name without a colon, the prefix too for one with.
        func matches(localName: UnsafePointer<xmlChar>?, prefix elementPrefix: UnsafePointer<xmlChar>?) -> Bool {
            guard let localName, local.withUnsafeBufferPointer({ xmlStrcasecmp(localName, $0.baseAddress) == 0 }) else { return false }
            guard let prefix else { return true }
            guard let elementPrefix else { return false }
            return prefix.withUnsafeBufferPointer { xmlStrcasecmp(elementPrefix, $0.baseAddress) == 0 }
        }
    }

    /// What the SAX callbacks build: the record being read, and the records finished and not yet returned.
    final class ParseState {
        let path: String
        let options: ExportOptions
        let recordName: String
        let textName: String
        let idName: String?
        let record: ElementName
        /// The text's and the id's paths below the record (one name for a child).
        let textPath: [ElementName], idPath: [ElementName]?
        /// Whether the record is its own text (`--xml-record message --xml-text message`).
        let recordIsText: Bool
        /// With `--html-text`, the elements inside the text whose content is not the message's (scripts, styles,
        /// quoted history in <blockquote>), as ``HTMLFieldReader`` leaves them out of HTML in CDATA.
        let skippedInText: Set<String>
        /// For each element open inside the record, whether the path to it follows the text's path, and the id's.
        var onTextPath: [Bool] = [], onIDPath: [Bool] = []
        var pending: [ExportRecord] = []
        /// Set once the parser is stopped, by a limit or an error: nothing after that point is a record.
        var stopped = false
        var index = 0
        var depth = 0
        var inRecord = false
        var recordDepth = 0
        var recordLine = 0
        var text: [UInt8] = []
        var id: [UInt8] = []
        var sawText = false
        var capture = Capture.none
        var captureDepth = 0
        /// The depth of the text element being read (the record's, when it is its own text).
        var textDepth = 0
        /// When the id's path goes through the text (the record is its own text, or `--xml-text message
        /// --xml-id message/id`): the depth of the id element inside the text, whose content is not text.
        var textSuspendedAt: Int?
        /// The wrappers of the id's path open inside the text (`meta` of meta/id): where each starts in `text`, and
        /// whether the id was still to be read when it opened.
        var idWrappers: [(depth: Int, start: Int, idWasEmpty: Bool)] = []
        /// The parts of `text` that were the wrapper holding the id (`<meta><id>A2</id><created>2024-01-01</created></meta>`):
        /// left out of the message, unless nothing else is left.
        var droppedRanges: [Range<Int>] = []
        var tooLong = false
        var nested = false
        var idTooLong = false
        var entity: String?

        /// The longest id kept, in bytes: an id is a key, not a text.
        static let maximumIDBytes = 1_024

        init(path: String, options: ExportOptions, recordName: String, textName: String, idName: String?) {
            self.path = path
            self.options = options
            self.recordName = recordName
            self.textName = textName
            self.idName = idName
            record = ElementName(recordName)
            let textSegments = textName.split(separator: "/").map { ElementName(String($0)) }
            recordIsText = textSegments.count == 1 && textSegments[0].names(record)
            skippedInText = options.htmlText ? HTMLText.skipped.union(HTMLText.quotedHistory) : []
            textPath = textSegments
            idPath = idName.map { $0.split(separator: "/").map { ElementName(String($0)) } }
        }

        /// Queues the failure that ends the file (at the record being read, if any).
        func fail(_ message: String, line: Int?) {
            guard !stopped else { return }
            stopped = true
            pending.append(.failure(SwitchboardError(.malformedRecord, message, location: SourceLocation(file: path, line: line, index: index))))
        }

        func startElement(_ context: xmlParserCtxtPtr, localName: UnsafePointer<xmlChar>?, prefix: UnsafePointer<xmlChar>?) {
            guard !stopped else { return }
            depth += 1
            if depth > options.limits.maxDepth {
                fail("elements nested deeper than \(options.limits.maxDepth)", line: Int(xmlSAX2GetLineNumber(context)))
                xmlStopParser(context)
                return
            }
            let matches = { (name: ElementName) in name.matches(localName: localName, prefix: prefix) }
            if inRecord {
                // Where this element stands against the text's and the id's paths below the record.
                let level = onTextPath.count
                let onText = (onTextPath.last ?? true) && level < textPath.count && matches(textPath[level])
                let onID = (onIDPath.last ?? true) && level < (idPath?.count ?? 0) && idPath.map { matches($0[level]) } == true
                onTextPath.append(onText)
                onIDPath.append(onID)
                if matches(record) {
                    // Records do not nest: the inner one's text would be read into the outer one, its id dropped.
                    nested = true
                    return
                }
                let isText = onText && level + 1 == textPath.count
                let isID = onID && level + 1 == (idPath?.count ?? 0)
                switch capture {
                case .text:
                    // Left out of the text until their end: the id element, when the id's path goes through the
                    // text ("A1I want to cancel"), and with --html-text what is not the message's (scripts, quoted
                    // history). The wrapper that held the id (meta of meta/id) is left out too ("2024-01-01 Please
                    // refund"), once it ends with the id read: other elements of its name are text (a second <p>).
                    let name = localName.map { String(cString: $0).lowercased() } ?? ""
                    if (onID && isID) || skippedInText.contains(name) {
                        textSuspendedAt = depth
                        separateWords()
                        capture = .none
                        if onID, isID, id.isEmpty {
                            capture = .id
                            captureDepth = depth
                        }
                    } else {
                        // An element inside the text separates words ("line<br/>two", "<p>Bonjour</p><p>je"), an inline
                        // one does not ("r<b>é</b>silier").
                        if !Self.inlineElements.contains(name) { separateWords() }
                        if onID { idWrappers.append((depth, text.count, id.isEmpty)) }
                    }
                case .id:
                    break
                case .none:
                    if isText, textSuspendedAt == nil {
                        sawText = true
                        capture = .text
                        captureDepth = depth
                        textDepth = depth
                    } else if isID, id.isEmpty {
                        capture = .id
                        captureDepth = depth
                    }
                }
                return
            }
            guard matches(record) else { return }
            inRecord = true
            recordDepth = depth
            recordLine = Int(xmlSAX2GetLineNumber(context))
            text.removeAll(keepingCapacity: true)
            id.removeAll(keepingCapacity: true)
            onTextPath.removeAll(keepingCapacity: true)
            onIDPath.removeAll(keepingCapacity: true)
            sawText = false
            capture = .none
            tooLong = false
            nested = false
            idTooLong = false
            entity = nil
            textSuspendedAt = nil
            idWrappers.removeAll(keepingCapacity: true)
            droppedRanges.removeAll(keepingCapacity: true)
            // A record that is its own text (`<message>text</message>`, --xml-record and --xml-text the same).
            if recordIsText {
                sawText = true
                capture = .text
                captureDepth = depth
                textDepth = depth
            }
        }

        /// Elements that do not break the flow of text (HTML's inline ones).
        static let inlineElements: Set<String> = [
            "b", "i", "u", "em", "strong", "span", "a", "font", "sup", "sub", "small", "big", "mark", "s", "strike", "code",
            "abbr", "q", "tt", "ins", "del", "cite", "dfn", "kbd", "var", "wbr",
        ]

        func endElement(localName: UnsafePointer<xmlChar>?) {
            guard !stopped else { return }
            // The end of an element inside the text separates words as its start does ("<p>Bonjour</p>je").
            if capture == .text, depth > captureDepth, let localName, !Self.inlineElements.contains(String(cString: localName).lowercased()) {
                separateWords()
            }
            if capture != .none, depth == captureDepth {
                if capture == .text, !text.isEmpty { text.append(0x0A) }
                capture = .none
            }
            if let wrapper = idWrappers.last, wrapper.depth == depth {
                idWrappers.removeLast()
                if wrapper.idWasEmpty, !id.isEmpty { droppedRanges.append(wrapper.start..<text.count) }
            }
            if let suspended = textSuspendedAt, depth == suspended {
                // Back to the text after the element holding the id.
                textSuspendedAt = nil
                capture = .text
                captureDepth = textDepth
            }
            if inRecord, depth > recordDepth, !onTextPath.isEmpty {
                onTextPath.removeLast()
                onIDPath.removeLast()
            }
            if inRecord, depth == recordDepth {
                inRecord = false
                pending.append(finishRecord())
            }
            depth -= 1
        }

        /// A space after the text so far, unless it ends with white space already.
        func separateWords() {
            if let last = text.last, last != 0x20, last != 0x0A, last != 0x09 { text.append(0x20) }
        }

        func characters(_ bytes: UnsafePointer<xmlChar>?, count: Int) {
            guard !stopped, capture != .none, let bytes, count > 0 else { return }
            if text.count + id.count + count > options.limits.maxMessageBytes {
                tooLong = true
                return
            }
            let buffer = UnsafeBufferPointer(start: bytes, count: count)
            if capture == .text {
                text.append(contentsOf: buffer)
            } else if id.count + count <= Self.maximumIDBytes {
                id.append(contentsOf: buffer)
            } else {
                idTooLong = true
            }
        }

        func reference(_ name: UnsafePointer<xmlChar>?) {
            guard !stopped, inRecord, capture != .none, entity == nil else { return }
            entity = LibXML2.string(name) ?? "?"
        }

        private func finishRecord() -> ExportRecord {
            let location = SourceLocation(file: path, line: recordLine, index: index)
            index += 1
            if tooLong {
                return .failure(SwitchboardError(.malformedRecord, "record text longer than \(options.limits.maxMessageBytes) bytes", location: location))
            }
            if entity != nil {
                return .failure(SwitchboardError(
                    .malformedRecord, "record uses an entity reference (&…;) which is not expanded (entities are never substituted)", location: location))
            }
            if nested {
                return .failure(SwitchboardError(.malformedRecord, "record holds another <\(recordName)> element: records must not nest", location: location))
            }
            if idTooLong {
                return .failure(SwitchboardError(.malformedRecord, "record id longer than \(Self.maximumIDBytes) bytes", location: location))
            }
            guard sawText else {
                // Only that place is read: say how to name an element deeper inside.
                let hint = textPath.count > 1 && textPath[0].names(record)
                    ? " (paths start below the record: drop the leading \(recordName)/)"
                    : textPath.count == 1 ? " (only the record's own children are read: for one deeper inside, give its path, such as parent/\(textName))" : ""
                return .failure(SwitchboardError(.malformedRecord, "record has no <\(textName)> element\(hint)", location: location))
            }
            var string = TextCleaning.trimmed(String(decoding: text, as: UTF8.self))
            if !droppedRanges.isEmpty {
                // Without the id's wrapper; with it when nothing else is left (`<div>Hello <id>7</id> cancel</div>`).
                var kept: [UInt8] = []
                var position = 0
                for range in droppedRanges.sorted(by: { $0.lowerBound < $1.lowerBound }) where range.upperBound > position {
                    kept.append(contentsOf: text[position..<max(position, range.lowerBound)])
                    position = range.upperBound
                }
                kept.append(contentsOf: text[min(position, text.count)...])
                let withoutWrapper = TextCleaning.trimmed(String(decoding: kept, as: UTF8.self))
                if !withoutWrapper.isEmpty { string = withoutWrapper }
            }
            guard !string.isEmpty else {
                return .failure(SwitchboardError(.malformedRecord, "empty text", location: location))
            }
            let identifier = TextCleaning.trimmed(String(decoding: id, as: UTF8.self))
            return .message(Message(text: string, id: identifier.isEmpty ? nil : identifier, channel: options.channel, source: location))
        }
    }
}

/// The reader's state, from the parser context a SAX callback receives.
private func parseState(_ context: UnsafeMutableRawPointer?) -> (xmlParserCtxtPtr, XMLRecordReader.ParseState)? {
    guard let context else { return nil }
    let parser = context.assumingMemoryBound(to: xmlParserCtxt.self)
    guard let opaque = parser.pointee._private else { return nil }
    return (parser, Unmanaged<XMLRecordReader.ParseState>.fromOpaque(opaque).takeUnretainedValue())
}

private func xmlStartElement(
    _ context: UnsafeMutableRawPointer?, _ localName: UnsafePointer<xmlChar>?, _ prefix: UnsafePointer<xmlChar>?,
    _ uri: UnsafePointer<xmlChar>?, _ namespaceCount: Int32, _ namespaces: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?,
    _ attributeCount: Int32, _ defaultedCount: Int32, _ attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?
) {
    guard let (parser, state) = parseState(context) else { return }
    state.startElement(parser, localName: localName, prefix: prefix)
}

private func xmlEndElement(
    _ context: UnsafeMutableRawPointer?, _ localName: UnsafePointer<xmlChar>?, _ prefix: UnsafePointer<xmlChar>?, _ uri: UnsafePointer<xmlChar>?
) {
    parseState(context)?.1.endElement(localName: localName)
}

private func xmlCharacters(_ context: UnsafeMutableRawPointer?, _ bytes: UnsafePointer<xmlChar>?, _ count: Int32) {
    parseState(context)?.1.characters(bytes, count: Int(count))
}

private func xmlReference(_ context: UnsafeMutableRawPointer?, _ name: UnsafePointer<xmlChar>?) {
    parseState(context)?.1.reference(name)
}

/// Declares the document's entities with libxml2's own handler, but an internal general entity with no content.
///
/// A SAX parser that builds no tree replays an internal entity's content through the callbacks at every
/// reference, before reporting the reference itself: `&a;` 300,000 times, `a` being 100,000 characters, kept
/// the reader busy for 22 s on a 1 MB file, and an entity holding `<body>...</body>` put text into a record.
/// Empty, the entity replays nothing, its references still reach ``XMLRecordReader/ParseState/reference(_:)``
/// (the record becomes a failure, as documented), and nothing is ever expanded.
private func xmlEntityDeclaration(
    _ context: UnsafeMutableRawPointer?, _ name: UnsafePointer<xmlChar>?, _ type: Int32,
    _ publicID: UnsafePointer<xmlChar>?, _ systemID: UnsafePointer<xmlChar>?, _ content: UnsafeMutablePointer<xmlChar>?
) {
    if type == Int32(XML_INTERNAL_GENERAL_ENTITY.rawValue) {
        var empty: [xmlChar] = [0]
        empty.withUnsafeMutableBufferPointer { xmlSAX2EntityDecl(context, name, type, publicID, systemID, $0.baseAddress) }
    } else {
        xmlSAX2EntityDecl(context, name, type, publicID, systemID, content)
    }
}
