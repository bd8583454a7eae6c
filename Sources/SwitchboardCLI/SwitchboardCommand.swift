import ArgumentParser
import Foundation
import Switchboard

/// The `switchboard` command: a thin layer of subcommands over the Switchboard libraries.
@main
struct SwitchboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard",
        abstract: "Triage private-channel customer messages: train, classify, route and batch-process.",
        version: SwitchboardVersion.current,
        subcommands: [TrainCommand.self, LearnCommand.self, MergeCommand.self, ClassifyCommand.self, EvalCommand.self, InspectCommand.self, RouteCommand.self, BatchCommand.self, ServeCommand.self]
    )

    /// Runs the chosen subcommand, then checks that everything it printed reached standard output.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
            try StandardOutput.finish()
        } catch {
            exit(withError: error)
        }
    }
}
