import Foundation
import Testing
import Switchboard
@testable import SwitchboardExports

@Suite struct JSONLinesReaderTests {
    @Test func everyNonBlankLineYieldsOneRecord() throws {
        let path = fixture("jsonl/messages.jsonl")
        let nonBlank = try String(contentsOfFile: path, encoding: .isoLatin1)
            .split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.count
        let (messages, failures, statistics) = try drain(try JSONLinesReader(path: path))
        #expect(messages.count + failures.count == nonBlank)
        #expect(statistics.inputMessages == nonBlank)
        #expect(statistics.ignored == 2)
        // Failures point at their own line, and every line number is distinct.
        let lines = (messages.compactMap { $0.source?.line } + failures.compactMap { $0.location?.line })
        #expect(Set(lines).count == nonBlank)
        #expect(failures.allSatisfy { $0.code == .malformedRecord && $0.location?.file == path })
    }

    /// A byte-order mark at the start of a line in the middle of a file (files joined with `cat`) is skipped, as
    /// `train` skips it: the line was an error record.
    @Test func aByteOrderMarkInsideTheFileIsSkipped() throws {
        let path = NSTemporaryDirectory() + "bom-\(UUID().uuidString).jsonl"
        defer { try? FileManager.default.removeItem(atPath: path) }
        var data = Data("{\"text\": \"premier\"}\n".utf8)
        data.append(contentsOf: Array(repeating: [UInt8]([0xEF, 0xBB, 0xBF]), count: 20_000).flatMap { $0 })
        data.append(Data("{\"text\": \"second\"}\n".utf8))
        try data.write(to: URL(fileURLWithPath: path))
        let (messages, failures, _) = try drain(try JSONLinesReader(path: path))
        #expect(failures.isEmpty)
        #expect(messages.map(\.text) == ["premier", "second"])
    }

    @Test func decodesEscapesIdsAndTimestamps() throws {
        let (messages, _, _) = try drain(try JSONLinesReader(path: fixture("jsonl/messages.jsonl")))
        let first = try #require(messages.first)
        #expect(first.text == "Bonjour, je voudrais déclarer un sinistre")
        #expect(first.id == "101")
        #expect(first.channel == "messenger")
        #expect(first.source?.line == 1)
        // 21:14:05 at +01:00 is 20:14:05 UTC.
        let expected = CivilTime.epochSeconds(year: 2026, month: 11, day: 27, hour: 20, minute: 14, second: 5)
        #expect(first.timestamp == Date(timeIntervalSince1970: TimeInterval(expected)))
        let second = try #require(messages.dropFirst().first)
        #expect(second.text.hasSuffix("\u{1F697}"))
        #expect(second.sender == "Jane")
        #expect(second.timestamp == Date(timeIntervalSince1970: 1_795_900_000))
        let last = try #require(messages.last)
        #expect(last.timestamp == Date(timeIntervalSince1970: 1_795_900_000.123))
    }

    @Test func repairsInvalidUTF8() throws {
        let (messages, _, _) = try drain(try JSONLinesReader(path: fixture("jsonl/messages.jsonl")))
        let repaired = try #require(messages.first { $0.id == "108" })
        #expect(repaired.text.contains("\u{FFFD}"))
        #expect(repaired.text.hasSuffix("end"))
    }

    @Test func explainsEachBadLine() throws {
        let (_, failures, _) = try drain(try JSONLinesReader(path: fixture("jsonl/messages.jsonl")))
        func failure(at line: Int) -> String? { failures.first { $0.location?.line == line }?.message }
        #expect(failure(at: 4)?.contains("invalid JSON") == true)
        #expect(failure(at: 5)?.contains("expected a JSON object") == true)
        #expect(failure(at: 6)?.contains("missing text field") == true)
        #expect(failure(at: 7)?.contains("empty text") == true)
        #expect(failure(at: 8)?.contains("not a string") == true)
        #expect(failure(at: 11)?.contains("invalid JSON") == true)
    }

    /// The parser's reason was both in the message and in the cause, so it printed twice.
    @Test func syntaxErrorsSayTheirReasonOnce() throws {
        let (_, failures, _) = try drain(try JSONLinesReader(path: fixture("jsonl/messages.jsonl")))
        let failure = try #require(failures.first { $0.location?.line == 4 })
        let reason = try #require(failure.message.components(separatedBy: "invalid JSON: ").last)
        #expect(!reason.isEmpty)
        #expect(failure.description.components(separatedBy: reason).count == 2, "\(failure)")
    }

