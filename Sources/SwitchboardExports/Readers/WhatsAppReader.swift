import Foundation
import Switchboard

/// Reads a WhatsApp "Export chat" text file (Android or iOS), streamed.
///
/// Each message starts with a header line (see ``WhatsAppLineParser``); lines that do not start
/// with one continue the message above (multi-line messages). Decisions, so that the counts
/// add up (`messages + failures + skipped` = messages in the chat):
///
/// - System notices (a header without `Name:`: "X added Y", "X changed the subject...", and the
///   end-to-end encryption notice even where iOS puts the chat's name before it) are not messages: counted in ``ExportStatistics/ignored``, as are
///   lines before the first header. A file with text but no message at all (headers in a shape not
///   recognised) also yields one failure record at its first unrecognised line.
/// - Media markers (`<Media omitted>`, `<Médias omis>`, `image omitted`, `document omitted`,
///   `<attached: 00000012-PHOTO-2026-11-27.jpg>`, `Bild weggelassen`, ...) are not text: they are removed, and a
///   message left with no text is skipped as ``SkipReason/mediaOnly``. A caption after a marker is kept.
///   An iOS call entry (`\u{200E}Missed voice call`, `\u{200E}Voice call, \u{200E}12 min`, `Appel vocal manqué`)
///   is skipped the same way, but only as a whole message starting with a left-to-right mark, as iOS writes
///   it: a customer's "Voice call" or "Appel vidéo, 14h demain" is text.
/// - "This message was deleted" (and its French and Spanish forms) is skipped as ``SkipReason/deleted``.
/// - Messages from ``ExportOptions/companySender`` are skipped as ``SkipReason/companySender``.
/// - A message with a line longer than ``ExportLimits/maxLineBytes`` is a failure (the line was cut).
/// - Directional marks (U+200E, U+200F) are removed everywhere; `<This message was edited>` is removed.
/// - Timestamps are the phone's local time, read in ``ExportOptions/timeZone`` (UTC by default,
///   i.e. local time taken as UTC). The day/month order is ``ExportOptions/dateOrder``; `.auto`
///   looks at the first 5,000 lines of a file for a number above 12.
public final class WhatsAppReader: ExportReader {
    /// The path being read.
    public var path: String { lines.path }
    /// Always ``ExportFormat/whatsapp``.
    public var format: ExportFormat { .whatsapp }
    /// What has been read so far.
    public private(set) var statistics = ExportStatistics()
    /// The day/month order in use.
    public private(set) var dateOrder: DateOrder

    private let lines: LineReader

    /// How many bytes of the input have been read so far.
    public var bytesRead: Int? { lines.input.bytesRead }
    private let options: ExportOptions
    /// The message being read: its header, first line, text, and its first line cut at the line limit
    /// (the message is then a failure, not routed on part of its text).
    /// `marked`: the text started with a left-to-right mark (iOS writes call entries so).
    private var pending: (header: WhatsAppLineParser.Header, line: Int, text: String, truncatedLine: Int?, marked: Bool)?
    private var finished = false
    /// The first non-blank line outside any message, for the error when no message header is recognised.
    private var firstUnrecognisedLine: Int?

    /// Opens a file, or standard input when `path` is `-`.
    public convenience init(path: String, options: ExportOptions = ExportOptions()) throws {
        var order = options.dateOrder
        if order == .auto, path != "-" {
            // Look ahead on a second handle: the first lines rarely settle it, later ones usually do.
            let probe = try LineReader(path: path, maxLineLength: 4096)
            var vote = WhatsAppLineParser.OrderVote()
            var count = 0
            while count < 5000, !vote.decided, let line = try probe.next() {
                if let header = WhatsAppLineParser.parse(TextCleaning.removingInvisibleMarks(line.string)) { vote.add(header) }
                count += 1
            }
            order = vote.order
        }
        try self.init(lines: LineReader(path: path, maxLineLength: options.limits.maxLineBytes), options: options, dateOrder: order)
    }

