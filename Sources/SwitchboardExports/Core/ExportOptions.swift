import Foundation

/// How to read an export: which fields hold what, whose messages to leave out, and limits.
public struct ExportOptions: Sendable {
    /// The format, or ``ExportFormat/auto`` to detect it from the extension and the content.
    public var format: ExportFormat = .auto
    /// JSON Lines: dotted path of the text field (`message.body`); CSV: name of the text column.
    public var textField = "text"
    /// JSON Lines: dotted path of the id field; CSV: name of the id column. Optional in the input.
    public var idField = "id"
    /// JSON Lines / CSV: field holding the timestamp (ISO 8601 or Unix seconds/milliseconds), if present.
    public var timestampField = "timestamp"
    /// JSON Lines / CSV: field holding the sender, if present.
    public var senderField = "sender"
    /// JSON Lines / CSV: field holding the channel, if present.
    public var channelField = "channel"
    /// CSV: the delimiter byte, or nil to detect `,` `;` or tab from the header line.
    public var csvDelimiter: UInt8?
    /// Messenger / WhatsApp: the company's own display name; its messages are skipped and counted.
    public var companySender: String?
    /// WhatsApp: how to read `NN/NN/NN` dates.
    public var dateOrder: DateOrder = .auto
    /// The time zone of timestamps written without one (WhatsApp, Messenger HTML, naive ISO dates).
    /// Defaults to UTC: local times are read as if they were UTC.
    public var timeZone = TimeZone(identifier: "UTC") ?? TimeZone.current
    /// XML: the element that holds one record (`--xml-record`).
    public var xmlRecordElement: String?
    /// XML: the record's child that holds the text (`--xml-text`), or its path below the record (`content/body`).
    public var xmlTextElement: String?
    /// XML: the record's child that holds the id (`--xml-id`), or its path below the record, if any.
    public var xmlIdElement: String?
    /// JSON Lines, CSV/TSV and XML: the text field holds HTML; route its visible text (see ``HTMLFieldReader``).
    /// The other formats know whether their text is HTML and ignore it.
    public var htmlText = false
    /// A channel to set on every message, overriding the one the format implies.
    public var channel: String?
    /// Bounds that keep hostile or broken inputs from using unbounded memory or time.
    public var limits = ExportLimits()

    /// Creates options with the defaults.
    public init() {}
}

/// Day/month order of numeric dates, as WhatsApp writes them in the phone's locale.
public enum DateOrder: String, Sendable, Hashable, CaseIterable {
    /// Detect from the file: a first number above 12 means day first, a second above 12 month first;
    /// otherwise day first unless times use am/pm (US phones).
    case auto
    /// `27/11/2026`.
    case dayFirst
    /// `11/27/26` (US).
    case monthFirst
}

/// Size bounds for hostile or broken inputs; a record over a bound becomes an error record.
public struct ExportLimits: Sendable, Hashable {
    /// The longest line of a line format (JSON Lines, WhatsApp, mbox), in bytes.
    public var maxLineBytes = 16 << 20
    /// The longest single message (an e-mail with its attachments, a CSV record, an XML record's text).
    public var maxMessageBytes = 32 << 20
    /// The largest whole document parsed at once (Messenger JSON/HTML, HTML, one .eml file).
    public var maxDocumentBytes = 256 << 20
    /// The deepest nesting of JSON values, XML elements or MIME parts.
    public var maxDepth = 64

    /// Creates the default limits.
    public init() {}
}
