import Foundation
import Switchboard

/// The kinds of export the readers understand.
public enum ExportFormat: String, Sendable, Hashable, CaseIterable {
    /// Detect from the extension, then the first bytes.
    case auto
    /// JSON Lines / NDJSON: one JSON object per line.
    case jsonl
    /// Comma-, semicolon- or tab-separated values with a header line.
    case csv
    /// Tab-separated values with a header line.
    case tsv
    /// Facebook Messenger "Download your information", JSON form (`message_1.json`).
    case messengerJSON = "messenger-json"
    /// Facebook Messenger "Download your information", HTML form (`message_1.html`).
    case messengerHTML = "messenger-html"
    /// WhatsApp "Export chat" text file, Android or iOS.
    case whatsapp
    /// A Unix mbox mailbox.
    case mbox
    /// One e-mail file (RFC 5322), or a directory of them.
    case eml
    /// XML records from a CRM or help desk (needs the record and text element names).
    case xml
    /// An HTML document: its visible text is one message.
    case html

    /// The channel that messages of this format come through, when the format implies one.
    public var defaultChannel: String? {
        switch self {
        case .messengerJSON, .messengerHTML: "messenger"
        case .whatsapp: "whatsapp"
        case .mbox, .eml: "email"
        default: nil
        }
    }

    /// Detects the format of a file from its extension and its first bytes.
    ///
    /// - Parameters:
    ///   - path: the file's path (its extension is looked at first).
    ///   - prefix: the first few kilobytes of the file.
    ///   - isDirectory: a directory is read as a directory of e-mails.
    public static func detect(path: String, prefix: [UInt8], isDirectory: Bool = false) -> ExportFormat {
        detect(path: path, prefix: prefix, isDirectory: isDirectory, jsonLines: nil)
    }

    /// Detects the format, with `jsonLines` the verdict of a ``JSONLinesSniffer`` that read past the
    /// prefix (nil: judge from the prefix alone).
    static func detect(path: String, prefix: [UInt8], isDirectory: Bool, jsonLines: Bool?) -> ExportFormat {
        if isDirectory { return .eml }
        let looksLikeJSONLines = jsonLines ?? (JSONLinesSniffer.verdict(prefix, atEnd: true) ?? false)
        let ext = (path as NSString).pathExtension.lowercased()
        let text = String(decoding: prefix, as: UTF8.self)
        switch ext {
        case "jsonl", "ndjson": return .jsonl
        case "csv": return .csv
        case "tsv", "tab": return .tsv
        case "mbox", "mbx": return .mbox
        case "eml": return .eml
        case "xml": return .xml
        case "json":
            // A Messenger file is one JSON object; several objects on their own lines are JSON Lines.
            return looksLikeJSONLines ? .jsonl : .messengerJSON
        case "html", "htm": return looksLikeMessengerHTML(text) ? .messengerHTML : .html
        case "txt":
            if WhatsAppLineParser.looksLikeWhatsApp(text) { return .whatsapp }
        default: break
        }
        return sniff(text, looksLikeJSONLines: looksLikeJSONLines)
    }

    /// Detects the format from content alone.
    static func sniff(_ text: String, looksLikeJSONLines: Bool) -> ExportFormat {
        let trimmed = text.drop { $0.isWhitespace || $0 == "\u{FEFF}" }
        if trimmed.hasPrefix("From ") { return .mbox }
        if trimmed.hasPrefix("{") {
            if looksLikeJSONLines { return .jsonl }
            return text.contains("\"participants\"") || text.contains("\"messages\"") ? .messengerJSON : .jsonl
        }
        let lower = trimmed.prefix(512).lowercased()
        if lower.hasPrefix("<!doctype html") || lower.hasPrefix("<html") {
            return looksLikeMessengerHTML(text) ? .messengerHTML : .html
        }
        if lower.hasPrefix("<") { return .xml }
        if WhatsAppLineParser.looksLikeWhatsApp(text) { return .whatsapp }
        let headerNames = ["return-path:", "received:", "message-id:", "from:", "mime-version:", "date:", "subject:", "delivered-to:"]
        if headerNames.contains(where: { lower.hasPrefix($0) }) { return .eml }
        return .csv
    }

    private static func looksLikeMessengerHTML(_ text: String) -> Bool {
        ["_a6-g", "_2lel", "_3-96 _2let", "_a6-h"].contains { text.contains($0) }
    }
}

/// Tells JSON Lines from one JSON document, fed the start of a file in pieces of any size.
///
/// JSON Lines: a first object written on one line, ending with a newline, and a `{` on a later line.
/// The first object's end is found by matching braces (outside strings), so no line length is assumed;
/// a newline inside the first object (a pretty-printed Messenger file) settles it at once.
struct JSONLinesSniffer {
    private enum State {
        /// Before the first object (white space and a byte-order mark are skipped).
        case start
        /// Inside the first object.
        case object(depth: Int, inString: Bool, escaped: Bool)
        /// After the first object, on its line.
        case afterObject
        /// On a later line, before its first non-blank byte.
        case nextLine
    }

    private var state = State.start
    /// True or false once decided; nil while more input is needed.
    private(set) var decision: Bool?

    /// Reads more bytes; returns the decision once there is one.
    @discardableResult
    mutating func feed(_ bytes: some Sequence<UInt8>) -> Bool? {
        guard decision == nil else { return decision }
        for byte in bytes {
            switch state {
            case .start:
                switch byte {
                case 0x20, 0x09, 0x0D, 0x0A, 0xEF, 0xBB, 0xBF: continue
                case UInt8(ascii: "{"): state = .object(depth: 1, inString: false, escaped: false)
                default: decision = false
                }
            case .object(var depth, var inString, var escaped):
                if inString {
                    if escaped {
                        escaped = false
                    } else if byte == UInt8(ascii: "\\") {
                        escaped = true
                    } else if byte == UInt8(ascii: "\"") {
                        inString = false
                    } else if byte == 0x0A {
                        decision = false
                    }
                } else {
                    switch byte {
                    case UInt8(ascii: "\""): inString = true
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
                    case 0x0A: decision = false  // an object spread over lines is one document
                    default: break
                    }
                }
                state = depth == 0 ? .afterObject : .object(depth: depth, inString: inString, escaped: escaped)
            case .afterObject:
                switch byte {
                case 0x20, 0x09, 0x0D: continue
                case 0x0A: state = .nextLine
                default: decision = false
                }
            case .nextLine:
                switch byte {
                case 0x20, 0x09, 0x0D, 0x0A: continue
                default: decision = byte == UInt8(ascii: "{")
                }
            }
            if decision != nil { return decision }
        }
        return nil
    }

    /// The decision for `bytes`; with `atEnd`, input that ends undecided is not JSON Lines.
    static func verdict(_ bytes: some Sequence<UInt8>, atEnd: Bool) -> Bool? {
        var sniffer = JSONLinesSniffer()
        return sniffer.feed(bytes) ?? (atEnd ? false : nil)
    }
}
