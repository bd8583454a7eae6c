import Foundation
import Testing
import Switchboard
@testable import SwitchboardExports

@Suite struct WhatsAppReaderTests {
    /// Lines that start a message or notice: a date at the start, after optional marks and `[`.
    func headerLines(_ path: String) throws -> (messages: Int, notices: Int) {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var messages = 0, notices = 0
        for line in text.split(whereSeparator: \.isNewline) {
            let stripped = line.unicodeScalars.filter { $0 != "\u{200E}" }
            let string = String(String.UnicodeScalarView(stripped))
            guard string.first == "[" || string.first?.isNumber == true, string.contains("/") else { continue }
            let afterHeader = string.split(separator: string.first == "[" ? "]" : "-", maxSplits: 1).last ?? ""
            let isNotice = string.contains("end-to-end encrypted") || !(afterHeader.contains(": ") || afterHeader.hasSuffix(":"))
            if isNotice { notices += 1 } else { messages += 1 }
        }
        return (messages, notices)
    }

    @Test func androidExportCountsAddUp() throws {
        let path = fixture("whatsapp/android.txt")
        var options = ExportOptions()
        options.companySender = "Assurance Léa"
        let (messages, failures, statistics) = try drain(try WhatsAppReader(path: path, options: options))
        let expected = try headerLines(path)
        #expect(messages.count + failures.count + statistics.skippedTotal == expected.messages)
        #expect(statistics.ignored == expected.notices)
        #expect(statistics.skipped[.mediaOnly] == 2)
        #expect(statistics.skipped[.deleted] == 1)
        #expect(statistics.skipped[.companySender] == 1)
        #expect(failures.count == 1)  // "Zoé Martin: " with nothing after it
        #expect(failures.first?.message == "empty text")
    }

    @Test func androidMessagesAreParsed() throws {
        let (messages, _, _) = try drain(try WhatsAppReader(path: fixture("whatsapp/android.txt")))
        let first = try #require(messages.first)
        #expect(first.text == "Bonjour, j'ai eu un accident ce soir")
        #expect(first.sender == "Zoé Martin")
        #expect(first.channel == "whatsapp")
        #expect(first.source?.line == 4)
        let expected = CivilTime.epochSeconds(year: 2026, month: 11, day: 27, hour: 21, minute: 14)
        #expect(first.timestamp == Date(timeIntervalSince1970: TimeInterval(expected)))
        let multiline = try #require(messages.dropFirst().first)
        #expect(multiline.text == "Voici les détails :\n- rue de la Paix\n- vers 21h")
        #expect(messages.last?.text == "Le numéro de contrat est 12345")
        // Without companySender the company's reply is a message.
        #expect(messages.contains { $0.sender == "Assurance Léa" })
    }

    @Test func iosUSExportWithMarksAndAmPm() throws {
        let path = fixture("whatsapp/ios_us.txt")
        var options = ExportOptions()
        options.companySender = "Claims Desk"
        let reader = try WhatsAppReader(path: path, options: options)
        let (messages, failures, statistics) = try drain(reader)
        #expect(reader.dateOrder == .monthFirst)
        let expected = try headerLines(path)
        #expect(messages.count + failures.count + statistics.skippedTotal == expected.messages)
        #expect(statistics.skipped[.mediaOnly] == 3)
        #expect(statistics.skipped[.companySender] == 1)
        #expect(statistics.ignored == expected.notices)
        #expect(failures.isEmpty)
        #expect(messages.map(\.text) == ["Hi, my basement flooded\nThe water is 10 cm deep", "Thanks, when will they come?"])
        #expect(messages.allSatisfy { !$0.text.unicodeScalars.contains("\u{200E}") })
        let pm = CivilTime.epochSeconds(year: 2026, month: 11, day: 27, hour: 21, minute: 14, second: 5)
        #expect(messages[0].timestamp == Date(timeIntervalSince1970: TimeInterval(pm)))
        let am = CivilTime.epochSeconds(year: 2026, month: 11, day: 28, hour: 10, minute: 2)
        #expect(messages[1].timestamp == Date(timeIntervalSince1970: TimeInterval(am)))
    }

