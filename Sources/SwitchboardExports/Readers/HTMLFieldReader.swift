import Foundation
import Switchboard

/// Reads the text field of another reader's messages as HTML: each message becomes its visible text.
///
/// Help-desk and CRM exports often hold a message's body as HTML (a ticket's `html_body`, an e-mail
/// activity's `HtmlBody`, CDATA in an XML export): routed as it is, `<p>`, `<br>` and `&nbsp;` were
/// read as words of the message and its explanation. With ``ExportOptions/htmlText`` on, the JSON Lines,
/// CSV/TSV and XML readers are wrapped in this one. The page's visible text is kept as ``HTMLDocumentReader``
/// keeps it, and quoted history in `<blockquote>` is left out, as in e-mails. A field without an HTML tag or a
/// character reference is plain text and is not parsed (see ``looksLikeHTML(_:)``). A field whose HTML has no visible text, or that libxml2 stops reading
/// (elements nested too deep), becomes a failure record in its place, so counts still add up.
public final class HTMLFieldReader: ExportReader {
    private let base: any ExportReader
    /// Messages of `base` turned into failures here.
    private var emptied = 0

    /// Wraps `base`.
    public init(_ base: any ExportReader) {
        self.base = base
    }

    /// The path being read.
    public var path: String { base.path }
    /// The wrapped reader's format.
    public var format: ExportFormat { base.format }
    /// The wrapped reader's bytes read.
    public var bytesRead: Int? { base.bytesRead }

    /// What has been read so far: the wrapped reader's counts, with the messages found empty here counted
    /// as failures.
    public var statistics: ExportStatistics {
        var statistics = base.statistics
        statistics.messages -= emptied
        statistics.failures += emptied
        return statistics
    }

