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
        if isDirectory { return .eml }
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
            return looksLikeJSONLines(text) ? .jsonl : .messengerJSON
        case "html", "htm": return looksLikeMessengerHTML(text) ? .messengerHTML : .html
        case "txt":
            if WhatsAppLineParser.looksLikeWhatsApp(text) { return .whatsapp }
        default: break
        }
        return sniff(text)
    }

    /// Detects the format from content alone.
    static func sniff(_ text: String) -> ExportFormat {
        let trimmed = text.drop { $0.isWhitespace || $0 == "\u{FEFF}" }
        if trimmed.hasPrefix("From ") { return .mbox }
        if trimmed.hasPrefix("{") {
            if looksLikeJSONLines(text) { return .jsonl }
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

    private static func looksLikeJSONLines(_ text: String) -> Bool {
        let lines = text.split(whereSeparator: \.isNewline).prefix(2)
        guard lines.count >= 2 else { return false }
        return lines.allSatisfy { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            return trimmed.hasPrefix("{") && trimmed.hasSuffix("}")
        }
    }

    private static func looksLikeMessengerHTML(_ text: String) -> Bool {
        ["_a6-g", "_2lel", "_3-96 _2let", "_a6-h"].contains { text.contains($0) }
    }
}