    @Test(arguments: [
        "27/11/2026, 21:14 - Zoé: salut",
        "[27/11/2026, 21:14:05] Zoé: salut",
        "11/27/26, 9:14 PM - Zoé: salut",
        "[11/27/26, 9:14:05\u{202F}pm] Zoé: salut",
        "27.11.26, 21:14 - Zoé: salut",
        "[27/11/2026 21:14:05] Zoé: salut",
        "27/11/2026 à 21:14 - Zoé: salut",
        "27/11/2026 a\u{300} 21:14 - Zoé: salut",
        "[27.11.2026 klo 21.14.05] Zoé: salut",
        "27/11/2026 às 21:14 - Zoé: salut",
        "27/11/26 a las 21:14 - Zoé: salut",
        "[27.11.26 um 21:14:05] Zoé: salut",
        "27/11/26, alle 21:14 - Zoé: salut",
    ])
    func parsesHeaderShapes(line: String) throws {
        let header = try #require(WhatsAppLineParser.parse(line))
        #expect(header.sender == "Zoé")
        #expect(header.rest == "salut")
        #expect(header.minute == 14)
    }

    @Test("French Android (`à`) and Finnish iOS (`klo`, dotted time) exports are detected and read")
    func localeWordBetweenDateAndTime() throws {
        let french = try temporaryFile("fr.txt", Array("27/11/2026 à 21:14 - Zoé Martin: Bonjour, j'ai eu un accident\n27/11/2026 à 21:15 - Zoé Martin: ma voiture est détruite\n".utf8))
        #expect(try ExportReaders.detectFormat(french) == .whatsapp)
        let (messages, failures, _) = try drain(try ExportReaders.open(french))
        #expect(failures.isEmpty)
        #expect(messages.map(\.sender) == ["Zoé Martin", "Zoé Martin"])
        let paris = CivilTime.epochSeconds(year: 2026, month: 11, day: 27, hour: 21, minute: 15)
        #expect(messages.last?.timestamp == Date(timeIntervalSince1970: TimeInterval(paris)))
        let finnish = try temporaryFile("fi.txt", Array("[12.3.2022 klo 14.08.18] Matias: Auto varastettiin\n".utf8))
        #expect(try ExportReaders.detectFormat(finnish) == .whatsapp)
        let read = try drain(try WhatsAppReader(path: finnish))
        let helsinki = CivilTime.epochSeconds(year: 2022, month: 3, day: 12, hour: 14, minute: 8, second: 18)
        #expect(read.messages.first?.timestamp == Date(timeIntervalSince1970: TimeInterval(helsinki)))
        #expect(read.messages.first?.text == "Auto varastettiin")
    }

    @Test("a file with text but no header recognised is one failure at its first unrecognised line, without its text")
    func noHeaderRecognisedIsAFailure() throws {
        let path = try temporaryFile("chat.txt", Array("\n2026年11月27日 21:14 - 陈: 我的车被偷了\n2026年11月27日 21:15 - 陈: 你好\n".utf8))
        let (messages, failures, statistics) = try drain(try WhatsAppReader(path: path))
        #expect(messages.isEmpty)
        #expect(failures.count == 1)
        #expect(failures.first?.location?.file == path)
        #expect(failures.first?.location?.line == 2)
        #expect(failures.first?.message.contains("我的车") == false)
        #expect(statistics.inputMessages == 1)
        // A chat with messages keeps its unrecognised lines as ignored, as before.
        let mixed = try temporaryFile("mixed.txt", Array("preamble\n27/11/2026, 21:14 - Zoé: salut\n".utf8))
        let read = try drain(try WhatsAppReader(path: mixed))
        #expect(read.failures.isEmpty)
        #expect(read.messages.count == 1)
        // An empty chat is still nothing.
        #expect(try drain(try WhatsAppReader(path: try temporaryFile("empty.txt", Array("\n\n".utf8)))).failures.isEmpty)
    }

