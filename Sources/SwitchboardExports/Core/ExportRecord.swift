import Switchboard

/// One item a reader yields for one message of its input: the message, or why it could not be read.
///
/// The contract of every ``ExportReader``: each message of the input yields exactly one record,
/// or is counted in ``ExportStatistics/skipped`` for a documented reason (a photo without text,
/// a company reply left out...). Nothing is dropped silently.
public enum ExportRecord: Sendable {
    /// A message ready to classify.
    case message(Message)
    /// A message that could not be read; the error says what is wrong and where
    /// (file and line for line formats, file and index otherwise).
    case failure(SwitchboardError)

    /// Where the record was read.
    public var location: SourceLocation? {
        switch self {
        case .message(let message): message.source
        case .failure(let error): error.location
        }
    }

    /// The message, if this record is one.
    public var message: Message? {
        if case .message(let message) = self { return message }
        return nil
    }

    /// The error, if this record is a failure.
    public var failure: SwitchboardError? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

/// Why a message of an input was left out rather than yielded.
public enum SkipReason: String, Sendable, Hashable, CaseIterable {
    /// A message with no text: only a photo, sticker, audio, video, document or call.
    case mediaOnly
    /// A message the sender deleted or unsent ("This message was deleted").
    case deleted
    /// A reply from the company itself (`companySender`), which is not to be triaged.
    case companySender
    /// A notice of the platform, not something a person wrote: someone joined or left a group.
    case systemNotice
}

/// What a reader has read so far: the counts behind the nothing-is-lost contract.
///
/// `messages + failures + skippedTotal` is the number of messages of the input read so far.
public struct ExportStatistics: Sendable, Hashable {
    /// Records yielded as ``ExportRecord/message(_:)``.
    public var messages = 0
    /// Records yielded as ``ExportRecord/failure(_:)``.
    public var failures = 0
    /// Messages of the input left out, by reason.
    public var skipped: [SkipReason: Int] = [:]
    /// Lines or entries that are not messages at all (WhatsApp system notices, blank lines...).
    public var ignored = 0

    /// Creates empty statistics.
    public init() {}

    /// All the messages left out.
    public var skippedTotal: Int { skipped.values.reduce(0, +) }
    /// The messages of the input read so far: yielded, failed or skipped.
    public var inputMessages: Int { messages + failures + skippedTotal }

    mutating func count(_ record: ExportRecord) {
        switch record {
        case .message: messages += 1
        case .failure: failures += 1
        }
    }

    mutating func skip(_ reason: SkipReason) {
        skipped[reason, default: 0] += 1
    }
}

/// A pull-based reader of one export: call ``next()`` until it returns nil.
///
/// Readers are reference types that own an open file; use one from one task at a time.
/// `next()` throws only when the input as a whole cannot be read (an I/O error); everything
/// wrong with a single message comes back as an ``ExportRecord/failure(_:)`` record, and
/// reading goes on.
public protocol ExportReader: AnyObject {
    /// The path being read (`-` for standard input).
    var path: String { get }
    /// The format being read.
    var format: ExportFormat { get }
    /// What has been read so far.
    var statistics: ExportStatistics { get }
    /// The next record, or nil at the end of the input.
    func next() throws -> ExportRecord?
    /// How many bytes of the input have been read so far, when the reader streams (for progress bars).
    var bytesRead: Int? { get }
}

extension ExportReader {
    /// Readers that load their input whole do not report progress.
    public var bytesRead: Int? { nil }

    /// Reads all the remaining records (for tests and small inputs; it does not stream).
    public func readAll() throws -> [ExportRecord] {
        var records: [ExportRecord] = []
        while let record = try next() { records.append(record) }
        return records
    }
}
