import Foundation

/// A message to classify, as a reader produced it from an export or a backend handed it over.
///
/// Only ``text`` is classified; the other fields travel with the message so that an output
/// record can say where it came from without copying the text.
public struct Message: Sendable, Hashable {
    /// The text to classify: for an e-mail, the subject and the body without quotes or signature.
    public var text: String
    /// The identifier the source gives the message, if any.
    public var id: String?
    /// When the message was sent, if the source says.
    public var timestamp: Date?
    /// Who sent it, if the source says.
    public var sender: String?
    /// The channel it came through (`messenger`, `whatsapp`, `email`, ...), if known.
    public var channel: String?
    /// Where in the input the message was read.
    public var source: SourceLocation?

    /// Creates a message.
    public init(
        text: String,
        id: String? = nil,
        timestamp: Date? = nil,
        sender: String? = nil,
        channel: String? = nil,
        source: SourceLocation? = nil
    ) {
        self.text = text
        self.id = id
        self.timestamp = timestamp
        self.sender = sender
        self.channel = channel
        self.source = source
    }
}

/// Where a record was read: a file and a line (text formats) or an index (structured formats).
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    /// The path of the input file, or `-` for standard input.
    public var file: String
    /// The 1-based line the record starts on, for line-oriented formats.
    public var line: Int?
    /// The 0-based index of the record in the file, for formats without meaningful lines.
    public var index: Int?

    /// Creates a location.
    public init(file: String, line: Int? = nil, index: Int? = nil) {
        self.file = file
        self.line = line
        self.index = index
    }

    /// `file:line`, `file#index` or `file`.
    public var description: String {
        if let line { return "\(file):\(line)" }
        if let index { return "\(file)#\(index)" }
        return file
    }
}
