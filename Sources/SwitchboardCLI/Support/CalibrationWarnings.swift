import Foundation
import Switchboard

/// What `learn --calibrate` and `merge --calibrate` should say about the held-out data and the threshold it
/// gave: both used to write a model that routed almost nothing, with exit status 0 and no word about it.
enum CalibrationWarnings {
    static func lines(heldOut: [LabeledExample], labels: [String], coverage: Double?) -> [String] {
        var lines: [String] = []
        let known = Set(labels)
        var unknown: [String: Int] = [:]
        for example in heldOut where !known.contains(example.label) { unknown[example.label, default: 0] += 1 }
        if !unknown.isEmpty {
            let count = unknown.values.reduce(0, +)
            let names = unknown.keys.sorted()
            lines.append("warning: \(count) of the \(heldOut.count) held-out messages have labels the model does not have (\(names.prefix(5).joined(separator: ", "))\(names.count > 5 ? ", ..." : "")): they count as messages it should not route, which raises the threshold")
        }
        if let coverage, coverage < 0.05 {
            lines.append(String(format: "warning: at this threshold the model routes only %.1f%% of the held-out messages itself; the rest go to a person", coverage * 100))
        }
        return lines
    }
}
