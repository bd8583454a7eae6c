import CLibXML2
import Foundation
import Switchboard

/// Reads a Facebook Messenger "Download your information" conversation in its HTML form
/// (`message_1.html`), with libxml2's HTML parser.
///
/// Facebook lays each message out as a block with three children, whose classes changed over time:
///
/// | | older exports | newer exports (2022-) |
/// |---|---|---|
/// | block | `div.pam._3-95._2pi0._2lej.uiBoxWhite.noborder` | `div._a6-g` or `section._a6-g` |
/// | sender | `div._3-96._2pio._2lek._2lel` | `div._2ph_._a6-h._a6-i` or `h2._a6-h` |
/// | text | `div._3-96._2let` (text in nested divs) | `div._2ph_._a6-p` (text in nested divs) |
/// | date | `div._3-94._2lem` (`Nov 27, 2026, 9:14 PM`) | `div._3-94._a6-o` > `div._a72d` (`Jul 12, 2024 4:54:10pm`) |
///
/// A block is found by its sender element; its text and date are the siblings that follow it (some
/// exports put every message's three elements under one parent). Messages come out
/// in file order with their 0-based index; names and text need no mojibake repair here (the HTML
/// is proper UTF-8). The same decisions as ``MessengerJSONReader``: a block whose text element is
/// empty but holds a photo, video, audio or link is skipped as ``SkipReason/mediaOnly``; messages
/// from ``ExportOptions/companySender`` are skipped as ``SkipReason/companySender``; an empty text
/// without media is a failure. Dates are read in ``ExportOptions/timeZone`` (UTC by default).
/// libxml2 stops reading at elements nested more than 256 deep: the block it stopped in and the rest of
/// the file then come out as one failure that says so, after the messages read before it.
public final class MessengerHTMLReader: ExportReader {
    /// The path being read.
    public let path: String
    /// Always ``ExportFormat/messengerHTML``.
    public var format: ExportFormat { .messengerHTML }
    /// What has been read so far.
    public private(set) var statistics = ExportStatistics()

    struct Block {
        var sender: String
        var text: String
        var date: String?
        var hasMedia: Bool
    }

    private let options: ExportOptions
    private var blocks: [Block] = []
    /// Why libxml2 stopped before the end of the file, if it did: reported as one failure after the blocks read.
    private var stopped: String?
    private var position = 0
    /// Why the file could not be read whole (it is over the document limit): its one record.
    private var pendingFailure: SwitchboardError?

    /// Reads and parses a file, or standard input when `path` is `-`.
    ///
    /// - Throws: ``SwitchboardError`` `.io` when the file cannot be read; a file over
    ///   ``ExportLimits/maxDocumentBytes`` is one failure record instead.
    public convenience init(path: String, options: ExportOptions = ExportOptions()) throws {
        switch try ByteInput.readDocument(path, limit: options.limits.maxDocumentBytes) {
        case .success(let bytes):
            self.init(bytes: bytes, name: path, options: options)
        case .failure(let error):
            self.init(failure: error, name: path, options: options)
        }
    }

    /// A reader whose only record is `failure`.
    private init(failure: SwitchboardError, name: String, options: ExportOptions) {
        path = name
        self.options = options
        pendingFailure = failure
    }

    /// Parses a document already in memory.
    public init(bytes: [UInt8], name: String, options: ExportOptions = ExportOptions()) {
        path = name
        self.options = options
        (blocks, stopped) = Self.extractBlocks(bytes)
    }

    /// Returns the next record, or nil at the end of the input.
    public func next() throws -> ExportRecord? {
        if let failure = pendingFailure {
            pendingFailure = nil
            let record = ExportRecord.failure(failure)
            statistics.count(record)
            return record
        }
        while position < blocks.count {
            let index = position
            let block = blocks[index]
            position += 1
            let location = SourceLocation(file: path, index: index)
            if let company = options.companySender,
               block.sender.caseInsensitiveCompare(TextCleaning.trimmed(company)) == .orderedSame {
                statistics.skip(.companySender)
                continue
            }
            if block.text.isEmpty {
                if block.hasMedia {
                    statistics.skip(.mediaOnly)
                    continue
                }
                let record = ExportRecord.failure(SwitchboardError(.malformedRecord, "empty text", location: location))
                statistics.count(record)
                return record
            }
            let message = Message(
                text: block.text, timestamp: block.date.flatMap { Self.parseDate($0, timeZone: options.timeZone) },
                sender: block.sender.isEmpty ? nil : block.sender, channel: options.channel ?? "messenger", source: location)
            let record = ExportRecord.message(message)
            statistics.count(record)
            return record
        }
        if let stopped {
            // The block libxml2 stopped in, and everything after it: one failure, at that block's index.
            self.stopped = nil
            let record = ExportRecord.failure(SwitchboardError(
                .malformedRecord, "\(stopped): this message and the rest of the file could not be read (the \(blocks.count) before it were)",
                location: SourceLocation(file: path, index: blocks.count)))
            statistics.count(record)
            return record
        }
        return nil
    }

