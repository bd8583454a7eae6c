import Foundation
import Switchboard

/// What the commands that set a threshold (`train`, `learn --calibrate`, `merge --calibrate`) and `eval` should
/// say about labelled data and the threshold: they used to write a model that routed almost nothing, or score
/// a test set of another task 0.0000, with exit status 0 and no word about it.
enum CalibrationWarnings {
    /// Under this share of messages routed automatically, a model is as good as sending everything to people.
    static let minimumCoverage = 0.05

    static func lines(heldOut: [LabeledExample], labels: [String], coverage: Double?) -> [String] {
        var lines: [String] = []
        if let unknown = unknownLabels(heldOut.map(\.label), modelLabels: labels) {
            lines.append("warning: \(unknown.count) of the \(heldOut.count) held-out messages have labels the model does not have (\(unknown.names)): they count as messages it should not route, which raises the threshold")
        }
        if let warning = lowCoverage(coverage, of: "the held-out messages") { lines.append(warning) }
        return lines
    }

    /// A warning when `coverage` (the share of `messages` routed at the threshold) is under ``minimumCoverage``.
    static func lowCoverage(_ coverage: Double?, of messages: String) -> String? {
        guard let coverage, coverage < minimumCoverage else { return nil }
        return String(format: "warning: at this threshold the model routes only %.1f%% of %@ itself; the rest go to a person", coverage * 100, messages)
    }

    /// How many of `labels` the model does not have, and the first five of them by name (quoted, sorted).
    static func unknownLabels(_ labels: [String], modelLabels: [String]) -> (count: Int, names: String, distinct: [String])? {
        let known = Set(modelLabels)
        let unknown = labels.filter { !known.contains($0) }
        guard !unknown.isEmpty else { return nil }
        let distinct = Array(Set(unknown)).sorted()
        let names = distinct.prefix(5).map { "'\($0)'" }.joined(separator: ", ") + (distinct.count > 5 ? " and \(distinct.count - 5) more" : "")
        return (unknown.count, names, distinct)
    }
}
