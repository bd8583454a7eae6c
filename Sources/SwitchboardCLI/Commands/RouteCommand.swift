import ArgumentParser
import Foundation
import Switchboard

/// `switchboard route`: one routing decision per message.
struct RouteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "route",
        abstract: "Route messages (one per line) to queues with calibrated confidence, abstention and explanations."
    )

    @Option(name: .shortAndLong, help: "The model file.")
    var model: String

    @Option(name: .shortAndLong, help: "The routing policy (YAML). Without one, each label is its own queue.")
    var policy: String?

    @Flag(help: "One JSON object per line.")
    var json = false

    @Option(help: "Route this one message instead of reading lines.")
    var text: String?

    @Argument(help: "A file with one message per line, or - for standard input (the default).")
    var input: String?

    func validate() throws {
        if text != nil && input != nil { throw ValidationError("give either --text or a file, not both") }
    }

    func run() async throws {
        let engine = try RoutingEngine(modelPath: model, policyPath: policy)
        var output = OutputBuffer()
        func emit(_ decision: Decision) throws {
            if json {
                try output.write(decision.json() + "\n")
            } else {
                var line = "\(decision.queue)\tP\(decision.priority)\t\(decision.label)\t" + String(format: "%.2f", decision.confidence)
                if let reason = decision.abstentionReason { line += "\tabstained: \(reason)" }
                if !decision.rules.isEmpty { line += "\trules: \(decision.rules.joined(separator: ","))" }
                if !decision.rulesTimedOut.isEmpty { line += "\trules out of time: \(decision.rulesTimedOut.joined(separator: ","))" }
                if !decision.explanation.isEmpty {
                    line += "\tbecause: " + decision.explanation.prefix(3).map { String($0.feature.dropFirst(2)) }.joined(separator: ", ")
                }
                try output.write(line + "\n")
            }
        }
        if let text {
            try emit(engine.route(text, explain: true))
            try output.flush()
            return
        }
        let reader = try LineReader(path: input ?? "-")
        while true {
            let lines = try reader.nextStrings(4096)
            if lines.isEmpty { break }
            for decision in engine.routeBatch(lines.map { Message(text: $0) }, explain: true) { try emit(decision) }
        }
        try output.flush()
    }
}
