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
}

extension Decision {
    /// The decision as one JSON object (no trailing newline), with snake_case keys.
    public func json(includeExplanation: Bool = true) -> String {
        var out = "{"
        if let messageID {
            out += "\"id\":"
            JSONText.appendString(messageID, to: &out)
            out += ","
        }
        out += "\"label\":"
        JSONText.appendString(label, to: &out)
        out += ",\"queue\":"
        JSONText.appendString(queue, to: &out)
        out += ",\"priority\":\(priority)"
        if let answerWithin {
            out += ",\"answer_within\":"
            JSONText.appendString(answerWithin, to: &out)
            out += ",\"answer_within_seconds\":\(answerWithinSeconds ?? 0)"
        }
        out += ",\"confidence\":"
        JSONText.appendNumber(confidence, to: &out)
        out += ",\"abstained\":\(abstained)"
        if let abstentionReason {
            out += ",\"abstention_reason\":"
            JSONText.appendString(abstentionReason, to: &out)
        }
        out += ",\"alternatives\":"
        JSONText.appendPairs(alternatives.lazy.map { ($0.label, $0.probability) }, nameKey: "label", valueKey: "probability", to: &out)
        out += ",\"rules\":[" + rules.map(JSONText.string).joined(separator: ",") + "]"
        if includeExplanation {
            out += ",\"explanation\":"
            JSONText.appendPairs(explanation.lazy.map { ($0.feature, $0.weight) }, nameKey: "feature", valueKey: "weight", to: &out)
        }
        out += ",\"language\":"
        JSONText.appendString(language, to: &out)
        out += ",\"model\":"
        JSONText.appendString(modelID, to: &out)
        out += "}"
        return out
    }
}
