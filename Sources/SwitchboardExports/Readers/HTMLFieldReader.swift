import Foundation
import Switchboard

/// Reads the text field of another reader's messages as HTML: each message becomes its visible text.
///
/// Help-desk and CRM exports often hold a message's body as HTML (a ticket's `html_body`, an e-mail
/// activity's `HtmlBody`, CDATA in an XML export): routed as it is, `<p>`, `<br>` and `&nbsp;` were
/// read as words of the message and its explanation. With ``ExportOptions/htmlText`` on, the JSON Lines,
/// CSV/TSV and XML readers are wrapped in this one. The page's visible text is kept as ``HTMLDocumentReader``
/// keeps it, and quoted history in `<blockquote>` is left out, as in e-mails. A field without `<` or `&` is
/// plain text and is not parsed. A field whose HTML has no visible text, or that libxml2 stops reading
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

    /// The next record, its text read as HTML.
    public func next() throws -> ExportRecord? {
        guard let record = try base.next() else { return nil }
        guard case .message(var message) = record else { return record }
        guard message.text.utf8.contains(where: { $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: "&") }) else { return record }
        let location = message.source ?? SourceLocation(file: path)
        do {
            message.text = TextCleaning.trimmed(try HTMLText.text(fromHTML: Array(message.text.utf8), encoding: "UTF-8", skipping: ["blockquote"]))
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
