/// A feature's weight in a decision: how much it pushed the chosen label against the runner-up.
public struct FeatureContribution: Sendable, Hashable, Codable {
    /// The feature (`w:word`, `w:two words`, `c:[abc]`).
    public var feature: String
    /// Its contribution to the score difference (positive: for the chosen label).
    public var weight: Double

    /// Creates a contribution.
    public init(feature: String, weight: Double) {
        self.feature = feature
        self.weight = weight
    }
}

/// Where a message goes, how urgently, how sure the system is, and why.
public struct Decision: Sendable, Hashable {
    /// The message's identifier, if it had one.
    public var messageID: String?
    /// The most probable label (also set when abstaining, for information).
    public var label: String
    /// The queue the message goes to (the fallback queue when abstaining).
    public var queue: String
    /// The priority: 1 is the most urgent.
    public var priority: Int
    /// The answer-time target of the queue, as written in the policy.
    public var answerWithin: String?
    /// The same in seconds.
    public var answerWithinSeconds: Int?
    /// The calibrated probability of ``label``.
    public var confidence: Double
    /// The most probable labels with their probabilities (the label first).
    public var alternatives: [LabelProbability]
    /// Whether the message was handed to a person instead of being routed automatically.
    public var abstained: Bool
    /// Why, when it abstained.
    public var abstentionReason: String?
    /// The override rules that fired, in order.
    public var rules: [String]
    /// The features that weighed most for the label against the runner-up (empty unless asked for).
    public var explanation: [FeatureContribution]
    /// The detected language: `fr`, `en`, `other` or `und`.
    public var language: String
    /// The identifier of the model that decided.
    public var modelID: String
    /// The pattern rules that ran out of time on this message (``NSRegularExpressionBox/timeLimit``) and so
    /// did not fire, in policy order: a sign that a pattern backtracks too much. Usually empty.
    public var rulesTimedOut: [String] = []
}

extension Decision {
    /// The decision as one JSON object (no trailing newline), with snake_case keys.
    public func json(includeExplanation: Bool = true) -> String {
        var out = JSONBuffer(capacity: 320 + 48 * (alternatives.count + rules.count + (includeExplanation ? explanation.count : 0)))
        appendJSON(to: &out, includeExplanation: includeExplanation)
        return out.text
    }

    /// Appends the decision's JSON object to `out`; without its opening or closing brace when `opened` or
    /// `closed` is false, so that the server and the batch writer can add fields to it.
    ///
    /// Built as bytes (``JSONBuffer``): as a growing `String` it cost 11 allocations and 5 µs a decision
    /// (`Benchmarks/Latency`, "decision JSON"), about 3% of the server's time per request.
    public func appendJSON(to out: inout JSONBuffer, includeExplanation: Bool = true, opened: Bool = true, closed: Bool = true) {
        if opened { out.appendRaw("{") }
        if let messageID {
            out.appendRaw("\"id\":")
            out.appendString(messageID)
            out.appendRaw(",")
        }
        out.appendRaw("\"label\":")
        out.appendString(label)
        out.appendRaw(",\"queue\":")
        out.appendString(queue)
        out.appendRaw(",\"priority\":")
        out.appendInteger(priority)
        if let answerWithin {
            out.appendRaw(",\"answer_within\":")
            out.appendString(answerWithin)
            out.appendRaw(",\"answer_within_seconds\":")
            out.appendInteger(answerWithinSeconds ?? 0)
        }
        out.appendRaw(",\"confidence\":")
        out.appendNumber(confidence)
        out.appendRaw(abstained ? ",\"abstained\":true" : ",\"abstained\":false")
        if let abstentionReason {
            out.appendRaw(",\"abstention_reason\":")
            out.appendString(abstentionReason)
        }
        out.appendRaw(",\"alternatives\":")
        out.appendArray(alternatives) { $0.appendPair(name: $1.label, value: $1.probability, nameKey: "label", valueKey: "probability") }
        out.appendRaw(",\"rules\":")
        out.appendArray(rules) { $0.appendString($1) }
        if !rulesTimedOut.isEmpty {
            out.appendRaw(",\"rules_timed_out\":")
            out.appendArray(rulesTimedOut) { $0.appendString($1) }
        }
        if includeExplanation {
            out.appendRaw(",\"explanation\":")
            out.appendArray(explanation) { $0.appendPair(name: $1.feature, value: $1.weight, nameKey: "feature", valueKey: "weight") }
        }
        out.appendRaw(",\"language\":")
        out.appendString(language)
        out.appendRaw(",\"model\":")
        out.appendString(modelID)
        if closed { out.appendRaw("}") }
    }
}
