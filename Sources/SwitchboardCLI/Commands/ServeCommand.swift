import ArgumentParser
import Foundation
import Logging
import Switchboard
import SwitchboardServer

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// `switchboard serve`: the routing API over HTTP (see the SwitchboardServer documentation and openapi.yaml).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve routing decisions over HTTP: route, batch, feedback, model, health, readiness and metrics.",
        discussion: """
        Listens on loopback by default. SIGHUP, or a change to the model or policy file, reloads them \
        (a file that fails to load leaves the old one serving); SIGTERM or SIGINT stops accepting \
        connections and lets requests in flight finish. Logs go to standard error and never carry \
        message text unless --log-text is given.
        """
    )

    @Option(name: .shortAndLong, help: "The model file (reloaded when it changes).")
    var model: String

    @Option(name: .shortAndLong, help: "The routing policy (YAML), reloaded when it changes. Without one, each label is its own queue.")
    var policy: String?

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on (0: any free port).")
    var port = 8080

    @Option(help: "The SQLite database agents' corrections are stored in.")
    var feedbackDb = "switchboard-feedback.sqlite"

    @Option(help: "A file holding a bearer token; every /v1 request must then send 'Authorization: Bearer <token>'.")
    var tokenFile: String?

    @Option(help: "The most messages one batch request may carry.")
    var maxBatch = 1000

    @Option(help: "The largest request body accepted, in bytes.")
    var maxBody = 1_048_576

    @Option(help: "How often to check the model and policy files for changes, in seconds (0: only on SIGHUP).")
    var reloadInterval = 1.0

    @Flag(help: "Log message text with each decision (off by default: messages hold personal data).")
    var logText = false

    @Flag(inversion: .prefixedNo,
          help: "Handle requests on the server's event-loop threads, without handing each one to Swift's thread pool and back (faster; --no-event-loop-executor keeps Swift's default pool).")
    var eventLoopExecutor = true

    @Option(help: "The lowest log level written: trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    func run() async throws {
        // First, before the server starts any task: it changes where every task of this process runs.
        let onEventLoops = eventLoopExecutor && RoutingServer.runConcurrencyOnEventLoops()
        let level = logLevel
        // Log lines gather in a buffer (one write for many requests), written every 100 ms, at once for
        // warnings and errors, and when the server stops.
        let output = LogOutputBuffer()
        LoggingSystem.bootstrap { label in
            var handler = BufferedLogHandler(label: label, output: output)
            handler.logLevel = level
            return handler
        }
        let flusher = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(100))
                output.flush()
            }
        }
        defer {
            flusher.cancel()
            output.flush()
        }
        let logger = Logger(label: "switchboard")
        if eventLoopExecutor && !onEventLoops {
            logger.warning("this platform cannot run tasks on the event loops; requests use Swift's default thread pool")
        }
        let configuration = ServerConfiguration(
            modelPath: model, policyPath: policy, host: host, port: port, feedbackDatabasePath: feedbackDb,
            token: try tokenFile.map(ServerConfiguration.readToken(from:)), maxBatch: maxBatch, maxBodyBytes: maxBody,
            logText: logText, reloadInterval: reloadInterval > 0 ? .milliseconds(Int(reloadInterval * 1000)) : nil)
        let server = try RoutingServer(configuration: configuration, logger: logger)
        try await server.run()
    }
}
