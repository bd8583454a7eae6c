import Foundation
import Yams

extension RoutingPolicy {
    /// The 1-based line of the first byte sequence of `bytes` that is not UTF-8 (nil when there is none).
    static func firstInvalidUTF8Line(_ bytes: Data) -> Int? {
        var line = 1, start = bytes.startIndex
        while start < bytes.endIndex {
            let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.endIndex
            if String(validating: bytes[start..<end], as: UTF8.self) == nil { return line }
            line += 1
            start = end < bytes.endIndex ? bytes.index(after: end) : end
        }
        return nil
    }

    /// Reads a policy file and checks it against the model's labels.
    public static func load(from path: String, labels: [String]) throws -> RoutingPolicy {
        let bytes: Data
        do {
            bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw SwitchboardError(.io, "cannot read the policy file", location: SourceLocation(file: path), cause: error as NSError)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            // A Latin-1 "é" in a comment gave "the file isn't in the correct format", with no line.
            throw SwitchboardError(.invalidPolicy, "the policy file is not UTF-8: save it as UTF-8",
                                   location: SourceLocation(file: path, line: Self.firstInvalidUTF8Line(bytes)))
        }
        do {
            return try parse(yaml: text, labels: labels, file: path)
        } catch var error as SwitchboardError {
            if error.location == nil { error.location = SourceLocation(file: path) }
            throw error
        }
    }

    /// The 1-based line of the next key `key` at the indentation of line `first` (the key's first occurrence),
    /// before the mapping ends (a line indented less); nil when there is none.
    static func lineOfRepeatedKey(_ key: String, after first: Int, in yaml: String) -> Int? {
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
        guard first >= 1, first <= lines.count else { return nil }
        func indentation(_ line: Substring) -> Int { line.prefix { $0 == " " || $0 == "-" }.count }
        func startsWithKey(_ line: Substring) -> Bool {
            let body = line.drop { $0 == " " || $0 == "-" }
            return [key + ":", "\"" + key + "\":", "'" + key + "':"].contains { body.hasPrefix($0) }
        }
        let depth = indentation(lines[first - 1])
        for number in (first + 1)...max(first + 1, lines.count) where number <= lines.count {
            let line = lines[number - 1]
            let trimmed = line.drop { $0 == " " }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let here = indentation(line)
            if here < depth { return nil }
            if here == depth, startsWithKey(line) { return number }
        }
        return nil
    }