    /// Whether a field holds HTML rather than plain text: a tag of HTML's (`<p>`, `</div>`, `<br/>`,
    /// `<a href=…>`) or a character reference (`&eacute;`, `&#146;`). Plain text with a `<` is read as it is:
    /// parsed, "write to <john@example.com>" lost the address and "if a<b and c>d" became "if ad".
    static func looksLikeHTML(_ whole: String) -> Bool {
        guard whole.utf8.contains(where: { $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: "&") }) else { return false }
        // HTML shows its tags early: the first 64 KiB decide (a field of 32 MB of "<" took minutes to search).
        let truncated = whole.utf8.count > 1 << 16
        let text = truncated ? String(decoding: whole.utf8.prefix(1 << 16), as: UTF8.self) : whole
        // A comment or a doctype counts when it is one: "<!--" alone in a plain text hid the rest of it.
        if let open = text.range(of: "<!--"), text[open.upperBound...].contains("-->") { return true }
        if text.range(of: "<!doctype html", options: .caseInsensitive) != nil { return true }
        guard let markup else { return true }
        if markup.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil { return true }
        return truncated && endsInsideALongAttribute(text)
    }

    private static let tagNames = "p|div|span|br|b|i|u|s|a|em|strong|font|small|big|sub|sup|table|tbody|thead|tfoot|tr|td|th|ul|ol|li|dl|dt|dd|"
        + "html|body|head|title|style|script|meta|link|img|blockquote|h[1-6]|hr|pre|code|center|section|article|header|footer|"
        + "main|nav|wbr|abbr|cite|q|ins|del|mark|label|tt|form|input|button|caption|col|colgroup|address|figure|figcaption"
    /// A closing tag, a tag without attributes (`<p>`, `<br/>`), a whole tag with attributes (`<a href="x">`,
    /// `<td nowrap width=5>`), a closing prefixed tag of Word's (`</o:p>`, `</w:p>`), or a character reference. A
    /// tag must be closed by `>`: "I was charged <i think the fee = 30 euros" is text.
    private static let markup: NSRegularExpression? = {
        // Possessive quantifiers (*+): nothing they took is given back, so no input makes the engine backtrack.
        // An attribute needs a name before its "=" ("the formula <b = a + c> is wrong" is text).
        let pattern = "</(?:\(tagNames))\\s*>|<(?:\(tagNames))\\s*/?>|<(?:\(tagNames))(?:\\s++[a-z][a-z0-9:_-]*+)++\\s*+=[^<>]*+>"
            + "|</[a-z]{1,8}:[a-z][a-z0-9]*\\s*>|&(?:#[0-9]{1,7}|#x[0-9a-f]{1,6}|[a-z][a-z0-9]{1,31});"
        // A constant pattern: it compiles (the tests use it); were it not to, every field with '<' or '&' is parsed.
        return try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive])
    }()

    /// Whether the text ends inside a tag of HTML's (its name, then attributes, no `>`) one of whose attribute values
    /// is 4 KiB or more: an inline image longer than the 64 KiB searched (`<img width=624 src="data:image/png;base64,…`,
    /// wrapped or not). A plain text's "<a href="x" and then many words", or "x<b =AAAA…", is no such tag.
    /// On UTF-8 bytes: walking a String's characters backwards cost quadratic time on runs of flags.
    static func endsInsideALongAttribute(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard let open = bytes.lastIndex(of: UInt8(ascii: "<")) else { return false }
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0C }
        func isLetter(_ b: UInt8) -> Bool { (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) }
        func isNameByte(_ b: UInt8) -> Bool { isLetter(b) || (0x30...0x39).contains(b) || b == 0x3A || b == 0x5F || b == 0x2D }
        var i = open + 1
        while i < bytes.count, isLetter(bytes[i]) || (0x30...0x39).contains(bytes[i]) { i += 1 }
        guard tagNameSet.contains(String(decoding: bytes[(open + 1)..<i], as: UTF8.self).lowercased()), i < bytes.count, isSpace(bytes[i]) else {
            return false
        }
        var longest = 0
        while true {
            while i < bytes.count, isSpace(bytes[i]) { i += 1 }
            if i == bytes.count { break }
            guard isLetter(bytes[i]) else { return false }
            while i < bytes.count, isNameByte(bytes[i]) { i += 1 }
            while i < bytes.count, isSpace(bytes[i]) { i += 1 }
            if i == bytes.count { break }
            guard bytes[i] == UInt8(ascii: "=") else { continue }
            i += 1
            while i < bytes.count, isSpace(bytes[i]) { i += 1 }
            if i == bytes.count { break }
            let start = i
            if bytes[i] == UInt8(ascii: "\"") || bytes[i] == UInt8(ascii: "'") {
                let quote = bytes[i]
                i += 1
                while i < bytes.count, bytes[i] != quote { i += 1 }
                longest = max(longest, i - start)
                if i < bytes.count { i += 1 }
            } else {
                while i < bytes.count, !isSpace(bytes[i]), bytes[i] != UInt8(ascii: ">") { i += 1 }
                longest = max(longest, i - start)
            }
            if i < bytes.count, bytes[i] == UInt8(ascii: ">") { return false }
        }
        return longest >= 4096
    }

    private static let tagNameSet: Set<String> = Set(tagNames.split(separator: "|").map(String.init))
        .union(["h1", "h2", "h3", "h4", "h5", "h6"])

    /// The next record, its text read as HTML.
    public func next() throws -> ExportRecord? {
        guard let record = try base.next() else { return nil }
        guard case .message(var message) = record else { return record }
        guard Self.looksLikeHTML(message.text) else { return record }
        let location = message.source ?? SourceLocation(file: path)
        do {
            message.text = TextCleaning.trimmed(try HTMLText.text(fromHTML: Array(message.text.utf8), encoding: "UTF-8", skipping: HTMLText.quotedHistory))
        } catch {
            emptied += 1
            return .failure(SwitchboardError(.malformedRecord, "\(error): the HTML text is incomplete", location: location))
        }
        guard !message.text.isEmpty else {
            emptied += 1
            return .failure(SwitchboardError(.malformedRecord, "empty text (the HTML has no visible text)", location: location))
        }
        return .message(message)
    }
}
