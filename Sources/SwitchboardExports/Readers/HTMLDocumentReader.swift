import Foundation
import Switchboard

/// Reads an HTML file as one message: its visible text (scripts, styles and the head left out).
///
/// The document is parsed whole with libxml2's HTML parser (bounded by
/// ``ExportLimits/maxDocumentBytes``); the encoding comes from a byte-order mark, else the document's
/// `<meta charset>`, else the bytes (see ``prepared(_:)``). A document without visible text is a failure ("empty text"), and so is one whose
/// text is over ``ExportLimits/maxMessageBytes``, or one libxml2 stops reading before its end (elements
/// nested more than 256 deep): its text would be incomplete. Parsing takes about 18 times the file's size in memory
/// (a 50 MB page: 934 MB), which the document limit bounds.
public final class HTMLDocumentReader: ExportReader {
    /// The path being read.
    public let path: String
    /// Always ``ExportFormat/html``.
    public var format: ExportFormat { .html }
    /// What has been read so far.
    public private(set) var statistics = ExportStatistics()

    private let options: ExportOptions
    private var bytes: [UInt8]?
    /// Why the file could not be read whole (it is over the document limit): its one record.
    private var pendingFailure: SwitchboardError?

    /// Reads a file, or standard input when `path` is `-`; a file over the document limit is one failure record.
    public convenience init(path: String, options: ExportOptions = ExportOptions()) throws {
        switch try ByteInput.readDocument(path, limit: options.limits.maxDocumentBytes) {
        case .success(let bytes):
            self.init(bytes: bytes, name: path, options: options)
        case .failure(let error):
            self.init(bytes: [], name: path, options: options)
            bytes = nil
            pendingFailure = SwitchboardError(error.code, error.message, location: SourceLocation(file: path, index: 0))
        }
    }

    /// Reads a document already in memory.
    public init(bytes: [UInt8], name: String, options: ExportOptions = ExportOptions()) {
        path = name
        self.options = options
        self.bytes = bytes
    }

    /// Returns the document's one record, then nil.
    public func next() throws -> ExportRecord? {
        if let failure = pendingFailure {
            pendingFailure = nil
            let record = ExportRecord.failure(failure)
            statistics.count(record)
            return record
        }
        guard let bytes else { return nil }
        self.bytes = nil
        let location = SourceLocation(file: path, index: 0)
        let text: String
        do {
            let prepared = Self.prepared(bytes)
            text = TextCleaning.trimmed(try HTMLText.text(fromHTML: prepared.bytes, encoding: prepared.encoding))
        } catch {
            // Part of the page is not the message: a failure record, not a message routed on its first paragraph.
            let record = ExportRecord.failure(SwitchboardError(.malformedRecord, "\(error): the page's text is incomplete", location: location))
            statistics.count(record)
            return record
        }
        let record: ExportRecord
        if text.isEmpty {
            record = .failure(SwitchboardError(.malformedRecord, "empty text", location: location))
        } else if text.utf8.count > options.limits.maxMessageBytes {
            // As every other reader does with an outsized message: one message of 45 MB is not a message.
            record = .failure(SwitchboardError(.malformedRecord, "message larger than \(options.limits.maxMessageBytes) bytes", location: location))
        } else {
            record = .message(Message(text: text, channel: options.channel, source: location))
        }
        statistics.count(record)
        return record
    }