    /// Parses a policy from YAML text. Errors name the line.
    public static func parse(yaml: String, labels: [String], file: String = "<policy>") throws -> RoutingPolicy {
        func fail(_ message: String, _ node: Node?) -> SwitchboardError {
            SwitchboardError(.invalidPolicy, message, location: SourceLocation(file: file, line: node?.mark?.line))
        }
        let root: Node
        do {
            guard let composed = try Yams.compose(yaml: yaml) else { throw fail("the policy is empty: give at least one of queues, fallback_queue, abstention, rules (or no --policy)", nil) }
            root = composed
        } catch let error as YamlError {
            var line: Int?, column: Int?, problem = "invalid YAML"
            switch error {
            case .scanner(_, let what, let mark, _), .parser(_, let what, let mark, _), .composer(_, let what, let mark, _):
                // Yams's description quotes the offending line of the file: a wrong file can be a customer's
                // messages, and this error reaches logs and `GET /v1/model`. Say what and where, quote nothing.
                line = mark.line; column = mark.column; problem = "invalid YAML: \(what)"
            case .duplicatedKeysInMapping(let duplicates, let context):
                // Yams points at the first of the two and appends the whole file: name the second, quote nothing.
                let key = duplicates.sorted().first ?? "?"
                let second = Self.lineOfRepeatedKey(key, after: context.mark.line, in: yaml)
                throw SwitchboardError(.invalidPolicy, "the key '\(key)' appears twice in one mapping" + (second == nil ? "" : " (first at line \(context.mark.line))"),
                                       location: SourceLocation(file: file, line: second ?? context.mark.line))
            default: line = nil
            }
            throw SwitchboardError(.invalidPolicy, problem + (column.map { " (column \($0))" } ?? ""), location: SourceLocation(file: file, line: line))
        }
        guard let top = root.mapping else { throw fail("the policy must be a mapping of 'queues', 'fallback_queue', 'abstention' and 'rules' (each optional)", root) }
        let known: Set<String> = ["version", "fallback_queue", "abstention", "queues", "rules"]
        for (key, _) in top {
            guard let name = key.string, known.contains(name) else { throw fail("unknown key '\(key.string ?? "?")' (expected: \(known.sorted().joined(separator: ", ")))", key) }
        }
        // A section left empty (`queues:` with every entry commented out) is as if absent.
        func section(_ key: String) -> Node? {
            guard let node = top[key], node.null == nil else { return nil }
            return node
        }
        if let version = section("version") {
            guard version.int == 1 else { throw fail("unsupported policy version '\(version.string ?? "?")': this switchboard reads version 1", version) }
        }
        let labelSet = Set(labels)
        var policy = RoutingPolicy(queues: [:], queueOfLabel: [:], fallbackQueue: "human_triage", abstentionThreshold: nil, rules: [])
        if let fallback = section("fallback_queue") {
            guard let name = fallback.string, !name.isEmpty else { throw fail("'fallback_queue' must be a queue name", fallback) }
            policy.fallbackQueue = name
        }
        if let abstention = section("abstention") {
            let keys = ["threshold", "minimum_known_share", "minimum_word_likelihood"]
            guard let mapping = abstention.mapping else {
                throw fail("'abstention' must be a mapping of 'threshold', 'minimum_known_share', 'minimum_word_likelihood' (each optional)", abstention)
            }
            for (field, _) in mapping where !keys.contains(field.string ?? "") {
                throw fail("'abstention': unknown key '\(field.string ?? "?")' (expected threshold, minimum_known_share, minimum_word_likelihood)", field)
            }
            if let threshold = mapping["threshold"] {
                guard let value = threshold.float, value >= 0, value <= 1 else { throw fail("'abstention.threshold' must be a number between 0 and 1", threshold) }
                policy.abstentionThreshold = value
            }
            if let share = mapping["minimum_known_share"] {
                guard let value = share.float, value >= 0, value <= 1 else { throw fail("'abstention.minimum_known_share' must be a number between 0 (off) and 1", share) }
                policy.minimumKnownShare = value
            }
            if let likelihood = mapping["minimum_word_likelihood"] {
                if likelihood.string == "off" {
                    policy.minimumWordLikelihood = -.infinity
                } else {
                    guard let value = likelihood.float, value.isFinite, value <= 0 else {
                        throw fail("'abstention.minimum_word_likelihood' must be a number at most 0 (a mean log-probability per word), or off", likelihood)
                    }
                    policy.minimumWordLikelihood = value
                }
            }
        }
        // Without 'queues' each label is its own queue, as without a policy: a policy may set only the abstention
        // or the rules.
        let queues: [(key: Node, value: Node)]
        if let queuesNode = section("queues") {
            guard let mapping = queuesNode.mapping else { throw fail("'queues' is not a mapping of queue names", queuesNode) }
            queues = mapping.map { ($0.key, $0.value) }
        } else {
            queues = []
        }
        for (key, value) in queues {
            guard let name = key.string, !name.isEmpty else { throw fail("a queue name must be a string", key) }
            guard let body = value.mapping else { throw fail("queue '\(name)' must be a mapping with 'labels', 'priority' and 'answer_within'", value) }
            for (field, _) in body where !["labels", "priority", "answer_within"].contains(field.string ?? "") {
                throw fail("queue '\(name)': unknown key '\(field.string ?? "?")' (expected labels, priority, answer_within)", field)
            }
            var queue = Queue(name: name, priority: 3)
            if let priority = body["priority"] {
                guard let p = priority.int, p >= 1, p <= 9 else { throw fail("queue '\(name)': priority must be a whole number from 1 (most urgent) to 9", priority) }
                queue.priority = p
            }
            if let within = body["answer_within"] {
                guard let text = within.string, let seconds = Self.seconds(text) else { throw fail("queue '\(name)': answer_within must be a duration such as 30m, 4h or 2d, at most 366d", within) }
                queue.answerWithin = text
                queue.answerWithinSeconds = seconds
            }
            for labelNode in body["labels"]?.sequence ?? [] {
                guard let label = labelNode.string else { throw fail("queue '\(name)': labels must be strings", labelNode) }
                guard labelSet.contains(label) else { throw fail("queue '\(name)': unknown label '\(label)' (the model's labels: \(labels.joined(separator: ", ")))", labelNode) }
                if let other = policy.queueOfLabel[label] { throw fail("label '\(label)' is in two queues ('\(other)' and '\(name)')", labelNode) }
                policy.queueOfLabel[label] = name
            }
            if let labelsNode = body["labels"], labelsNode.sequence == nil { throw fail("queue '\(name)': labels must be a list", labelsNode) }
            policy.queues[name] = queue
        }
        if policy.queues[policy.fallbackQueue] == nil {
            policy.queues[policy.fallbackQueue] = Queue(name: policy.fallbackQueue, priority: 2)
        }
        // Labels the policy does not mention keep a queue of their own name, so nothing is unroutable.
        policy.giveOwnQueues(to: labels)
        if let rulesNode = section("rules") {
            guard let rules = rulesNode.sequence else { throw fail("'rules' must be a list", rulesNode) }
            var names = Set<String>()
            for ruleNode in rules {
                let rule = try parseRule(ruleNode, policy: policy, labels: labelSet, fail: fail)
                guard names.insert(rule.name).inserted else { throw fail("two rules are named '\(rule.name)'", ruleNode) }
                policy.rules.append(rule)
            }
        }
        return policy
    }

