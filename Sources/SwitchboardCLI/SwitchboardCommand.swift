import ArgumentParser
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
}
