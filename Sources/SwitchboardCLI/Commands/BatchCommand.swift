import ArgumentParser
import Foundation
import Switchboard
import SwitchboardExports

extension ExportFormat: ExpressibleByArgument {}

/// `switchboard batch`: routes every message of exports (JSONL, CSV, Messenger, WhatsApp, e-mail, XML, HTML).
struct BatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Route every message of inbox exports; one output record (or error record) per input message, in order.",
        discussion: "Formats: jsonl, csv, tsv, messenger-json, messenger-html, whatsapp, mbox, eml, xml, html (auto: by extension and content)."
    )

    enum OutputFormat: String, ExpressibleByArgument { case jsonl, csv }

    @Option(name: .shortAndLong, help: "The model file.")
    var model: String

    @Option(name: .shortAndLong, help: "The routing policy (YAML).")
    var policy: String?

    @Argument(help: "Export files or directories (.eml folders); - for standard input with an explicit --format.")
    var inputs: [String]

    @Option(help: "Input format (default: auto).")
    var format: ExportFormat = .auto

    @Option(name: .shortAndLong, help: "Write the records here (atomically) instead of standard output.")
    var output: String?

    @Option(help: "Output format: jsonl or csv.")
    var outputFormat: OutputFormat = .jsonl

    @Option(help: "JSONL: dotted path of the text field.")
    var textField = "text"

    @Option(help: "JSONL: dotted path of the id field.")
    var idField = "id"

    @Option(help: "CSV/TSV: the text column.")
    var textColumn: String?

    @Option(help: "CSV/TSV: the id column.")
    var idColumn: String?

    @Option(help: "WhatsApp/Messenger: leave out the messages this sender (the company) wrote.")
    var companySender: String?

    @Option(help: "XML: the name of the element of one record, found at any depth (a name, not a path).")
    var xmlRecord: String?

    @Option(help: "XML: the record's child holding the text, or its path below the record (content/body).")
    var xmlText: String?

    @Option(help: "XML: the record's child holding the id, or its path below the record (meta/id, or message/id inside the text).")
    var xmlId: String?

    @Flag(help: "JSONL/CSV/TSV/XML: the text field holds HTML (a help desk's html_body, CDATA); route its visible text, quoted <blockquote> history left out.")
    var htmlText = false

    @Flag(help: "Add the explanation (top features) to each record.")
    var explain = false

    @Flag(help: "Copy the message text into each record (off by default: messages hold personal data).")
    var includeText = false

    @Flag(help: "Stop at the first error record, with exit code 1; --output then holds the records up to it, the error record last. (Any other failure, such as an input that cannot be opened, leaves --output as it was.)")
    var strict = false

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    func validate() throws {
        try OptionChecks.threads(threads)
    }

    func run() async throws {
        InterruptCleanup.install()
        // The model and the policy too: `-o` naming either replaced it with decisions.
        if let output { try AtomicFile.checkOutput(output, notAnyOf: inputs + [model] + (policy.map { [$0] } ?? [])) }
        let engine = try RoutingEngine(modelPath: model, policyPath: policy)
        var options = ExportOptions()
        options.format = format
        options.textField = textColumn ?? textField
        options.idField = idColumn ?? idField
        options.companySender = companySender
        options.xmlRecordElement = xmlRecord
        options.xmlTextElement = xmlText
        options.xmlIdElement = xmlId
        options.htmlText = htmlText
        let writer = try output.map { try AtomicFileWriter(path: $0) }
        var stdout = OutputBuffer()
        func emit(_ text: String) throws {
            if let writer { try writer.write(text) } else { try stdout.write(text) }
        }
        if outputFormat == .csv { try emit(BatchRecord.csvHeader(includeText: includeText, explain: explain)) }
        var summary = BatchSummary()
        let started = Date()
        let workers = threads ?? ProcessInfo.processInfo.activeProcessorCount
        var stoppedAtErrorRecord = false
        var messagesWithID = 0
        do {
            for input in inputs {
                let reader = try ExportReaders.open(input, options: options)
                var pending: [ExportRecord] = []
                func drain() throws {
                    let messages = pending.compactMap(\.message)
                    var decisions = engine.routeBatch(messages, explain: explain, workers: workers).makeIterator()
                    for record in pending {
                        switch record {
                        case .message(let message):
                            guard let decision = decisions.next() else { continue }
                            summary.add(decision)
                            if message.id != nil { messagesWithID += 1 }
                            try emit(BatchRecord.line(message: message, decision: decision, format: outputFormat, includeText: includeText, explain: explain))
                        case .failure(let error):
                            summary.errors += 1
                            try emit(BatchRecord.errorLine(error, format: outputFormat, includeText: includeText, explain: explain))
                            if strict {
                                stoppedAtErrorRecord = true
                                throw ExitCode(1)
                            }
                        }
                    }
                    pending.removeAll(keepingCapacity: true)
                    Terminal.progress(summary.progressLine(since: started, bytes: reader.bytesRead, total: Self.fileSize(input)))
                }
                while let record = try reader.next() {
                    if strict, let error = record.failure {
                        try drain()
                        summary.errors += 1
                        try emit(BatchRecord.errorLine(error, format: outputFormat, includeText: includeText, explain: explain))
                        Terminal.endProgress()
                        Terminal.warn("error: \(error)")
                        stoppedAtErrorRecord = true
                        throw ExitCode(1)
                    }
                    pending.append(record)
                    if pending.count >= 8192 { try drain() }
                }
                try drain()
                summary.skipped += reader.statistics.skippedTotal
                summary.ignored += reader.statistics.ignored
            }
            try writer?.commit()
            try stdout.flush()
        } catch {
            if let writer {
                // Stopped at an error record in strict mode: keep what was decided up to it, the error record
                // last (an honest partial file). Any other failure (an input that cannot be opened or read, a
                // write error) leaves the output as it was, as without --strict.
                if stoppedAtErrorRecord { try? writer.commit() } else { writer.abort() }
            }
            try? stdout.flush()
            throw error
        }
        Terminal.endProgress()
        Terminal.warn(summary.report(seconds: Date().timeIntervalSince(started)))
        if let warning = Self.missingIDWarning(idColumn: idColumn, idField: idField, messagesWithID: messagesWithID, messages: summary.records) {
            Terminal.warn(warning)
        }
    }

    /// A warning when an id column or field was asked for and no message had it: a wrong name, not ids left out
    /// (every record came out without an id, in silence).
    static func missingIDWarning(idColumn: String?, idField: String, messagesWithID: Int, messages: Int) -> String? {
        guard let asked = idColumn ?? (idField == "id" ? nil : idField), messagesWithID == 0, messages > 0 else { return nil }
        return "warning: no message had the id \(idColumn == nil ? "field" : "column") '\(asked)': every record is without an id; check its name"
    }
}