    /// Reads from a line reader; with `.auto` the order is decided from the first message.
    public init(lines: LineReader, options: ExportOptions = ExportOptions(), dateOrder: DateOrder? = nil) {
        self.lines = lines
        self.options = options
        self.dateOrder = dateOrder ?? options.dateOrder
    }

    /// Returns the next record, or nil at the end of the input.
    public func next() throws -> ExportRecord? {
        while !finished {
            guard let line = try lines.next() else {
                finished = true
                if let record = flush() { return record }
                if statistics.inputMessages == 0, let unrecognised = firstUnrecognisedLine {
                    // Text but not one message: most likely headers in a shape we do not know. Reading it as an
                    // empty chat would lose it without a word.
                    let record = ExportRecord.failure(SwitchboardError(
                        .malformedRecord, "no WhatsApp message found: line \(unrecognised) does not start with a date, time and sender the reader recognises",
                        location: SourceLocation(file: lines.path, line: unrecognised)))
                    statistics.count(record)
                    return record
                }
                return nil
            }
            let text = TextCleaning.removingInvisibleMarks(line.string)
            if let header = WhatsAppLineParser.parse(text) {
                if dateOrder == .auto {
                    var vote = WhatsAppLineParser.OrderVote()
                    vote.add(header)
                    dateOrder = vote.order
                }
                let previous = flush()
                if header.sender != nil {
                    let marked = Self.restStartsWithMark(line: line.string, rest: header.rest)
                    pending = (header, line.number, header.rest, line.isTruncated ? line.number : nil, marked)
                } else {
                    statistics.ignored += 1
                }
                if let previous { return previous }
            } else if pending != nil {
                if line.isTruncated, pending?.truncatedLine == nil { pending?.truncatedLine = line.number }
                pending?.text += "\n" + text
                if (pending?.text.utf8.count ?? 0) > options.limits.maxMessageBytes {
                    // Keep memory bounded: report the message and ignore the rest of it.
                    if let start = pending?.line {
                        pending = nil
                        let record = ExportRecord.failure(SwitchboardError(
                            .malformedRecord, "message longer than \(options.limits.maxMessageBytes) bytes",
                            location: SourceLocation(file: lines.path, line: start)))
                        statistics.count(record)
                        return record
                    }
                }
            } else {
                if firstUnrecognisedLine == nil, !TextCleaning.trimmed(text).isEmpty { firstUnrecognisedLine = line.number }
                statistics.ignored += 1
            }
        }
        return nil
    }

    /// Turns the pending message into a record, or counts it as skipped (then returns nil).
    private func flush() -> ExportRecord? {
        guard let (header, line, rawText, truncatedLine, marked) = pending else { return nil }
        pending = nil
        let location = SourceLocation(file: lines.path, line: line)
        let sender = header.sender ?? ""
        if Self.isEncryptionNotice(rawText) {
            // iOS attributes the encryption notice to the chat's name: it is still a system notice.
            statistics.ignored += 1
            return nil
        }
        if let company = options.companySender, sender.caseInsensitiveCompare(TextCleaning.trimmed(company)) == .orderedSame {
            statistics.skip(.companySender)
            return nil
        }
        if let truncatedLine {
            let record = ExportRecord.failure(SwitchboardError(
                .malformedRecord, "line \(truncatedLine) is longer than \(lines.maxLineLength) bytes", location: location))
            statistics.count(record)
            return record
        }
        let cleaned = Self.clean(rawText, startsWithMark: marked)
        switch cleaned {
        case .deleted:
            statistics.skip(.deleted)
            return nil
        case .mediaOnly:
            statistics.skip(.mediaOnly)
            return nil
        case .text(let text) where text.isEmpty:
            let record = ExportRecord.failure(SwitchboardError(.malformedRecord, "empty text", location: location))
            statistics.count(record)
            return record
        case .text(let text):
            let message = Message(
                text: text, timestamp: WhatsAppLineParser.date(of: header, order: dateOrder, timeZone: options.timeZone),
                sender: sender, channel: options.channel ?? "whatsapp", source: location)
            let record = ExportRecord.message(message)
            statistics.count(record)
            return record
        }
    }