    @Test("a message with a line cut at the line limit is a failure, not routed on part of its text")
    func overlongLineIsAFailure() throws {
        let long = String(repeating: "x", count: 200)
        let chat = "27/11/2026, 21:14 - Zoé: \(long)\n27/11/2026, 21:15 - Zoé: court\n27/11/2026, 21:16 - Zoé: début\n\(long)\n27/11/2026, 21:17 - Zoé: fin\n"
        let reader = WhatsAppReader(lines: LineReader(bytes: Array(chat.utf8), name: "chat.txt", maxLineLength: 100))
        let (messages, failures, statistics) = try drain(reader)
        #expect(messages.map(\.text) == ["court", "fin"])
        #expect(failures.map { $0.location?.line } == [1, 3])
        #expect(failures.map(\.message) == ["line 1 is longer than 100 bytes", "line 4 is longer than 100 bytes"])
        #expect(statistics.inputMessages == 4)
    }

    @Test("iOS call entries and media markers in other languages are skipped as media-only, not routed")
    func callEntriesAndLocalisedMediaAreSkipped() throws {
        let entries = ["Missed voice call", "Voice call, \u{200E}12 min", "Missed video call", "Appel vocal manqué", "Appel vidéo manqué",
                       "Video call, No answer", "Bild weggelassen", "image absente", "imagen omitida",
                       "Schadensformular.pdf • 3 Seiten Dokument weggelassen"]
        var chat = "[27/11/2026, 21:14:05] Zoé: Bonjour\n"
        for (minute, entry) in entries.enumerated() { chat += "\u{200E}[27/11/2026, 21:\(20 + minute):05] Zoé: \u{200E}\(entry)\n" }
        chat += "[27/11/2026, 21:40:05] Zoé: Voice call, please ring me back at 5\n"
        let (messages, failures, statistics) = try drain(WhatsAppReader(lines: LineReader(bytes: Array(chat.utf8), name: "chat.txt")))
        #expect(messages.map(\.text) == ["Bonjour", "Voice call, please ring me back at 5"])
        #expect(failures.isEmpty)
        #expect(statistics.skipped[.mediaOnly] == entries.count)
    }

    @Test("typed messages that read like call entries are routed: iOS marks its call entries, and a call is a whole message")
    func typedCallWordsAreMessages() throws {
        let typed = ["Voice call", "Appel vidéo, 14h demain", "video call, 10am tomorrow", "Préférence de contact :\nAppel vocal"]
        var chat = ""
        for (minute, text) in typed.enumerated() { chat += "[27/11/2026, 21:\(10 + minute):05] Client: \(text)\n" }
        // iOS's own entries, with the mark before the text (and the whole line marked, as iOS also does).
        chat += "[27/11/2026, 21:20:05] Client: \u{200E}Missed voice call\n\u{200E}[27/11/2026, 21:21:05] Client: \u{200E}Voice call, \u{200E}12 min\n"
        let (messages, failures, statistics) = try drain(WhatsAppReader(lines: LineReader(bytes: Array(chat.utf8), name: "chat.txt")))
        #expect(messages.map(\.text) == typed)
        #expect(failures.isEmpty)
        #expect(statistics.skipped[.mediaOnly] == 2)
    }

    @Test func timeZoneOptionShiftsTimestamps() throws {
        var options = ExportOptions()
        options.timeZone = try #require(TimeZone(identifier: "Europe/Paris"))
        let (messages, _, _) = try drain(try WhatsAppReader(path: fixture("whatsapp/android.txt"), options: options))
        let utc = CivilTime.epochSeconds(year: 2026, month: 11, day: 27, hour: 20, minute: 14)
        #expect(messages.first?.timestamp == Date(timeIntervalSince1970: TimeInterval(utc)))
    }

    @Test func notAHeader() {
        #expect(WhatsAppLineParser.parse("- rue de la Paix") == nil)
        #expect(WhatsAppLineParser.parse("12 euros were paid") == nil)
    }

    /// "… document omis" is a media marker only after a file's name or a page count: a customer's sentence that
    /// ends so was deleted.
    @Test func documentMarkersNeedAFileName() {
        #expect(WhatsAppReader.isMediaMarker("Attestation.pdf • 2 pages document omis"))
        #expect(WhatsAppReader.isMediaMarker("Constat.jpg document omis"))
        #expect(!WhatsAppReader.isMediaMarker("Voici le document omis"))
        #expect(!WhatsAppReader.isMediaMarker("I sent it but the document omitted"))
    }
}