    /// The page's bytes and the encoding to read them in (nil: libxml2 follows the page's declaration).
    ///
    /// - A UTF-16 byte-order mark is followed (a UTF-16 page was read as UTF-8, "��<", and routed).
    /// - A UTF-8 byte-order mark, or a declared UTF-8, means UTF-8 (the mark is dropped, never text): each byte
    ///   that is not part of valid UTF-8 is read as its Windows-1252 character. Left to libxml2, one Word
    ///   apostrophe pasted into a page declared UTF-8 switched the rest of the page to Latin-1 ("rÃ©silier").
    /// - A declared ISO-8859-1, ASCII or Windows-1252 means Windows-1252, as browsers read them (0x92 is ’, not a
    ///   control character); other declared charsets are libxml2's.
    /// - Nothing declared: mostly invalid UTF-8 (four invalid bytes or more for each valid sequence, or no valid
    ///   one) is Windows-1252, the whole page ("r�silier" came out of a Latin-1 page, and "é", a no-break space
    ///   and "»" form valid UTF-8 by chance, so one valid sequence does not make a page UTF-8); otherwise UTF-8,
    ///   repaired as above.
    ///
    /// Windows-1252 is converted here, not by libxml2's iconv, which stopped at the five bytes that charset leaves
    /// undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) and lost the page; here they become U+FFFD.
    static func prepared(_ bytes: [UInt8]) -> (bytes: [UInt8], encoding: String?) {
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) { return (bytes, nil) }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            return (TextCleaning.utf8RepairingWithWindows1252(Array(bytes.dropFirst(3))), "UTF-8")
        }
        // An empty, unknown or ASCII label says nothing: the bytes decide, as when nothing is declared (a page
        // "declared" us-ascii with "é" in UTF-8 was cut at the "é"; an unknown label turned it into "Ã©").
        switch declaredCharset(bytes) {
        case "utf-8", "utf8", "unicode-1-1-utf-8", "x-unicode20utf8":
            return (TextCleaning.utf8RepairingWithWindows1252(bytes), "UTF-8")
        case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1", "cp819", "iso-ir-100",
            "windows-1252", "cp1252", "x-cp1252":
            return (TextCleaning.utf8FromWindows1252(bytes), "UTF-8")
        case nil, "", "us-ascii", "ascii", "ansi_x3.4-1968", "x-user-defined":
            break
        case let charset? where charset.hasPrefix("utf-16") || charset.hasPrefix("utf-32") || charset.hasPrefix("ucs-")
            || charset.hasPrefix("iso-10646") || charset == "unicode":
            // A page without a byte-order mark that says UTF-16 is 8-bit (the label is wrong, or the page was
            // converted), as browsers read it: taken at its word it was routed as "格浴㹬".
            break
        case let charset?:
            // Given to libxml2 by name: its HTML parser follows a <meta>, but not an XML declaration's encoding.
            // A NUL byte ended the page there, without a word: dropped.
            if LibXML2.knowsEncoding(charset) { return (bytes.filter { $0 != 0 }, charset) }
        }
        // UTF-16 without a byte-order mark or a declaration: ASCII text in it has a NUL beside every letter.
        if let utf16 = Self.unmarkedUTF16(bytes) { return (bytes, utf16) }
        var multibyte = 0, invalid = 0, i = 0
        while i < bytes.count {
            if bytes[i] < 0x80 { i += 1; continue }
            let length = TextCleaning.validUTF8SequenceLength(bytes, at: i)
            if length > 0 { multibyte += 1; i += length } else { invalid += 1; i += 1 }
        }
        if invalid == 0 { return (bytes, "UTF-8") }
        if multibyte == 0 || invalid >= 4 * multibyte { return (TextCleaning.utf8FromWindows1252(bytes), "UTF-8") }
        return (TextCleaning.utf8RepairingWithWindows1252(bytes), "UTF-8")
    }

    /// "UTF-16LE" or "UTF-16BE" when the first bytes are UTF-16 without a byte-order mark (at least 40% of their
    /// byte pairs have a NUL on the same side, almost none on the other), nil otherwise.
    static func unmarkedUTF16(_ bytes: [UInt8]) -> String? {
        let head = bytes.prefix(4096)
        let pairs = head.count / 2
        guard pairs >= 4 else { return nil }
        var evenNULs = 0, oddNULs = 0
        for (i, byte) in head.enumerated() where byte == 0 {
            if i % 2 == 0 { evenNULs += 1 } else { oddNULs += 1 }
        }
        if oddNULs * 10 >= pairs * 4, evenNULs * 20 <= pairs { return "UTF-16LE" }
        if evenNULs * 10 >= pairs * 4, oddNULs * 20 <= pairs { return "UTF-16BE" }
        return nil
    }

    /// Whether the head of the document declares its charset (see ``declaredCharset(_:)``).
    static func declaresCharset(_ bytes: [UInt8]) -> Bool {
        declaredCharset(bytes) != nil
    }

    /// The charset the head of the document declares, lowercased: a `<meta charset=…>`, a
    /// `<meta http-equiv="Content-Type" content="…charset=…">`, or an XML declaration's encoding. A `charset`
    /// elsewhere (`<script charset="utf-8">`), and a `<meta>` inside a comment, a script or a style, do not count.
    static func declaredCharset(_ bytes: [UInt8]) -> String? {
        let head = Self.withoutCommentsAndScripts(String(decoding: bytes.prefix(4096), as: UTF8.self).lowercased())
        let start = head.drop { $0.isWhitespace || $0 == "\u{FEFF}" }
        func cleaned(_ value: Substring) -> String? {
            let name = value.trimmingCharacters(in: CharacterSet(charactersIn: "\"' ;\t\r\n"))
            return name.isEmpty ? nil : name
        }
        if start.hasPrefix("<?xml"), let end = start.firstIndex(of: ">") {
            let declaration = start[start.index(start.startIndex, offsetBy: 5)..<end]
            if declaration.contains("encoding"), let value = Self.attributes(declaration)["encoding"] { return cleaned(Substring(value)) ?? "" }
        }
        var rest = Substring(head)
        while let meta = rest.range(of: "<meta") {
            let tagEnd = rest[meta.upperBound...].firstIndex(of: ">") ?? rest.endIndex
            let attributes = Self.attributes(rest[meta.upperBound..<tagEnd])
            if let charset = attributes["charset"] { return cleaned(Substring(charset)) ?? "" }
            if attributes["http-equiv"] == "content-type", let content = attributes["content"], let at = content.range(of: "charset=") {
                let value = content[at.upperBound...].prefix { $0 != ";" && !$0.isWhitespace }
                return cleaned(value) ?? ""
            }
            rest = rest[tagEnd...]
        }
        return nil
    }

    /// The text without its comments and the content of its scripts and styles, where a `<meta>` is no declaration
    /// (`<!-- <meta charset="iso-8859-1"> -->` made a UTF-8 page Latin-1). `text` is lowercased.
    static func withoutCommentsAndScripts(_ text: String) -> Substring {
        var out = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "<") {
            out += rest[..<open]
            let tail = rest[open...]
            let end: String?
            if tail.hasPrefix("<!--") {
                end = "-->"
            } else if tail.hasPrefix("<script") {
                end = "</script"
            } else if tail.hasPrefix("<style") {
                end = "</style"
            } else {
                end = nil
            }
            guard let end else {
                out.append("<")
                rest = tail.dropFirst()
                continue
            }
            guard let close = tail.dropFirst().range(of: end) else { return Substring(out) }
            rest = tail[close.upperBound...]
        }
        out += rest
        return Substring(out)
    }

    /// The attributes of a tag (the text after its name), by name; values unquoted.
    static func attributes(_ tag: Substring) -> [String: String] {
        var result: [String: String] = [:]
        var rest = tag
        func isSpace(_ character: Character) -> Bool { character.isWhitespace || character == "/" }
        while true {
            rest = rest.drop(while: isSpace)
            guard !rest.isEmpty else { return result }
            let name = rest.prefix { !isSpace($0) && $0 != "=" }
            rest = rest.dropFirst(name.count).drop(while: \.isWhitespace)
            var value = ""
            if rest.first == "=" {
                rest = rest.dropFirst().drop(while: \.isWhitespace)
                if let quote = rest.first, quote == "\"" || quote == "'" {
                    let body = rest.dropFirst().prefix { $0 != quote }
                    value = String(body)
                    rest = rest.dropFirst(body.count + 2)
                } else {
                    let body = rest.prefix { !$0.isWhitespace }
                    value = String(body)
                    rest = rest.dropFirst(body.count)
                }
            }
            if !name.isEmpty, result[String(name)] == nil { result[String(name)] = value }
            if name.isEmpty { rest = rest.dropFirst() }  // a stray '=': step over it
        }
    }
}
