import Foundation
import Switchboard

/// An RFC 5322 message (or a MIME part): its headers and its raw body.
struct MailEntity {
    /// Header names in lower case with their raw (unfolded, undecoded) values, in order.
    var headers: [(name: String, value: [UInt8])]
    var body: [UInt8]

    /// Splits raw bytes into headers and body (at the first empty line); folded lines are joined.
    init(_ bytes: ArraySlice<UInt8>) {
        headers = []
        var index = bytes.startIndex
        var current: (name: String, value: [UInt8])?
        while index < bytes.endIndex {
            var lineEnd = bytes[index...].firstIndex(of: 0x0A) ?? bytes.endIndex
            let next = lineEnd == bytes.endIndex ? lineEnd : lineEnd + 1
            if lineEnd > index, bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            let line = bytes[index..<lineEnd]
            if line.isEmpty {
                index = next
                break
            }
            if let first = line.first, first == 0x20 || first == 0x09 {
                // Folded continuation: unfold by dropping the line break.
                current?.value.append(contentsOf: line)
            } else if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
                if let current { headers.append(current) }
                let name = String(decoding: line[line.startIndex..<colon], as: UTF8.self).trimmingCharacters(in: .whitespaces).lowercased()
                var valueStart = colon + 1
                while valueStart < line.endIndex, line[valueStart] == 0x20 || line[valueStart] == 0x09 { valueStart += 1 }
                current = (name, Array(line[valueStart...]))
            } else if headers.isEmpty, current == nil {
                // Not a header at all: there are no headers, the whole input is body.
                break
            }
            index = next
        }
        if let current { headers.append(current) }
        if headers.isEmpty { index = bytes.startIndex }
        body = Array(bytes[index...])
    }

    /// The raw value of the first header named `name` (lower case).
    func raw(_ name: String) -> [UInt8]? {
        headers.first { $0.name == name }?.value
    }

    /// The decoded value of the first header named `name` (lower case), trimmed.
    func header(_ name: String) -> String? {
        raw(name).map { MailDecoding.decodeHeader($0).trimmingCharacters(in: .whitespaces) }
    }

    /// The content type in lower case (`text/plain` by default) and its parameters (names in lower case).
    var contentType: (type: String, parameters: [String: String]) {
        guard let raw = raw("content-type") else { return ("text/plain", [:]) }
        let (value, parameters) = Self.parseParameters(String(decoding: raw, as: UTF8.self))
        return (value.isEmpty ? "text/plain" : value.lowercased(), parameters)
    }

    /// Whether `Content-Disposition` says attachment.
    var isAttachment: Bool {
        guard let raw = raw("content-disposition") else { return false }
        return Self.parseParameters(String(decoding: raw, as: UTF8.self)).value.lowercased() == "attachment"
    }

    /// Whether the part names a file (`filename=` in `Content-Disposition`, `name=` in `Content-Type`):
    /// in a multipart message, an attached file even when inline (a `log.txt`), not the body.
    var hasFileName: Bool {
        func isFileName(_ parameter: String) -> Bool {
            // RFC 2231 continuations and charsets: `filename*=`, `filename*0=`.
            parameter == "filename" || parameter == "name" || parameter.hasPrefix("filename*") || parameter.hasPrefix("name*")
        }
        if let raw = raw("content-disposition"),
           Self.parseParameters(String(decoding: raw, as: UTF8.self)).1.keys.contains(where: isFileName) {
            return true
        }
        return contentType.parameters.keys.contains(where: isFileName)
    }

    /// Splits `value; name=param; name="quoted; param"`.
    static func parseParameters(_ text: String) -> (value: String, [String: String]) {
        var parts: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for character in text {
            if escaped { current.append(character); escaped = false; continue }
            if quoted, character == "\\" { escaped = true; continue }
            if character == "\"" { quoted.toggle(); continue }
            if character == ";", !quoted { parts.append(current); current = ""; continue }
            current.append(character)
        }
        parts.append(current)
        let value = parts.first?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        var parameters: [String: String] = [:]
        for part in parts.dropFirst() {
            guard let equals = part.firstIndex(of: "=") else { continue }
            let name = part[..<equals].trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            let parameter = part[part.index(after: equals)...].trimmingCharacters(in: .whitespacesAndNewlines)
            if parameters[name] == nil { parameters[name] = parameter }
        }
        return (value, parameters)
    }
}

