import Foundation
import Testing
import Switchboard
@testable import SwitchboardCLI
import SwitchboardExports

private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
private let fixtures = root + "/Tests/SwitchboardExportsTests/Fixtures"

private func outputLines(_ path: String) throws -> [[String: Any]] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
        try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
}

/// Every input message gives exactly one output record: a decision or an error record.
@Test(arguments: [
    ("jsonl/messages.jsonl", [String]()),
    ("csv/french.csv", []),
    ("whatsapp/android.txt", []),
    ("mail/inbox.mbox", []),
    ("messenger/message_1.json", []),
    ("xml/tickets.xml", ["--xml-record", "ticket", "--xml-text", "body", "--xml-id", "id"]),
])
func batchWritesOneRecordPerMessage(fixture: String, extra: [String]) async throws {
    let output = NSTemporaryDirectory() + "batch-\(UUID().uuidString).jsonl"
    defer { try? FileManager.default.removeItem(atPath: output) }
    var command = try BatchCommand.parse(["--model", root + "/models/default.sbm", "--policy", root + "/models/policy.yaml",
                                          "--output", output, fixtures + "/" + fixture] + extra)
    try await command.run()
    let records = try outputLines(output)
    let decisions = records.filter { $0["queue"] != nil }
    let errors = records.filter { $0["error"] != nil }
    #expect(decisions.count + errors.count == records.count)
    #expect(!decisions.isEmpty)
    // Error codes are spelt as the HTTP API's (malformed_record, not malformedRecord).
    #expect(errors.allSatisfy { ($0["code"] as? String).map { $0 == $0.lowercased() } == true })
    // The same input read directly: one output record per message or failure (skipped media and company
    // replies are counted in the summary, not written).
    var options = ExportOptions()
    if !extra.isEmpty { options.xmlRecordElement = extra[1]; options.xmlTextElement = extra[3]; options.xmlIdElement = extra[5] }
    let reader = try ExportReaders.open(fixtures + "/" + fixture, options: options)
    let read = try reader.readAll()
    #expect(records.count == read.count)
    #expect(decisions.count == reader.statistics.messages)
    #expect(errors.count == reader.statistics.failures)
    #expect(records.allSatisfy { ($0["source"] as? String)?.contains(fixture.split(separator: "/").last.map(String.init) ?? "") == true })
    for record in decisions { #expect(record["text"] == nil, "text copied without --include-text") }
}

@Test func strictStopsAtTheFirstErrorWithExitCode1() async throws {
    let output = NSTemporaryDirectory() + "batch-\(UUID().uuidString).jsonl"
    defer { try? FileManager.default.removeItem(atPath: output) }
    var command = try BatchCommand.parse(["--model", root + "/models/default.sbm", "--strict", "--output", output, fixtures + "/jsonl/messages.jsonl"])
    await #expect(throws: (any Error).self) { try await command.run() }
    let records = try outputLines(output)
    #expect(records.last?["error"] != nil)
    #expect(records.filter { $0["error"] != nil }.count == 1)
}

/// `--strict --output` kept its partial file for every failure: an input that could not be opened replaced the
/// previous output with the records of the inputs before it. Only a stop at an error record keeps one now.
@Test func strictLeavesTheOutputAloneWhenAnInputCannotBeOpened() async throws {
    let output = NSTemporaryDirectory() + "batch-\(UUID().uuidString).jsonl"
    defer { try? FileManager.default.removeItem(atPath: output) }
    try Data("PREVIOUS\n".utf8).write(to: URL(fileURLWithPath: output))
    let good = NSTemporaryDirectory() + "batch-good-\(UUID().uuidString).jsonl"
    defer { try? FileManager.default.removeItem(atPath: good) }
    try Data(#"{"id":"1","text":"ma voiture a été emboutie ce matin"}"#.utf8 + [0x0A]).write(to: URL(fileURLWithPath: good))
    let command = try BatchCommand.parse(["--model", root + "/models/default.sbm", "--strict", "--output", output, good, good + ".missing"])
    await #expect(throws: (any Error).self) { try await command.run() }
    #expect(try String(contentsOfFile: output, encoding: .utf8) == "PREVIOUS\n")
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter { $0.hasPrefix((output as NSString).lastPathComponent) && $0.hasSuffix(".tmp") }
    #expect(leftovers.isEmpty)
}

/// SIGTERM (or Ctrl-C) during `batch --output` used to leave the temporary file of the output, megabytes of
/// it, beside the target. The input is a pipe left open, so the command is surely mid-run when signalled.
@Test func aSignalledBatchLeavesNoTemporaryFile() throws {
    let directory = NSTemporaryDirectory() + "batch-signal-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    func temporaries() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".tmp") }
    }
    let input = Pipe()
    let process = Process()
    process.executableURL = try ServeProcessTests.executable()
    process.arguments = ["batch", "--model", root + "/models/default.sbm", "--format", "jsonl", "--output", directory + "/out.jsonl", "-"]
    process.standardInput = input
    process.standardError = FileHandle.nullDevice
    try process.run()
    defer { try? input.fileHandleForWriting.close() }
    input.fileHandleForWriting.write(Data("{\"text\": \"ma voiture a été rayée\"}\n".utf8))
    let deadline = Date().addingTimeInterval(60)
    while temporaries().isEmpty && process.isRunning && Date() < deadline { usleep(20_000) }
    #expect(temporaries().count == 1, "the output's temporary file never appeared")
    usleep(200_000)  // let the command settle into waiting for input
    process.terminate()
    process.waitUntilExit()
    #expect(process.terminationReason == .exit)
    #expect(process.terminationStatus == 128 + SIGTERM)
    #expect(temporaries().isEmpty)
    #expect(!FileManager.default.fileExists(atPath: directory + "/out.jsonl"))
}

/// A pattern rule that runs out of time is reported in the batch summary, with the number of messages.
@Test func theSummaryWarnsOfPatternRulesThatRanOutOfTime() throws {
    let model = try ModelFile.read(from: root + "/models/default.sbm")
    let yaml = "queues:\n  claims:\n    labels: [claim]\nrules:\n  - name: backtracking\n    when:\n      pattern: '(a+)+$'\n    then: {priority: 1}\n"
    let engine = try RoutingEngine(model: model, policy: try RoutingPolicy.parse(yaml: yaml, labels: model.labels))
    var summary = BatchSummary()
    for text in ["sinistre " + String(repeating: "a", count: 5_000) + "!", "sinistre aaa", "bonjour"] { summary.add(engine.route(text)) }
    let report = summary.report(seconds: 1)
    #expect(report.contains("pattern rule 'backtracking' ran out of time on 1 message and did not fire"))
    #expect(report.components(separatedBy: "ran out of time").count == 2)
}

/// Error records spelt their codes in camelCase (`malformedRecord`) where the HTTP API writes snake_case.
@Test func errorRecordsSpellCodesAsTheHTTPAPI() {
    let line = BatchRecord.errorLine(SwitchboardError(.malformedRecord, "empty text", location: SourceLocation(file: "a.jsonl", line: 3)),
                                     format: .jsonl, includeText: false, explain: false)
    #expect(line.contains(#""code":"malformed_record""#), "\(line)")
    #expect(SwitchboardError.Code.invalidModel.snakeCased == "invalid_model" && SwitchboardError.Code.io.snakeCased == "io")
}

/// WhatsApp's system lines ("Marie added Paul") were in no count of the summary, which said they were among the
/// skipped: they are counted apart, as ignored.
@Test func theSummaryCountsIgnoredLines() {
    var summary = BatchSummary()
    summary.skipped = 1
    #expect(!summary.report(seconds: 1).contains("ignored"))
    summary.ignored = 1
    #expect(summary.report(seconds: 1).contains("and 1 line or entry that is not a message ignored"))
    summary.ignored = 2
    #expect(summary.report(seconds: 1).contains("and 2 lines or entries that are not messages ignored"))
}

/// `batch -o` naming the model or the policy replaced it with decisions, and `learn -o` naming the policy replaced
/// it with a model: both are refused before any work, and the files are left as they were.
@Test func anOutputNamingTheModelOrThePolicyIsRefused() async throws {
    let directory = NSTemporaryDirectory() + "batch-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let model = directory + "/m.sbm", policy = directory + "/p.yaml", corrections = directory + "/c.tsv"
    try FileManager.default.copyItem(atPath: root + "/models/default.sbm", toPath: model)
    try FileManager.default.copyItem(atPath: root + "/models/policy.yaml", toPath: policy)
    try "claim\tmy car was stolen\n".write(toFile: corrections, atomically: true, encoding: .utf8)
    let before = (try Data(contentsOf: URL(fileURLWithPath: model)), try Data(contentsOf: URL(fileURLWithPath: policy)))
    for output in [model, policy] {
        var batch = try BatchCommand.parse(["--model", model, "--policy", policy, "--output", output, fixtures + "/jsonl/messages.jsonl"])
        await #expect(throws: SwitchboardError.self) { try await batch.run() }
    }
    var learn = try LearnCommand.parse(["--model", model, "--policy", policy, "--output", policy, corrections])
    await #expect(throws: SwitchboardError.self) { try await learn.run() }
    #expect(try Data(contentsOf: URL(fileURLWithPath: model)) == before.0)
    #expect(try Data(contentsOf: URL(fileURLWithPath: policy)) == before.1)
}

/// An id column or field asked for and found in no message is named in a warning (it was ignored in silence);
/// the default `id` missing is not.
@Test func anIDColumnFoundNowhereIsWarnedAbout() {
    #expect(BatchCommand.missingIDWarning(idColumn: "msgid", idField: "id", messagesWithID: 0, messages: 3)?.contains("column 'msgid'") == true)
    #expect(BatchCommand.missingIDWarning(idColumn: nil, idField: "meta.ref", messagesWithID: 0, messages: 3)?.contains("field 'meta.ref'") == true)
    #expect(BatchCommand.missingIDWarning(idColumn: nil, idField: "id", messagesWithID: 0, messages: 3) == nil)
    #expect(BatchCommand.missingIDWarning(idColumn: "msgid", idField: "id", messagesWithID: 1, messages: 3) == nil)
}