    @Test func followsDottedPaths() throws {
        var options = ExportOptions()
        options.textField = "message.body"
        options.idField = "ref"
        let (messages, failures, statistics) = try drain(try JSONLinesReader(path: fixture("jsonl/nested.ndjson"), options: options))
        #expect(messages.map(\.id) == ["T-1", "T-2"])
        #expect(messages.map(\.text) == ["Where is my claim?", "Résiliation de mon contrat"])
        #expect(failures.count == 1)
        #expect(failures.first?.location?.line == 3)
        #expect(statistics.inputMessages == 3)
    }

    @Test func selectorValidatesSkippedValues() throws {
        let selector = JSONFieldSelector(paths: ["text"])
        for invalid in [#"{"other": [1, 2,,], "text": "x"}"#, #"{"other": [1 2], "text": "x"}"#, #"{"other": {,}, "text": "x"}"#] {
            let bad = Array(invalid.utf8)
            #expect(throws: JSONSyntaxError.self, "\(invalid)") { _ = try bad.withUnsafeBufferPointer { try selector.select($0, maxDepth: 64) } }
        }
        let deep = Array(("{\"a\":" + String(repeating: "[", count: 500) + String(repeating: "]", count: 500) + ",\"text\":\"x\"}").utf8)
        #expect(throws: JSONSyntaxError.self) { _ = try deep.withUnsafeBufferPointer { try selector.select($0, maxDepth: 64) } }
    }

    /// A trailing comma is accepted, in the values read and in those skipped, as `train` and `serve` accept it:
    /// the same line was a message for one command and an error record for `batch`.
    /// A record that gives a read field twice is an error record naming the field, not a silent choice of one; a
    /// field not read may repeat.
    @Test func aFieldGivenTwiceIsAnErrorRecord() throws {
        let path = NSTemporaryDirectory() + "twice-\(UUID().uuidString).jsonl"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let lines = [
            #"{"text": "résilier mon contrat", "text": "merci pour tout"}"#,
            #"{"message": {"body": "a"}, "message": {"body": "b"}, "text": "x"}"#,
            #"{"text": "bonjour", "tag": 1, "tag": 2}"#,
        ]
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
        let (messages, failures, statistics) = try drain(try JSONLinesReader(path: path))
        // Line 2 repeats "message", which these options do not read.
        #expect(messages.map(\.text) == ["x", "bonjour"])
        #expect(failures.count == 1)
        #expect(failures.first?.code == .malformedRecord)
        #expect(failures.first?.location?.line == 1)
        #expect(failures.first?.message.contains("'text' appears more than once") == true, "\(failures)")
        #expect(failures.first.map { !"\($0)".contains("merci") && !"\($0)".contains("résilier") } == true)
        #expect(statistics.inputMessages == 3)
        var nested = ExportOptions()
        nested.textField = "message.body"
        let (_, nestedFailures, _) = try drain(try JSONLinesReader(path: path, options: nested))
        #expect(nestedFailures.contains { $0.location?.line == 2 && $0.message.contains("'message.body' appears more than once") })
    }

    @Test func trailingCommasAreAcceptedAsTheOtherCommandsAcceptThem() throws {
        let lines = [
            #"{"id": "1", "text": "accident de voiture",}"#,
            #"{"id": "2", "text": "ma facture", "tags": ["a", "b",], "meta": {"x": 1,},}"#,
            #"{"id": "3", "text": "x",,}"#,
            #"[,]"#,
        ]
        let path = try temporaryFile("trailing.jsonl", Array(lines.joined(separator: "\n").utf8))
        let (messages, failures, statistics) = try drain(try JSONLinesReader(path: path))
        #expect(messages.map(\.id) == ["1", "2"])
        #expect(failures.map { $0.location?.line } == [3, 4])
        #expect(statistics.inputMessages == 4)
    }

    @Test func streamsManyLinesQuickly() throws {
        var text = ""
        let count = 20_000
        for index in 0..<count { text += #"{"id": \#(index), "text": "message number \#(index) about my claim", "meta": {"a": [1, 2, 3]}}"# + "\n" }
        let path = try temporaryFile("many.jsonl", Array(text.utf8))
        let start = Date()
        let (messages, failures, _) = try drain(try JSONLinesReader(path: path))
        #expect(messages.count == count)
        #expect(failures.isEmpty)
        #expect(messages.last?.id == "\(count - 1)")
        // Even a debug build reads 20,000 lines in well under the time limit.
        #expect(Date().timeIntervalSince(start) < 20)
    }
}