/// Turns a raw e-mail into a message to classify.
///
/// The text is the subject, a line break and the body: the first `text/plain` part that is not an
/// attachment nor a named file inside a multipart (searching nested multiparts depth-first; in `multipart/alternative` the plain
/// alternative wins), else the first such `text/html` part converted to text; when there is none, a named
/// inline text part, else a text attachment, rather than no body. Quoted replies and
/// signatures are removed (see ``MailBodyCleaner``). A multipart body in which the boundary never
/// appears is read as `text/plain`, unless it holds parts under another boundary (a failure then). Message-ID (without `<>`) is the id, Date the
/// timestamp and From (decoded) the sender.
enum MailMessageReader {
    /// Reads one message; problems (an undecodable part, no text) come back as failures at `location`.
    static func record(from bytes: ArraySlice<UInt8>, location: SourceLocation, options: ExportOptions) -> ExportRecord {
        let entity = MailEntity(bytes)
        guard !entity.headers.isEmpty else {
            return .failure(SwitchboardError(.malformedRecord, "not an e-mail: no header lines", location: location))
        }
        let subject = entity.header("subject") ?? ""
        let body: String
        do {
            body = try bodyText(of: entity, depth: 0, maxDepth: options.limits.maxDepth) ?? ""
        } catch let failure as MailDecoding.Failure {
            return .failure(SwitchboardError(.malformedRecord, "undecodable part: \(failure)", location: location, cause: failure))
        } catch let mismatch as BoundaryMismatch {
            return .failure(SwitchboardError(.malformedRecord, mismatch.description, location: location, cause: mismatch))
        } catch let truncated as HTMLText.Truncated {
            // The part decoded, but its HTML could not be read to the end: a failure (a person reads it), not a
            // message routed on part of its text.
            return .failure(SwitchboardError(.malformedRecord, "the text/html part could not be read whole: \(truncated)", location: location, cause: truncated))
        } catch {
            return .failure(SwitchboardError(.malformedRecord, "undecodable part", location: location))
        }
        let cleanedBody = MailBodyCleaner.clean(body)
        let text = TextCleaning.trimmed([subject, cleanedBody].filter { !$0.isEmpty }.joined(separator: "\n"))
        guard !text.isEmpty else {
            return .failure(SwitchboardError(.malformedRecord, "empty text", location: location))
        }
        var id = entity.header("message-id")
        if let value = id {
            id = value.trimmingCharacters(in: CharacterSet(charactersIn: "<> \t"))
            if id?.isEmpty == true { id = nil }
        }
        let message = Message(
            text: text, id: id, timestamp: entity.header("date").flatMap(MailDecoding.parseDate),
            sender: entity.header("from").flatMap { $0.isEmpty ? nil : $0 }, channel: options.channel ?? "email", source: location)
        return .message(message)
    }

    /// The text of the best body part, or nil when there is none.
    static func bodyText(of entity: MailEntity, depth: Int, maxDepth: Int) throws -> String? {
        var best: BodyCandidate?
        try collectCandidates(entity, depth: depth, maxDepth: maxDepth, best: &best)
        guard let best else { return nil }
        return try decodedText(best.entity, type: best.type, charset: best.charset)
    }

    /// A text part that could be the body, and how good a choice it is.
    private struct BodyCandidate {
        var entity: MailEntity
        var type: String
        var charset: String?
        /// 0: an unnamed, non-attachment part (or a single-part mail's only part); 1: a named inline part
        /// (`log.txt`); 2: an attachment. A lower rank wins, then text/plain over text/html, then the first.
        var rank: Int

        /// Whether this candidate beats `other` (found earlier, depth-first).
        func isBetter(than other: BodyCandidate) -> Bool {
            (rank, type == "text/plain" ? 0 : 1) < (other.rank, other.type == "text/plain" ? 0 : 1)
        }
    }

    /// Walks the MIME tree depth-first, keeping the best text part in `best`.
    private static func collectCandidates(_ entity: MailEntity, depth: Int, maxDepth: Int, best: inout BodyCandidate?) throws {
        guard depth <= maxDepth else { throw MailDecoding.Failure(description: "MIME parts nested deeper than \(maxDepth)") }
        let (type, parameters) = entity.contentType
        if type.hasPrefix("multipart/") {
            guard let boundary = parameters["boundary"], !boundary.isEmpty else {
                throw MailDecoding.Failure(description: "\(type) without a boundary")
            }
            guard let parts = splitMultipart(entity.body, boundary: boundary) else {
                // Parts under another boundary (a mailer that got it wrong): reading them as text would route
                // part headers, file names and base64 as the customer's words. A person has to look.
                if looksLikeMIMEParts(entity.body) { throw BoundaryMismatch(type: type, boundary: boundary) }
                // The boundary never appears and nothing looks like parts: the body is most likely the text
                // itself. Read as plain text rather than lost.
                offer(BodyCandidate(entity: entity, type: "text/plain", charset: nil, rank: 0), to: &best)
                return
            }
            for part in parts {
                try collectCandidates(MailEntity(part), depth: depth + 1, maxDepth: maxDepth, best: &best)
            }
            return
        }
        guard type == "text/plain" || type == "text/html" else { return }
        // A named file inside a multipart (an inline `log.txt`) is not the body while an unnamed text part is, but
        // it is when there is nothing else: the customer's text sent as `message.txt` must not be lost. A
        // single-part mail's only part is its body, named or not.
        let rank = entity.isAttachment ? 2 : depth > 0 && entity.hasFileName ? 1 : 0
        offer(BodyCandidate(entity: entity, type: type, charset: parameters["charset"], rank: rank), to: &best)
    }

    /// Keeps `candidate` when it beats the best so far.
    private static func offer(_ candidate: BodyCandidate, to best: inout BodyCandidate?) {
        if let current = best, !candidate.isBetter(than: current) { return }
        best = candidate
    }

