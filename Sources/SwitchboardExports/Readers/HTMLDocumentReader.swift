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

    /// The page's bytes and the encoding libxml2 is to read them in (its `<meta charset>` then changes nothing).
    ///
    /// - A UTF-32 or UTF-16 byte-order mark: converted here to UTF-8 (a UTF-16 page was read as UTF-8, "��<", and
    ///   routed). So is UTF-16 without a mark, when the page starts with "<" as a UTF-16 unit.
    /// - A UTF-8 byte-order mark, or a declared UTF-8, means UTF-8 (the mark is dropped, never text): each byte
    ///   that is not part of valid UTF-8 is read as its Windows-1252 character. Left to libxml2, one Word
    ///   apostrophe pasted into a page declared UTF-8 switched the rest of the page to Latin-1 ("rÃ©silier").
    /// - A declared ISO-8859-1 or Windows-1252 means Windows-1252, as browsers read them (0x92 is ’, not a
    ///   control character); other declared charsets libxml2 knows are given to it by name.
    /// - Nothing declared (or an empty, unknown, ASCII or UTF-16/32 label, which an 8-bit page cannot be in): mostly
    ///   invalid UTF-8 (four invalid bytes or more for each valid sequence, or no valid one) is Windows-1252, the
    ///   whole page ("r�silier" came out of a Latin-1 page, and "é", a no-break space and "»" form valid UTF-8 by
    ///   chance, so one valid sequence does not make a page UTF-8); otherwise UTF-8, repaired as above.
    ///
    /// Windows-1252 is converted here, not by libxml2's iconv, which stopped at the five bytes that charset leaves
    /// undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) and lost the page; here they become U+FFFD.
    static func prepared(_ bytes: [UInt8]) -> (bytes: [UInt8], encoding: String) {
        // UTF-32 and UTF-16 by their byte-order marks, converted here: a U+0000 in them ended the page in libxml2
        // (NULs are dropped, as everywhere), and a UTF-32 mark was left in the text.
        // FF FE 00 00 is also UTF-16LE's mark before a U+0000: UTF-32 only when its units are characters.
        if bytes.starts(with: [0xFF, 0xFE, 0x00, 0x00]), Self.isUTF32LE(bytes.dropFirst(4)) {
            return (utf8(fromUTF32: bytes.dropFirst(4), bigEndian: false), "UTF-8")
        }
        if bytes.starts(with: [0x00, 0x00, 0xFE, 0xFF]) { return (utf8(fromUTF32: bytes.dropFirst(4), bigEndian: true), "UTF-8") }
        if bytes.starts(with: [0xFF, 0xFE]) { return (utf8(fromUTF16: bytes.dropFirst(2), bigEndian: false), "UTF-8") }
        if bytes.starts(with: [0xFE, 0xFF]) { return (utf8(fromUTF16: bytes.dropFirst(2), bigEndian: true), "UTF-8") }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            return (TextCleaning.utf8RepairingWithWindows1252(Array(bytes.dropFirst(3))), "UTF-8")
        }
        // UTF-16 without a mark: the page starts with "<" as a UTF-16 unit, and its ASCII has a NUL beside every letter.
        if let bigEndian = Self.unmarkedUTF16(bytes) { return (utf8(fromUTF16: bytes[...], bigEndian: bigEndian), "UTF-8") }
        // An empty, unknown or ASCII label says nothing: the bytes decide, as when nothing is declared (a page
        // "declared" us-ascii with "é" in UTF-8 was cut at the "é"; an unknown label turned it into "Ã©").
        let declared = declaredCharset(bytes)
        switch declared.flatMap(TextCleaning.charsetLabel) {
        case .utf8?:
            return (TextCleaning.utf8RepairingWithWindows1252(bytes), "UTF-8")
        case .windows1252?:
            return (TextCleaning.utf8FromWindows1252(bytes), "UTF-8")
        case .ascii?:
            break
        case nil:
            // A page without a byte-order mark that says UTF-16 or UTF-32 is 8-bit (the label is wrong, or the page
            // was converted), as browsers read it: taken at its word it was routed as "格浴㹬". Other labels are
            // given to libxml2 by name: its HTML parser follows a <meta>, but not an XML declaration's encoding.
            if let charset = declared, !charset.isEmpty, charset != "x-user-defined", !isWideUnicode(charset),
               LibXML2.knowsEncoding(charset) {
                return (bytes, charset)
            }
        }
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

    /// Whether a charset label names UTF-16 or UTF-32 in any spelling (`utf16le`, `ucs-2`, `unicodelittle`,
    /// `csUnicode`, `ucs4`), which an 8-bit page without a byte-order mark cannot be in.
    static func isWideUnicode(_ label: String) -> Bool {
        let name = label.lowercased().filter { $0 != "-" && $0 != "_" && $0 != " " }
        guard !name.contains("utf8") else { return false }
        return ["utf16", "utf32", "ucs2", "ucs4", "unicode", "csunicode", "iso10646"].contains { name.hasPrefix($0) }
    }

    /// Whether the bytes are UTF-16 without a byte-order mark (nil: not UTF-16; true: big-endian): the page starts
    /// with "<" as a UTF-16 unit (white space before it allowed), and at least 40% of its first byte pairs have a
    /// NUL on that side and almost none on the other. A short or NUL-padded 8-bit page is not taken for UTF-16.
    static func unmarkedUTF16(_ bytes: [UInt8]) -> Bool? {
        let head = Array(bytes.prefix(4096))
        let pairs = head.count / 2
        guard pairs >= 16 else { return nil }
        var first = 0
        while first + 1 < head.count, (head[first] == 0 && [0x20, 0x09, 0x0A, 0x0D].contains(head[first + 1]))
                || (head[first + 1] == 0 && [0x20, 0x09, 0x0A, 0x0D].contains(head[first])) {
            first += 2
        }
        guard first + 1 < head.count else { return nil }
        let bigEndian: Bool
        if head[first] == 0x3C, head[first + 1] == 0 { bigEndian = false } else if head[first] == 0, head[first + 1] == 0x3C { bigEndian = true } else { return nil }
        var evenNULs = 0, oddNULs = 0
        for (i, byte) in head.enumerated() where byte == 0 {
            if i % 2 == 0 { evenNULs += 1 } else { oddNULs += 1 }
        }
        let (sameSide, otherSide) = bigEndian ? (evenNULs, oddNULs) : (oddNULs, evenNULs)
        return sameSide * 10 >= pairs * 4 && otherSide * 20 <= pairs ? bigEndian : nil
    }

    /// Whether the first units of `bytes`, read as UTF-32LE, are nearly all Unicode scalars (90% of up to 64).
    static func isUTF32LE(_ bytes: ArraySlice<UInt8>) -> Bool {
        var units = 0, scalars = 0
        var i = bytes.startIndex
        while i + 3 < bytes.endIndex, units < 64 {
            let value = UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
            // NULs tell nothing (both readings drop them): a run of U+0000 in UTF-16 is one in UTF-32 too.
            if value != 0 {
                units += 1
                if Unicode.Scalar(value) != nil { scalars += 1 }
            }
            i += 4
        }
        return units == 0 || scalars * 10 >= units * 9
    }

    /// UTF-8 of UTF-16 code units (U+FFFD for a lone surrogate), NULs dropped.
    static func utf8(fromUTF16 bytes: ArraySlice<UInt8>, bigEndian: Bool) -> [UInt8] {
        var units: [UInt16] = []
        units.reserveCapacity(bytes.count / 2)
        var i = bytes.startIndex
        while i + 1 < bytes.endIndex {
            let (a, b) = (UInt16(bytes[i]), UInt16(bytes[i + 1]))
            let unit = bigEndian ? a << 8 | b : b << 8 | a
            if unit != 0 { units.append(unit) }
            i += 2
        }
        return Array(String(decoding: units, as: UTF16.self).utf8)
    }

    /// UTF-8 of UTF-32 code units (U+FFFD for one that is no scalar), NULs dropped.
    static func utf8(fromUTF32 bytes: ArraySlice<UInt8>, bigEndian: Bool) -> [UInt8] {
        var scalars = String.UnicodeScalarView()
        var i = bytes.startIndex
        while i + 3 < bytes.endIndex {
            let b = (UInt32(bytes[i]), UInt32(bytes[i + 1]), UInt32(bytes[i + 2]), UInt32(bytes[i + 3]))
            let value = bigEndian ? b.0 << 24 | b.1 << 16 | b.2 << 8 | b.3 : b.3 << 24 | b.2 << 16 | b.1 << 8 | b.0
            if value != 0 { scalars.append(Unicode.Scalar(value) ?? "\u{FFFD}") }
            i += 4
        }
        return Array(String(scalars).utf8)
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