    private static func parseRule(_ node: Node, policy: RoutingPolicy, labels: Set<String>, fail: (String, Node?) -> SwitchboardError) throws -> Rule {
        guard let body = node.mapping else { throw fail("a rule must be a mapping with 'name', 'when' and 'then'", node) }
        guard let name = body["name"]?.string, !name.isEmpty else { throw fail("a rule needs a 'name'", node) }
        for (field, _) in body where !["name", "when", "then"].contains(field.string ?? "") {
            throw fail("rule '\(name)': unknown key '\(field.string ?? "?")' (expected name, when, then)", field)
        }
        var rule = Rule(name: name, labels: [], keywords: [], keywordHashes: [], pattern: nil, languages: [], priority: nil, queue: nil)
        guard let when = body["when"]?.mapping else { throw fail("rule '\(name)': 'when' must be a mapping of conditions", body["when"] ?? node) }
        func strings(_ node: Node, _ what: String) throws -> [String] {
            if let single = node.string, node.sequence == nil { return [single] }
            guard let items = node.sequence else { throw fail("rule '\(name)': '\(what)' must be a list of strings", node) }
            return try items.map { item in
                guard let text = item.string else { throw fail("rule '\(name)': '\(what)' must be a list of strings", item) }
                return text
            }
        }
        for (key, value) in when {
            switch key.string ?? "" {
            case "labels":
                // An empty list made the rule fire on every message, as an empty keyword list did.
                guard !(try strings(value, "labels")).isEmpty else { throw fail("rule '\(name)': 'labels' is an empty list (remove it to match any label)", value) }
                for (i, label) in try strings(value, "labels").enumerated() {
                    guard labels.contains(label) else { throw fail("rule '\(name)': unknown label '\(label)'", value.sequence?[i] ?? value) }
                    rule.labels.insert(label)
                }
            case "keywords":
                let tokenizer = Tokenizer()
                let given = try strings(value, "keywords")
                guard !given.isEmpty else { throw fail("rule '\(name)': 'keywords' is an empty list (remove it to match any message)", value) }
                // A keyword with no word in it ("", ".", "-") matched nothing, and the rule then had no keyword
                // condition left: it fired on every message of its labels.
                let tokenized = given.map { tokenizer.tokens($0).filter(\.inSequence) }
                if let index = tokenized.firstIndex(where: \.isEmpty) {
                    throw fail("rule '\(name)': keyword '\(given[index])' has no word in it to match", value.sequence?[index] ?? value)
                }
                // Messages are read with numbers, dates, amounts, addresses and references as placeholders: such a
                // keyword ("2024", "500 €") became its placeholder and matched any value ("sinistre de 2019").
                if let index = tokenized.firstIndex(where: { $0.contains { $0.kind == .placeholder } }) {
                    throw fail("rule '\(name)': keyword '\(given[index])' holds a number, date, amount, address or reference, which messages are read as placeholders: it would match any such value; use a 'pattern' instead", value.sequence?[index] ?? value)
                }
                rule.keywords = tokenized.map { $0.map(\.text).joined(separator: " ") }
                rule.keywordHashes = tokenized.map { $0.map { FeatureHash.raw(token: $0.text) } }
            case "pattern":
                guard let pattern = value.string else { throw fail("rule '\(name)': 'pattern' must be a string", value) }
                do {
                    rule.pattern = NSRegularExpressionBox(expression: try NSRegularExpression(pattern: pattern, options: [.caseInsensitive]), pattern: pattern)
                } catch {
                    throw fail("rule '\(name)': invalid regular expression '\(pattern)'", value)
                }
            case "languages":
                rule.languages = Set(try strings(value, "languages"))
                guard !rule.languages.isEmpty else { throw fail("rule '\(name)': 'languages' is an empty list (remove it to match any language)", value) }
                let detectable: Set<String> = [LanguageDetector.french, LanguageDetector.english, LanguageDetector.other, LanguageDetector.undetermined]
                if let unknown = rule.languages.subtracting(detectable).sorted().first {
                    throw fail("rule '\(name)': unknown language '\(unknown)' (the detector gives \(detectable.sorted().joined(separator: ", ")))", value)
                }
            default:
                throw fail("rule '\(name)': unknown condition '\(key.string ?? "?")' (expected labels, keywords, pattern, languages)", key)
            }
        }
        guard let then = body["then"]?.mapping else { throw fail("rule '\(name)': 'then' must be a mapping with 'priority' and/or 'queue'", body["then"] ?? node) }
        for (key, value) in then {
            switch key.string ?? "" {
            case "priority":
                guard let p = value.int, p >= 1, p <= 9 else { throw fail("rule '\(name)': priority must be a whole number from 1 to 9", value) }
                rule.priority = p
            case "queue":
                guard let queue = value.string, policy.queues[queue] != nil else {
                    throw fail("rule '\(name)': unknown queue '\(value.string ?? "?")' (queues: \(policy.queues.keys.sorted().joined(separator: ", ")))", value)
                }
                rule.queue = queue
            default:
                throw fail("rule '\(name)': unknown action '\(key.string ?? "?")' (expected priority, queue)", key)
            }
        }
        guard rule.priority != nil || rule.queue != nil else { throw fail("rule '\(name)': 'then' must set 'priority' or 'queue'", body["then"]) }
        return rule
    }

    /// The longest answer-time target a queue may have: a year and a day.
    static let maximumAnswerSeconds = 366 * 86_400

    /// Seconds in a duration such as `45s`, `30m`, `4h`, `2d`, up to ``maximumAnswerSeconds``; nil otherwise
    /// (a number of days that overflowed used to trap).
    static func seconds(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let unit = trimmed.last, let number = Int(trimmed.dropLast()), number > 0 else { return nil }
        let scale: Int
        switch unit {
        case "s": scale = 1
        case "m": scale = 60
        case "h": scale = 3600
        case "d": scale = 86400
        default: return nil
        }
        let (seconds, overflow) = number.multipliedReportingOverflow(by: scale)
        return !overflow && seconds <= maximumAnswerSeconds ? seconds : nil
    }
}
