import ArgumentParser
import Foundation
import Switchboard

/// `switchboard classify`: one message a line in, one JSON object a line out.
struct ClassifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Classify messages, one per line, into JSON lines with the label, confidence and top-3 labels."
    )

    @Option(name: .shortAndLong, help: "The model file.")
    var model: String

    @Option(help: "Classify this one message instead of reading lines.")
    var text: String?

    @Argument(help: "A file with one message per line, or - for standard input (the default).")
    var input: String?

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    func validate() throws {
        try OptionChecks.threads(threads)
        if text != nil && input != nil { throw ValidationError("give either --text or a file, not both") }
    }

    func run() async throws {
        let classifier = try ModelFile.read(from: model)
        var output = OutputBuffer()
        if let text {
            try output.write(Self.line(classifier.classify(text)))
            try output.flush()
            return
        }
        let workers = threads ?? ProcessInfo.processInfo.activeProcessorCount
        let reader = try LineReader(path: input ?? "-")
        while true {
            let lines = try reader.nextStrings(8192)
            if lines.isEmpty { break }
            // Each line is formatted by the worker that classified it (see `classifyBatch(_:workers:_:)`).
            for line in classifier.classifyBatch(lines, workers: workers, Self.line) { try output.write(line) }
        }
        try output.flush()
    }

    static func line(_ result: Classification) -> String {
        var line = JSONBuffer(capacity: 160)
        line.appendRaw("{\"label\":")
        line.appendString(result.label)
        line.appendRaw(",\"confidence\":")
        line.appendNumber(result.confidence)
        line.appendRaw(",\"top\":")
        line.appendArray(result.top(3)) { $0.appendPair(name: $1.label, value: $1.probability, nameKey: "label", valueKey: "probability") }
        line.appendRaw("}\n")
        return line.text
    }
}

extension LineReader {
    /// Up to `limit` lines as text (invalid UTF-8 repaired); empty at the end.
    func nextStrings(_ limit: Int) throws -> [String] {
        var lines: [String] = []
        while lines.count < limit, let line = try next() { lines.append(line.string) }
        return lines
    }
}