extension BatchCommand {
    /// The size of a regular file, for the progress bar's ETA (nil for standard input).
    static func fileSize(_ path: String) -> Int? {
        guard path != "-", let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              (attributes[.type] as? FileAttributeType) == .typeRegular else { return nil }
        return (attributes[.size] as? NSNumber)?.intValue
    }
}

/// Counts for the summary printed at the end.
struct BatchSummary {
    var records = 0
    var errors = 0
    var abstained = 0
    var skipped = 0
    /// Lines or entries that are not messages (WhatsApp system notices, blank lines, an mbox preamble).
    var ignored = 0
    var perQueue: [String: Int] = [:]
    /// Messages on which each pattern rule ran out of time.
    var ruleTimeouts: [String: Int] = [:]

    mutating func add(_ decision: Decision) {
        records += 1
        perQueue[decision.queue, default: 0] += 1
        if decision.abstained { abstained += 1 }
        for rule in decision.rulesTimedOut { ruleTimeouts[rule, default: 0] += 1 }
    }

    func progressLine(since start: Date, bytes: Int?, total: Int?) -> String {
        let seconds = max(Date().timeIntervalSince(start), 1e-3)
        var line = String(format: "batch: %d records, %d errors, %.0f records/s", records + errors, errors, Double(records + errors) / seconds)
        if let bytes {
            line += String(format: ", %.1f MB", Double(bytes) / 1_000_000)
            if let total, total > 0, bytes > 0 {
                let fraction = min(1, Double(bytes) / Double(total))
                line += String(format: " of %.1f MB (%.0f%%), ETA %.0f s", Double(total) / 1_000_000, 100 * fraction, seconds * (1 - fraction) / fraction)
            }
        }
        return line
    }

