import CoreMetrics
import Foundation
import Prometheus
import Synchronization

/// The server's metrics, recorded through swift-metrics into its own Prometheus registry.
///
/// Each server has its own registry and factory (passed explicitly, not bootstrapped globally), so that
/// tests can start many servers in one process. `GET /metrics` renders ``exposition()``.
///
/// | name | type | labels |
/// |---|---|---|
/// | `switchboard_http_requests_total` | counter | `method`, `path`, `status` |
/// | `switchboard_http_request_duration_seconds` | histogram | `method`, `path` |
/// | `switchboard_http_errors_total` | counter | `code` |
/// | `switchboard_decisions_total` | counter | `queue` |
/// | `switchboard_abstentions_total` | counter | |
/// | `switchboard_feedback_total` | counter | `outcome` (`stored`, `duplicate`, `conflict`) |
/// | `switchboard_model_reloads_total` | counter | `result` (`success`, `failure`) |
public final class ServerMetrics: Sendable {
    /// The registry `GET /metrics` renders.
    public let registry: PrometheusCollectorRegistry
    /// The factory the swift-metrics handles are made with.
    let factory: PrometheusMetricsFactory

    private let counters = Mutex<[CounterKey: CoreMetrics.Counter]>([:])
    private let requestHandles = Mutex<[RequestKey: (requests: CoreMetrics.Counter, latency: CoreMetrics.Timer)]>([:])
    private let abstentions: CoreMetrics.Counter

    private struct CounterKey: Hashable {
        var name: String
        var labels: [String]
    }

    private struct RequestKey: Hashable {
        var method: String
        var path: String
        var status: Int
    }

    /// The latency buckets: 100 µs to 2.5 s.
    static let latencyBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2500),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500),
    ]

    /// Creates the metrics, with a registry of their own.
    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["switchboard_http_request_duration_seconds"] = Self.latencyBuckets
        self.factory = factory
        abstentions = CoreMetrics.Counter(label: "switchboard_abstentions_total", dimensions: [], factory: factory)
        // Present from the start, so that dashboards and alerts see zeros rather than nothing.
        for result in ["success", "failure"] { _ = counter("switchboard_model_reloads_total", [("result", result)]) }
        abstentions.increment(by: 0)
    }

    private func counter(_ name: String, _ dimensions: [(String, String)]) -> CoreMetrics.Counter {
        let key = CounterKey(name: name, labels: dimensions.map(\.1))
        return counters.withLock { cache in
            if let counter = cache[key] { return counter }
            let counter = CoreMetrics.Counter(label: name, dimensions: dimensions, factory: factory)
            cache[key] = counter
            return counter
        }
    }

    /// Counts one answered request and records its latency. `path` is the endpoint's template, or
    /// `unmatched`, so that unknown paths cannot grow the label set.
    func recordRequest(method: String, path: String, status: Int, duration: Duration) {
        let key = RequestKey(method: method, path: path, status: status)
        let handles = requestHandles.withLock { cache in
            if let handles = cache[key] { return handles }
            let handles = (
                requests: CoreMetrics.Counter(label: "switchboard_http_requests_total",
                                              dimensions: [("method", method), ("path", path), ("status", String(status))], factory: factory),
                latency: CoreMetrics.Timer(label: "switchboard_http_request_duration_seconds",
                                           dimensions: [("method", method), ("path", path)], factory: factory))
            cache[key] = handles
            return handles
        }
        handles.requests.increment()
        handles.latency.recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    /// Counts an error response by its code.
    func recordError(code: String) {
        counter("switchboard_http_errors_total", [("code", code)]).increment()
    }

    /// Counts routed messages per queue, and abstentions.
    func recordDecisions(queues: [String: Int], abstained: Int) {
        for (queue, count) in queues {
            counter("switchboard_decisions_total", [("queue", queue)]).increment(by: count)
        }
        if abstained > 0 { abstentions.increment(by: abstained) }
    }

    /// Counts messages on which a pattern rule ran out of time (the rule's name comes from the policy, so
    /// the label set stays bounded).
    func recordRuleTimeout(rule: String, messages: Int) {
        counter("switchboard_rule_timeouts_total", [("rule", rule)]).increment(by: messages)
    }

    /// Counts a feedback outcome.
    func recordFeedback(outcome: String) {
        counter("switchboard_feedback_total", [("outcome", outcome)]).increment()
    }

    /// Counts a reload attempt.
    func recordReload(success: Bool) {
        counter("switchboard_model_reloads_total", [("result", success ? "success" : "failure")]).increment()
    }

    /// The Prometheus text exposition of every metric.
    public func exposition() -> String {
        registry.emitToString()
    }
}
