import Foundation
import Testing
import Switchboard
@testable import SwitchboardExports

@Suite struct CSVExportReaderTests {
    @Test func readsFrenchExcelCSV() throws {
        let reader = try CSVExportReader(path: fixture("csv/french.csv"))
        #expect(reader.header == ["id", "text", "channel", "timestamp"])
        let (messages, failures, statistics) = try drain(reader)
        #expect(messages.map(\.id) == ["1", "2", "5"])
        #expect(messages[1].text == "Ligne un\r\nligne deux avec \"guillemets\" et ; point-virgule")
        #expect(messages[1].source?.line == 3)
        #expect(messages[0].channel == "email")
        #expect(messages[0].timestamp != nil)
        #expect(messages[2].text == "Résiliation demandée")
        // Line 5 has too many fields; line 8 (id 4) has an empty text.
        #expect(failures.map { $0.location?.line } == [5, 7])
        #expect(failures[0].message.contains("expected 4 fields, found 5"))
        #expect(failures[1].message.contains("empty text"))
        #expect(statistics.ignored == 1)  // the blank line
    }

    @Test func countsAddUpForEveryRecord() throws {
        var tsvOptions = ExportOptions()
        tsvOptions.textField = "message"
        for (name, format, options) in [("csv/french.csv", ExportFormat.csv, ExportOptions()), ("csv/tickets.tsv", .tsv, tsvOptions)] {
            let path = fixture(name)
            // Count records independently: lines that start a record begin with an id (digit or T).
            let starts = try String(contentsOfFile: path, encoding: .isoLatin1)
                .split(whereSeparator: \.isNewline).dropFirst()
                .filter { $0.first == "T" || $0.first?.isNumber == true }.count
            let (messages, failures, statistics) = try drain(try CSVExportReader(path: path, format: format, options: options))
            #expect(messages.count + failures.count == starts, "\(name)")
            #expect(statistics.inputMessages == starts)
        }
    }

    @Test func readsTSVWithOtherColumnNamesAndRepairsUTF8() throws {
        var options = ExportOptions()
        options.textField = "message"
        options.idField = "ticket_id"
        let (messages, failures, _) = try drain(try CSVExportReader(path: fixture("csv/tickets.tsv"), format: .tsv, options: options))
        #expect(messages.map(\.id) == ["T1", "T2", "T4"])
        #expect(messages.first?.sender == "Bob")
        #expect(messages[1].text == "Two\nlines")
        #expect(messages[2].text.contains("\u{FFFD}"))
        #expect(failures.count == 1)
        #expect(failures.first?.location?.line == 5)
    }

    @Test func reportsUnterminatedQuote() throws {
        let (messages, failures, _) = try drain(try CSVExportReader(path: fixture("csv/unterminated.csv")))
        #expect(messages.map(\.text) == ["fine"])
        #expect(failures.first?.message.contains("never closed: lines 3 to 4 were read as this one record") == true)
        #expect(failures.first?.location?.line == 3)
    }

    @Test func missingTextColumnIsReportedUpFront() throws {
        var options = ExportOptions()
        options.textField = "body"
        #expect(throws: SwitchboardError.self) { try CSVExportReader(path: fixture("csv/french.csv"), options: options) }
    }

    @Test func aTextColumnNamedTwiceIsRefused() throws {
        let path = try temporaryFile("twice.csv", Array("id,text,Text\n1,bonjour,hello\n".utf8))
        let error = try #require(throws: SwitchboardError.self) { try CSVExportReader(path: path) }
        #expect(error.message.contains("twice"))
        #expect(error.location?.line == 1)
    }

    /// A file that is not a CSV export has a message for its "header": the error used to quote it, IBAN and all.
    @Test func missingTextColumnErrorDoesNotQuoteTheLine() throws {
        let path = try temporaryFile("whatsapp.csv", Array("27/11/2026, 21:14 - Zoé: Mon IBAN est FR7630006000011234567890189\n".utf8))
        let error = try #require(throws: SwitchboardError.self) { try CSVExportReader(path: path) }
        #expect(error.location?.line == 1)
        #expect(error.message.contains("'text'"))
        for fragment in ["IBAN", "FR76", "Zoé", "21:14"] { #expect(!error.description.contains(fragment), "\(error)") }
    }
}