    func report(seconds: Double) -> String {
        var lines = [String(format: "read %d messages: %d routed, %d abstained, %d errors, %d skipped (media-only, deleted, company replies, group notices) in %.2f s",
                            records + errors + skipped, records - abstained, abstained, errors, skipped, seconds)]
        if ignored > 0 {
            lines.append(ignored == 1
                ? "  and 1 line or entry that is not a message ignored (a WhatsApp system notice such as 'X added Y', a blank line)"
                : "  and \(ignored) lines or entries that are not messages ignored (WhatsApp system notices such as 'X added Y', blank lines)")
        }
        for (queue, count) in perQueue.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }) {
            lines.append("  \(queue): \(count)")
        }
        for (rule, count) in ruleTimeouts.sorted(by: { $0.key < $1.key }) {
            lines.append("warning: pattern rule '\(rule)' ran out of time on \(count) message\(count == 1 ? "" : "s") and did not fire there (its pattern backtracks too much)")
        }
        return lines.joined(separator: "\n")
    }
}

/// Formats output records.
enum BatchRecord {
    static func csvHeader(includeText: Bool, explain: Bool) -> String {
        "source,id,timestamp,sender,label,queue,priority,confidence,abstained,abstention_reason,language,error" + (explain ? ",explanation" : "") + (includeText ? ",text" : "") + "\n"
    }

    static func csvField(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func line(message: Message, decision: Decision, format: BatchCommand.OutputFormat, includeText: Bool, explain: Bool) -> String {
        let source = message.source?.description ?? ""
        switch format {
        case .jsonl:
            // The decision carries the message's id.
            var out = JSONBuffer(capacity: 768 + (includeText ? message.text.utf8.count : 0))
            out.appendRaw("{\"source\":")
            out.appendString(source)
            if let time = message.timestampISO8601 {
                out.appendRaw(",\"timestamp\":")
                out.appendString(time)
            }
            if let sender = message.sender {
                out.appendRaw(",\"sender\":")
                out.appendString(sender)
            }
            // The decision's fields go into this object.
            out.appendRaw(",")
            decision.appendJSON(to: &out, includeExplanation: explain, opened: false, closed: false)
            if includeText {
                out.appendRaw(",\"text\":")
                out.appendString(message.text)
            }
            out.appendRaw("}\n")
            return out.text
        case .csv:
            var fields = [source, message.id ?? "", message.timestampISO8601 ?? "", message.sender ?? "", decision.label, decision.queue,
                          String(decision.priority), String(format: "%.4f", decision.confidence), String(decision.abstained),
                          decision.abstentionReason ?? "", decision.language, ""]
            if explain { fields.append(decision.explanation.map { "\($0.feature)=\($0.weight)" }.joined(separator: " ")) }
            if includeText { fields.append(message.text) }
            return fields.map(csvField).joined(separator: ",") + "\n"
        }
    }

    static func errorLine(_ error: SwitchboardError, format: BatchCommand.OutputFormat, includeText: Bool, explain: Bool) -> String {
        let source = error.location?.description ?? ""
        switch format {
        case .jsonl:
            return "{\"source\":" + JSONText.string(source) + ",\"error\":" + JSONText.string(error.message) + ",\"code\":" + JSONText.string(error.code.snakeCased) + "}\n"
        case .csv:
            var fields = [source, "", "", "", "", "", "", "", "", "", "", error.message]
            if explain { fields.append("") }
            if includeText { fields.append("") }
            return fields.map(csvField).joined(separator: ",") + "\n"
        }
    }
}
