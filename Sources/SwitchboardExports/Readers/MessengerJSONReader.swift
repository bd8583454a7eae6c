import Foundation
import Switchboard

/// Reads a Facebook Messenger "Download your information" conversation in its JSON form
/// (`message_1.json`: `{"participants": [...], "messages": [{"sender_name", "timestamp_ms", "content", ...}], "title", ...}`).
///
/// The file is one JSON document, so it is parsed whole (bounded by
/// ``ExportLimits/maxDocumentBytes`` and ``ExportLimits/maxDepth``). Messages come out in file
/// order (Facebook writes them newest first) with their 0-based index in the `messages` array.
///
/// Facebook writes UTF-8 as Latin-1 escapes (`"\u00c3\u00a9"` for "é"); text and names are repaired
/// (see ``TextCleaning/fixingLatin1Mojibake(_:)``). Decisions, so that counts add up:
///
/// - a message without `content` (photos, videos, audio, stickers, GIFs, files, shares without
///   text), of type `Call` or with a `call_duration`, or only "X sent an attachment." is skipped as
///   ``SkipReason/mediaOnly``; a group notice (`Subscribe`, `Unsubscribe`) as ``SkipReason/systemNotice``;
/// - an unsent message (`is_unsent: true`) is skipped as ``SkipReason/deleted``;
/// - messages from ``ExportOptions/companySender`` are skipped as ``SkipReason/companySender``;
/// - an entry that is not an object, or whose `content` is not a string or is blank, is a failure;
/// - a file that is not valid JSON or has no `messages` array yields one failure record for the file.
public final class MessengerJSONReader: ExportReader {
    /// The path being read.
    public let path: String
    /// Always ``ExportFormat/messengerJSON``.
    public var format: ExportFormat { .messengerJSON }
    /// What has been read so far.
    public private(set) var statistics = ExportStatistics()
    /// The conversation's title, once read.
    public private(set) var title: String?

    private let options: ExportOptions
    private var entries: [JSONValue] = []
    private var position = 0
    private var pendingFailure: SwitchboardError?

    /// Reads and parses a file, or standard input when `path` is `-`.
    ///
    /// - Throws: ``SwitchboardError`` `.io` when the file cannot be read; a file that is not a
    ///   Messenger export, or is over ``ExportLimits/maxDocumentBytes``, is reported as a failure record instead.
    public convenience init(path: String, options: ExportOptions = ExportOptions()) throws {
        switch try ByteInput.readDocument(path, limit: options.limits.maxDocumentBytes) {
        case .success(let bytes):
            self.init(bytes: bytes, name: path, options: options)
        case .failure(let error):
            // One failure record for the file, as for a file that is not a Messenger export.
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
        let location = SourceLocation(file: name)
        do {
            let document = try JSONScanner.parseDocument(bytes, maxDepth: options.limits.maxDepth)
            guard case .object = document else {
                pendingFailure = SwitchboardError(.malformedRecord, "not a Messenger export: the document is \(document.kindName)", location: location)
                return
            }
            guard let messages = document["messages"]?.arrayValue else {
                pendingFailure = SwitchboardError(.malformedRecord, "not a Messenger export: no \"messages\" array", location: location)
                return
            }
            entries = messages
            title = document["title"]?.stringValue.map(TextCleaning.fixingLatin1Mojibake)
        } catch {
            pendingFailure = SwitchboardError(.malformedRecord, "invalid JSON: \(error)", location: location)
        }
    }

    /// Returns the next record, or nil at the end of the input.
    public func next() throws -> ExportRecord? {
        if let failure = pendingFailure {
            pendingFailure = nil
            let record = ExportRecord.failure(failure)
            statistics.count(record)
            return record
        }
        while position < entries.count {
            let index = position
            let entry = entries[index]
            entries[index] = .null  // release as we go
            position += 1
            if let record = convert(entry, index: index) {
                statistics.count(record)
                return record
            }
        }
        return nil
    }

    /// What follows the sender's name in the text of a file shared without words.
    static let attachmentNotices = [" sent an attachment.", " a envoyé une pièce jointe.", " sent a photo.", " a envoyé une photo."]

    private func convert(_ entry: JSONValue, index: Int) -> ExportRecord? {
        let location = SourceLocation(file: path, index: index)
        guard case .object = entry else {
            return .failure(SwitchboardError(.malformedRecord, "message entry is \(entry.kindName), not an object", location: location))
        }
        let sender = entry["sender_name"]?.stringValue.map(TextCleaning.fixingLatin1Mojibake)
        if let company = options.companySender, let sender,
           TextCleaning.trimmed(sender).caseInsensitiveCompare(TextCleaning.trimmed(company)) == .orderedSame {
            statistics.skip(.companySender)
            return nil
        }
        if case .bool(true)? = entry["is_unsent"] {
            statistics.skip(.deleted)
            return nil
        }
        // Calls (of type Call, or Generic with a call duration, as older exports write them), and group notices:
        // "Paul Durand a quitté le groupe." was routed as a cancellation.
        let type = entry["type"]?.stringValue
        if type == "Call" || entry["call_duration"] != nil {
            statistics.skip(.mediaOnly)
            return nil
        }
        if type == "Subscribe" || type == "Unsubscribe" {
            statistics.skip(.systemNotice)
            return nil
        }
        guard let content = entry["content"], !(content.isNull) else {
            statistics.skip(.mediaOnly)
            return nil
        }
        guard let raw = content.stringValue else {
            return .failure(SwitchboardError(.malformedRecord, "\"content\" is \(content.kindName), not a string", location: location))
        }
        let text = TextCleaning.trimmed(TextCleaning.fixingLatin1Mojibake(raw))
        guard !text.isEmpty else {
            return .failure(SwitchboardError(.malformedRecord, "empty text", location: location))
        }
        // The text Messenger writes for a file shared without words ("Zoé Martin sent an attachment.").
        if let sender, Self.attachmentNotices.contains(where: { text == sender + $0 }) {
            statistics.skip(.mediaOnly)
            return nil
        }
        var message = Message(text: text, sender: sender, channel: options.channel ?? "messenger", source: location)
        if let milliseconds = entry["timestamp_ms"]?.doubleValue {
            message.timestamp = CivilTime.plausible(Date(timeIntervalSince1970: milliseconds / 1000))
        } else if let seconds = entry["timestamp"]?.doubleValue {
            message.timestamp = CivilTime.plausible(Date(timeIntervalSince1970: seconds))
        }
        return .message(message)
    }
}

extension JSONValue {
    var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}
