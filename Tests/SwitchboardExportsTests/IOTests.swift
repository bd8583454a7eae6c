import Foundation
import Testing
import Switchboard

@Suite struct LineReaderTests {
    @Test func readsLinesWithNumbersAcrossLineEndings() throws {
        let bytes = Array("\u{FEFF}first\r\nsecond\n\nfourth without newline".utf8)
        let reader = LineReader(bytes: bytes)
        var lines: [Line] = []
        while let line = try reader.next() { lines.append(line) }
        #expect(lines.map(\.string) == ["first", "second", "", "fourth without newline"])
        #expect(lines.map(\.number) == [1, 2, 3, 4])
    }

    @Test func readsAFileThroughATinyBuffer() throws {
        var text = ""
        for index in 1...500 { text += String(repeating: "x", count: index % 37) + "\(index)\n" }
        let path = try temporaryFile("lines.txt", Array(text.utf8))
        let reader = LineReader(input: try ByteInput(path: path, chunkSize: 16))
        var count = 0
        while let line = try reader.next() {
            count += 1
            #expect(line.string.hasSuffix("\(count)"))
            #expect(line.number == count)
        }
        #expect(count == 500)
    }

    @Test func cutsOverlongLinesAndGoesOn() throws {
        let bytes = Array((String(repeating: "a", count: 100) + "\nshort\n").utf8)
        let path = try temporaryFile("long.txt", bytes)
        let reader = LineReader(input: try ByteInput(path: path, chunkSize: 16), maxLineLength: 40)
        let first = try #require(try reader.next())
        #expect(first.isTruncated)
        #expect(first.bytes.count == 40)
        let second = try #require(try reader.next())
        #expect(second.string == "short")
        #expect(second.number == 2)
        #expect(try reader.next() == nil)
    }

    @Test("a line of exactly the limit is whole, whatever the buffer's size; one byte more is cut")
    func aLineOfExactlyTheLimitIsWhole() throws {
        let bytes = Array((String(repeating: "a", count: 40) + "\n" + String(repeating: "b", count: 41) + "\n" + String(repeating: "c", count: 40)).utf8)
        let path = try temporaryFile("limit.txt", bytes)
        for chunk in [16, 20, 40, 41, 64] {
            let reader = LineReader(input: try ByteInput(path: path, chunkSize: chunk), maxLineLength: 40)
            let exact = try #require(try reader.next())
            #expect(!exact.isTruncated && exact.bytes.count == 40, "chunk \(chunk)")
            let over = try #require(try reader.next())
            #expect(over.isTruncated && over.bytes.count == 40, "chunk \(chunk)")
            let last = try #require(try reader.next())
            #expect(!last.isTruncated && last.string == String(repeating: "c", count: 40) && last.number == 3, "chunk \(chunk)")
            #expect(try reader.next() == nil)
        }
    }

    @Test("a CRLF line of exactly the limit is whole, even when a read ends on its \\r, or the file does")
    func aCRLFLineOfExactlyTheLimitIsWhole() throws {
        let line = String(repeating: "a", count: 40)
        for text in [line + "\r\n" + line + "\r", line + "\r\nb"] {
            let path = try temporaryFile("crlf.txt", Array(text.utf8))
            for chunk in [16, 20, 41, 42, 64] {
                let reader = LineReader(input: try ByteInput(path: path, chunkSize: chunk), maxLineLength: 40)
                let first = try #require(try reader.next())
                #expect(!first.isTruncated && first.bytes.count == 40, "chunk \(chunk)")
                let second = try #require(try reader.next())
                #expect(!second.isTruncated, "chunk \(chunk)")
                #expect(try reader.next() == nil)
            }
        }
    }

    @Test func missingFileIsAnIOError() {
        #expect(throws: SwitchboardError.self) { try LineReader(path: "/nonexistent/file.jsonl") }
    }
}

@Suite struct CSVReaderTests {
    @Test("a quote never closed in the header is named as such, not as a missing column")
    func unclosedQuoteInTheHeader() throws {
        let text = "id,\"text\n1,bonjour\n2,au revoir\n"
        #expect {
            _ = try CSVReader(bytes: Array(text.utf8), name: "inbox.csv")
        } throws: { error in
            guard let error = error as? SwitchboardError else { return false }
            return error.location?.file == "inbox.csv" && error.location?.line == 1 && error.message.contains("header line")
                && error.message.contains("never closed")
        }
        #expect(try CSVReader(bytes: Array("id,text\n1,bonjour\n".utf8)).header == ["id", "text"])
    }

    @Test func parsesQuotedMultilineFieldsAndReportsStartLines() throws {
        let text = "a,b\r\n1,\"x, \"\"y\"\"\r\nz\"\r\n2,plain\r\n"
        let reader = try CSVReader(bytes: Array(text.utf8))
        #expect(reader.header == ["a", "b"])
        let first = try #require(try reader.next())
        #expect(first.fields == ["1", "x, \"y\"\r\nz"])
        #expect(first.line == 2)
        let second = try #require(try reader.next())
        #expect(second.fields == ["2", "plain"])
        #expect(second.line == 4)
        #expect(try reader.next() == nil)
    }

    @Test(arguments: [("a;b;c\n1;2;3\n", UInt8(ascii: ";")), ("a\tb\n1\t2\n", 0x09), ("a,b\n1,2\n", UInt8(ascii: ",")), ("\"x;y\",b\n", UInt8(ascii: ","))])
    func detectsTheDelimiterFromTheHeader(text: String, expected: UInt8) throws {
        let reader = try CSVReader(bytes: Array(text.utf8))
        #expect(reader.delimiter == expected)
    }

    @Test func flagsUnterminatedQuotes() throws {
        let reader = try CSVReader(bytes: Array("a,b\n1,\"open\n2,x\n".utf8))
        let record = try #require(try reader.next())
        #expect(record.problem == .unterminatedQuote)
    }

    @Test func boundsRecordLength() throws {
        let text = "a,b\n1," + String(repeating: "z", count: 1000) + "\n2,ok\n"
        let reader = try CSVReader(bytes: Array(text.utf8), maxRecordLength: 100)
        let long = try #require(try reader.next())
        #expect(long.problem == .tooLong(limit: 100))
        let next = try #require(try reader.next())
        #expect(next.fields == ["2", "ok"])
        #expect(next.line == 3)
    }
}