    /// The end-to-end encryption notice WhatsApp puts at the top of every chat.
    static func isEncryptionNotice(_ text: String) -> Bool {
        let lower = TextCleaning.trimmed(TextCleaning.removingInvisibleMarks(text)).lowercased()
        return [
            "messages and calls are end-to-end encrypted", "messages to this chat and calls are now secured with end-to-end encryption",
            "les messages et les appels sont chiffrés de bout en bout", "los mensajes y las llamadas están cifrados de extremo a extremo",
        ].contains(where: lower.hasPrefix)
    }

    enum Cleaned: Equatable {
        case text(String)
        case mediaOnly
        case deleted
    }

    static let deletedNotices: Set<String> = [
        "this message was deleted", "you deleted this message", "ce message a été supprimé",
        "vous avez supprimé ce message", "este mensaje fue eliminado", "eliminaste este mensaje",
        "se eliminó este mensaje.", "diese nachricht wurde gelöscht.", "du hast diese nachricht gelöscht.",
    ]

    static let mediaMarkers: Set<String> = [
        "<media omitted>", "<médias omis>", "<medien ausgeschlossen>", "<multimedia omitido>", "<media weggelaten>",
        "<mídia oculta>", "<media omessi>", "image omitted", "video omitted", "audio omitted", "sticker omitted",
        "gif omitted", "document omitted", "contact card omitted", "image absente", "vidéo absente", "audio omis",
        "sticker omis", "gif retiré", "document omis", "null", "<view once voice message omitted>",
        // iOS in other languages.
        "carte de contact omise", "bild weggelassen", "video weggelassen", "audio weggelassen", "sticker weggelassen",
        "gif weggelassen", "dokument weggelassen", "kontaktkarte weggelassen", "imagen omitida", "video omitido",
        "audio omitido", "sticker omitido", "gif omitido", "documento omitido", "tarjeta de contacto omitida",
        "immagine omessa", "video omesso", "audio omesso", "sticker omesso", "gif omessa", "documento omesso",
        "imagem ocultada", "vídeo oculto", "áudio ocultado", "figurinha omitida", "documento ocultado",
        "afbeelding weggelaten", "video weggelaten", "audio weggelaten", "sticker weggelaten", "document weggelaten",
    ]

    /// iOS call entries ("Missed voice call", "Voice call, 12 min"): a call, not text.
    static let callEntries: Set<String> = [
        "missed voice call", "missed video call", "voice call", "video call", "missed group voice call", "missed group video call",
        "group voice call", "group video call", "appel vocal manqué", "appel vidéo manqué", "appel vocal", "appel vidéo",
        "appel vocal de groupe manqué", "appel vidéo de groupe manqué", "verpasster sprachanruf", "verpasster videoanruf",
        "sprachanruf", "videoanruf", "llamada perdida", "llamada de voz perdida", "videollamada perdida", "llamada de voz",
        "videollamada", "chiamata vocale persa", "videochiamata persa", "chiamata vocale", "videochiamata",
    ]

    /// What iOS writes after a call entry's comma besides a duration.
    static let callStatuses: Set<String> = [
        "no answer", "tap to call back", "click to call back", "answered on other device", "pas de réponse",
        "touchez pour rappeler", "appuyez pour rappeler", "keine antwort", "zum zurückrufen tippen", "sin respuesta",
        "toca para devolver la llamada", "nessuna risposta",
    ]

