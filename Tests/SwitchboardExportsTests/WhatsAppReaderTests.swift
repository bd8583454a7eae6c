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
    ])
    func parsesHeaderShapes(line: String) throws {
        let header = try #require(WhatsAppLineParser.parse(line))
        #expect(header.sender == "Zoé")
        #expect(header.rest == "salut")
        #expect(header.minute == 14)
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
}
