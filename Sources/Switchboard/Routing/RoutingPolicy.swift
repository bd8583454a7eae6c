import Foundation

/// Maps labels to queues, with priorities, answer-time targets, a fallback queue and override rules.
///
/// Read from YAML (see `models/policy.yaml` and its comments). Without a policy, each label is its own
/// queue (priority 3) and abstentions go to `human_triage`.
public struct RoutingPolicy: Sendable {
    /// A queue: where a team picks up messages.
    public struct Queue: Sendable, Hashable {
        /// The queue's name.
        public var name: String
        /// Its priority: 1 is the most urgent.
        public var priority: Int
        /// How soon its messages should be answered, as written (`30m`, `4h`, `2d`).
        public var answerWithin: String?
        /// The same in seconds.
        public var answerWithinSeconds: Int?
    }

    /// A rule evaluated after classification, in order; every rule whose conditions all hold fires.
    public struct Rule: Sendable {
        /// The rule's name, reported in decisions.
        public var name: String
        /// Fires only for these labels (empty: any).
        public var labels: Set<String>
        /// Fires only when the message contains one of these (folded, whole words or phrases).
        public var keywords: [String]
        /// The keywords as sequences of token hashes.
        var keywordHashes: [[UInt64]] = []
        /// Fires only when this regular expression matches the text (case-insensitive).
        public var pattern: NSRegularExpressionBox?
        /// Fires only for these detected languages (empty: any).
        public var languages: Set<String>
        /// Raises the priority to at least this (smaller number: more urgent).
        public var priority: Int?
        /// Sends the message to this queue.
        public var queue: String?
    }

    /// The queues by name.
    public var queues: [String: Queue]
    /// The queue of each label.
    public var queueOfLabel: [String: String]
    /// Where abstentions go.
    public var fallbackQueue: String
    /// Overrides the model's abstention threshold when set.
    public var abstentionThreshold: Double?
    /// Overrides the model's minimum share of known words when set (0 turns that check off).
    public var minimumKnownShare: Double?
    /// Overrides the model's minimum word likelihood when set (a mean log-probability per word, at most 0;
    /// `-infinity`, written `off` in YAML, turns that check off).
    public var minimumWordLikelihood: Double?
    /// The override rules, in order.
    public var rules: [Rule]
    /// The labels the policy does not mention, routed to a queue of their own name (priority 3) so that
    /// nothing is unroutable: a label that needs a policy entry (a new label learnt, say).
    public internal(set) var labelsWithoutEntry: Set<String> = []

    /// The policy used when none is given: one queue per label, abstentions to `human_triage`.
    public static func `default`(labels: [String]) -> RoutingPolicy {
        var policy = RoutingPolicy(queues: ["human_triage": Queue(name: "human_triage", priority: 2)], queueOfLabel: [:],
                                   fallbackQueue: "human_triage", abstentionThreshold: nil, rules: [])
        policy.giveOwnQueues(to: labels)
        return policy
    }

    /// Routes each of `labels` the policy does not mention to a queue of its own name (priority 3).
    mutating func giveOwnQueues(to labels: [String]) {
        for label in labels where queueOfLabel[label] == nil {
            queueOfLabel[label] = label
            if queues[label] == nil { queues[label] = Queue(name: label, priority: 3) }
            labelsWithoutEntry.insert(label)
        }
    }
}

/// A compiled regular expression that can be shared between threads (NSRegularExpression is immutable).
public struct NSRegularExpressionBox: @unchecked Sendable {
    /// The expression.
    public let expression: NSRegularExpression
    /// The source pattern.
    public let pattern: String

    /// How long one pattern may search one message before it counts as not matching.
    public static let timeLimit: Duration = .milliseconds(50)

    /// What searching one message gave.
    enum SearchResult: Equatable {
        case matched, notMatched, timedOut
    }

    /// Whether the pattern matches somewhere in `text`, within ``timeLimit``.
    ///
    /// A pattern with nested repetition such as `(a+)+$` backtracks exponentially: on 28 letters it took 5 s,
    /// on a few thousand it never returned, and one message held a routing thread for good. ICU calls back
    /// every so many steps when asked to report progress; the search stops there once the time is up, the
    /// rule does not fire (the policy's documentation says so), and the decision names it in
    /// ``Decision/rulesTimedOut``.
    func search(_ text: String) -> SearchResult {
        let start = ContinuousClock.now
        var result = SearchResult.notMatched
        expression.enumerateMatches(in: text, options: [.reportProgress], range: NSRange(text.startIndex..., in: text)) { match, _, stop in
            if match != nil {
                result = .matched
                stop.pointee = true
            } else if ContinuousClock.now - start > Self.timeLimit {
                result = .timedOut
                stop.pointee = true
            }
        }
        return result
    }
}
