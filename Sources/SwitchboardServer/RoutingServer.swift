import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Switchboard
import Synchronization

/// `switchboard serve`: the routing engine behind a JSON HTTP API on Hummingbird 2.
///
/// ```swift
/// let server = try RoutingServer(configuration: ServerConfiguration(modelPath: "models/default.sbm",
///                                                                  policyPath: "models/policy.yaml"),
///                                logger: Logger(label: "switchboard"))
/// try await server.run()   // until SIGTERM or SIGINT; SIGHUP reloads the model and policy
/// ```
///
/// See the `SwitchboardServer` documentation catalogue and `openapi.yaml` for the endpoints.
public struct RoutingServer: Sendable {
    /// How the server runs.
    public let configuration: ServerConfiguration
    /// The engine requests are routed with; reloads swap its model and policy.
    public let engine: RoutingEngine
    /// The server's metrics (`GET /metrics`).
    public let metrics: ServerMetrics
    /// Where corrections are stored (`POST /v1/feedback`).
    public let feedback: FeedbackStore?
    /// Watches and reloads the model and policy files.
    public let reloader: ModelReloader
    /// The server's logger.
    public let logger: Logger
    let state: ServerState

    /// Loads the model and policy and opens the feedback database; throws ``SwitchboardError`` if any fails.
    public init(configuration: ServerConfiguration, logger: Logger) throws {
        try configuration.validate()
        let engine = try RoutingEngine(modelPath: configuration.modelPath, policyPath: configuration.policyPath)
        let feedback = try configuration.feedbackDatabasePath.map { try FeedbackStore(path: $0) }
        self.init(configuration: configuration, engine: engine, feedback: feedback, logger: logger)
    }

    /// A server over an engine and a store made elsewhere (the model path still names the file to watch).
    public init(configuration: ServerConfiguration, engine: RoutingEngine, feedback: FeedbackStore?, logger: Logger) {
        self.configuration = configuration
        self.engine = engine
        self.feedback = feedback
        self.logger = logger
        let metrics = ServerMetrics()
        let state = ServerState()
        self.metrics = metrics
        self.state = state
        self.reloader = ModelReloader(engine: engine, configuration: configuration, metrics: metrics, state: state, logger: logger)
    }

    /// The router: observation (errors as JSON, metrics, logs) outermost, then the token check, then
    /// the endpoints of ``APIEndpoint``.
    public func makeRouter() -> Hummingbird.Router<BasicRequestContext> {
        let router = Hummingbird.Router(context: BasicRequestContext.self)
        // Middleware applies to the routes added after it, and to the not-found responder.
        router.add(middleware: RequestObservationMiddleware(metrics: metrics))
        if let token = configuration.token {
            router.add(middleware: BearerTokenMiddleware(token: token))
        }
        ServerAPI(engine: engine, configuration: configuration, metrics: metrics, feedback: feedback, state: state)
            .register(on: router)
        return router
    }

    /// The application: the router, the reloader service, and the listening address.
    public func makeApplication() -> Application<RouterResponder<BasicRequestContext>> {
        let logger = self.logger
        let configuration = self.configuration
        let modelID = engine.model.id
        return Application(
            router: makeRouter(),
            // A response in flight at shutdown is sent whole before its connection closes; a connection that
            // sends nothing for the idle timeout is closed.
            server: .http1(configuration: HTTP1Channel.Configuration(
                additionalChannelHandlers: [FlushBeforeCloseHandler()],
                idleTimeout: configuration.idleTimeout.map(TimeAmount.init))),
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port), serverName: "switchboard"),
            services: [reloader],
            onServerRunning: { channel in
                logger.info("switchboard serving", metadata: [
                    "address": .string(channel.localAddress.map { "\($0)" } ?? "\(configuration.host):\(configuration.port)"),
                    "model": .string(modelID),
                    "auth": .string(configuration.token == nil ? "none" : "bearer"),
                    "feedback_db": .string(configuration.feedbackDatabasePath ?? "none"),
                ])
            },
            logger: logger
        )
    }

    /// Makes Swift concurrency run its tasks on the server's event loops, for this whole process.
    ///
    /// By default a request is read on a SwiftNIO event-loop thread, handled on Swift concurrency's own
    /// thread pool, and written back on the event loop: two thread hand-offs per request. Installing
    /// NIO's singleton event-loop group (the one Hummingbird serves on) as the global executor removes
    /// them. It changes where every task of the process runs, so it is the executable's decision, not
    /// the library's: call it once, at the start of the process, before the server starts. Returns
    /// whether it took effect (it cannot on some platforms).
    @discardableResult
    public static func runConcurrencyOnEventLoops() -> Bool {
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }

    /// Serves until SIGTERM or SIGINT, then stops accepting connections and lets requests in flight finish,
    /// for at most ``ServerConfiguration/shutdownTimeout``; connections still open then are closed.
    public func run() async throws {
        let stopping = Mutex<ContinuousClock.Instant?>(nil)
        let service = GracefulShutdownObserver(service: makeApplication()) {
            stopping.withLock { $0 = .now }
        }
        var group = ServiceGroupConfiguration(services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        group.maximumGracefulShutdownDuration = configuration.shutdownTimeout
        do {
            try await ServiceGroup(configuration: group).run()
        } catch let error as IOError where [EADDRINUSE, EADDRNOTAVAIL, EACCES].contains(error.errnoCode) {
            // NIO's own text is "bind(descriptor:ptr:bytes:): Address already in use (errno: 98)": say which address.
            throw SwitchboardError(.io, "cannot listen on \(configuration.host):\(configuration.port): \(String(cString: strerror(error.errnoCode)))")
        }
        if let since = stopping.withLock({ $0 }), since.duration(to: .now) >= configuration.shutdownTimeout {
            logger.warning("shutdown timeout reached: connections still open were closed", metadata: [
                "shutdown_timeout": .stringConvertible(configuration.shutdownTimeout)
            ])
        }
        logger.info("switchboard stopped")
    }
}

/// Runs a service and notes when its graceful shutdown begins (the signal's arrival).
private struct GracefulShutdownObserver<Wrapped: Service>: Service {
    let service: Wrapped
    let onShutdown: @Sendable () -> Void

    func run() async throws {
        // The wrapped service sees the same graceful shutdown: the handler is added beside its own.
        try await withGracefulShutdownHandler {
            try await service.run()
        } onGracefulShutdown: {
            onShutdown()
        }
    }
}
