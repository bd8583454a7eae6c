import Foundation
import Switchboard

/// How `switchboard serve` runs: the model and policy it serves, where it listens, its limits.
///
/// A value type: the command line fills one in, tests build their own.
public struct ServerConfiguration: Sendable {
    /// The model file to serve (reloaded when it changes).
    public var modelPath: String
    /// The routing policy (YAML), reloaded when it changes; without one, each label is its own queue.
    public var policyPath: String?
    /// The address to listen on; loopback unless told otherwise.
    public var host: String
    /// The port to listen on; 0 picks a free one.
    public var port: Int
    /// The SQLite database that stores agents' corrections (`POST /v1/feedback`); nil stores none (the endpoint
    /// answers 503 `feedback_unavailable`), for read-only or stateless deployments.
    public var feedbackDatabasePath: String?
    /// When set, every `/v1` request needs `Authorization: Bearer <token>`.
    public var token: String?
    /// The most messages one `POST /v1/route/batch` may carry.
    public var maxBatch: Int
    /// The largest request body accepted, in bytes; larger ones get 413.
    public var maxBodyBytes: Int
    /// Whether logs may carry message text (off by default: messages hold personal data).
    public var logText: Bool
    /// How often the model and policy files are checked for changes; `nil` turns watching off
    /// (SIGHUP still reloads).
    public var reloadInterval: Duration?
    /// Batches of at most this many messages are routed inline on the request's task; larger ones run
    /// on a dedicated queue over every core, so the tasks that serve other requests are never held up.
    public var inlineBatchLimit: Int
    /// How long a connection may send nothing, between requests or in the middle of one, before the server
    /// closes it; `nil` never closes an idle connection. A response being written is not cut short.
    public var idleTimeout: Duration?
    /// After SIGTERM or SIGINT, the longest the server waits for requests in flight before it closes the
    /// connections still open and exits: a client that stalls in the middle of an upload cannot hold the
    /// process up past it. Set it below the time the supervisor allows before SIGKILL (30 s by default
    /// in Kubernetes).
    public var shutdownTimeout: Duration

    /// Creates a configuration with the defaults of `switchboard serve`.
    public init(
        modelPath: String,
        policyPath: String? = nil,
        host: String = "127.0.0.1",
        port: Int = 8080,
        feedbackDatabasePath: String? = "switchboard-feedback.sqlite",
        token: String? = nil,
        maxBatch: Int = 1000,
        maxBodyBytes: Int = 1 << 20,
        logText: Bool = false,
        reloadInterval: Duration? = .seconds(1),
        inlineBatchLimit: Int = 8,
        idleTimeout: Duration? = .seconds(60),
        shutdownTimeout: Duration = .seconds(25)
    ) {
        self.modelPath = modelPath
        self.policyPath = policyPath
        self.host = host
        self.port = port
        self.feedbackDatabasePath = feedbackDatabasePath
        self.token = token
        self.maxBatch = maxBatch
        self.maxBodyBytes = maxBodyBytes
        self.logText = logText
        self.reloadInterval = reloadInterval
        self.inlineBatchLimit = inlineBatchLimit
        self.idleTimeout = idleTimeout
        self.shutdownTimeout = shutdownTimeout
    }

    /// Checks the limits; throws ``SwitchboardError`` with code `invalidArgument` when one is out of range.
    public func validate() throws {
        guard (0...65535).contains(port) else {
            throw SwitchboardError(.invalidArgument, "--port must be between 0 and 65535, not \(port)")
        }
        guard maxBatch >= 1 else { throw SwitchboardError(.invalidArgument, "--max-batch must be at least 1, not \(maxBatch)") }
        guard maxBodyBytes >= 64 else { throw SwitchboardError(.invalidArgument, "--max-body must be at least 64 bytes, not \(maxBodyBytes)") }
        guard !host.isEmpty else { throw SwitchboardError(.invalidArgument, "--host must not be empty") }
        if let idleTimeout, idleTimeout <= .zero {
            throw SwitchboardError(.invalidArgument, "--idle-timeout must be positive (0 turns it off), not \(idleTimeout)")
        }
        guard shutdownTimeout > .zero else {
            throw SwitchboardError(.invalidArgument, "--shutdown-timeout must be positive, not \(shutdownTimeout)")
        }
        if let token, token.isEmpty { throw SwitchboardError(.invalidArgument, "the bearer token is empty") }
    }

    /// Reads a bearer token from a file: its content without surrounding whitespace, which must not be empty.
    public static func readToken(from path: String) throws -> String {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw SwitchboardError(.io, "cannot read the token file", location: SourceLocation(file: path), cause: error as NSError)
        }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else {
            throw SwitchboardError(.invalidArgument, "the token file is empty", location: SourceLocation(file: path))
        }
        guard !token.contains(where: { $0.isWhitespace || $0.isNewline }) else {
            throw SwitchboardError(.invalidArgument, "the token must be a single line without spaces", location: SourceLocation(file: path))
        }
        return token
    }
}
