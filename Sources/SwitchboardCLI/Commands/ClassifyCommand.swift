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

    func run() async throws {
        let classifier = try ModelFile.read(from: model)
        var output = OutputBuffer()
        if let text {
            output.write(Self.line(classifier.classify(text)))
            output.flush()
            return
        }
        let workers = threads ?? ProcessInfo.processInfo.activeProcessorCount
        let reader = try LineSource(path: input ?? "-")
        while true {
            let lines = try reader.nextLines(8192)
            if lines.isEmpty { break }
            for result in classifier.classifyBatch(lines, workers: workers) { output.write(Self.line(result)) }
        }
        output.flush()
    }

    static func line(_ result: Classification) -> String {
        var line = "{\"label\":"
        JSONText.appendString(result.label, to: &line)
        line += ",\"confidence\":"
        JSONText.appendNumber(result.confidence, to: &line)
        line += ",\"top\":["
        for (i, item) in result.top(3).enumerated() {
            if i > 0 { line += "," }
            line += "{\"label\":"
            JSONText.appendString(item.label, to: &line)
            line += ",\"probability\":"
            JSONText.appendNumber(item.probability, to: &line)
            line += "}"
        }
        line += "]}\n"
        return line
    }
}

/// Reads lines from a file or standard input in blocks, repairing invalid UTF-8.
final class LineSource {
    private let handle: FileHandle
    private var pending: [UInt8] = []
    private var cursor = 0
    private var finished = false

    init(path: String) throws {
        if path == "-" {
            handle = FileHandle.standardInput
        } else {
            guard let file = FileHandle(forReadingAtPath: path) else {
                throw SwitchboardError(.io, "cannot open the file", location: SourceLocation(file: path))
            }
            handle = file
        }
    }

    /// Up to `limit` lines; empty at the end. A trailing carriage return is dropped.
    func nextLines(_ limit: Int) throws -> [String] {
        var lines: [String] = []
        while lines.count < limit {
            if let newline = pending[cursor...].firstIndex(of: 0x0A) {
                var end = newline
                if end > cursor, pending[end - 1] == 0x0D { end -= 1 }
                lines.append(String(decoding: pending[cursor..<end], as: UTF8.self))
                cursor = newline + 1
                continue
            }
            if finished {
                if cursor < pending.count {
                    lines.append(String(decoding: pending[cursor...], as: UTF8.self))
                    cursor = pending.count
                }
                break
            }
            pending.removeSubrange(0..<cursor)
            cursor = 0
            let chunk = handle.readData(ofLength: 1 << 20)
            if chunk.isEmpty { finished = true } else { pending.append(contentsOf: chunk) }
        }
        return lines
    }
}