    /// Whether a whole message (lower case, marks removed) reads as an iOS call entry: a known call, alone or with
    /// a duration or status after a comma ("voice call, 12 min"); "Voice call, please ring me back" is text. Only
    /// trusted for a message that started with a left-to-right mark (see ``clean(_:startsWithMark:)``).
    static func isCallEntry(_ lower: String) -> Bool {
        if callEntries.contains(lower) { return true }
        guard let comma = lower.firstIndex(of: ","), callEntries.contains(String(lower[..<comma])) else { return false }
        let detail = TextCleaning.trimmed(String(lower[lower.index(after: comma)...]))
        if callStatuses.contains(detail) { return true }
        // A duration: "12 min", "1 hr", "45 sec", "1 h 5 min".
        return detail.count <= 20 && detail.first?.isNumber == true && !detail.contains { ",.;:!?".contains($0) }
    }

    static let editedMarkers = ["<this message was edited>", "<ce message a été modifié>", "<se editó este mensaje.>"]

    /// Whether a whole line is a media marker.
    static func isMediaMarker(_ line: String) -> Bool {
        let lower = line.lowercased()
        if mediaMarkers.contains(lower) { return true }
        if lower.hasPrefix("<attached:") && lower.hasSuffix(">") { return true }
        if lower.hasPrefix("<pièce jointe") && lower.hasSuffix(">") { return true }
        // iOS: "Claim form.pdf • 3 pages document omitted", "IMG-20261127-WA0001.jpg (file attached)"
        let kinds = ["image omitted", "video omitted", "audio omitted", "sticker omitted", "gif omitted", "document omitted",
                     "document omis", "dokument weggelassen", "documento omitido", "documento omesso"]
        // Only after a file's name or a page count: "voici le document omis" is a customer's sentence.
        if lower.count < 160, let kind = kinds.first(where: { lower.hasSuffix(" " + $0) }) {
            let head = lower.dropLast(kind.count + 1)
            if head.contains("•") || head.range(of: #"\.[a-z0-9]{2,4}$"#, options: .regularExpression) != nil { return true }
        }
        if lower.hasSuffix("(file attached)") || lower.hasSuffix("(fichier joint)") { return true }
        return false
    }

    /// Whether the message text of a header line (`rest`, parsed from `line` with its marks removed) starts with a
    /// left-to-right mark in the raw line: iOS writes its call entries so, customers do not.
    static func restStartsWithMark(line: String, rest: String) -> Bool {
        guard !rest.isEmpty else { return false }
        // Match `rest` against the end of the raw line, skipping the marks removed from it; the scalar just
        // before its first one tells. Linear in the line's length.
        let raw = Array(line.unicodeScalars)
        var index = raw.count
        for scalar in rest.unicodeScalars.reversed() {
            while index > 0, TextCleaning.isInvisibleMark(raw[index - 1]) { index -= 1 }
            guard index > 0, raw[index - 1] == scalar else { return false }
            index -= 1
        }
        return index > 0 && raw[index - 1] == "\u{200E}"
    }

    /// Removes media markers and edit notices; tells media-only (and call entries, when the text started with a
    /// left-to-right mark) and deleted messages apart.
    static func clean(_ raw: String, startsWithMark: Bool = false) -> Cleaned {
        var text = TextCleaning.trimmed(raw)
        let lower = text.lowercased()
        if deletedNotices.contains(lower) { return .deleted }
        // A call entry is the whole message and starts with iOS's mark; a line "Appel vocal" in a longer message,
        // or an unmarked "Voice call" a customer typed, is text.
        if startsWithMark, !lower.contains("\n"), isCallEntry(lower) { return .mediaOnly }
        for marker in editedMarkers where lower.hasSuffix(marker) {
            text = TextCleaning.trimmed(String(text.dropLast(marker.count)))
            break
        }
        var sawMedia = false
        let kept = text.split(separator: "\n", omittingEmptySubsequences: false).filter { line in
            let trimmed = TextCleaning.trimmed(String(line))
            if !trimmed.isEmpty, isMediaMarker(trimmed) {
                sawMedia = true
                return false
            }
            return true
        }
        let result = TextCleaning.trimmed(kept.joined(separator: "\n"))
        if result.isEmpty, sawMedia { return .mediaOnly }
        return .text(result)
    }
}
