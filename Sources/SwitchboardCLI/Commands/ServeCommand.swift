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
        connections and lets requests in flight finish, for --shutdown-timeout seconds at most. Logs go \
        to standard error and never carry message text unless --log-text is given.
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

    @Option(help: "The SQLite database agents' corrections are stored in (default: switchboard-feedback.sqlite).")
    var feedbackDb: String?

    @Flag(help: "Store no feedback: POST /v1/feedback answers 503 (for read-only or stateless deployments that collect corrections upstream).")
    var noFeedback = false

    @Option(help: "A file holding a bearer token; every /v1 request must then send 'Authorization: Bearer <token>'.")
    var tokenFile: String?

    @Option(help: "The most messages one batch request may carry.")
    var maxBatch = 1000

    @Option(help: "The largest request body accepted, in bytes.")
    var maxBody = 1_048_576

    @Option(help: "How often to check the model and policy files for changes, in seconds (0: only on SIGHUP).")
    var reloadInterval = 1.0

    @Option(help: "Close a connection that sends nothing for this many seconds, between requests or in the middle of one (0: never).")
    var idleTimeout = 60.0

    @Option(help: "After SIGTERM or SIGINT, wait at most this many seconds for requests in flight, then close the connections still open and exit.")
    var shutdownTimeout = 25.0

    @Flag(help: "Log message text with each decision (off by default: messages hold personal data).")
    var logText = false

    @Flag(inversion: .prefixedNo,
          help: "Handle requests on the server's event-loop threads, without handing each one to Swift's thread pool and back (faster; --no-event-loop-executor keeps Swift's default pool).")
    var eventLoopExecutor = true

    @Option(help: "The lowest log level written: trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    func validate() throws {
        // Whole milliseconds up to a day: a NaN, an infinity or an absurd value would not convert.
        func check(_ seconds: Double, _ name: String, allowZero: Bool) throws {
            guard seconds.isFinite, seconds <= 86_400, allowZero ? seconds >= 0 : seconds >= 0.001 else {
                throw ValidationError("\(name) takes seconds, \(allowZero ? "from 0" : "from 0.001") to 86400 (got \(seconds))")
            }
        }
        try check(reloadInterval, "--reload-interval", allowZero: true)
        try check(idleTimeout, "--idle-timeout", allowZero: true)
        try check(shutdownTimeout, "--shutdown-timeout", allowZero: false)
        if noFeedback && feedbackDb != nil { throw ValidationError("--no-feedback and --feedback-db contradict each other: give one") }
    }

    /// Whole milliseconds (at least one) of a number of seconds that ``validate()`` accepted.
    private static func duration(seconds: Double) -> Duration {
        .milliseconds(max(1, Int((seconds * 1000).rounded())))
    }

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
            modelPath: model, policyPath: policy, host: host, port: port, feedbackDatabasePath: noFeedback ? nil : feedbackDb ?? "switchboard-feedback.sqlite",
            token: try tokenFile.map(ServerConfiguration.readToken(from:)), maxBatch: maxBatch, maxBodyBytes: maxBody,
            logText: logText, reloadInterval: reloadInterval > 0 ? Self.duration(seconds: reloadInterval) : nil,
            idleTimeout: idleTimeout > 0 ? Self.duration(seconds: idleTimeout) : nil,
            shutdownTimeout: Self.duration(seconds: shutdownTimeout))
        let server = try RoutingServer(configuration: configuration, logger: logger)
        try await server.run()
    }
}