    static let senderClasses: Set<String> = ["_a6-h", "_2lel"]
    static let textClasses: Set<String> = ["_a6-p", "_2let"]
    static let dateClasses: Set<String> = ["_a6-o", "_2lem"]

    /// Finds the message blocks of the document, in document order.
    static func extractBlocks(_ bytes: [UInt8]) -> (blocks: [Block], stopped: String?) {
        LibXML2.withLock {
            HTMLText.withDocument(bytes, encoding: "UTF-8") { document, stopped in
                guard let document, let root = xmlDocGetRootElement(document) else { return ([], stopped) }
                var blocks: [Block] = []
                var stack: [xmlNodePtr] = [root]
                // Depth-first, in document order, without recursion.
                while let node = stack.popLast() {
                    if node.pointee.type == XML_ELEMENT_NODE, hasClass(node, in: senderClasses), let block = block(sender: node) {
                        blocks.append(block)
                        continue
                    }
                    var children: [xmlNodePtr] = []
                    var child = node.pointee.children
                    while let current = child {
                        if current.pointee.type == XML_ELEMENT_NODE { children.append(current) }
                        child = current.pointee.next
                    }
                    stack.append(contentsOf: children.reversed())
                }
                // The tree ends where libxml2 stopped, inside or just after the last block read: that block's text
                // may be cut short, so it becomes the failure rather than a message routed on part of its text.
                if stopped != nil, !blocks.isEmpty { blocks.removeLast() }
                return (blocks, stopped)
            }
        }
    }

    private static func classes(_ node: xmlNodePtr) -> [Substring] {
        (LibXML2.attribute(node, "class") ?? "").split(whereSeparator: \.isWhitespace)
    }

    private static func hasClass(_ node: xmlNodePtr, in set: Set<String>) -> Bool {
        classes(node).contains { set.contains(String($0)) }
    }

    /// The block of `sender`: its text and date are the siblings that follow it, up to the next sender.
    ///
    /// Looking only there (not at all of the parent's children) pairs each sender with its own text when
    /// an export puts many messages under one parent, and keeps such a file linear.
    private static func block(sender: xmlNodePtr) -> Block? {
        var textNode: xmlNodePtr?
        var dateNode: xmlNodePtr?
        var child = sender.pointee.next
        while let current = child, textNode == nil || dateNode == nil {
            if current.pointee.type == XML_ELEMENT_NODE {
                if hasClass(current, in: senderClasses) { break }
                if textNode == nil, hasClass(current, in: textClasses) { textNode = current }
                if dateNode == nil, hasClass(current, in: dateClasses) { dateNode = current }
            }
            child = current.pointee.next
        }
        guard let textNode else { return nil }
        let name = TextCleaning.trimmed(HTMLText.text(of: sender))
        // Reactions are listed in a <ul> under the text; they are not part of the message.
        let text = TextCleaning.trimmed(HTMLText.text(of: textNode, skipping: ["ul"]))
        let date = dateNode.map { TextCleaning.trimmed(HTMLText.text(of: $0)) }
        return Block(sender: name, text: text, date: date, hasMedia: containsMedia(textNode))
    }

    private static func containsMedia(_ node: xmlNodePtr) -> Bool {
        var stack: [xmlNodePtr] = [node]
        while let current = stack.popLast() {
            let name = (LibXML2.string(current.pointee.name) ?? "").lowercased()
            if ["img", "video", "audio", "a"].contains(name) { return true }
            var child = current.pointee.children
            while let next = child {
                if next.pointee.type == XML_ELEMENT_NODE { stack.append(next) }
                child = next.pointee.next
            }
        }
        return false
    }

    static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// Reads Facebook's English dates: `Nov 27, 2026, 9:14 PM`, `Jul 12, 2024 4:54:10pm`,
    /// `Nov 27, 2026 at 9:14 PM`; nil for anything else.
    static func parseDate(_ text: String, timeZone: TimeZone) -> Date? {
        let cleaned = text.lowercased()
            .replacingOccurrences(of: ",", with: " ")
            .replacingOccurrences(of: " at ", with: " ")
            .replacingOccurrences(of: "\u{202F}", with: " ")
            .replacingOccurrences(of: "\u{A0}", with: " ")
        var tokens = cleaned.split(separator: " ").map(String.init)
        guard tokens.count >= 4, let month = months.firstIndex(where: { tokens[0].hasPrefix($0) }),
              let day = Int(tokens[1]), let year = Int(tokens[2]) else { return nil }
        tokens.removeFirst(3)
        var time = tokens.joined()
        var pm: Bool?
        if time.hasSuffix("pm") { pm = true; time.removeLast(2) } else if time.hasSuffix("am") { pm = false; time.removeLast(2) }
        let parts = time.split(separator: ":").compactMap { Int($0) }
        guard parts.count >= 2 else { return nil }
        var hour = parts[0]
        if let pm {
            guard (1...12).contains(hour) else { return nil }
            hour = hour % 12 + (pm ? 12 : 0)
        }
        return CivilTime.date(
            year: year, month: month + 1, day: day, hour: hour, minute: parts[1], second: parts.count > 2 ? parts[2] : 0,
            timeZone: timeZone)
    }
}
