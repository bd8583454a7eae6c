import Foundation
import Hummingbird
import Logging
import Switchboard

/// The endpoints' handlers, over one engine, feedback store and set of metrics.
struct ServerAPI: Sendable {
    let engine: RoutingEngine
    let configuration: ServerConfiguration
    let metrics: ServerMetrics
    let feedback: FeedbackStore?
    let state: ServerState
    let batches = BatchExecutor()

    /// Adds every endpoint of ``APIEndpoint`` to the router.
    func register(on router: Hummingbird.Router<BasicRequestContext>) {
        for endpoint in APIEndpoint.allCases {
            router.on(RouterPath(endpoint.path), method: endpoint.method) { request, context in
                try await self.respond(to: endpoint, request: request, context: context)
            }
            // HTTP requires HEAD wherever GET works, and some health checkers probe with it: the GET response's
            // status and headers, without its body.
            if endpoint.method == .get {
                router.on(RouterPath(endpoint.path), method: .head) { request, context in
                    let response = try await self.respond(to: endpoint, request: request, context: context)
                    return Response(status: response.status, headers: response.headers, body: ResponseBody())
                }
            }
        }
    }

    func respond(to endpoint: APIEndpoint, request: Request, context: BasicRequestContext) async throws -> Response {
        switch endpoint {
        case .route: try await route(request, context: context)
        case .routeBatch: try await routeBatch(request, context: context)
        case .feedback: try await recordFeedback(request, context: context)
        case .model: try modelSummary()
        case .health: .json(#"{"status":"ok"}"#)
        case .ready: ready()
        case .metrics:
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.exposition())))
        }
    }

    /// Counts decisions per queue and abstentions, and pattern rules that ran out of time (with a warning
    /// naming the rule: the message's text is not logged).
    private func count(_ decisions: [Decision], context: BasicRequestContext) {
        var queues: [String: Int] = [:]
        var abstained = 0
        var timedOut: [String: Int] = [:]
        for decision in decisions {
            queues[decision.queue, default: 0] += 1
            if decision.abstained { abstained += 1 }
            for rule in decision.rulesTimedOut { timedOut[rule, default: 0] += 1 }
        }
        metrics.recordDecisions(queues: queues, abstained: abstained)
        for (rule, messages) in timedOut.sorted(by: { $0.key < $1.key }) {
            metrics.recordRuleTimeout(rule: rule, messages: messages)
            context.logger.warning("pattern rule ran out of time and did not fire", metadata: [
                "rule": .string(rule), "messages": .stringConvertible(messages),
                "limit_ms": .stringConvertible(Int(NSRegularExpressionBox.timeLimit / .milliseconds(1))),
            ])
        }
    }

    /// Appends the decision's JSON, with the caller's `channel` and `metadata` echoed when given.
    private func appendJSON(_ decision: Decision, for request: RouteRequest, explain: Bool, to out: inout JSONBuffer) {
        decision.appendJSON(to: &out, includeExplanation: explain, closed: false)
        if let channel = request.channel {
            out.appendRaw(",\"channel\":")
            out.appendString(channel)
        }
        if let metadata = request.metadata {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            if let data = try? encoder.encode(metadata) {
                out.appendRaw(",\"metadata\":")
                out.appendRaw(String(decoding: data, as: UTF8.self))
            }
        }
        out.appendRaw("}")
    }

    private func logDecisions(_ decisions: [Decision], requests: [RouteRequest], context: BasicRequestContext) {
        guard configuration.logText else { return }
        for (decision, request) in zip(decisions, requests) {
            context.logger.info("routed", metadata: [
                "text": .string(request.text), "queue": .string(decision.queue), "label": .string(decision.label),
                "confidence": .stringConvertible(decision.confidence),
            ])
        }
    }

    /// `POST /v1/route`. Routed inline: one message takes tens of microseconds, less than handing it to
    /// another thread would cost. A long message (over ``inlineTextBytes``) goes to the ``BatchExecutor``
    /// instead: the largest one a request may carry takes a fraction of a second, during which the event
    /// loop would answer nothing else, health checks included.
    func route(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let body = try await RequestBody.decodeRouteRequest(from: request, limit: configuration.maxBodyBytes)
        let explain = body.explain ?? true
        let decision: Decision
        if body.message.text.utf8.count <= Self.inlineTextBytes {
            decision = engine.route(body.message, explain: explain)
        } else {
            decision = await batches.route([body.message], engine: engine, explain: explain)[0]
        }
        count([decision], context: context)
        logDecisions([decision], requests: [body], context: context)
        var out = JSONBuffer(capacity: 640)
        appendJSON(decision, for: body, explain: explain, to: &out)
        return .json(out)
    }

    /// `POST /v1/route/batch`. Small batches inline; larger ones on the ``BatchExecutor``.
    func routeBatch(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let body = try await RequestBody.decode(BatchRouteRequest.self, from: request, limit: configuration.maxBodyBytes)
        guard body.messages.count <= configuration.maxBatch else {
            throw APIError(.contentTooLarge, code: "batch_too_large",
                           "the batch holds \(body.messages.count) messages; the limit is \(configuration.maxBatch)")
        }
        let explain = body.explain ?? true
        let messages = body.messages.map(\.message)
        let decisions: [Decision]
        if messages.count <= configuration.inlineBatchLimit, messages.reduce(0, { $0 + $1.text.utf8.count }) <= Self.inlineTextBytes {
            decisions = engine.routeBatch(messages, explain: explain, workers: 1)
        } else {
            decisions = await batches.route(messages, engine: engine, explain: explain)
        }
        count(decisions, context: context)
        logDecisions(decisions, requests: body.messages, context: context)
        var out = JSONBuffer(capacity: 64 + 640 * decisions.count)
        out.appendRaw("{\"count\":")
        out.appendInteger(decisions.count)
        out.appendRaw(",\"decisions\":[")
        for (index, decision) in decisions.enumerated() {
            if index > 0 { out.appendRaw(",") }
            appendJSON(decision, for: body.messages[index], explain: explain, to: &out)
        }
        out.appendRaw("]}")
        return .json(out)
    }

    /// The most text routed on the event loop that received it (UTF-8 bytes of one request); more goes to the
    /// ``BatchExecutor``. Routing 16 KB takes a few milliseconds.
    static let inlineTextBytes = 16 << 10

    /// The longest feedback id accepted, in UTF-8 bytes.
    static let maximumFeedbackIDBytes = 256

    /// `POST /v1/feedback`: stored (and synced) before the reply. 201 when new; 200 with
    /// `"duplicate": true` when the same id, text and label were already stored; 409 when the id was
    /// stored with another text or label (the first stands).
    func recordFeedback(_ request: Request, context: BasicRequestContext) async throws -> Response {
        guard let feedback else {
            throw APIError(.serviceUnavailable, code: "feedback_unavailable", "this server stores no feedback (it was started with --no-feedback): send corrections where your deployment collects them")
        }
        let body = try await RequestBody.decode(FeedbackRequest.self, from: request, limit: configuration.maxBodyBytes)
        guard !body.id.isEmpty else { throw APIError.invalidField("id", "must not be empty") }
        // The id goes into the log line of each stored correction: a line break in it could forge log lines,
        // and SQLite's text functions stop at a NUL (an id 'a\u{0}b' was stored as 'a').
        guard body.id.utf8.count <= Self.maximumFeedbackIDBytes else {
            throw APIError.invalidField("id", "must be at most \(Self.maximumFeedbackIDBytes) bytes")
        }
        // Nor white space or separators (U+2028 too): with them an id could forge fields of that log line
        // ("x http.status=500 error.code=...").
        guard !body.id.unicodeScalars.contains(where: { scalar in
            switch scalar.properties.generalCategory {
            case .control, .format, .spaceSeparator, .lineSeparator, .paragraphSeparator: return true
            default: return scalar.properties.isWhitespace
            }
        }) else {
            throw APIError.invalidField("id", "must not contain white space, separators or control characters")
        }
        guard !body.text.allSatisfy(\.isWhitespace) else { throw APIError.invalidField("text", "must not be empty") }
        // A NUL would cut the stored text short, and `learn` would train on the part before it.
        guard !body.text.unicodeScalars.contains("\u{0}") else { throw APIError.invalidField("text", "must not contain NUL characters") }
        let model = engine.model
        guard model.labels.contains(body.label) else {
            // Not quoted: a label that is not one of the model's can be a message's text sent in the wrong field.
            throw APIError(.badRequest, code: "unknown_label",
                           "the label is not one of the model's labels: \(model.labels.joined(separator: ", "))")
        }
        let record = FeedbackRecord(id: body.id, text: body.text, label: body.label, createdAt: Date(), modelID: model.id)
        let outcome: FeedbackOutcome
        do {
            outcome = try await feedback.record(record)
        } catch {
            context.logger.error("feedback store failed", metadata: ["error": .string(String(describing: error))])
            throw APIError(.serviceUnavailable, code: "feedback_unavailable", "the feedback could not be stored; try again")
        }
        func reply(_ record: FeedbackRecord, duplicate: Bool) -> String {
            var out = "{\"id\":"
            JSONText.appendString(record.id, to: &out)
            out += ",\"label\":"
            JSONText.appendString(record.label, to: &out)
            out += ",\"stored\":true,\"duplicate\":\(duplicate),\"created_at\":"
            JSONText.appendString(FeedbackStore.timestamp(record.createdAt), to: &out)
            out += ",\"model\":"
            JSONText.appendString(record.modelID, to: &out)
            return out + "}"
        }
        switch outcome {
        case .stored:
            metrics.recordFeedback(outcome: "stored")
            context.logger.info("feedback stored", metadata: ["feedback.id": .string(record.id), "label": .string(record.label)])
            return .json(reply(record, duplicate: false), status: .created)
        case .duplicate(let existing):
            metrics.recordFeedback(outcome: "duplicate")
            return .json(reply(existing, duplicate: true), status: .ok)
        case .conflict(let existing):
            metrics.recordFeedback(outcome: "conflict")
            throw APIError(.conflict, code: "feedback_conflict",
                           "feedback '\(existing.id)' was already stored with another text or label ('\(existing.label)'); the first one stands")
        }
    }

    /// `GET /readyz`.
    func ready() -> Response {
        var out = "{\"status\":\"ready\",\"model\":"
        JSONText.appendString(engine.model.id, to: &out)
        return .json(out + "}")
    }

    /// `GET /v1/model`.
    func modelSummary() throws -> Response {
        let summary = ModelSummary(engine: engine, state: state.snapshot)
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let data = try encoder.encode(summary)
        return .json(String(decoding: data, as: UTF8.self))
    }
}
