import Hummingbird

/// Every endpoint the server answers: the single table the router is built from, and that the tests
/// compare with `openapi.yaml`.
public enum APIEndpoint: String, CaseIterable, Sendable {
    /// `POST /v1/route`: one message, one decision.
    case route
    /// `POST /v1/route/batch`: many messages, decisions in order.
    case routeBatch
    /// `POST /v1/feedback`: an agent's correction, stored before the reply.
    case feedback
    /// `GET /v1/model`: the model and policy being served.
    case model
    /// `GET /healthz`: the process is alive.
    case health
    /// `GET /readyz`: a model is loaded and requests can be routed.
    case ready
    /// `GET /metrics`: Prometheus text.
    case metrics

    /// The HTTP method.
    public var method: HTTPRequest.Method {
        switch self {
        case .route, .routeBatch, .feedback: .post
        case .model, .health, .ready, .metrics: .get
        }
    }

    /// The path.
    public var path: String {
        switch self {
        case .route: "/v1/route"
        case .routeBatch: "/v1/route/batch"
        case .feedback: "/v1/feedback"
        case .model: "/v1/model"
        case .health: "/healthz"
        case .ready: "/readyz"
        case .metrics: "/metrics"
        }
    }

    /// Whether the endpoint needs the bearer token (when the server has one): every `/v1` endpoint.
    public var requiresToken: Bool { path.hasPrefix("/v1/") }

    /// The paths that never need a token. Any other path does, known or not, so that a path the router
    /// would normalise differently can never slip past the check.
    static let publicPaths: Set<String> = Set(allCases.filter { !$0.requiresToken }.map(\.path))

    /// The path without a trailing slash (`/v1/route/` is `/v1/route`).
    static func normalizedPath(_ path: String) -> String {
        path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }

    /// The endpoint path `path` names, whatever the method, or nil for a path the API does not have.
    static func knownPath(_ path: String) -> String? {
        let normalized = normalizedPath(path)
        return allCases.contains { $0.path == normalized } ? normalized : nil
    }

    /// The methods a path accepts (empty: no such path), for 405 and its `Allow` header.
    static func methods(forPath path: String) -> [HTTPRequest.Method] {
        let normalized = normalizedPath(path)
        let methods = allCases.filter { $0.path == normalized }.map(\.method)
        return methods.contains(.get) ? methods + [.head] : methods
    }
}