    /// The body of a text part, decoded (transfer encoding, charset) and, for HTML, turned into text.
    private static func decodedText(_ entity: MailEntity, type: String, charset: String?) throws -> String {
        let encoding = entity.header("content-transfer-encoding")
        let bytes = try MailDecoding.decodeTransfer(entity.body, encoding: encoding)
        if type == "text/html", charset == nil {
            // No MIME charset: the part is read as an HTML page is, its <meta charset> first (a Cyrillic part
            // declaring windows-1251 in its <meta> only came out as Latin letters).
            let prepared = HTMLDocumentReader.prepared(bytes)
            return try HTMLText.text(fromHTML: prepared.bytes, encoding: prepared.encoding, skipping: HTMLText.quotedHistory)
        }
        let text = try MailDecoding.decodeCharset(bytes, charset: charset)
        if type == "text/html" {
            // Quoted history sits in <blockquote>; leave it out like "> " lines.
            return try HTMLText.text(fromHTML: Array(text.utf8), encoding: "UTF-8", skipping: HTMLText.quotedHistory)
        }
        return text
    }

    /// A multipart body whose parts are delimited by something other than its declared boundary.
    struct BoundaryMismatch: Error, CustomStringConvertible {
        var type: String
        var boundary: String

        var description: String {
            // The boundary comes from the header, not the text; a very long one is cut (RFC 2046 allows 70).
            let shown = boundary.count > 70 ? String(boundary.prefix(70)) + "..." : boundary
            return "the \(type) body has no part delimited by its declared boundary \"\(shown)\""
        }
    }

    /// Whether a body looks like MIME parts: a line `--token` followed by a `Content-...:` header line.
    static func looksLikeMIMEParts(_ body: [UInt8]) -> Bool {
        var previousWasDelimiter = false, found = false
        forEachLine(in: body) { line, _ in
            if previousWasDelimiter, isContentHeader(line) { found = true }
            previousWasDelimiter = isDelimiterLike(line)
            return !found
        }
        return found
    }

    /// Calls `visit` with each line of `body` (without its LF or CR LF; its `startIndex` is where it starts in `body`)
    /// and the index of the next line, until `visit` returns false.
    private static func forEachLine(in body: [UInt8], _ visit: (_ line: ArraySlice<UInt8>, _ next: Int) -> Bool) {
        var index = 0
        while index < body.count {
            var lineEnd = body[index...].firstIndex(of: 0x0A) ?? body.count
            let next = lineEnd == body.count ? lineEnd : lineEnd + 1
            if lineEnd > index, body[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            guard visit(body[index..<lineEnd], next) else { return }
            index = next
        }
    }

    /// `--` then a token without white space (trailing white space allowed): `--XX2`, `--XX2--`; not `-- `.
    private static func isDelimiterLike(_ line: ArraySlice<UInt8>) -> Bool {
        guard line.starts(with: [0x2D, 0x2D]) else { return false }
        var token = line.dropFirst(2)
        while let last = token.last, last == 0x20 || last == 0x09 { token = token.dropLast() }
        return !token.isEmpty && !token.contains { $0 <= 0x20 || $0 >= 0x7F }
    }

    /// A `Content-Type:`, `Content-Disposition:`, `Content-Transfer-Encoding:` (any `Content-...:`) header line.
    private static func isContentHeader(_ line: ArraySlice<UInt8>) -> Bool {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon - line.startIndex > 8 else { return false }
        let name = String(decoding: line[line.startIndex..<colon], as: UTF8.self).lowercased()
        return name.hasPrefix("content-") && !name.contains { $0 == " " || $0 == "\t" }
    }

    /// The parts of a multipart body: what lies between `--boundary` lines, up to `--boundary--`;
    /// nil when no delimiter line appears at all.
    static func splitMultipart(_ body: [UInt8], boundary: String) -> [ArraySlice<UInt8>]? {
        let delimiter = Array(("--" + boundary).utf8)
        var parts: [ArraySlice<UInt8>] = []
        var sawDelimiter = false
        var partStart: Int?
        var closed = false
        forEachLine(in: body) { line, next in
            let index = line.startIndex
            if line.starts(with: delimiter) {
                var rest = line.dropFirst(delimiter.count)
                let closing = rest.starts(with: [0x2D, 0x2D])
                if closing { rest = rest.dropFirst(2) }
                if rest.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                    sawDelimiter = true
                    if let start = partStart {
                        // The line break before the delimiter belongs to the delimiter.
                        var end = index
                        if end > start, body[end - 1] == 0x0A { end -= 1 }
                        if end > start, body[end - 1] == 0x0D { end -= 1 }
                        parts.append(body[start..<max(start, end)])
                    }
                    if closing {
                        closed = true
                        return false
                    }
                    partStart = next
                }
            }
            return true
        }
        if closed { return parts }
        guard sawDelimiter else { return nil }
        // No closing delimiter: keep the last part anyway.
        if let start = partStart, start < body.count { parts.append(body[start...]) }
        return parts
    }
}
